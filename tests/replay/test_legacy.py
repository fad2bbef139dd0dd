"""Archived finance.naver.com pages (--legacy archived): served from the world, parsed by the
legacy parsers, equal to the world's truth."""
import json

import pytest

from tests.replay.test_world import _parsed, _truth, key

HIDDEN_TITLE = "클린봇이 이용자 보호를 위해 숨긴 게시글입니다."


def _world_posts(world_dir, code):
    index = json.loads((world_dir / "board.index.json").read_text())
    offset, length = index[code]
    with open(world_dir / "board.jsonl", "rb") as fh:
        fh.seek(offset)
        return json.loads(fh.read(length))  # newest first


def _busiest_code_with_a_hidden_post(world_dir):
    index = json.loads((world_dir / "board.index.json").read_text())
    for code in sorted(index, key=lambda c: -index[c][1]):
        if any(not p["clean"] for p in _world_posts(world_dir, code)[:40]):
            return code
    raise AssertionError("no stock with a hidden post among its 40 newest")


def expected_board_row(truth: dict, views: int) -> dict:
    """What the legacy list shows of a truth post: minutes only, no body or reply depth, views,
    '[N]' only when there are comments, and no link (a synthetic id) when the clean-bot hid it."""
    posted = truth["posted_at"][:16] + ":00+09:00"
    row = {"code": truth["code"], "post_id": truth["post_id"], "posted_at": posted, "title": truth["title"],
           "body": None, "author": truth["author"], "views": views, "likes": truth["likes"],
           "dislikes": truth["dislikes"], "comment_count": truth["comment_count"] or None, "hidden": False,
           "reply_depth": 0}
    if truth["hidden"]:
        stamp = truth["posted_at"][:16].replace("-", "").replace("T", "").replace(":", "")
        row.update(post_id=f"hidden-{stamp}-{truth['author']}", title=HIDDEN_TITLE, comment_count=None,
                   hidden=True)
    return row


def test_archived_board_pages_parse_to_the_worlds_posts(archived_server, world_dir):
    pytest.importorskip("shared.parsers")
    code = _busiest_code_with_a_hidden_post(world_dir)
    status, headers, body = archived_server.get(f"/item/board.naver?code={code}&page=1")
    assert status == 200 and headers["content-type"].lower().replace(" ", "") == "text/html;charset=utf-8"
    world = _world_posts(world_dir, code)
    truth = {r["post_id"]: r for r in _truth(world_dir, "board_post", code=code)}
    parsed = _parsed("legacy-board", archived_server, f"/item/board.naver?code={code}&page=1") + \
        _parsed("legacy-board", archived_server, f"/item/board.naver?code={code}&page=2")
    assert len(parsed) == min(40, len(world))
    assert parsed == [expected_board_row(truth[p["id"]], p["views"]) for p in world[:40]]
    assert any(r["hidden"] for r in parsed) and any(r["comment_count"] for r in parsed)


def test_archived_board_page_past_the_end_repeats_the_last_page(archived_server, world_dir):
    code = _busiest_code_with_a_hidden_post(world_dir)
    last = (len(_world_posts(world_dir, code)) + 19) // 20
    _, _, body_last = archived_server.get(f"/item/board.naver?code={code}&page={last}")
    _, _, body_past = archived_server.get(f"/item/board.naver?code={code}&page={last + 5}")
    assert body_past == body_last and f"page={last}\">맨뒤".encode() in body_last


def test_archived_main_page_is_euc_kr_and_parses_to_the_worlds_statements(archived_server, world_dir):
    pytest.importorskip("shared.parsers")
    from tests.replay.test_structure import first_code
    code = first_code(world_dir)
    status, headers, body = archived_server.get(f"/item/main.naver?code={code}")
    assert status == 200 and "euc-kr" in headers["content-type"].lower()
    text = body.decode("euc-kr")
    assert "기업실적분석" in text and text.count("&#40;E&#41;") == 2 and text.count("th_cop_anal") == 3 + 16
    parsed = _parsed("legacy-main", archived_server, f"/item/main.naver?code={code}")
    assert len(parsed) == 160
    assert key(parsed) == key(_truth(world_dir, "financial_statement", code=code))


def test_closed_legacy_pages_still_redirect_without_the_archive(world_server):
    status, headers, _ = world_server.get("/item/board.naver?code=005930&page=1")
    assert status == 302 and headers["location"].endswith("/discussion")

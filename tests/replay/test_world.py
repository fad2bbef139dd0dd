"""Same seed -> the same world byte for byte; faults appear at the configured share; planted
board bursts precede the planted movers; simulate -> serve -> parse equals the truth."""
import datetime as dt
import json
from pathlib import Path

import pytest

from services.replay.faults import FaultConfig, FaultPlan, FaultRule
from tests.replay.conftest import AUTHKEY, BROWSER, small_world


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_given_the_same_seed_then_the_same_world_byte_for_byte(tmp_path, world_dir):
    small_world(tmp_path / "again", seed=5)
    small_world(tmp_path / "other", seed=6)
    assert files(tmp_path / "again") == files(world_dir)
    assert files(tmp_path / "other")["truth/daily_price.jsonl"] != files(world_dir)["truth/daily_price.jsonl"]


def test_given_fault_shares_then_drawn_faults_match_them():
    plan = FaultPlan(FaultConfig(seed=3, rules=[FaultRule(prefix="/api", share={"429": 0.2, "503": 0.1})]))
    draws = [plan.draw("/api/stocks/x") for _ in range(5000)]
    kinds = [d[0] if d else None for d in draws]
    assert 0.18 < kinds.count("429") / 5000 < 0.22
    assert 0.08 < kinds.count("503") / 5000 < 0.12
    assert plan.draw("/chart/x") is None
    again = FaultPlan(FaultConfig(seed=3, rules=[FaultRule(prefix="/api", share={"429": 0.2, "503": 0.1})]))
    assert [d[0] if d else None for d in (again.draw("/api/a") for _ in range(5000))] == kinds


def test_given_faults_posted_to_the_admin_endpoint_then_the_server_answers_with_them(world_server):
    config = {"seed": 1, "rules": [{"prefix": "/api/stocks/industry", "share": {"429": 0.5, "block": 0.2}}]}
    status, _, _ = world_server.get("/__replay/faults", method="POST", data=json.dumps(config).encode())
    assert status == 200
    try:
        answers = [world_server.get("/api/stocks/industry")[:3:2] for _ in range(200)]
    finally:
        world_server.get("/__replay/faults", method="DELETE")
    too_many = sum(1 for s, _ in answers if s == 429)
    blocked = sum(1 for s, b in answers if s == 200 and "비정상적인".encode() in b)
    assert 70 <= too_many <= 130 and 20 <= blocked <= 60
    assert world_server.get("/api/stocks/industry")[0] == 200


def test_given_board_lag_1_then_planted_movers_have_post_bursts_before_the_open(world_dir):
    effects = json.loads((world_dir / "truth/effects.json").read_text())
    posts = [json.loads(line) for line in (world_dir / "truth/board_post.jsonl").read_text().splitlines()]
    for day in effects["days"][5:10]:
        for mover in day["planted"]:
            start, end = (dt.datetime.fromisoformat(x) for x in mover["window"])
            assert end.time() == dt.time(9, 0)
            burst = [p for p in posts if p["code"] == mover["code"]
                     and start <= dt.datetime.fromisoformat(p["posted_at"]) < end]
            assert len(burst) >= 0.5 * mover["posts"]
            assert abs(mover["open_close_return"]) > 0.08


def _truth(world_dir, stream, **match):
    rows = [json.loads(line) for line in (world_dir / f"truth/{stream}.jsonl").read_text().splitlines()]
    return [r for r in rows if all(r[k] == v for k, v in match.items())]


def _parsed(name, served, path, headers=None):
    from shared.parsers import Response, parse
    status, hdrs, body = served.get(path, headers=headers)
    return [r.model_dump(mode="json") for r in parse(name, Response(body=body, url="https://x" + path, headers=hdrs))]


def key(rows):
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False))


def test_round_trip_simulate_serve_parse_equals_truth(world_server, world_dir):
    pytest.importorskip("shared.parsers")
    from tests.replay.test_structure import first_code
    code = first_code(world_dir)
    assert _parsed("naver-chart-day", world_server, f"/chart/domestic/item/{code}/day?startDateTime=20260801&endDateTime=20261001") \
        == _truth(world_dir, "daily_price", code=code)
    assert key(_parsed("naver-finance", world_server, f"/api/stock/{code}/finance/quarter")) \
        == key(_truth(world_dir, "financial_statement", code=code, period_type="quarter"))
    integration = _parsed("naver-integration", world_server, f"/api/stock/{code}/integration")
    assert key(integration) == key(_truth(world_dir, "stock_sector", code=code) + _truth(world_dir, "stock_valuation", code=code))
    nate = _parsed("nate-ranking", world_server, "/rank/interest?sc=eco&p=day&date=20260929") + \
        _parsed("nate-ranking", world_server, "/rank/interest?sc=eco&p=day&date=20260929&page=2")
    assert nate == _truth(world_dir, "news_rank", rank_date="2026-09-29", section="eco")
    assert _parsed("koreaexim-fx", world_server, f"/site/program/financial/exchangeJSON?authkey={AUTHKEY}&searchdate=20260930&data=AP01") \
        == _truth(world_dir, "fx_rate", rate_date="2026-09-30")
    fg = _parsed("cnn-fear-greed", world_server, "/index/fearandgreed/graphdata/2026-08-03", headers=BROWSER)
    assert fg == _truth(world_dir, "fear_greed")
    posts = _parsed("naver-discussion", world_server, "/api/community/discussion/posts/by-item?discussionType="
                    f"domesticStock&itemCode={code}&isHolderOnly=false&excludesItemNews=false&isItemNewsOnly=false"
                    "&isCleanbotPassedOnly=false&pageSize=100")
    assert {(p["likes"], p["dislikes"], p["views"]) for p in posts} == {(0, 0, None)}  # the list has no counts
    ids = [p["post_id"] for p in posts]
    reactions = {r["post_id"]: r for start in range(0, len(ids), 30) for r in _parsed(  # 30 a call, as Naver's pages
        "naver-discussion-reactions", world_server,
        "/api/community/discussion/posts/reactions?postIds=" + ",".join(ids[start:start + 30]))}
    merged = [{**p, **{k: reactions[p["post_id"]][k] for k in ("views", "likes", "dislikes")}} for p in posts]
    assert key(merged) == key(_truth(world_dir, "board_post", code=code)[-100:])


def test_given_more_than_30_post_ids_when_reactions_are_asked_then_only_the_first_30_are_answered(world_server,
                                                                                                  world_dir):
    ids = [p["post_id"] for p in _truth(world_dir, "board_post")][:45]
    assert len(ids) == 45
    answered = _parsed("naver-discussion-reactions", world_server,
                       "/api/community/discussion/posts/reactions?postIds=" + ",".join(ids))
    assert [r["post_id"] for r in answered] == ids[:30]


def test_given_a_group_of_members_when_its_pages_are_asked_then_they_hold_every_member_once(world_server, world_dir):
    import orjson
    groups = orjson.loads(world_server.get("/api/stocks/industry?page=1&pageSize=100")[2])["groups"]
    group = max(groups, key=lambda g: g["totalCount"])
    members = []
    for page in (1, 2, 3):
        body = orjson.loads(world_server.get(f"/api/stocks/industry/{group['no']}?page={page}&pageSize=2")[2])
        assert body["totalCount"] == group["totalCount"] and body["pageSize"] == 2
        members += [s["itemCode"] for s in body["stocks"]]
    assert len(members) == len(set(members)) == min(6, group["totalCount"])
    default = orjson.loads(world_server.get(f"/api/stocks/industry/{group['no']}")[2])
    assert len(default["stocks"]) == min(20, group["totalCount"])  # pageSize 20 when none is sent

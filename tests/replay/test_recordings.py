"""A recorded real sample is served back byte for byte, with the real content type and charset."""
import pytest

from tests.replay.conftest import BODIES

CASES = [
    ("/chart/domestic/item/005930/day?startDateTime=202609250000&endDateTime=202609290000",
     "chart-day_005930_20260925-20260929.json", "application/json; charset=utf-8"),
    ("/corpgeneral/corpList.do?method=download", "corpList-download-2026-04.xls",
     "application/vnd.ms-excel;charset=EUC-KR"),
    ("/item/sise_day.naver?code=005930&page=1", "sise_day_005930_p1_2024-04-24_wayback.cp949.html",
     "text/html;charset=EUC-KR"),
    ("/rank/interest?sc=all&p=day&date=20260929", "nate-rank-interest-all-20260929.EXCERPT.html",
     "text/html; charset=UTF-8"),
]


@pytest.mark.parametrize("path,sample,content_type", CASES)
def test_given_a_recording_when_requested_then_bytes_and_content_type_are_the_real_ones(
        recordings_server, path, sample, content_type):
    status, headers, body = recordings_server.get(path)
    assert status == 200
    assert body == (BODIES / sample).read_bytes()
    assert headers["content-type"] == content_type


def test_given_reordered_query_when_requested_then_the_same_recording_answers(recordings_server):
    status, _, body = recordings_server.get(
        "/chart/domestic/item/005930/day?endDateTime=202609290000&startDateTime=202609250000")
    assert status == 200
    assert body == (BODIES / "chart-day_005930_20260925-20260929.json").read_bytes()


def test_given_an_unrecorded_path_when_requested_then_an_html_not_found_page(recordings_server):
    status, headers, _ = recordings_server.get("/api/stock/999999/integration")
    assert status == 404
    assert headers["content-type"].startswith("text/html")


def test_given_the_shipped_captures_then_each_is_byte_for_byte_the_copied_real_sample():
    import hashlib
    listed = {}
    for line in (BODIES.parent / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            digest, name, _origin = line.split()
            listed[name] = digest
    assert set(listed) == {p.name for p in BODIES.iterdir()}, "every body is listed in SHA256SUMS, and only they"
    for name, digest in listed.items():
        assert hashlib.sha256((BODIES / name).read_bytes()).hexdigest() == digest, f"{name} was edited"

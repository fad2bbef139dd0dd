"""Financial events: statements and estimate revisions carry publication times (KST), the served
finance pages follow the world's clock, planted financial movers get events in their lag window,
and the power knobs (decoys, unexplained movers, strength) do what the README says."""
import datetime as dt
import json

import numpy as np
import pytest

from services.replay.effects import Effect, EffectsConfig
from services.replay.simulated_prices import plan_movers
from tests.replay.test_world import _parsed, _truth, key

OPEN, CLOSE = dt.time(9, 0), dt.time(15, 30)


def _events(world):
    return [json.loads(line) for line in (world / "truth/financial_events.jsonl").read_text().splitlines()]


def _days(world):
    return json.loads((world / "truth/effects.json").read_text())["days"]


def test_events_have_the_documented_fields_and_fall_inside_the_world(financial_world):
    events = _events(financial_world)
    assert events and {tuple(sorted(e)) for e in events} == {
        ("code", "kind", "period", "period_type", "published_at")}
    assert {e["kind"] for e in events} == {"new_statement", "estimate_revision"}
    stamps = [dt.datetime.fromisoformat(e["published_at"]) for e in events]
    assert all(s.utcoffset() == dt.timedelta(hours=9) for s in stamps) and stamps == sorted(stamps)
    assert dt.datetime(2026, 6, 30, 15, 30) <= stamps[0].replace(tzinfo=None)
    assert stamps[-1].replace(tzinfo=None) <= dt.datetime(2026, 8, 31, 23, 59, 59)


def test_planted_financial_movers_have_an_event_in_their_lag_window(financial_world):
    events = {(e["code"], e["published_at"], e["kind"], e["period"]) for e in _events(financial_world)}
    days = _days(financial_world)
    checked = 0
    for t, day in enumerate(days[1:], start=1):
        prev = dt.date.fromisoformat(days[t - 1]["date"])
        today = dt.date.fromisoformat(day["date"])
        for m in day["planted"] + day["decoys"]:
            if m["medium"] != "financial":
                continue
            at = dt.datetime.fromisoformat(m["published_at"]).replace(tzinfo=None)
            if m["lag"] == 0:
                assert dt.datetime.combine(today, OPEN) <= at < dt.datetime.combine(today, CLOSE)
            else:
                assert dt.datetime.combine(prev, CLOSE) <= at < dt.datetime.combine(today, OPEN)
            assert (m["code"], m["published_at"], m["event"], m["period"]) in events
            checked += 1
    assert checked > 60


def test_decoys_and_unexplained_movers_follow_the_config(financial_world):
    days = _days(financial_world)
    assert all(len(d["decoys"]) == 2 for d in days)                    # round(0.5 * 3)
    assert all(sum(m["medium"] == "none" for m in d["planted"]) == 1 for d in days)  # round(0.34 * 3)
    none = [m for d in days for m in d["planted"] if m["medium"] == "none"]
    assert all("published_at" not in m and abs(m["open_close_return"]) > 0.08 for m in none)
    decoy_moves = np.abs([m["open_close_return"] for d in days for m in d["decoys"]])
    assert np.median(decoy_moves) < 0.03


def _quarter_column(server, code, period):
    status, _, body = server.get(f"/api/stock/{code}/finance/quarter")
    assert status == 200
    titles = json.loads(body)["financeInfo"]["trTitleList"]
    return next((t["isConsensus"] for t in titles if t["key"] == period.replace("-", "")), None)


def _at(stamp: str, seconds: int) -> str:
    when = dt.datetime.fromisoformat(stamp).replace(tzinfo=None) + dt.timedelta(seconds=seconds)
    return when.isoformat()


def test_served_finance_follows_the_clock_a_statement_appears_when_published(financial_server, financial_world):
    event = next(e for e in _events(financial_world) if e["kind"] == "new_statement" and e["period_type"] == "quarter")
    post = lambda now: financial_server.get("/__replay/clock", method="POST", data=json.dumps({"now": now}).encode())
    try:
        assert post(_at(event["published_at"], -1))[0] == 200
        assert _quarter_column(financial_server, event["code"], event["period"]) == "Y"  # still the estimate
        post(_at(event["published_at"], 0))
        assert _quarter_column(financial_server, event["code"], event["period"]) == "N"  # published
    finally:
        financial_server.get("/__replay/clock", method="DELETE")


def test_served_estimate_changes_on_its_revision(financial_server, financial_world):
    event = next(e for e in _events(financial_world) if e["kind"] == "estimate_revision")
    path = f"/api/stock/{event['code']}/finance/{event['period_type']}"
    post = lambda now: financial_server.get("/__replay/clock", method="POST", data=json.dumps({"now": now}).encode())
    try:
        post(_at(event["published_at"], -1))
        before = json.loads(financial_server.get(path)[2])
        post(_at(event["published_at"], 0))
        after = json.loads(financial_server.get(path)[2])
    finally:
        financial_server.get("/__replay/clock", method="DELETE")
    period = event["period"].replace("-", "")
    column = lambda doc: [r["columns"][period]["value"] for r in doc["financeInfo"]["rowList"]]
    assert before["financeInfo"]["trTitleList"] == after["financeInfo"]["trTitleList"]
    assert column(before) != column(after)


def test_bad_clock_is_refused_and_the_default_clock_matches_the_truth(financial_server, financial_world):
    status, _, body = financial_server.get("/__replay/clock", method="POST", data=b'{"now": "yesterday"}')
    assert status == 400 and b"bad clock" in body
    assert json.loads(financial_server.get("/__replay/clock")[2]) == {"now": "2026-08-31T23:59:59+09:00"}
    pytest.importorskip("shared.parsers")
    code = _events(financial_world)[-1]["code"]
    assert key(_parsed("naver-finance", financial_server, f"/api/stock/{code}/finance/annual")) \
        == key(_truth(financial_world, "financial_statement", code=code, period_type="annual"))


def _stocks(n):
    return [{"security_type": "stock"} for _ in range(n)]


def test_weaker_strength_plants_smaller_moves():
    halted = np.zeros((300, 60), dtype=bool)
    driver = np.zeros(60)

    def sizes(strength):
        cfg = EffectsConfig(movers_per_day=8, effects=[Effect(medium="board", strength=strength)])
        return np.array([m["size"] for day in plan_movers(np.random.default_rng(1), cfg, _stocks(300), halted, driver)
                         for m in day])
    strong, weak = sizes(1.0), sizes(0.25)
    assert 0.12 <= strong.min() and np.median(strong) < 0.16
    assert 0.03 <= weak.min() and np.median(weak) < 0.04
    with pytest.raises(ValueError):
        Effect(medium="board", strength=0.01)

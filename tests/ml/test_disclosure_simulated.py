"""Disclosures on the project's simulator: planted DART filings move stocks (lag 0 and 1, decoy
filings move nothing) and the board echoes every material filing. Scored with the disclosure
control, the filings pass on both clocks and the echo does not; without it, the echo is credited."""
from __future__ import annotations

import json

import pytest

from tests.bench.validate_disclosures import score_world


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("disclosure_world")
    return folder, score_world(4, 80, folder)


def test_given_planted_filings_when_simulated_then_they_are_in_the_truth_with_their_minute(scored):
    folder, _ = scored
    effects = json.loads((folder / "truth" / "effects.json").read_text())
    planted = [m for day in effects["days"] for m in day["planted"] + day["decoys"] if m["medium"] == "disclosure"]
    assert planted and all("disclosed_at" in m and "event_type" in m for m in planted)
    truth = [json.loads(line) for line in (folder / "truth" / "disclosure.jsonl").read_text().splitlines()]
    stamps = {(r["stock_code"], r["disclosed_at"]) for r in truth}
    missing = [m for m in planted if (m["code"], m["disclosed_at"]) not in stamps]
    assert len(missing) <= 1, missing[:3]   # (a day-0 lag-1 filing falls before the world's first day)


@pytest.mark.parametrize("clock", ["predictive", "explanatory"])
def test_given_filings_that_move_stocks_when_scored_then_disclosure_passes(scored, clock):
    influence, p_adjusted, significant = scored[1][("with", clock, "disclosure")]
    assert significant and influence > 0.02, (influence, p_adjusted)


@pytest.mark.parametrize("clock", ["predictive", "explanatory"])
def test_given_a_board_that_echoes_filings_when_disclosures_are_controlled_then_it_is_not_credited(scored, clock):
    assert not scored[1][("with", clock, "board")][2], scored[1][("with", clock, "board")]
    assert scored[1][("without", clock, "board")][2], scored[1][("without", clock, "board")]

"""Validate the ML worker's scores on simulated worlds with known planted effects.

    .venv/bin/python tests/bench/validate_ml.py [--seeds 20] [--null-seeds 10] [--stocks 150]
                                               [--json OUT]

Checks (issue 7):
1. lead: a medium planted to lead the movers by a day (board or news, alternating by seed)
   ranks first among stock media on the predictive clock, for the year, in >= 19 of 20 seeds;
2. same-day: a medium planted on the trading day itself is significant (p < 0.05) on the
   explanatory clock and not on the predictive one;
3. calibration: with nothing planted, p < 0.05 in about 5% of medium-periods or fewer.

Worlds come from ``services.replay.simulate.build_world``; their truth records are scored without
a database (``ml.dataset.frames_from_truth``), through the same features and models as
``insertcoin score``. Exit code 1 when a check fails.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from ml.dataset import frames_from_truth
from ml.features import build_panel
from ml.scoring import ScoringConfig, rolling_scores

START, END = dt.date(2025, 1, 1), dt.date(2025, 8, 29)
CONFIG = ScoringConfig(window=250, min_train=60, step=21, n_perm=99, n_boot=500)


def score_world(stocks: int, seed: int, effects) -> pd.DataFrame:
    """Simulate one world and return its m_media_influence rows."""
    from services.replay.simulate import build_world

    with tempfile.TemporaryDirectory(prefix="validate-ml-") as tmp:
        build_world(Path(tmp), stocks=stocks, start=START, end=END, seed=seed, effects=effects)
        panel = build_panel(**frames_from_truth(Path(tmp) / "truth"))
    influence, _pca = rolling_scores(panel, ScoringConfig(**{**CONFIG.__dict__, "seed": seed}))
    return influence


def main(argv: list[str] | None = None) -> int:
    from services.replay.effects import Effect, EffectsConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--same-day-seeds", type=int, default=6)
    parser.add_argument("--null-seeds", type=int, default=10)
    parser.add_argument("--stocks", type=int, default=150)
    parser.add_argument("--json", type=Path, help="write the detailed results here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results: dict = {"lead": [], "same_day": [], "null": []}

    for seed in range(args.seeds):
        medium = ("board", "news")[seed % 2]
        f = score_world(args.stocks, 1000 + seed, EffectsConfig(movers_per_day=6,
                                                                effects=[Effect(medium=medium, lag=1)]))
        year = f[(f.period_type == "year") & (f.clock == "predictive") & (f.scope == "stock")]
        winner = year.sort_values("rank").iloc[0]
        results["lead"].append({"seed": 1000 + seed, "planted": medium, "first": winner["medium"],
                                "influence": round(float(winner["influence"]), 4),
                                "p": float(year.set_index("medium").loc[medium, "p_value"])})
        print("lead", results["lead"][-1], flush=True)

    for seed in range(args.same_day_seeds):
        medium = ("board", "news")[seed % 2]
        f = score_world(args.stocks, 2000 + seed, EffectsConfig(movers_per_day=6,
                                                                effects=[Effect(medium=medium, lag=0)]))
        year = f[(f.period_type == "year") & (f.scope == "stock") & (f.medium == medium)].set_index("clock")
        results["same_day"].append({"seed": 2000 + seed, "planted": medium,
                                    "p_explanatory": float(year.loc["explanatory", "p_value"]),
                                    "rank_explanatory": int(year.loc["explanatory", "rank"]),
                                    "p_predictive": float(year.loc["predictive", "p_value"])})
        print("same-day", results["same_day"][-1], flush=True)

    null_rows = []
    for seed in range(args.null_seeds):
        f = score_world(args.stocks, 3000 + seed, EffectsConfig(movers_per_day=6, effects=[]))
        null_rows.append(f.assign(seed=3000 + seed))
        print("null", seed, f"p<0.05 in {int((f.p_value < 0.05).sum())} of {len(f)}", flush=True)
    null = pd.concat(null_rows, ignore_index=True)
    informative = null[null.medium != "financial"]          # worlds carry no financial events
    results["null"] = {
        "medium_periods": int(len(null)), "rejected": int((null.p_value < 0.05).sum()),
        "rate": float((null.p_value < 0.05).mean()),
        "rate_without_financial": float((informative.p_value < 0.05).mean()),
        "by_medium": {m: float((g.p_value < 0.05).mean()) for m, g in null.groupby("medium")}}

    lead_hits = sum(r["first"] == r["planted"] for r in results["lead"])
    same_ok = sum(r["p_explanatory"] < 0.05 and r["p_predictive"] >= 0.05 for r in results["same_day"])
    checks = {
        "lead_first": {"hits": lead_hits, "of": len(results["lead"]),
                       "pass": lead_hits >= round(0.95 * len(results["lead"]))},
        "same_day": {"hits": same_ok, "of": len(results["same_day"]),
                     "pass": same_ok == len(results["same_day"])},
        "calibration": {"rate": round(results["null"]["rate_without_financial"], 4),
                        "pass": results["null"]["rate_without_financial"] <= 0.075},
    }
    results["checks"] = checks
    results["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps({"checks": checks, "null": results["null"], "seconds": results["seconds"]}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(c["pass"] for c in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Validate the ML worker's scores on simulated worlds with known planted effects.

    .venv/bin/python tests/bench/validate_ml.py [--seeds 20] [--null-seeds 10] [--stocks 150]
                                               [--json OUT]
    .venv/bin/python tests/bench/validate_ml.py --bench WORLD   # time + peak memory of a year

``--bench WORLD`` loads a world's truth (``insertcoin simulate --stocks 2500 --from 2025-01-01
--to 2025-12-31 --out WORLD``) into a fresh database of the local stack and times ``insertcoin
score`` over the world's year in a child process (wall seconds and peak RSS from /usr/bin/time).

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


def bench(world: Path) -> int:
    """Load ``world`` into a fresh database and time one ``insertcoin score`` over its year."""
    import os
    import re
    import subprocess
    import uuid

    import psycopg2

    from ml.dataset import load_truth
    from shared import stack
    from urllib.parse import urlsplit, urlunsplit

    def _with_db(url: str, db: str) -> str:
        return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))

    meta = json.loads((world / "world.json").read_text())
    env = stack.urls()
    name = f"mlbench_{uuid.uuid4().hex[:6]}"
    admin = psycopg2.connect(_with_db(env["DATABASE_ADMIN_URL"], "postgres"))
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        stack.migrate(_with_db(env["DATABASE_ADMIN_URL"], name))
        t0 = time.perf_counter()
        counts = load_truth(world / "truth", _with_db(env["DATABASE_ADMIN_URL"], name))
        print("loaded", counts, f"in {time.perf_counter() - t0:.1f}s", flush=True)
        admin_db = psycopg2.connect(_with_db(env["DATABASE_ADMIN_URL"], name))
        admin_db.autocommit = True
        admin_db.cursor().execute("VACUUM ANALYZE")
        admin_db.close()
        cmd = ["/usr/bin/time", "-v", str(Path(sys.executable).with_name("insertcoin")), "score",
               "--from", meta["from"], "--to", meta["to"]]
        child = {**os.environ, "ML_DATABASE_URL": _with_db(env["ML_DATABASE_URL"], name)}
        done = subprocess.run(cmd, env=child, capture_output=True, text=True)
        print(done.stdout[-2000:])
        wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", done.stderr)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        print({"command": " ".join(cmd[2:]), "exit": done.returncode,
               "wall": wall.group(1) if wall else None,
               "peak_rss_mib": round(int(rss.group(1)) / 1024, 1) if rss else None})
        if done.returncode:
            print(done.stderr[-3000:])
        return done.returncode
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main(argv: list[str] | None = None) -> int:
    from services.replay.effects import Effect, EffectsConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, help="time scoring this world's year instead")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--same-day-seeds", type=int, default=6)
    parser.add_argument("--null-seeds", type=int, default=10)
    parser.add_argument("--stocks", type=int, default=150)
    parser.add_argument("--json", type=Path, help="write the detailed results here")
    args = parser.parse_args(argv)
    if args.bench:
        return bench(args.bench)
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

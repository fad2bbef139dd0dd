"""Disclosures as a medium and a control, on the project's simulator (issue 16): worlds whose
movers are planted by DART filings (lag 0 and 1, decoy filings that move nothing) and whose board
only echoes material filings. Scores each world with and without the disclosure frame and prints
one markdown row per world: disclosure's influence and Holm p per clock, and the echoing board's,
with the control and without it.

    .venv/bin/python tests/bench/validate_disclosures.py --seeds 4 5 6 --stocks 80
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.truth import frames_from_truth  # noqa: E402
from ml.features import build_panel  # noqa: E402
from ml.scoring import ScoringConfig, rolling_scores  # noqa: E402
from services.replay.effects import Effect, EffectsConfig  # noqa: E402
from services.replay.simulate import build_world  # noqa: E402

CONFIG = ScoringConfig(window=250, min_train=40, step=21, n_perm=99, n_boot=200, seed=0)
EFFECTS = EffectsConfig(movers_per_day=3, decoys=1.0, disclosure_echo="board",
                        effects=[Effect(medium="disclosure", lag=1), Effect(medium="disclosure", lag=0)])
START, END = dt.date(2026, 1, 2), dt.date(2026, 6, 30)


def score_world(seed: int, stocks: int, folder: Path) -> dict:
    """{(control, clock, medium): (influence, p_adjusted, significant)} of one simulated world."""
    build_world(folder, stocks=stocks, start=START, end=END, seed=seed, effects=EFFECTS, posts_per_day=0.3)
    frames = frames_from_truth(folder / "truth")
    out = {}
    for control, fr in (("with", frames), ("without", {k: v for k, v in frames.items() if k != "disclosures"})):
        scores = rolling_scores(build_panel(**fr), CONFIG)[0]
        year = scores[scores.period_type == "year"].set_index(["clock", "medium"])
        for clock in ("predictive", "explanatory"):
            for medium in ("disclosure", "board"):
                row = year.loc[(clock, medium)]
                out[(control, clock, medium)] = (row["influence"], row["p_adjusted"], bool(row["significant"]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[4, 5, 6])
    parser.add_argument("--stocks", type=int, default=80)
    args = parser.parse_args()
    print("| seed | clock | disclosure (with control) | board, echo (with control) | board, echo (without) |")
    print("|---|---|---|---|---|")
    fmt = lambda v: f"{v[0]:+.3f}, Holm p {v[1]:.2g}{' **passed**' if v[2] else ''}"  # noqa: E731
    started = time.perf_counter()
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            r = score_world(seed, args.stocks, Path(tmp))
        for clock in ("predictive", "explanatory"):
            print(f"| {seed} | {clock} | {fmt(r[('with', clock, 'disclosure')])} | {fmt(r[('with', clock, 'board')])} "
                  f"| {fmt(r[('without', clock, 'board')])} |")
    print(f"\n{len(args.seeds)} worlds in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

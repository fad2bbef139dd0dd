"""Soundness of the ML answer on worlds written independently of the simulator (issue 18):
null calibration per medium and clock, power of planting mechanisms the simulator does not use,
reverse causality, lags, and agreement across reseeds.

    .venv/bin/python tests/bench/validate_ml_worlds.py [--profile small|full] [--null-seeds N]
        [--power-seeds N] [--stocks 300] [--sessions 183] [--budget-s 1500] [--json OUT] [--docs FILE]

Worlds: tests/ml/worlds.py (frames straight into ``build_panel``; KOSPI / KOSDAQ rows included).
Each world is scored as ``insertcoin score`` does (``rolling_scores``, 99 permutations, 500
bootstrap draws). A medium is *detected* when it passes Holm's correction for the year (media x
clocks) on the predictive clock. Stops starting new worlds after ``--budget-s`` seconds and says
how many it ran. ``--docs`` rewrites the ``--docs-block`` block (between its markers) of that file.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ml.features import build_panel  # noqa: E402
from ml.scoring import ScoringConfig, rolling_scores  # noqa: E402
from tests.ml.worlds import Plant, make_world, realised_lift  # noqa: E402

CONFIG = ScoringConfig(window=250, min_train=60, step=21, n_perm=99, n_boot=500)
PROFILES = {  # mechanism -> strengths q; seeds per strength from --power-seeds
    "small": {"board_buzz": (0.05, 0.1, 0.2), "news_top": (0.05, 0.1, 0.2), "disclosure": (0.05, 0.1, 0.2)},
    "full": {"board_buzz": (0.03, 0.05, 0.1, 0.2), "news_top": (0.03, 0.05, 0.1),
             "board_lag2": (0.1, 0.2, 0.3), "board_buzz_small": (0.05, 0.1, 0.2),
             "financial": (0.05, 0.1, 0.2), "disclosure": (0.03, 0.05, 0.1, 0.2),
             "fear_greed": (0.5, 0.9)},
    "market_financial": {"financial": (0.05, 0.1, 0.2), "fear_greed": (0.5, 0.9)},
}
MECHANISMS = {"board_buzz": ("board", dict(kind="board_buzz")),
              "board_buzz_small": ("board", dict(kind="board_buzz", small_only=True)),
              "board_lag2": ("board", dict(kind="board_buzz", lag=2)),
              "board_lag3": ("board", dict(kind="board_buzz", lag=3)),
              "news_top": ("news", dict(kind="news_top")),
              "financial": ("financial", dict(kind="financial")),
              "fear_greed": ("fear_greed", dict(kind="fear_greed")),
              "disclosure": ("disclosure", dict(kind="disclosure"))}
def markers(block: str) -> tuple[str, str]:
    """The comment lines around a block of results in the docs."""
    return f"<!-- validate-ml-worlds {block}:begin -->", f"<!-- validate-ml-worlds {block}:end -->"


def score(seed: int, plant: Plant, args, config: ScoringConfig = CONFIG) -> tuple[pd.DataFrame, float]:
    frames, truth = make_world(seed, plant, stocks=args.stocks, sessions=args.sessions)
    panel = build_panel(**frames)
    rows = rolling_scores(panel, ScoringConfig(**{**config.__dict__, "seed": seed}))[0]
    return rows, realised_lift(panel, truth)


def null_summary(rows: pd.DataFrame) -> dict:
    """Per medium and clock: yearly and monthly raw p < 0.05, monthly CIs excluding 0; and the
    family-wise rate (any medium passing Holm in a year)."""
    out = {}
    for (medium, clock), g in rows.groupby(["medium", "clock"]):
        y, m = g[g.period_type == "year"], g[g.period_type == "month"]
        out[f"{medium}/{clock}"] = {
            "year_p<0.05": f"{int((y.p_value < 0.05).sum())}/{len(y)}",
            "month_p<0.05": round(float((m.p_value < 0.05).mean()), 3),
            "month_ci_excludes_0": round(float(((m.ci_low > 0) | (m.ci_high < 0)).mean()), 3),
            "months": int(len(m))}
    years = rows[rows.period_type == "year"].groupby("seed")["significant"].any()
    out["any medium passed Holm (year)"] = f"{int(years.sum())}/{len(years)}"
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", choices=sorted(PROFILES), default="small")
    ap.add_argument("--null-seeds", type=int, default=6)
    ap.add_argument("--null-seed-base", type=int, default=5000, help="null worlds are seeds base, base + 1, ...")
    ap.add_argument("--power-seeds", type=int, default=3)
    ap.add_argument("--reseed-worlds", type=int, default=2)
    ap.add_argument("--stocks", type=int, default=300)
    ap.add_argument("--sessions", type=int, default=183)
    ap.add_argument("--budget-s", type=float, default=1500.0, help="start no new world after this")
    ap.add_argument("--only", choices=("null", "power", "checks"), help="run one part only")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--docs", type=Path, help="write the summary between the markers of this file")
    ap.add_argument("--docs-block", default="make", help="which marked block of --docs to rewrite")
    ap.add_argument("--from-json", type=Path, nargs="+", help="no run: merge these saved results into --docs")
    args = ap.parse_args(argv)
    if args.from_json:
        parts = [json.loads(p.read_text()) for p in args.from_json]
        merged = {k: v for part in parts for k, v in part.items()}
        merged["seconds"] = round(sum(part["seconds"] for part in parts), 1)
        merged["budget_exhausted"] = any(part["budget_exhausted"] for part in parts)
        merged["argline"] = "; ".join(part.get("argline", "?") for part in parts)
        write_docs(args.docs, merged, merged["argline"], args.docs_block)
        return 0
    t0 = time.perf_counter()
    over = lambda: time.perf_counter() - t0 > args.budget_s  # noqa: E731
    res: dict = {"profile": args.profile, "stocks": args.stocks, "sessions": args.sessions}

    if args.only in (None, "null"):
        null = []
        for k in range(args.null_seeds):
            if over():
                break
            rows, _ = score(args.null_seed_base + k, Plant(), args)
            null.append(rows.assign(seed=args.null_seed_base + k))
            print("null", k, int((rows.p_value < 0.05).sum()), "of", len(rows), flush=True)
        if null:
            both = pd.concat(null, ignore_index=True)
            res["null"] = {"seeds": len(null), **null_summary(both)}
            year = both[both.period_type == "year"]
            res["null_years"] = year[["seed", "medium", "clock", "influence", "p_value"]].to_dict("records")

    if args.only in (None, "power"):
        power = {}
        for name, strengths in PROFILES[args.profile].items():
            medium, knobs = MECHANISMS[name]
            curve = []
            for q in strengths:
                hits, wrong, lifts = 0, 0, []
                n = 0
                for k in range(args.power_seeds):
                    if over():
                        break
                    rows, lift = score(7000 + 100 * k + int(q * 100), Plant(q=q, **knobs), args)
                    year = rows[(rows.period_type == "year") & (rows.clock == "predictive")].set_index("medium")
                    hits += bool(year.loc[medium, "significant"])
                    wrong += bool(year.drop(index=medium)["significant"].any())
                    lifts.append(lift)
                    n += 1
                if n:
                    curve.append({"q": q, "detected": hits, "of": n, "other_medium_passed": wrong,
                                  "realised_lift": round(float(np.nanmean(lifts)), 2)})
                    print("power", name, curve[-1], flush=True)
            found = [c for c in curve if c["detected"] >= 0.8 * c["of"]]
            power[name] = {"curve": curve, "smallest_q_80pct": found[0]["q"] if found else None,
                           "its_realised_lift": found[0]["realised_lift"] if found else None}
        res["power"] = power

    if args.only in (None, "checks"):
        checks = {}
        if not over():   # reverse causality: the buzz comes in the night after the jump
            rows, _ = score(8100, Plant(kind="board_buzz", q=0.5, lag=0), args)
            y = rows[rows.period_type == "year"].set_index(["clock", "medium"])
            checks["posts_after_the_move_board"] = {"explanatory_passed": bool(y.loc[("explanatory", "board"), "significant"]),
                                        "predictive_passed": bool(y.loc[("predictive", "board"), "significant"])}
        if not over():
            rows, _ = score(8200, Plant(kind="board_buzz", q=0.5, lag=3), args)
            y = rows[rows.period_type == "year"].set_index(["clock", "medium"])
            checks["lag3_board"] = {"predictive_passed": bool(y.loc[("predictive", "board"), "significant"]),
                                    "explanatory_passed": bool(y.loc[("explanatory", "board"), "significant"])}
        agree, total = 0, 0
        for k in range(args.reseed_worlds):
            if over():
                break
            plant = Plant(kind="board_buzz", q=0.1) if k % 2 == 0 else Plant(kind="news_top", q=0.1)
            a, _ = score(8300 + k, plant, args)       # seeded with the world's seed; then another seed
            frames, _t = make_world(8300 + k, plant, stocks=args.stocks, sessions=args.sessions)
            b = rolling_scores(build_panel(**frames), ScoringConfig(**{**CONFIG.__dict__, "seed": 12345 + k}))[0]
            key = ["period_type", "period", "medium", "clock"]
            sa, sb = a.set_index(key)["significant"], b.set_index(key)["significant"].reindex(a.set_index(key).index)
            agree += int((sa == sb).sum())
            total += len(sa)
        if total:
            checks["reseed_agreement"] = {"same_verdict": agree, "of": total, "rate": round(agree / total, 4)}
        res["checks"] = checks

    res["argline"] = " ".join(sys.argv[1:] if argv is None else argv)
    res["seconds"] = round(time.perf_counter() - t0, 1)
    res["budget_exhausted"] = over()
    print(json.dumps(res, indent=2))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    if args.docs:
        write_docs(args.docs, res, res["argline"], args.docs_block)
    return 0


def write_docs(path: Path, res: dict, argline: str, block: str = "make") -> None:
    """Replace the text between the ``block`` markers in ``path`` with this run's tables."""
    MARKERS = markers(block)
    runs = argline.split("; ")
    head = "; ".join(f"`.venv/bin/python tests/bench/validate_ml_worlds.py {a}`" for a in runs)
    lines = [MARKERS[0], "",
             f"Run{'s' if len(runs) > 1 else ''}: {head} ({res['stocks']} stocks x {res['sessions']} sessions, "
             f"{res['seconds']} s{', stopped by its time budget' if res['budget_exhausted'] else ''}).", ""]
    if "null" in res:
        n = res["null"]
        lines += [f"Null worlds ({n['seeds']} seeds): raw p < 0.05 and monthly 95% CIs excluding 0, per medium "
                  f"and clock; any medium passing Holm in a year: {n['any medium passed Holm (year)']}.", "",
                  "| medium / clock | year p < 0.05 | month p < 0.05 | month CI excludes 0 | months |",
                  "|---|---|---|---|---|"]
        lines += [f"| {k} | {v['year_p<0.05']} | {v['month_p<0.05']:.1%} | {v['month_ci_excludes_0']:.1%} | "
                  f"{v['months']} |" for k, v in n.items() if isinstance(v, dict)]
        lines.append("")
    if "power" in res:
        lines += ["Power (detected: passed Holm for the year on the predictive clock; lift: realised "
                  "P(top 10 | caused) / P(top 10)):", "",
                  "| mechanism | q: detected of seeds (lift) | smallest q detected in 80% (lift) |", "|---|---|---|"]
        for name, p in res["power"].items():
            curve = ", ".join(f"{c['q']}: {c['detected']}/{c['of']}"
                              + (f" ({c['realised_lift']}x)" if c["realised_lift"] == c["realised_lift"] else "")
                              + (f" [other medium passed {c['other_medium_passed']}]" if c["other_medium_passed"] else "")
                              for c in p["curve"])
            best = f"{p['smallest_q_80pct']} ({p['its_realised_lift']}x)" if p["smallest_q_80pct"] else "none of those tested"
            lines.append(f"| {name} | {curve} | {best} |")
        lines.append("")
    if "checks" in res:
        lines += [f"Checks: `{json.dumps(res['checks'])}`", ""]
    lines.append(MARKERS[1])
    text = path.read_text(encoding="utf-8")
    if MARKERS[0] in text:
        head, rest = text.split(MARKERS[0], 1)
        text = head + "\n".join(lines) + rest.split(MARKERS[1], 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())

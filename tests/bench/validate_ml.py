"""Validate the ML worker's scores on simulated worlds with known planted effects.

    .venv/bin/python tests/bench/validate_ml.py [--seeds 20] [--same-day-seeds 9] [--null-seeds 10]
                                               [--power-seeds 10] [--stocks 150] [--json OUT]
    .venv/bin/python tests/bench/validate_ml.py --bench WORLD [--baseline DIR --rounds N]  # time + memory of a year
    .venv/bin/python tests/bench/validate_ml.py --visibility WORLD   # financial events a table keeps

``--bench WORLD`` loads a world's truth (``insertcoin simulate --stocks 2500 --from 2025-01-01
--to 2025-12-31 --out WORLD``) into a fresh database of the local stack and times ``insertcoin
score`` over the world's year in a child process (wall seconds and peak RSS from /usr/bin/time).

Checks (issue 7), each stock medium (board, news, financial) in turn:
1. lead: a medium planted to lead the movers by a day ranks first among stock media on the
   predictive clock, for the year, in >= 19 of 20 seeds per medium (``--seeds`` per medium);
2. same-day: a medium planted on the trading day itself is significant (p < 0.05) on the
   explanatory clock and not on the predictive one (media in turn over ``--same-day-seeds``);
3. calibration: with nothing planted, p < 0.05 in about 5% of medium-periods or fewer (every
   medium, financial included).
Power (a measurement, not a gate): the lead effect at strength 0.25 (moves of 3-5 %, bursts of ~7
posts), with as many decoys as movers (media activity, no move) and a quarter of the planted movers
moving with no media; how often the planted medium still ranks first / has p < 0.05.

Worlds come from ``services.replay.simulate.build_world``; their truth records (financial events
from ``truth/financial_events.jsonl``) are scored without a database
(``tests.truth.frames_from_truth``), through the same features and models as ``insertcoin score``.
Exit code 1 when a check fails.

``--visibility WORLD`` counts the world's financial events (all, and the planted ones) that a crawl
can see (a new statement, or a revision that changes a shown figure), that if_financial_statement
alone would still hold at the world clock (no history: the last revision of a period not yet
published), and that ``load_financial_events`` reads back from the statement history after the
world's statements are loaded into a fresh database at every publication time (the loader's write
path as the loader role, load timestamps set to the publication time).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))   # run as a script from anywhere

from tests.truth import frames_from_truth  # noqa: E402
from ml.features import build_panel  # noqa: E402
from ml.scoring import ScoringConfig, rolling_scores  # noqa: E402

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


def bench(world: Path, baseline: Path | None = None, rounds: int = 1) -> int:
    """Load ``world`` into a fresh database and time ``insertcoin score`` over its year; with
    ``baseline`` (a folder holding an older ``ml/`` package, e.g. ``git archive <commit> ml | tar -x
    -C DIR``) the older scorer runs on the same database in the same run, alternating, ``rounds``
    times each; prints each run and the ratio of the medians."""
    import os
    import re
    import statistics
    import subprocess
    import uuid

    import psycopg2

    from tests.truth import load_truth
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
        args = ["score", "--from", meta["from"], "--to", meta["to"]]
        child = {**os.environ, "ML_DATABASE_URL": _with_db(env["ML_DATABASE_URL"], name)}
        code = "import sys; sys.path.insert(0, sys.argv.pop(1)); from shared.cli import main; sys.exit(main())"
        repo = str(Path(__file__).resolve().parents[2])
        variants = {"this": repo, **({"baseline": str(baseline.resolve())} if baseline else {})}
        walls: dict[str, list[float]] = {v: [] for v in variants}
        status = 0
        for _ in range(rounds):
            for variant, path in reversed(variants.items()):
                cmd = ["/usr/bin/time", "-v", sys.executable, "-c", code, path, *args]
                done = subprocess.run(cmd, env=child, capture_output=True, text=True)
                wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):(\d+\.?\d*)", done.stderr)
                rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
                seconds = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))) if wall else None
                if seconds is not None:
                    walls[variant].append(seconds)
                print({"variant": variant, "command": "insertcoin " + " ".join(args), "exit": done.returncode,
                       "wall_s": seconds, "peak_rss_mib": round(int(rss.group(1)) / 1024, 1) if rss else None,
                       "stdout": done.stdout.strip()[-600:]}, flush=True)
                if done.returncode:
                    print(done.stderr[-3000:])
                    status = done.returncode
        if baseline and walls["this"] and walls["baseline"]:
            a, b = statistics.median(walls["this"]), statistics.median(walls["baseline"])
            print({"median_wall_s": {"this": a, "baseline": b}, "ratio_this_over_baseline": round(a / b, 2)})
        return status
    finally:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


MEDIA = ("board", "news", "financial")
POWER = dict(strength=0.25, decoys=1.0, unexplained_movers=0.25)


def planted(medium: str, lag: int, strength: float = 1.0, decoys: float = 0.0,
            unexplained_movers: float = 0.0):
    """An effects config planting ``medium`` on six movers a day."""
    from services.replay.effects import Effect, EffectsConfig

    return EffectsConfig(movers_per_day=6, decoys=decoys, unexplained_movers=unexplained_movers,
                         effects=[Effect(medium=medium, lag=lag, strength=strength)])


def yearly(f: pd.DataFrame, clock: str) -> pd.DataFrame:
    """The stock-media rows of the year on ``clock``, by medium, best rank first."""
    year = f[(f.period_type == "year") & (f.clock == clock) & (f.scope == "stock")]
    return year.sort_values(["rank", "influence"], ascending=[True, False], na_position="last").set_index("medium")


def lead_run(stocks: int, seed: int, medium: str, **power) -> dict:
    """Score a world where ``medium`` leads the movers by a day: the predictive clock's winner."""
    year = yearly(score_world(stocks, seed, planted(medium, 1, **power)), "predictive")
    first = year.index[0] if bool(year["significant"].iloc[0]) else "none passed"
    return {"seed": seed, "planted": medium, "first": first,
            "influence": round(float(year["influence"].iloc[0]), 4),
            "planted_rank": None if pd.isna(year.loc[medium, "rank"]) else int(year.loc[medium, "rank"]),
            "p": float(year.loc[medium, "p_value"]),
            "others_p_min": float(year.drop(index=medium)["p_value"].min())}


def visibility(world: Path) -> int:
    """Print how many of ``world``'s financial events a crawl sees and the statement table keeps."""
    from services.replay.disclosures import statement_at
    from services.replay.store import KeyedFile

    timelines = KeyedFile(world / "financials.jsonl")
    rows = [json.loads(line) for line in (world / "truth" / "financial_events.jsonl").read_text().splitlines()]
    effects = json.loads((world / "truth" / "effects.json").read_text())
    planted = {(p["code"], p["published_at"], p["event"], p["period_type"], p["period"])
               for day in effects["days"] for p in day["planted"] if p["medium"] == "financial"}
    published = {(r["code"], r["period_type"], r["period"]) for r in rows if r["kind"] == "new_statement"}

    def seen(r: dict) -> bool:
        if r["kind"] == "new_statement":
            return True
        at = dt.datetime.fromisoformat(r["published_at"][:19])
        tl = timelines.get(r["code"])
        cols = [next((c for c in statement_at(tl, t.isoformat())[r["period_type"]] if c["period"] == r["period"]), None)
                for t in (at - dt.timedelta(seconds=1), at)]
        return cols[0] != cols[1]

    last: dict = {}
    for r in rows:
        r["seen"] = seen(r)
        r["planted"] = (r["code"], r["published_at"], r["kind"], r["period_type"], r["period"]) in planted
        if r["seen"] and r["kind"] == "estimate_revision":
            last[(r["code"], r["period_type"], r["period"])] = r["published_at"]
    read = events_read_from_history(world, timelines, rows)
    for r in rows:
        key = (r["code"], r["period_type"], r["period"])
        r["kept"] = r["kind"] == "new_statement" or (r["seen"] and key not in published and last.get(key) == r["published_at"])
        r["read"] = (r["code"], r["kind"], r["published_at"]) in read
    out = {}
    for name, group in (("all", rows), ("planted", [r for r in rows if r["planted"]])):
        for kind in ("new_statement", "estimate_revision"):
            g = [r for r in group if r["kind"] == kind]
            out[f"{name} {kind}"] = {"events": len(g), "seen_by_a_crawl": sum(r["seen"] for r in g),
                                     "kept_by_the_table": sum(r["kept"] for r in g),
                                     "read_from_the_history": sum(r["read"] for r in g)}
    truth = {(r["code"], r["kind"], r["published_at"]) for r in rows}
    out["sql events not in the truth file"] = sorted(map(list, read - truth))
    print(json.dumps(out, indent=2))
    return 0


def events_read_from_history(world: Path, timelines, rows: list[dict]) -> set[tuple[str, str, str]]:
    """Load ``world``'s statements into a fresh database as a crawl at the first event (the backfill)
    and then at every event time (the stocks with an event then) would, and return what
    ``load_financial_events`` reads back: {(code, kind, published_at KST ISO)}."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2

    from ml.dataset import load_financial_events
    from services.loader.writer import write_records
    from services.replay.disclosures import statement_at
    from services.replay.truth import statement_records
    from shared import stack

    def with_db(url: str, db: str) -> str:
        return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))

    kst = dt.timezone(dt.timedelta(hours=9))
    first = min(r["published_at"][:19] for r in rows)
    crawls: dict[str, set[str]] = {(dt.datetime.fromisoformat(first) - dt.timedelta(seconds=1)).isoformat():
                                   set(timelines.index)}
    for r in rows:
        crawls.setdefault(r["published_at"][:19], set()).add(r["code"])
    env, name = stack.urls(), f"mlvis_{uuid.uuid4().hex[:6]}"
    server = psycopg2.connect(with_db(env["DATABASE_ADMIN_URL"], "postgres"))
    server.autocommit = True
    server.cursor().execute(f"CREATE DATABASE {name}")
    try:
        stack.migrate(with_db(env["DATABASE_ADMIN_URL"], name))
        t0 = time.perf_counter()
        with psycopg2.connect(with_db(env["DATABASE_URL"], name)) as loader, \
                psycopg2.connect(with_db(env["DATABASE_ADMIN_URL"], name)) as admin:
            for clock in sorted(crawls):
                with loader.cursor() as cur:
                    cur.execute("SELECT now()")
                    (now,) = cur.fetchone()
                statements = {code: statement_at(timelines.get(code), clock) for code in sorted(crawls[clock])}
                write_records(loader, statement_records(statements), source="naver_finance", run_id=clock)
                loader.commit()
                stamp = dt.datetime.fromisoformat(clock).replace(tzinfo=kst)
                with admin.cursor() as cur:  # the load happened at the publication time
                    cur.execute("UPDATE if_financial_statement SET loaded_at = CASE WHEN loaded_at = %s THEN %s "
                                "ELSE loaded_at END, updated_at = %s WHERE updated_at = %s", (now, stamp, stamp, now))
                    cur.execute("UPDATE if_financial_statement_change SET changed_at = %s WHERE changed_at = %s",
                                (stamp, now))
                admin.commit()
        loader.close()
        admin.close()
        print(f"loaded {len(crawls)} crawls in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        with psycopg2.connect(with_db(env["ML_DATABASE_URL"], name)) as ml:
            since = dt.datetime.fromisoformat(first).replace(tzinfo=kst) - dt.timedelta(days=1)
            events = load_financial_events(ml, since, since + dt.timedelta(days=3660))
        ml.close()
    finally:
        server.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        server.close()
    at = (events["event_at"] + pd.Timedelta(hours=9)).dt.strftime("%Y-%m-%dT%H:%M:%S+09:00")
    return set(zip(events["code"], events["kind"], at))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, help="time scoring this world's year instead")
    parser.add_argument("--baseline", type=Path, help="with --bench: a folder with an older ml/ to time too")
    parser.add_argument("--rounds", type=int, default=1, help="with --bench: runs of each scorer")
    parser.add_argument("--visibility", type=Path, help="count this world's financial events a table keeps")
    parser.add_argument("--seeds", type=int, default=20, help="lead worlds per stock medium")
    parser.add_argument("--media", default=",".join(MEDIA), help="stock media to plant, comma-separated")
    parser.add_argument("--same-day-seeds", type=int, default=9)
    parser.add_argument("--null-seeds", type=int, default=10)
    parser.add_argument("--power-seeds", type=int, default=10, help="power worlds per stock medium")
    parser.add_argument("--stocks", type=int, default=150)
    parser.add_argument("--json", type=Path, help="write the detailed results here")
    args = parser.parse_args(argv)
    if args.bench:
        return bench(args.bench, args.baseline, args.rounds)
    if args.visibility:
        return visibility(args.visibility)
    media = [m for m in args.media.split(",") if m]
    unknown = set(media) - set(MEDIA)
    if unknown:
        parser.error(f"--media: {sorted(unknown)} are not stock media {MEDIA}")
    started = time.perf_counter()
    results: dict = {"lead": [], "same_day": [], "null": {}, "power": []}

    for i, medium in enumerate(media):
        for k in range(args.seeds):
            results["lead"].append(lead_run(args.stocks, 1000 + 100 * MEDIA.index(medium) + k, medium))
            print("lead", results["lead"][-1], flush=True)

    for k in range(args.same_day_seeds):
        medium = media[k % len(media)]
        f = score_world(args.stocks, 2000 + k, planted(medium, 0))
        row = {"seed": 2000 + k, "planted": medium}
        for clock in ("explanatory", "predictive"):
            year = yearly(f, clock)
            row[f"p_{clock}"] = float(year.loc[medium, "p_value"])
            rank = year.loc[medium, "rank"]
            row[f"rank_{clock}"] = None if pd.isna(rank) else int(rank)
        results["same_day"].append(row)
        print("same-day", row, flush=True)

    null_rows = []
    for k in range(args.null_seeds):
        f = score_world(args.stocks, 3000 + k, planted("board", 1).model_copy(update={"effects": []}))
        null_rows.append(f.assign(seed=3000 + k))
        print("null", k, f"p<0.05 in {int((f.p_value < 0.05).sum())} of {len(f)}", flush=True)
    if null_rows:
        null = pd.concat(null_rows, ignore_index=True)
        results["null"] = {
            "medium_periods": int(len(null)), "rejected": int((null.p_value < 0.05).sum()),
            "rate": float((null.p_value < 0.05).mean()),
            "by_medium": {m: {"rejected": int((g.p_value < 0.05).sum()), "of": int(len(g)),
                              "rate": round(float((g.p_value < 0.05).mean()), 4)}
                          for m, g in null.groupby("medium")}}

    for medium in media:
        for k in range(args.power_seeds):
            results["power"].append(lead_run(args.stocks, 4000 + 100 * MEDIA.index(medium) + k, medium, **POWER))
            print("power", results["power"][-1], flush=True)

    checks: dict = {}
    for medium in media:
        runs = [r for r in results["lead"] if r["planted"] == medium]
        hits = sum(r["first"] == medium for r in runs)
        checks[f"lead_first_{medium}"] = {"hits": hits, "of": len(runs), "pass": hits >= round(0.95 * len(runs))}
    same_ok = [r for r in results["same_day"] if r["p_explanatory"] < 0.05 and r["p_predictive"] >= 0.05]
    checks["same_day"] = {"hits": len(same_ok), "of": len(results["same_day"]),
                          "by_medium": {m: f"{sum(r['planted'] == m for r in same_ok)} of "
                                           f"{sum(r['planted'] == m for r in results['same_day'])}" for m in media},
                          "pass": len(same_ok) == len(results["same_day"])}
    if results["null"]:
        checks["calibration"] = {"rate": round(results["null"]["rate"], 4),
                                 "pass": results["null"]["rate"] <= 0.075}
    power = {}
    for medium in media:
        runs = [r for r in results["power"] if r["planted"] == medium]
        if runs:
            power[medium] = {"first": sum(r["first"] == medium for r in runs),
                             "p_below_0.05": sum(r["p"] < 0.05 for r in runs),
                             "another_medium_p_below_0.05": sum(r["others_p_min"] < 0.05 for r in runs),
                             "of": len(runs)}
    results["checks"], results["power_summary"] = checks, {"knobs": POWER, "by_medium": power}
    results["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps({"checks": checks, "null": results["null"], "power": results["power_summary"],
                      "seconds": results["seconds"]}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(c["pass"] for c in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

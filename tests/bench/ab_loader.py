"""A/B: the loader of other checkouts (say a `git worktree` of an older commit) and of this one on
the same topic, rounds alternating, each into a fresh database by a new consumer group. Timed from
the command's start to its exit less the 0.5 s idle wait: the same measure for every version,
including ones that do not report their loading time.

    git worktree add /tmp/before <commit>
    .venv/bin/python tests/bench/ab_loader.py --trees /tmp/before,. [--records 1000000] [--rounds 4]

Needs the local stack (`insertcoin stack up`).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared import stack  # noqa: E402
from shared.broker import delete_topics, ensure_topics  # noqa: E402
from shared.settings import Settings  # noqa: E402
from tests.bench.bench_loader import drop_database, extracted_at, fresh_database  # noqa: E402
from tests.conftest import subprocess_env  # noqa: E402
from tests.loader.streams import daily_price, envelope_bytes, produce  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trees", required=True, help="checkouts to compare, comma-separated")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    trees = [str(Path(tree).resolve()) for tree in args.trees.split(",")]
    env = stack.up()
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    prefix = f"ab{uuid.uuid4().hex[:6]}."
    ensure_topics(bootstrap, prefix)
    try:
        produce(Settings(kafka_bootstrap_servers=bootstrap, kafka_topic_prefix=prefix, _env_file=None),
                (envelope_bytes(daily_price(i), "bench", extracted_at(i)) for i in range(args.records)))
        times: dict[str, list[float]] = {tree: [] for tree in trees}
        for _ in range(args.rounds):
            for tree in trees:
                db = fresh_database(env)
                try:
                    settings = Settings(database_url=db["loader"], kafka_bootstrap_servers=bootstrap,
                                        kafka_topic_prefix=prefix, _env_file=None)
                    started = time.monotonic()
                    run = subprocess.run([sys.executable, "-m", "shared.cli", "load", "--until-idle", "--idle-seconds", "0.5",
                                          "--batch-seconds", "0.5", "--batch-size", "50000",
                                          "--group-id", f"ab-{uuid.uuid4().hex[:8]}"],
                                         env=subprocess_env(settings, LOG_LEVEL="WARNING", PYTHONPATH=tree),
                                         cwd=tree, capture_output=True)
                    times[tree].append(time.monotonic() - started - 0.5)
                    if run.returncode != 0:
                        raise SystemExit(run.stderr.decode()[-3000:])
                finally:
                    drop_database(env, db["name"])
        for tree, runs in times.items():
            print(f"{tree}: median {statistics.median(runs):.2f} s ({args.records / statistics.median(runs):,.0f} records/s); "
                  f"rounds {', '.join(f'{t:.2f}' for t in runs)}")
    finally:
        delete_topics(bootstrap, prefix)


if __name__ == "__main__":
    main()

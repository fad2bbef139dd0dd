"""``insertcoin load``: consume every stream into PostgreSQL (long-running; ``--until-idle`` stops
when caught up). Kafka and PostgreSQL must answer within ``--wait`` seconds at the start; later,
PostgreSQL failures are retried as :mod:`services.loader.retrying` says."""
from __future__ import annotations

import argparse
import gc
from pathlib import Path

import orjson

from services.loader import retrying
from services.loader.consumer import GROUP_ID, Loader
from shared.errors import DEFAULT_WAIT, wait_for_kafka, wait_for_postgres
from shared.settings import get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--until-idle", action="store_true",
                        help="stop once every partition is caught up and nothing came for --idle-seconds "
                             "(default: run until stopped)")
    parser.add_argument("--idle-seconds", type=float, default=3.0,
                        help="quiet time that counts as caught up, with --until-idle (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=20_000,
                        help="most messages written in one transaction (default: %(default)s)")
    parser.add_argument("--batch-seconds", type=float, default=1.0,
                        help="longest wait to fill a batch before writing what came (default: %(default)s)")
    parser.add_argument("--group-id", default=GROUP_ID, help="Kafka consumer group (default: %(default)s)")
    parser.add_argument("--wait", type=float, default=DEFAULT_WAIT,
                        help="seconds Kafka and PostgreSQL may take to answer at the start (default: %(default)s)")
    parser.add_argument("--db-retry-seconds", type=float, default=retrying.SECONDS,
                        help="longest time a lost PostgreSQL connection or a failed write is retried, with "
                             "backoff, before the loader stops (default: %(default)s)")
    parser.add_argument("--decoders", type=int, default=None,
                        help="decoder processes that validate batches (default: one per core; 0 decodes "
                             "in-process, best on a single core)")
    parser.add_argument("--clocks-file", type=Path, default=None,
                        help="also write the run's clock readings (loading seconds, CLOCK_MONOTONIC at the "
                             "first assignment and the last commit) as JSON to this file, for the benches "
                             "(default: none)")


def run(args: argparse.Namespace) -> int:
    # A batch holds some 100k young objects that all die together: the default collector would
    # scan them again and again (a third of the loader's time). Refcounting frees them; the
    # collector still runs for cycles, just rarely.
    gc.freeze()
    gc.set_threshold(200_000, 50, 100)
    settings = get_settings()
    wait_for_kafka(settings.kafka_bootstrap_servers, args.wait)
    wait_for_postgres(settings.database_url.get_secret_value(), args.wait)
    retrying.SECONDS = args.db_retry_seconds
    loader = Loader(settings, batch_size=args.batch_size, batch_seconds=args.batch_seconds,
                    group_id=args.group_id, decoders=args.decoders)
    loader.install_signal_handlers()
    stats = loader.run(until_idle=args.until_idle, idle_seconds=args.idle_seconds)
    print(orjson.dumps({"batches": stats.batches, "messages": stats.messages,
                        "written": stats.written, "unchanged": stats.unchanged,
                        "dead_letters": stats.dead, "per_stream": dict(stats.per_stream)}).decode())
    if args.clocks_file:
        # CLOCK_MONOTONIC, shared by the machine's processes: where a bench's clock meets ours
        args.clocks_file.write_bytes(orjson.dumps({
            "loading_seconds": stats.loading_seconds,
            "monotonic": {"assigned": stats.assigned_at, "committed": stats.committed_at}}))
    return 0

"""``insertcoin load``: consume every stream into PostgreSQL (long-running; ``--until-idle`` stops
when caught up)."""
from __future__ import annotations

import argparse
import gc

import orjson

from services.loader.consumer import GROUP_ID, Loader
from shared.settings import get_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--until-idle", action="store_true",
                        help="stop once every partition is caught up and nothing came for --idle-seconds")
    parser.add_argument("--idle-seconds", type=float, default=3.0)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--batch-seconds", type=float, default=1.0,
                        help="longest wait to fill a batch before writing what came")
    parser.add_argument("--group-id", default=GROUP_ID)
    parser.add_argument("--decoders", type=int, default=None,
                        help="decoder processes that validate batches (default: one per core; 0 decodes "
                             "in-process, best on a single core)")


def run(args: argparse.Namespace) -> int:
    # A batch holds some 100k young objects that all die together: the default collector would
    # scan them again and again (a third of the loader's time). Refcounting frees them; the
    # collector still runs for cycles, just rarely.
    gc.freeze()
    gc.set_threshold(200_000, 50, 100)
    loader = Loader(get_settings(), batch_size=args.batch_size, batch_seconds=args.batch_seconds,
                    group_id=args.group_id, decoders=args.decoders)
    loader.install_signal_handlers()
    stats = loader.run(until_idle=args.until_idle, idle_seconds=args.idle_seconds)
    print(orjson.dumps({"batches": stats.batches, "messages": stats.messages,
                        "written": stats.written, "unchanged": stats.unchanged,
                        "dead_letters": stats.dead, "per_stream": dict(stats.per_stream),
                        "loading_seconds": stats.loading_seconds,
                        # CLOCK_MONOTONIC, shared by the machine's processes: where a bench's clock meets ours
                        "monotonic": {"assigned": stats.assigned_at, "committed": stats.committed_at}}).decode())
    return 0

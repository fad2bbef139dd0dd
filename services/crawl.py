"""``insertcoin crawl <service> [--date D | --from D --to D] [--codes C,...]``: run one crawler
once, publish its records, its ``crawl_run`` and its bookmarks to Kafka, then exit.

Exit codes: 0 succeeded, 1 failed, 2 configuration error, 3 partial (some pages failed),
4 blocked (the source answered block pages several times in a row), 5 Kafka does not answer,
130/143 interrupted by SIGINT/SIGTERM (its ``crawl_run`` says ``interrupted``).
"""
from __future__ import annotations

import argparse
import importlib
import re

from shared.cli import day
from shared.crawlers import CRAWLERS
from shared.crawling.days import CrawlPlan
from shared.errors import EXIT_USAGE, UserError
from shared.settings import get_settings

#: CLI name -> spider class (module:attribute, shared/crawlers.py), imported only when used
SERVICES: dict[str, str] = {c.command: c.spider for c in CRAWLERS.values()}


def spider_class(service: str):
    module, _, name = SERVICES[service].partition(":")
    return getattr(importlib.import_module(module), name)


#: A listing code: six digits or capital letters (005930, 0126Z0).
CODE = re.compile(r"[0-9A-Z]{6}")


def _codes(text: str) -> tuple[str, ...]:
    codes = tuple(c.strip() for c in text.split(",") if c.strip())
    if not codes:
        raise argparse.ArgumentTypeError("--codes needs at least one code")
    bad = [c for c in codes if not CODE.fullmatch(c)]
    if bad:
        raise argparse.ArgumentTypeError(f"not a listing code (6 digits or capital letters, e.g. 005930): "
                                         f"{', '.join(bad)}")
    return codes


def _shard(text: str) -> tuple[int, int]:
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i, n = -1, 0
    if not sep or n < 1 or not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"--shard {text!r} is not i/N with 0 <= i < N (e.g. 0/4)")
    return i, n


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("service", choices=sorted(SERVICES), help="the crawler to run")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--date", type=day, help="one day (YYYY-MM-DD) (default: what the bookmarks say is new)")
    when.add_argument("--from", dest="first", type=day, help="first day of a backfill (default: none)")
    parser.add_argument("--to", dest="last", type=day, help="last day of a backfill (default: today, KST)")
    parser.add_argument("--codes", type=_codes, help="listing codes, comma-separated, e.g. 005930,0126Z0 "
                        "(default: the listing the stockcode crawl learned)")
    parser.add_argument("--force", action="store_true",
                        help="ignore bookmarks: fetch even what is done (default: off)")
    parser.add_argument("--shard", type=_shard, help="i/N: only the stocks whose code hashes to shard i of N "
                        "(CRC-32 of the code mod N), to split a per-stock crawl across N tasks (default: all)")


def plan_of(args: argparse.Namespace) -> CrawlPlan:
    """The plan for the parsed arguments; refuses --to without --from and reversed ranges."""
    shard = getattr(args, "shard", None)
    if args.date:
        return CrawlPlan(first=args.date, last=args.date, codes=args.codes, force=args.force, shard=shard)
    if args.last and not args.first:
        raise UserError("--to needs --from", EXIT_USAGE)
    if args.first:
        from shared.crawling.days import today_kst
        last = args.last or today_kst()
        if last < args.first:
            raise UserError(f"--to {last} is before --from {args.first}", EXIT_USAGE)
        return CrawlPlan(first=args.first, last=last, codes=args.codes, force=args.force, shard=shard)
    return CrawlPlan(codes=args.codes, force=args.force, shard=shard)


def run(args: argparse.Namespace) -> int:
    from shared.crawling.runner import run_crawl
    return run_crawl(spider_class(args.service), plan_of(args), get_settings())

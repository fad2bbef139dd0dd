"""``insertcoin crawl <service> [--date D | --from D --to D] [--codes C,...]``: run one crawler
once, publish its records, its ``crawl_run`` and its bookmarks to Kafka, then exit.

Exit codes: 0 succeeded, 1 failed, 2 configuration error, 3 partial (some pages failed),
4 blocked (the source answered block pages several times in a row).
"""
from __future__ import annotations

import argparse
import re
import datetime as dt
import importlib

from shared.crawling.days import CrawlPlan
from shared.settings import get_settings

#: CLI name -> spider class (module:attribute), imported only when used
SERVICES: dict[str, str] = {
    "stockcode": "services.stockcode.spider:StockCodeSpider",
    "stockreport": "services.stockreport.spider:StockReportSpider",
    "stockdebate": "services.stockdebate.spider:StockDebateSpider",
    "financialreport": "services.financialreport.spider:FinancialReportSpider",
    "news": "services.news.spider:NewsSpider",
    "fear-greed": "services.fear_greed.spider:FearGreedSpider",
    "fx": "services.fx.spider:FxSpider",
}


def spider_class(service: str):
    module, _, name = SERVICES[service].partition(":")
    return getattr(importlib.import_module(module), name)


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


_CODE = re.compile(r"[0-9A-Z]{1,12}")


def _codes(text: str) -> tuple[str, ...]:
    codes = tuple(c.strip().upper() for c in text.split(",") if c.strip())
    if not codes:
        raise argparse.ArgumentTypeError("--codes needs at least one code")
    bad = [c for c in codes if not _CODE.fullmatch(c)]
    if bad:  # a code goes into URLs and queries: only what a code can be gets that far
        raise argparse.ArgumentTypeError(f"{bad[0][:40]!r} is not a stock or index code "
                                         "(1-12 digits and capital letters, e.g. 005930)")
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
    when.add_argument("--date", type=_day, help="one day (YYYY-MM-DD)")
    when.add_argument("--from", dest="first", type=_day, help="first day of a backfill (with --to)")
    parser.add_argument("--to", dest="last", type=_day, help="last day of a backfill (default: today, KST)")
    parser.add_argument("--codes", type=_codes, help="stock codes, comma-separated (default: the listing "
                        "the stockcode crawl learned)")
    parser.add_argument("--force", action="store_true", help="ignore bookmarks: fetch even what is done")
    parser.add_argument("--shard", type=_shard, help="i/N: only the stocks whose code hashes to shard i of N "
                        "(CRC-32 of the code mod N), to split a per-stock crawl across N tasks")


def plan_of(args: argparse.Namespace) -> CrawlPlan:
    """The plan for the parsed arguments; refuses --to without --from and reversed ranges."""
    shard = getattr(args, "shard", None)
    if args.date:
        return CrawlPlan(first=args.date, last=args.date, codes=args.codes, force=args.force, shard=shard)
    if args.last and not args.first:
        raise SystemExit("insertcoin crawl: --to needs --from")
    if args.first:
        from shared.crawling.days import today_kst
        last = args.last or today_kst()
        if last < args.first:
            raise SystemExit(f"insertcoin crawl: --to {last} is before --from {args.first}")
        return CrawlPlan(first=args.first, last=last, codes=args.codes, force=args.force, shard=shard)
    return CrawlPlan(codes=args.codes, force=args.force, shard=shard)


def run(args: argparse.Namespace) -> int:
    from shared.crawling.runner import run_crawl
    return run_crawl(spider_class(args.service), plan_of(args), get_settings())

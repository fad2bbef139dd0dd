"""``insertcoin reparse``: rebuild records from the archive (after a parser fix) and publish them.

Reads ``ARCHIVE_DIR`` (folder or ``s3://`` prefix), runs each archived response's parser again
and publishes what it yields, then one ``crawl_run`` record (service ``reparse``). Refused pages
are counted, not fatal. Records are upserts downstream, so reparsing twice is harmless; note that
a page yields all its records, also those a crawl's date window had left out, except board
posts: they are published only with the view/like counts of an archived reactions answer.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys

from shared.settings import get_settings

log = logging.getLogger(__name__)
REACTIONS = "naver-discussion-reactions"


def _reactions(archive, services, first, last) -> dict:
    """post id -> counts, from every archived reactions answer (the latest fetch wins)."""
    from shared.parsers import ParseError, Response, parse
    found: dict = {}
    for item in sorted((i for i in archive.read(services, first, last) if i.parser == REACTIONS),
                       key=lambda i: i.fetched_at):
        try:
            rows = parse(REACTIONS, Response(body=item.body, url=item.url, headers=item.headers, status=item.status))
        except ParseError:
            continue
        found.update({r.post_id: r for r in rows})
    return found


def _with_counts(record, counts: dict):
    """A board post with its archived counts (None when there are none); other records as they are."""
    from shared.records import BoardPost
    if not isinstance(record, BoardPost):
        return record
    found = counts.get(record.post_id)
    if found is None:
        return None
    return record.model_copy(update={"views": found.views, "likes": found.likes, "dislikes": found.dislikes})


def _service(text: str) -> str:
    from services.crawl import SERVICES
    if text not in SERVICES:
        raise argparse.ArgumentTypeError(f"unknown service {text!r} (one of {', '.join(sorted(SERVICES))})")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from shared.cli import day
    from shared.parsers.cli import parser_name
    parser.add_argument("--service", action="append", type=_service,
                        help="only this crawler's archive, repeatable (default: every crawler's)")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--date", type=day, help="fetch day (KST) of the archived bodies (default: every day)")
    when.add_argument("--from", dest="first", type=day, help="first fetch day (default: the oldest)")
    parser.add_argument("--to", dest="last", type=day, help="last fetch day (default: the newest)")
    parser.add_argument("--parser", type=parser_name,
                        help="only bodies archived for this parser, e.g. naver-chart-day (default: all)")
    parser.add_argument("--dry-run", action="store_true", help="parse and count, publish nothing (default: off)")


def run(args: argparse.Namespace) -> int:
    from shared.broker import Publisher
    from shared.crawling.archive import Archive
    from shared.parsers import PARSERS, ParseError, Response, parse
    from shared.records import UTC, CrawlRun, new_run_id

    settings = get_settings()
    if not args.dry_run:
        from shared.errors import wait_for_kafka
        wait_for_kafka(settings.kafka_bootstrap_servers)
    first, last = (args.date, args.date) if args.date else (args.first, args.last)
    run_id, started = new_run_id(), dt.datetime.now(UTC)
    archive = Archive(settings.archive_dir)
    publishers: dict[str, Publisher] = {}
    pages = records = errors = skipped = 0
    try:
        # Board posts get their view/like counts from the archived reactions answers, as in a crawl.
        counts = _reactions(archive, args.service, first, last)
        for item in archive.read(args.service, first, last):
            if item.parser == REACTIONS:
                continue  # merged into the board posts above, never published on its own
            if not item.parser or (args.parser and item.parser != args.parser):
                skipped += 1
                continue
            response = Response(body=item.body, url=item.url, headers=item.headers, status=item.status)
            try:
                found = parse(item.parser, response)
            except ParseError as err:
                errors += 1
                log.warning("archived page refused", extra={"url": item.url, "error": str(err)})
                continue
            # A board post without archived counts was outside the crawl's window: its list counts
            # read 0, publishing it would overwrite the real ones downstream.
            merged = [_with_counts(r, counts) for r in found]
            found = [r for r in merged if r is not None]
            skipped += len(merged) - len(found)
            pages += 1
            records += len(found)
            if args.dry_run:
                continue
            source = PARSERS[item.parser].source or item.service  # as the crawl published them
            publisher = publishers.get(source)
            if publisher is None:
                publisher = publishers[source] = Publisher(settings, source=source, run_id=run_id)
            for record in found:
                publisher.publish(record)
        status = "succeeded" if not errors else "partial"
        if not args.dry_run:
            summary = Publisher(settings, source="reparse", run_id=run_id)
            publishers["reparse"] = summary
            for publisher in list(publishers.values())[:-1]:
                publisher.flush()
            summary.publish(CrawlRun(service="reparse", run_id=run_id, started_at=started,
                                     finished_at=dt.datetime.now(UTC), status=status, pages=pages,
                                     records=records, errors=errors,
                                     detail={"services": args.service, "from": first and first.isoformat(),
                                             "to": last and last.isoformat(), "skipped": skipped}))
    except Exception as err:  # noqa: BLE001 - one clear line
        print(f"reparse: failed: {err}", file=sys.stderr)
        return 1
    finally:
        for publisher in publishers.values():
            try:
                publisher.close()
            except Exception as err:  # noqa: BLE001
                print(f"reparse: records not delivered: {err}", file=sys.stderr)
                return 1
    log.info("reparse finished", extra={"pages": pages, "records": records, "errors": errors,
                                        "skipped": skipped, "dry_run": args.dry_run})
    print(f"reparse: {pages} pages, {records} records, {errors} refused, {skipped} skipped"
          + (" (dry run)" if args.dry_run else ""))
    return 0 if not errors else 3

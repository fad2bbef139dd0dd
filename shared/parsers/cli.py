"""``insertcoin parse``: run a parser on a saved response and print its records as JSON lines."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from shared.parsers import PARSERS, ParseError, Response, parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("parser", nargs="?", help="parser name (see --list)")
    parser.add_argument("file", nargs="?", type=Path, help="saved response body")
    parser.add_argument("--url", default="", help="the URL the response came from (context: code, date, ...)")
    parser.add_argument("--header", action="append", default=[], metavar="NAME:VALUE",
                        help="a response header, e.g. 'Content-Type: text/html; charset=euc-kr'")
    parser.add_argument("--list", action="store_true", help="name the parsers and exit")


def run(args: argparse.Namespace) -> int:
    if args.list:
        for name in sorted(PARSERS):
            print(f"{name}\t{PARSERS[name].description}")
        return 0
    if not args.parser or not args.file:
        print("insertcoin parse: give PARSER and FILE (or --list)", file=sys.stderr)
        return 2
    try:
        body = args.file.read_bytes()
    except OSError as err:
        print(f"insertcoin parse: cannot read {args.file}: {err.strerror}", file=sys.stderr)
        return 2
    headers = dict(h.split(":", 1) for h in args.header if ":" in h)
    response = Response(body=body, url=args.url, headers={k.strip(): v.strip() for k, v in headers.items()})
    try:
        records = parse(args.parser, response)
    except ParseError as err:
        print(str(err), file=sys.stderr)
        return 1
    out = sys.stdout.buffer
    try:
        for record in records:
            out.write(orjson.dumps(record.model_dump(mode="json")) + b"\n")
        out.flush()
    except BrokenPipeError:  # e.g. piped into head
        pass
    return 0

"""``insertcoin parse``: run a parser on a saved response and print its records as JSON lines."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from shared.errors import EXIT_USAGE, UserError
from shared.parsers import PARSERS, ParseError, Response, parse


def parser_name(text: str) -> str:
    """An argparse type: a registered parser's name."""
    if text not in PARSERS:
        raise argparse.ArgumentTypeError(f"unknown parser {text!r} (see insertcoin parse --list)")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("parser", nargs="?", type=parser_name, help="parser name (see --list)")
    parser.add_argument("file", nargs="?", type=Path, help="saved response body")
    parser.add_argument("--url", default="", help="the URL the response came from; parsers that read the "
                        "code or dates from it need it (default: none)")
    parser.add_argument("--header", action="append", default=[], metavar="NAME:VALUE",
                        help="a response header, e.g. 'Content-Type: text/html; charset=euc-kr' "
                             "(repeatable; default: none)")
    parser.add_argument("--list", action="store_true", help="name the parsers and exit (default: off)")


class WatchedResponse(Response):
    """A response that notes whether the parser read its URL: a parse that failed after reading
    an empty URL needs ``--url``, not another file."""

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "url_read", [])

    def __getattribute__(self, name: str):
        if name in ("url", "path", "query"):
            object.__getattribute__(self, "url_read").append(name)
        return super().__getattribute__(name)


def run(args: argparse.Namespace) -> int:
    if args.list:
        for name in sorted(PARSERS):
            print(f"{name}\t{PARSERS[name].description}")
        return 0
    if not args.parser or not args.file:
        raise UserError("give PARSER and FILE (or --list)", EXIT_USAGE)
    try:
        body = args.file.read_bytes()
    except OSError as err:
        raise UserError(f"cannot read {args.file}: {err.strerror}", EXIT_USAGE) from None
    headers = dict(h.split(":", 1) for h in args.header if ":" in h)
    response = WatchedResponse(body=body, url=args.url,
                               headers={k.strip(): v.strip() for k, v in headers.items()})
    try:
        records = parse(args.parser, response)
    except ParseError as err:
        if not args.url and response.url_read:
            raise UserError(f"{args.parser} reads the response's URL (code, dates): give --url, the address "
                            f"{args.file.name} was fetched from", EXIT_USAGE) from None
        raise UserError(str(err)) from None
    out = sys.stdout.buffer
    try:
        for record in records:
            out.write(orjson.dumps(record.model_dump(mode="json")) + b"\n")
        out.flush()
    except BrokenPipeError:  # e.g. piped into head
        pass
    return 0

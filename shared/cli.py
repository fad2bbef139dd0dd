"""The ``insertcoin`` command. Each subcommand lives in its own module, imported only when used.

A subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int`` (the exit code).
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import logging
import signal
import sys

from shared import logs
from shared.errors import EXIT_FAILED, EXIT_USAGE, UserError, explain, one_line
from shared.settings import get_settings

log = logging.getLogger("insertcoin")

#: subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "stack": ("shared.stack", "start, stop or show the local PostgreSQL + Kafka stack"),
    "crawl": ("services.crawl", "run one crawler once and publish its records to Kafka"),
    "reparse": ("services.reparse", "rebuild records from archived responses after a parser fix"),
    "parse": ("shared.parsers.cli", "run a parser on a saved response and print its records"),
    "load": ("services.loader.cli", "consume records from Kafka into PostgreSQL"),
    "score": ("ml.cli", "find the day's top movers and score each medium's influence"),
    "report": ("ml.report", "write an HTML report of influence and top movers"),
    "simulate": ("services.replay.simulate", "write a simulated market world for the replay site"),
    "replay": ("services.replay.cli", "serve recordings or a simulated world at the sources' URLs"),
    "migrate": ("shared.migrate", "apply database migrations"),
    "topics": ("shared.broker", "create the fleet's Kafka topics that are missing"),
    "schedule": ("shared.schedule", "run another subcommand on a cron schedule (KST)"),
    "serve": ("services.api.cli", "serve the read API (/api, /docs) and the dashboard (/)"),
    "watchlist": ("services.watchlist.cli", "rank stocks on overnight media before the open; --score scores a past list"),
}


def day(text: str) -> dt.date:
    """An argparse type: a date written YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error in one line (the options are one ``--help`` away)."""

    def error(self, message: str):
        hint = "" if "(see " in message else f" (see {self.prog} --help)"
        self.exit(EXIT_USAGE, f"{self.prog}: {message}{hint}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="insertcoin", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def load_command(name: str):
    """Import a subcommand's module (raises ImportError if it is not built yet)."""
    return importlib.import_module(COMMANDS[name][0])


def command_parser(name: str) -> tuple:
    """(module, argument parser) of the subcommand ``name``."""
    module = load_command(name)
    parser = Parser(prog=f"insertcoin {name}", description=COMMANDS[name][1])
    module.add_arguments(parser)
    return module, parser


def _terminated(signum, _frame):
    raise KeyboardInterrupt(signum)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = build_parser()
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        top.parse_args(argv)  # prints help or the error, exits
        return 2
    name, rest = argv[0], argv[1:]
    module, parser = command_parser(name)
    args = parser.parse_args(rest)
    try:
        settings = get_settings()
    except ValueError as err:  # pydantic's ValidationError: a bad variable
        print(f"insertcoin {name}: bad setting: {one_line(err)}", file=sys.stderr)
        return EXIT_USAGE
    logs.configure(service=getattr(args, "service", None) or name, level=settings.log_level)
    # Until a command installs its own handlers (Scrapy, the loader), SIGTERM stops it as Ctrl-C does.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt as err:
        signum = err.args[0] if err.args else signal.SIGINT
        print(f"insertcoin {name}: interrupted by {signal.Signals(signum).name}", file=sys.stderr)
        return 128 + signum
    except Exception as err:  # noqa: BLE001 - every failure ends as one line and an exit code
        known = err if isinstance(err, UserError) else explain(err)
        log.debug("failed", exc_info=True)  # the traceback, with LOG_LEVEL=DEBUG only
        if known is None:
            print(f"insertcoin {name}: failed: {type(err).__name__}: {one_line(err)} "
                  "(LOG_LEVEL=DEBUG shows the traceback)", file=sys.stderr)
            return EXIT_FAILED
        print(f"insertcoin {name}: {known}", file=sys.stderr)
        return known.exit_code


if __name__ == "__main__":
    sys.exit(main())

"""The ``insertcoin`` command. Each subcommand lives in its own module, imported only when used.

A subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int`` (the exit code).
"""
from __future__ import annotations

import argparse
import importlib
import sys

from shared import logs
from shared.settings import get_settings

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="insertcoin", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def load_command(name: str):
    """Import a subcommand's module (raises ImportError if it is not built yet)."""
    return importlib.import_module(COMMANDS[name][0])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = build_parser()
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        top.parse_args(argv)  # prints help or the error, exits
        return 2
    name, rest = argv[0], argv[1:]
    module = load_command(name)
    parser = argparse.ArgumentParser(prog=f"insertcoin {name}", description=COMMANDS[name][1])
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    settings = get_settings()
    logs.configure(service=getattr(args, "service", None) or name, level=settings.log_level)
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

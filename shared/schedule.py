"""``insertcoin schedule --cron EXPR -- <subcommand ...>``: run a one-shot subcommand on a cron
schedule in Korean time. This is how a compose container keeps its own schedule while running
exactly the command an ECS scheduled task runs."""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import subprocess
import sys
import threading
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from shared.errors import EXIT_USAGE, UserError

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cron", required=True, help='cron expression, e.g. "0 9 * * 1-5", required')
    parser.add_argument("--tz", default="Asia/Seoul", help="time zone of the expression (default: %(default)s)")
    parser.add_argument("--run-at-start", action="store_true", help="also run once right away (default: off)")
    parser.add_argument("--max-runs", type=int, default=0, help="stop after N runs, 0: never (default: %(default)s)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the insertcoin subcommand, required")


def next_run(expression: str, tz: str, after: dt.datetime) -> dt.datetime:
    """The first time after ``after`` that the expression fires, in ``tz``."""
    if not croniter.is_valid(expression):
        raise ValueError(f"not a cron expression: {expression!r}")
    return croniter(expression, after.astimezone(ZoneInfo(tz))).get_next(dt.datetime)


def checked(args: argparse.Namespace) -> list[str]:
    """The scheduled subcommand, refused now (not at its first run) if it, its arguments, the
    cron expression or the time zone are wrong."""
    from shared.cli import COMMANDS, command_parser

    command = args.command[1:] if args.command[:1] == ["--"] else list(args.command)
    if not command or command[0] not in COMMANDS or command[0] == "schedule":
        raise UserError(f"give an insertcoin subcommand after --, one of {', '.join(sorted(set(COMMANDS) - {'schedule'}))}",
                        EXIT_USAGE)
    try:
        ZoneInfo(args.tz)
    except (ValueError, ZoneInfoNotFoundError):
        raise UserError(f"--tz {args.tz!r} is not a time zone (e.g. Asia/Seoul)", EXIT_USAGE) from None
    if not croniter.is_valid(args.cron):
        raise UserError(f"--cron {args.cron!r} is not a cron expression (minute hour day month weekday, "
                        "e.g. \"0 9 * * 1-5\")", EXIT_USAGE)
    command_parser(command[0])[1].parse_args(command[1:])  # a bad argument: one line, exit 2
    return command


def run(args: argparse.Namespace) -> int:
    command = checked(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runs, failures = 0, 0
    due = dt.datetime.now(dt.timezone.utc) if args.run_at_start else None
    while not stop.is_set():
        now = dt.datetime.now(dt.timezone.utc)
        due = due or next_run(args.cron, args.tz, now)
        log.info("next run", extra={"at": due.isoformat(), "command": command})
        if stop.wait(max(0.0, (due - now).total_seconds())):
            break
        result = subprocess.run([sys.executable, "-m", "shared.cli", *command])
        runs += 1
        failures += result.returncode != 0
        log.log(logging.INFO if result.returncode == 0 else logging.ERROR, "run finished",
                extra={"exit_code": result.returncode, "runs": runs, "failures": failures})
        due = None
        if args.max_runs and runs >= args.max_runs:
            break
    return 0 if failures == 0 else 1

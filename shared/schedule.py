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
from zoneinfo import ZoneInfo

from croniter import croniter

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cron", required=True, help='cron expression, e.g. "10 16 * * 1-5"')
    parser.add_argument("--tz", default="Asia/Seoul", help="time zone of the expression")
    parser.add_argument("--run-at-start", action="store_true", help="also run once right away")
    parser.add_argument("--max-runs", type=int, default=0, help="stop after N runs (0: never)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the insertcoin subcommand")


def next_run(expression: str, tz: str, after: dt.datetime) -> dt.datetime:
    """The first time after ``after`` that the expression fires, in ``tz``."""
    if not croniter.is_valid(expression):
        raise ValueError(f"not a cron expression: {expression!r}")
    return croniter(expression, after.astimezone(ZoneInfo(tz))).get_next(dt.datetime)


def run(args: argparse.Namespace) -> int:
    from shared.cli import COMMANDS

    command = [c for c in args.command if c != "--"]
    if not command or command[0] not in COMMANDS or command[0] == "schedule":
        print(f"schedule: give an insertcoin subcommand after --, one of {sorted(COMMANDS)}", file=sys.stderr)
        return 2
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

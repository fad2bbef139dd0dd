"""One error type for failures with a known cause, and the exit codes every command uses.

Raise :class:`UserError` anywhere a person can fix the cause (a bad option, a missing file, a
service that does not answer); ``insertcoin``'s ``main`` turns it into one line on stderr and its
exit code. The traceback is logged only with ``LOG_LEVEL=DEBUG``. :func:`wait_for_kafka` and
:func:`wait_for_postgres` check that the stack answers before a command starts its real work.
"""
from __future__ import annotations

import socket
import sys
import time

#: Exit codes, the same for every subcommand (README.md, "Exit codes").
EXIT_OK = 0
EXIT_FAILED = 1        # the run failed (e.g. records not delivered)
EXIT_USAGE = 2         # bad option, setting or input file: fix the command
EXIT_PARTIAL = 3       # some pages failed; the rest is delivered
EXIT_BLOCKED = 4       # the source answered block pages several times in a row
EXIT_UNREACHABLE = 5   # Kafka or PostgreSQL does not answer
EXIT_SIGINT = 130      # stopped by Ctrl-C (128 + SIGINT)
EXIT_SIGTERM = 143     # stopped by SIGTERM (128 + SIGTERM): docker stop, an ECS task stop

#: How long a command waits for Kafka/PostgreSQL to answer before it gives up.
DEFAULT_WAIT = 5.0


class UserError(Exception):
    """A failure a person can fix: ``message`` names the cause and the fix, in one line."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED):
        super().__init__(message)
        self.exit_code = exit_code


class Unreachable(UserError):
    """Kafka or PostgreSQL does not answer."""

    def __init__(self, what: str, where: str, detail: str = ""):
        super().__init__(f"{what} at {where} does not answer{f' ({detail})' if detail else ''}: "
                         "run `insertcoin stack up` (or check its address and that it is running)",
                         EXIT_UNREACHABLE)


def _answers(host: str, port: int, timeout: float) -> str | None:
    """None if something accepts a TCP connection at host:port, else why not."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as err:
        return err.strerror or type(err).__name__


def wait_for(what: str, addresses: list[tuple[str, int]], wait: float = DEFAULT_WAIT) -> None:
    """Return once one of ``addresses`` accepts a connection; raise :class:`Unreachable` after
    ``wait`` seconds. Says once on stderr that it is waiting, so a slow start is not silent."""
    deadline = time.monotonic() + wait
    where = ",".join(f"{host}:{port}" for host, port in addresses)
    said = False
    while True:
        reasons = [_answers(host, port, timeout=min(2.0, max(wait, 0.2))) for host, port in addresses]
        if any(reason is None for reason in reasons):
            return
        if time.monotonic() >= deadline:
            raise Unreachable(what, where, reasons[0] or "")
        if not said:
            print(f"waiting up to {wait:.0f}s for {what} at {where} ...", file=sys.stderr, flush=True)
            said = True
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


def kafka_addresses(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port,host:port`` -> [(host, port), ...] (port 9092 when left out)."""
    found = []
    for item in filter(None, (part.strip() for part in bootstrap.split(","))):
        host, sep, port = item.rpartition(":")
        found.append((host, int(port)) if sep and port.isdigit() else (item, 9092))
    return found


def wait_for_kafka(bootstrap: str, wait: float = DEFAULT_WAIT) -> None:
    """Raise :class:`Unreachable` unless a Kafka broker of ``bootstrap`` answers within ``wait`` s."""
    wait_for("Kafka", kafka_addresses(bootstrap), wait)


def postgres_address(url: str) -> tuple[str, int] | None:
    """(host, port) of a libpq URL or DSN; None for a Unix socket (nothing to probe over TCP)."""
    from psycopg2.extensions import parse_dsn

    try:
        dsn = parse_dsn(url)
    except Exception as err:  # noqa: BLE001 - psycopg2.ProgrammingError: not a URL at all
        raise UserError(f"not a PostgreSQL URL: {err}".strip(), EXIT_USAGE) from None
    host = dsn.get("host") or dsn.get("hostaddr")
    if not host or host.startswith("/") or "," in host:
        return None
    port = dsn.get("port") or "5432"
    return host, int(port) if port.isdigit() else 5432


def wait_for_postgres(url: str, wait: float = DEFAULT_WAIT) -> None:
    """Raise :class:`Unreachable` unless the PostgreSQL of ``url`` answers within ``wait`` s."""
    address = postgres_address(url)
    if address is not None:
        wait_for("PostgreSQL", [address], wait)


def one_line(err: BaseException, env_prefix: str = "") -> str:
    """The first line of an error; a pydantic validation error as ``VARIABLE: why``."""
    if hasattr(err, "errors") and callable(err.errors):  # pydantic.ValidationError
        first = err.errors()[0]
        name = "_".join(str(part) for part in first.get("loc", ()))
        why = str(first.get("msg")).removeprefix("Value error, ")
        return f"{(env_prefix + name).upper()}: {why}" if name else why
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def explain(err: BaseException) -> UserError | None:
    """A client library's error with a known cause as a :class:`UserError` (else None)."""
    name = type(err).__name__
    if name == "NoBrokersAvailable":
        return UserError("Kafka does not answer: run `insertcoin stack up` (or check KAFKA_BOOTSTRAP_SERVERS)",
                         EXIT_UNREACHABLE)
    if name == "OperationalError" and type(err).__module__.startswith("psycopg2"):
        first = str(err).strip().splitlines()[0] if str(err).strip() else name
        if "password authentication failed" in first or "does not exist" in first:
            return UserError(f"PostgreSQL refused the connection: {first}", EXIT_USAGE)
        return UserError(f"PostgreSQL: {first}: run `insertcoin stack up` (or check the database URL)",
                         EXIT_UNREACHABLE)
    return None

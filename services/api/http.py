"""HTTP plumbing of the API: errors as ``application/problem+json`` (RFC 9457), API keys with a
per-key rate limit, cursor pagination and CSV through ``Accept: text/csv``."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import logging
import threading
import time
from collections.abc import Sequence

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM = "application/problem+json"
KEY_HEADER = "X-API-Key"


class Problem(Exception):
    """An error answered as problem+json."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers = status, title, detail, headers or {}


def problem_response(request: Request, status: int, title: str, detail: str,
                     headers: dict[str, str] | None = None, **extra) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "instance": request.url.path, **extra}
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM, headers=headers)


def install_error_handlers(app) -> None:
    """Every error the app answers is problem+json, 500s included (with no internals)."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(request, exc.status, exc.title, exc.detail, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        title = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, "HTTP error")
        return problem_response(request, exc.status_code, title, str(exc.detail),
                                getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", "")}
                  for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        return problem_response(request, 422, "Invalid request", detail, errors=errors)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        logging.getLogger(__name__).exception("unhandled error on %s", request.url.path)
        return problem_response(request, 500, "Internal Server Error",
                                "the server failed on this request; it is logged")


# --------------------------------------------------------------------------- keys + rate limit
class RateLimiter:
    """A fixed one-minute window per key, counted in PostgreSQL (``api_rate_take``, migration 0009)
    so every worker and every task serving the API shares one count: together they allow at most
    the limit, not the limit each. A process leases a few requests at a time (a fiftieth of the
    limit, at most 10; one at a time under 100 a minute), so most requests make no round trip; a
    lease unused when its minute ends is lost (at most one a process and minute), so the processes
    together may allow slightly fewer than the limit, never more. The key is sent as its SHA-256,
    never as itself.

    A lease ends a second before the database's minute may (``retry_after`` is rounded up), so a
    taken lease is never spent in the next minute. In that last second a process takes one request
    at a time: a lease taken there would expire at once and lose all but one of its requests, on
    every request until the minute turns (a test run near the end of a minute allowed 142 of 150)."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self.lease = max(1, min(10, per_minute // 50))
        self._lock = threading.Lock()
        # digest -> (requests left, lease valid until, the database's minute ends by), monotonic
        self._leases: dict[str, tuple[int, float, float]] = {}

    def hit(self, db, key: str) -> int | None:
        """Count one request of ``key``; None when allowed, else seconds until the next window."""
        digest = hashlib.sha256(key.encode()).hexdigest()
        with self._lock:
            left, until, ends = self._leases.get(digest, (0, 0.0, 0.0))
            now = time.monotonic()
            if left > 0 and now < until:
                self._leases[digest] = (left - 1, until, ends)
                return None
        want = 1 if until <= now < ends else self.lease
        row = db.one("SELECT granted, retry_after FROM api_rate_take(%s, %s, %s)",
                     (digest, self.per_minute, want))
        if row["granted"] == 0:
            return row["retry_after"]
        with self._lock:   # the lease ends with the database's minute
            now = time.monotonic()
            self._leases[digest] = (row["granted"] - 1, now + row["retry_after"] - 1.0, now + row["retry_after"])
        return None


def check_key(request: Request, keys: frozenset[str] | None, limiter: RateLimiter, db) -> None:
    """Raise a Problem unless the request carries a known key within its rate (keys None: open)."""
    if keys is None:
        return
    key = request.headers.get(KEY_HEADER)
    if not key or key not in keys:
        raise Problem(401, "Unauthorized", f"a valid API key is required in the {KEY_HEADER} header",
                      {"WWW-Authenticate": KEY_HEADER})
    wait = limiter.hit(db, key)
    if wait is not None:
        raise Problem(429, "Too Many Requests",
                      f"more than {limiter.per_minute} requests this minute for this key",
                      {"Retry-After": str(wait)})


# --------------------------------------------------------------------------- pagination
def encode_cursor(values: Sequence) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([str(v) for v in values])).decode().rstrip("=")


def decode_cursor(cursor: str | None, n: int) -> list[str] | None:
    """The key values of a cursor made by encode_cursor (400 when it is not one)."""
    if cursor is None:
        return None
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(values, list) and len(values) == n and all(
                isinstance(v, str) and "\x00" not in v for v in values):
            return values
    except (ValueError, orjson.JSONDecodeError):
        pass
    raise Problem(400, "Invalid cursor", "the cursor is not one this API returned")


def page(rows: list[dict], limit: int, key: Sequence[str]) -> tuple[list[dict], str | None]:
    """Rows of this page (the query fetched limit + 1) and the cursor of the next, if any."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor([rows[-1][k] for k in key])
    return rows, None


# --------------------------------------------------------------------------- JSON or CSV
def wants_csv(request: Request) -> bool:
    return "text/csv" in request.headers.get("accept", "")


def to_csv(rows: list[dict], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return value


def listing(request: Request, rows: list[dict], next_cursor: str | None, columns: Sequence[str],
            **extra) -> Response:
    """A page of rows as JSON ({items, next_cursor, ...}) or, on Accept: text/csv, as CSV with the
    next cursor in the ``X-Next-Cursor`` header."""
    if wants_csv(request):
        headers = {"X-Next-Cursor": next_cursor} if next_cursor else {}
        return Response(to_csv(rows, columns), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(orjson.dumps({"items": rows, "next_cursor": next_cursor, **extra},
                                 option=orjson.OPT_NON_STR_KEYS), media_type="application/json")

"""The bulk write path: COPY a batch into a staging table, then upsert only what changed.

``write_batch`` runs inside the caller's transaction and never commits: the caller commits the
database first and Kafka offsets second, which is what makes a crash lose nothing and double nothing.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter

import orjson
import psycopg2
import psycopg2.extras
from psycopg2 import sql
from pydantic_core import TzInfo

from services.loader import dead_letter
from services.loader.dead_letter import DeadLetter
from services.loader.tables import SPECS, TableSpec
from shared.records import Record

__all__ = ["BatchWriter", "DeadLetter", "WriteResult", "copy_text", "refused_by_the_data", "write_records"]


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    kind = type(value)
    if kind is float or kind is int:
        return str(value)
    if value is None:
        return "\\N"
    if kind is str:
        return value.translate(_ESCAPES)
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode().translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


_NULL = "\\N"
_SPECIAL = ("\\", "\t", "\n", "\r")


def _needs_escape(text: str) -> bool:
    return any(c in text for c in _SPECIAL)
# One C-level formatter per value type (pydantic hands over exactly the declared types).
_COLUMN_FORMATS = {
    float: float.__repr__,
    int: int.__repr__,
    bool: {True: "t", False: "f"}.__getitem__,
    dt.date: dt.date.isoformat,
    dt.datetime: dt.datetime.isoformat,
}
_SHARED_TEXT = (float, dt.date, str)
_zone = attrgetter("tzinfo")
_MINUTE = dt.timedelta(minutes=1)


def _timestamps(values: Sequence[dt.datetime | None], nullable: bool) -> list[str] | None:
    """A column of timestamps as ISO 8601, as ``isoformat`` writes them, by orjson in one call: a
    fifth of the cost of ``isoformat`` each (every record has its own ``extracted_at``; pydantic's
    time zones make hashing to share texts cost more still). None where orjson could be wrong:
    it writes an offset in whole minutes, so only zones known to have such offsets go to it
    (pydantic's, from parsed text, and fixed offsets checked here)."""
    present = [v for v in values if v is not None] if nullable else values
    zones = set(map(type, map(_zone, present)))
    if not zones <= {TzInfo, dt.timezone}:
        return None
    if dt.timezone in zones and any(zone.utcoffset(None) % _MINUTE for zone in set(map(_zone, present))
                                    if type(zone) is dt.timezone):
        return None
    try:
        texts = orjson.dumps(present)[2:-2].decode().split('","')
    except orjson.JSONEncodeError:
        return None
    if present is values:
        return texts
    it = iter(texts)
    return [_NULL if v is None else next(it) for v in values]


def _column_text(values: tuple) -> Iterable[str]:
    """One column of a batch in COPY text format, formatted at once and mostly in C. Prices, days and
    codes repeat within a batch, so each distinct value is formatted once (numeric columns
    take -0.0 and 0.0 alike, so their sharing one text changes nothing)."""
    kinds = set(map(type, values))
    nullable = type(None) in kinds
    kinds.discard(type(None))
    if not kinds:
        return repeat(_NULL, len(values))
    kind = kinds.pop() if len(kinds) == 1 else None
    if kind is dt.datetime and (texts := _timestamps(values, nullable)) is not None:
        return texts
    if kind is str and not _needs_escape("".join(filter(None, values))):
        fmt = str  # nothing to escape
    else:
        fmt = _COLUMN_FORMATS.get(kind, _copy_text)
    if kind in _SHARED_TEXT:
        distinct = set(values)
        texts = {v: fmt(v) for v in distinct if v is not None}
        texts[None] = _NULL
        return map(texts.__getitem__, values)
    if nullable:
        return [_NULL if v is None else fmt(v) for v in values]
    return values if fmt is str else map(fmt, values)


def copy_text(rows: Sequence[tuple]) -> str:
    """Rows of values (each in its table's column order) in COPY text format, a line per row."""
    if not rows:
        return ""
    columns = [_column_text(column) for column in zip(*rows)]
    return "\n".join(map("\t".join, zip(*columns))) + "\n"


def _copy(cur, table: str, columns: Sequence[str], text: bytes) -> None:
    """COPY ``text`` (UTF-8) into ``table``. It goes to libpq in one read, as it is: psycopg2 takes
    the GIL for every read (in 8 KiB reads the writer thread queued behind the main thread for
    each one), and bytes need no encoding (the decoders encode, in parallel)."""
    statement = sql.SQL("COPY {table} ({cols}) FROM STDIN").format(
        table=sql.Identifier(table), cols=sql.SQL(", ").join(map(sql.Identifier, columns)))
    cur.copy_expert(statement.as_string(cur), io.BytesIO(text), size=max(len(text), 8192))


def _staging_table(spec: TableSpec) -> str:
    return f"stage_{spec.table}"


def _ensure_staging(cur, spec: TableSpec, created: set[str]) -> None:
    name = _staging_table(spec)
    if name in created:
        return
    cur.execute(sql.SQL(
        "CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table} INCLUDING DEFAULTS, "
        "_seq bigint GENERATED ALWAYS AS IDENTITY) ON COMMIT DELETE ROWS").format(
            stage=sql.Identifier(name), table=sql.Identifier(spec.table)))
    created.add(name)


def _upsert_sql(spec: TableSpec) -> sql.Composed:
    ident = sql.Identifier
    cols = spec.all_columns
    col_list = sql.SQL(", ").join(map(ident, cols))
    key_list = sql.SQL(", ").join(map(ident, spec.key))
    target = ident(spec.table)

    def new_value(column: str) -> sql.Composable:
        if spec.coalesce or column in spec.kept_if_null:
            return sql.SQL("COALESCE(EXCLUDED.{c}, {t}.{c})").format(c=ident(column), t=target)
        return sql.SQL("EXCLUDED.{c}").format(c=ident(column))

    values = spec.value_columns
    assignments = [sql.SQL("{c} = {v}").format(c=ident(c), v=new_value(c)) for c in values]
    assignments += [sql.SQL("{c} = EXCLUDED.{c}").format(c=ident(c)) for c in spec.provenance]
    assignments.append(sql.SQL("updated_at = now()"))
    old = sql.SQL(", ").join(sql.SQL("{t}.{c}").format(t=target, c=ident(c)) for c in values)
    new = sql.SQL(", ").join(new_value(c) for c in values)
    if spec.coalesce:
        # Several sources in one batch: per key, each column's latest non-null value.
        def latest(column: str) -> sql.Composable:
            rule = "(array_agg({c} ORDER BY _seq DESC) FILTER (WHERE {c} IS NOT NULL))[1]" \
                if column in values else "(array_agg({c} ORDER BY _seq DESC))[1]"
            return sql.SQL(rule).format(c=ident(column))
        picked = sql.SQL(", ").join(ident(c) if c in spec.key else latest(c) for c in cols)
        source = sql.SQL("SELECT {picked} FROM {stage} GROUP BY {keys}").format(
            picked=picked, stage=ident(_staging_table(spec)), keys=key_list)
    else:  # the last record of a key wins (of the richest source, where the stream ranks sources)
        richest = sql.SQL("{rank}, ").format(rank=_source_rank(spec, sql.Identifier("source"))) \
            if spec.precedence else sql.SQL("")
        source = sql.SQL("SELECT DISTINCT ON ({keys}) {cols} FROM {stage} ORDER BY {keys}, {richest}_seq DESC").format(
            keys=key_list, cols=col_list, stage=ident(_staging_table(spec)), richest=richest)
    guard = sql.SQL("")
    if spec.precedence:  # a poorer source never replaces a row a richer one wrote
        guard = sql.SQL("{new_rank} <= {old_rank} AND ").format(
            new_rank=_source_rank(spec, sql.SQL("EXCLUDED.source")),
            old_rank=_source_rank(spec, sql.SQL("{t}.source").format(t=target)))
    return sql.SQL(
        "INSERT INTO {target} ({cols}) {source} "
        "ON CONFLICT ({keys}) DO UPDATE SET {assign} "
        "WHERE {guard}ROW({old}) IS DISTINCT FROM ROW({new})").format(
            target=target, cols=col_list, source=source, keys=key_list,
            assign=sql.SQL(", ").join(assignments), guard=guard, old=old, new=new)


def _source_rank(spec: TableSpec, column: sql.Composable) -> sql.Composed:
    """The rank of a row's source in the stream's precedence: 0 richest (also any source not
    listed), then 1, 2, ... in the declared order."""
    if spec.coalesce or "source" not in spec.provenance:
        raise ValueError(f"{spec.stream}: source precedence needs the source column and no coalesce")
    cases = sql.SQL(" ").join(sql.SQL("WHEN {s} THEN {r}").format(s=sql.Literal(s), r=sql.Literal(r))
                              for r, s in enumerate(spec.precedence) if r)
    return sql.SQL("(CASE {c} {cases} ELSE 0 END)").format(c=column, cases=cases)


_UPSERTS: dict[str, sql.Composed] = {}

#: SQLSTATE classes of errors that the rows written cause, not the database: data exceptions
#: (22: a value out of range, bad encoding, NUL), integrity violations (23) and program limits
#: (54: e.g. a key too long for its index). Anything else (a lost connection, a shutdown, no
#: disk, a bug in our SQL) is the database's failure and stops the batch.
_DATA_CLASSES = frozenset({"22", "23", "54"})


def refused_by_the_data(exc: psycopg2.Error) -> bool:
    """Whether the database refused the rows themselves (so some message is to blame)."""
    code = getattr(exc, "pgcode", None)
    return bool(code) and code[:2] in _DATA_CLASSES


def _refusal_reason(exc: psycopg2.Error) -> str:
    message = str(exc).strip()
    return f"database refused the record: {message.splitlines()[0] if message else type(exc).__name__}"


@dataclass
class WriteResult:
    written: int = 0     # rows inserted or changed
    unchanged: int = 0   # rows that were already there with the same content
    refused: list[tuple[int, str]] = field(default_factory=list)  # (row index, the database's reason)


# After a batch that could not go straight into its table, this many batches of the stream take
# the staging path before the straight COPY is tried again (a re-crawl streak pays for one failed
# attempt in this many batches, at most).
_STRAIGHT_RETRY_AFTER = 10


class BatchWriter:
    """Writes batches of rows for one connection (keeps its staging tables between batches)."""

    def __init__(self, connection):
        self.connection = connection
        self._staged: set[str] = set()
        self._staging_only: dict[str, int] = {}  # stream -> batches left before trying straight again

    def write(self, stream: str, text: bytes) -> WriteResult:
        """Upsert one stream's rows, given in UTF-8 COPY text (a line per row, see ``copy_text``). A row
        the database refuses (a constraint the contract does not express, a value no column type
        takes) comes back in ``refused`` by its line number instead of failing the whole batch."""
        if not text:
            return WriteResult()
        spec = SPECS[stream]
        count = text.count(b"\n")  # COPY text escapes newlines inside values: one per row
        with self.connection.cursor() as cur:
            if self._copy_straight(cur, spec, text):
                return WriteResult(count, 0)
            _ensure_staging(cur, spec, self._staged)
            cur.execute("SAVEPOINT batch")
            try:
                written = self._copy_and_upsert(cur, spec, text)
                cur.execute("RELEASE SAVEPOINT batch")
                return WriteResult(written, count - written)
            except psycopg2.Error as exc:
                if not refused_by_the_data(exc):
                    raise
                cur.execute("ROLLBACK TO SAVEPOINT batch")
                refusal = exc
            return self._isolate(cur, spec, text.split(b"\n")[:-1], refusal)

    def _isolate(self, cur, spec: TableSpec, lines: list[bytes], refusal: psycopg2.Error) -> WriteResult:
        """The slow path, only after ``refusal`` of the whole batch: halve it until each refused row
        stands alone (about 2 log2(n) writes a culprit, instead of n). Halves go in order, so the
        last record of a key still wins."""
        result = WriteResult()
        if len(lines) == 1:
            result.refused.append((0, _refusal_reason(refusal)))
            return result
        middle = len(lines) // 2
        pending = [(middle, len(lines)), (0, middle)]
        while pending:
            start, end = pending.pop()
            cur.execute("SAVEPOINT part")
            try:
                written = self._copy_and_upsert(cur, spec, b"\n".join(lines[start:end]) + b"\n")
                cur.execute("RELEASE SAVEPOINT part")
                result.written += written
                result.unchanged += end - start - written
                continue
            except psycopg2.Error as exc:
                if not refused_by_the_data(exc):
                    raise
                cur.execute("ROLLBACK TO SAVEPOINT part")
                reason = _refusal_reason(exc)
            if end - start == 1:
                result.refused.append((start, reason))
            else:
                middle = (start + end) // 2
                pending += [(middle, end), (start, middle)]  # the first half is written first
        return result

    def _copy_straight(self, cur, spec: TableSpec, text: bytes) -> bool:
        """The common case of fresh data: every row a key the table does not hold yet, each key
        once. Then a plain COPY into the table does exactly what the upsert would (insert every
        row) at the cost of a raw COPY. The primary key decides: if any key is already there or
        repeats, the COPY fails as a whole, is rolled back, and the batch takes the staging path."""
        left = self._staging_only.get(spec.stream, 0)
        if left:
            self._staging_only[spec.stream] = left - 1
            return False
        cur.execute("SAVEPOINT straight")
        try:
            _copy(cur, spec.table, spec.all_columns, text)
        except psycopg2.Error as exc:
            if not refused_by_the_data(exc):
                raise
            cur.execute("ROLLBACK TO SAVEPOINT straight")
            self._staging_only[spec.stream] = _STRAIGHT_RETRY_AFTER
            return False
        cur.execute("RELEASE SAVEPOINT straight")
        return True

    def _copy_and_upsert(self, cur, spec: TableSpec, text: bytes) -> int:
        """COPY into the staging table (its identity column numbers the rows in order: the last
        of a key wins), then upsert; returns the rows inserted or changed."""
        cur.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(_staging_table(spec))))
        _copy(cur, _staging_table(spec), spec.all_columns, text)
        upsert = _UPSERTS.get(spec.stream)
        if upsert is None:
            upsert = _UPSERTS[spec.stream] = _upsert_sql(spec)
        cur.execute(upsert)
        return cur.rowcount

    def dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Record refused messages (see ``dead_letter.store``)."""
        dead_letter.store(self.connection, letters)


def row_values(record: Record, *, source: str, run_id: str, extracted_at: dt.datetime) -> tuple:
    """A record's values in its table's column order, provenance last."""
    spec = SPECS[record.stream]
    values = tuple(getattr(record, c) for c in spec.columns)
    provenance = {"source": source, "run_id": run_id, "extracted_at": extracted_at}
    return values + tuple(provenance[c] for c in spec.provenance)


def write_records(connection, records: Iterable[Record], *, source: str, run_id: str,
                  extracted_at: dt.datetime | None = None) -> int:
    """Load records straight into their tables (no Kafka), in the caller's transaction.

    For tools and tests that hold contract records already (e.g. a simulated world's truth)."""
    extracted_at = extracted_at or dt.datetime.now(dt.timezone.utc)
    by_stream: dict[str, list[tuple]] = {}
    for record in records:
        by_stream.setdefault(record.stream, []).append(
            row_values(record, source=source, run_id=run_id, extracted_at=extracted_at))
    writer = BatchWriter(connection)
    written = 0
    for stream, rows in by_stream.items():
        result = writer.write(stream, copy_text(rows).encode())
        if result.refused:
            index, reason = result.refused[0]
            raise ValueError(f"{len(result.refused)} {stream} records refused; record {index}: {reason}")
        written += result.written
    return written

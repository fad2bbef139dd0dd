"""The bulk write path: COPY a batch into a staging table, then upsert only what changed.

``write_batch`` runs inside the caller's transaction and never commits: the caller commits the
database first and Kafka offsets second, which is what makes a crash lose nothing and double nothing.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import orjson
import psycopg2
import psycopg2.extras
from psycopg2 import sql

from services.loader.tables import SPECS, TableSpec
from shared.records import Record


@dataclass
class Row:
    """One validated record ready for the table: values in ``spec.all_columns`` order."""

    values: tuple
    # where it came from, for the dead letter if the database refuses it
    topic: str = ""
    partition: int = -1
    offset: int = -1
    key: str = ""
    payload: bytes = b""


@dataclass
class DeadLetter:
    topic: str
    partition: int
    offset: int
    stream: str | None
    key: str | None
    payload: bytes
    reason: str


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


def _copy_payload(rows: Iterable[Row]) -> io.StringIO:
    """Rows in COPY text format, each led by its position (``_seq``: the last of a key wins)."""
    fmt = _copy_text
    lines = [f"{seq}\t" + "\t".join([fmt(v) for v in row.values]) for seq, row in enumerate(rows)]
    lines.append("")
    return io.StringIO("\n".join(lines))


def _staging_table(spec: TableSpec) -> str:
    return f"stage_{spec.table}"


def _ensure_staging(cur, spec: TableSpec, created: set[str]) -> None:
    name = _staging_table(spec)
    if name in created:
        return
    cur.execute(sql.SQL(
        "CREATE TEMP TABLE IF NOT EXISTS {stage} (_seq bigint NOT NULL, "
        "LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS").format(
            stage=sql.Identifier(name), table=sql.Identifier(spec.table)))
    created.add(name)


def _upsert_sql(spec: TableSpec) -> sql.Composed:
    ident = sql.Identifier
    cols = spec.all_columns
    col_list = sql.SQL(", ").join(map(ident, cols))
    key_list = sql.SQL(", ").join(map(ident, spec.key))
    target = ident(spec.table)

    def new_value(column: str) -> sql.Composable:
        if spec.coalesce:
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
    else:  # the last record of a key wins
        source = sql.SQL("SELECT DISTINCT ON ({keys}) {cols} FROM {stage} ORDER BY {keys}, _seq DESC").format(
            keys=key_list, cols=col_list, stage=ident(_staging_table(spec)))
    return sql.SQL(
        "INSERT INTO {target} ({cols}) {source} "
        "ON CONFLICT ({keys}) DO UPDATE SET {assign} "
        "WHERE ROW({old}) IS DISTINCT FROM ROW({new})").format(
            target=target, cols=col_list, source=source, keys=key_list,
            assign=sql.SQL(", ").join(assignments), old=old, new=new)


_UPSERTS: dict[str, sql.Composed] = {}


@dataclass
class WriteResult:
    written: int = 0     # rows inserted or changed
    unchanged: int = 0   # rows that were already there with the same content
    refused: list[DeadLetter] | None = None


class BatchWriter:
    """Writes batches of rows for one connection (keeps its staging tables between batches)."""

    def __init__(self, connection):
        self.connection = connection
        self._staged: set[str] = set()

    def write(self, stream: str, rows: Sequence[Row]) -> WriteResult:
        """Upsert ``rows`` of one stream. A row the database refuses (a constraint the contract does
        not express) is returned in ``refused`` instead of failing the whole batch."""
        if not rows:
            return WriteResult(refused=[])
        spec = SPECS[stream]
        with self.connection.cursor() as cur:
            _ensure_staging(cur, spec, self._staged)
            cur.execute("SAVEPOINT batch")
            try:
                written = self._copy_and_upsert(cur, spec, rows)
                cur.execute("RELEASE SAVEPOINT batch")
                return WriteResult(written, len(rows) - written, [])
            except (psycopg2.DataError, psycopg2.IntegrityError):
                cur.execute("ROLLBACK TO SAVEPOINT batch")
            # Slow path, only after a refusal: one row at a time to find the culprits.
            result = WriteResult(refused=[])
            for row in rows:
                cur.execute("SAVEPOINT one")
                try:
                    result.written += self._copy_and_upsert(cur, spec, [row])
                    cur.execute("RELEASE SAVEPOINT one")
                except (psycopg2.DataError, psycopg2.IntegrityError) as exc:
                    cur.execute("ROLLBACK TO SAVEPOINT one")
                    result.refused.append(DeadLetter(
                        row.topic, row.partition, row.offset, stream, row.key, row.payload,
                        f"database refused the record: {str(exc).strip().splitlines()[0]}"))
            return result

    def _copy_and_upsert(self, cur, spec: TableSpec, rows: Sequence[Row]) -> int:
        cur.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(_staging_table(spec))))
        columns = ("_seq", *spec.all_columns)
        cur.copy_expert(
            sql.SQL("COPY {stage} ({cols}) FROM STDIN").format(
                stage=sql.Identifier(_staging_table(spec)),
                cols=sql.SQL(", ").join(map(sql.Identifier, columns))).as_string(cur),
            _copy_payload(rows))
        upsert = _UPSERTS.get(spec.stream)
        if upsert is None:
            upsert = _UPSERTS[spec.stream] = _upsert_sql(spec)
        cur.execute(upsert)
        return cur.rowcount

    def dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Record refused messages; the same message (topic, partition, offset) is stored once."""
        if not letters:
            return
        with self.connection.cursor() as cur:
            psycopg2.extras.execute_values(
                cur,
                'INSERT INTO if_dead_letter (topic, partition, "offset", stream, key, payload, reason) '
                'VALUES %s ON CONFLICT (topic, partition, "offset") DO NOTHING',
                [(d.topic, d.partition, d.offset, d.stream, d.key, psycopg2.Binary(d.payload), d.reason)
                 for d in letters])


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
    by_stream: dict[str, list[Row]] = {}
    for record in records:
        by_stream.setdefault(record.stream, []).append(
            Row(row_values(record, source=source, run_id=run_id, extracted_at=extracted_at)))
    writer = BatchWriter(connection)
    written = 0
    for stream, rows in by_stream.items():
        result = writer.write(stream, rows)
        if result.refused:
            raise ValueError(f"{len(result.refused)} {stream} records refused: {result.refused[0].reason}")
        written += result.written
    return written


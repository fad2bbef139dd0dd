"""Each stream's declaration (shared/streams.py) against what the migrations build, on a real
PostgreSQL: every record field is a column of the declared table, with a type that holds it, NOT
NULL exactly where the field cannot be None, and the natural key as the table's primary key. And
the README's stream table is the one the declarations give."""
from __future__ import annotations

import datetime as dt
import types
import typing
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from pydantic import AwareDatetime

from shared.streams import DECLARED, readme_table
from shared.topics import all_topics, topic_for

ROOT = Path(__file__).resolve().parents[1]
PROVENANCE = ("source", "run_id", "extracted_at")
#: python type of a field -> the PostgreSQL types that hold it exactly
#: (bool before int: a bool is an int; datetime before date: a datetime is a date; a float is stored
#: as numeric where the contract's digits are kept as sent, migration 0005)
HOLDS = {bool: {"boolean"}, str: {"text"}, int: {"integer", "bigint", "smallint"},
         float: {"double precision", "numeric"}, Decimal: {"numeric"}, AwareDatetime: {"timestamp with time zone"},
         dt.datetime: {"timestamp with time zone"}, dt.date: {"date"}, dict: {"jsonb"}, list: {"ARRAY"}}


def _python_type(annotation) -> tuple[type, bool]:
    """(the field's value type, whether it may be None)."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            annotation = args[0]
        elif origin is typing.Literal:
            return type(typing.get_args(annotation)[0]), optional
        elif origin in (dict, list):
            return origin, optional
        elif annotation is typing.Any:
            return dict, optional
        else:
            return annotation, optional


def _hold_types(kind: type) -> set[str]:
    for base, held in HOLDS.items():
        if issubclass(kind, base):
            return held
    raise AssertionError(f"no PostgreSQL type declared for {kind}")


@pytest.fixture(scope="module")
def schema(stack_env):
    from tests.conftest import _with_db
    from shared import stack
    import uuid

    name = f"test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(_with_db(stack_env["DATABASE_ADMIN_URL"], "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    try:
        url = _with_db(stack_env["DATABASE_ADMIN_URL"], name)
        stack.migrate(url)
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT table_name, column_name, data_type, is_nullable = 'YES' FROM "
                        "information_schema.columns WHERE table_schema = 'public'")
            columns = {(t, c): (kind, nullable) for t, c, kind, nullable in cur.fetchall()}
            cur.execute("SELECT tc.table_name, array_agg(k.column_name::text ORDER BY k.ordinal_position) "
                        "FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage k "
                        "USING (constraint_schema, constraint_name) WHERE tc.constraint_type = 'PRIMARY KEY' "
                        "AND tc.table_schema = 'public' GROUP BY tc.table_name")
            keys = dict(cur.fetchall())
        yield columns, keys
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.mark.parametrize("stream", DECLARED, ids=lambda s: s.name)
def test_given_the_migrations_when_reading_a_streams_table_then_it_matches_the_declaration(schema, stream):
    columns, keys = schema
    assert any(t == stream.table for t, _ in columns), f"{stream.table} is not created by any migration"
    for field, info in stream.model.model_fields.items():
        assert (stream.table, field) in columns, f"{stream.table} has no column {field}"
        kind, nullable = columns[(stream.table, field)]
        python, optional = _python_type(info.annotation)
        assert kind in _hold_types(python), f"{stream.table}.{field}: {kind} does not hold {python.__name__}"
        if field in stream.json_columns:
            assert kind == "jsonb", f"{stream.table}.{field} is declared json but is {kind}"
        assert nullable == optional, \
            f"{stream.table}.{field}: column {'allows' if nullable else 'refuses'} NULL, the field " \
            f"{'may' if optional else 'may not'} be None"
    for column in PROVENANCE:
        if column not in stream.columns:
            assert (stream.table, column) in columns, f"{stream.table} lacks the envelope's {column}"
    assert tuple(keys.get(stream.table, ())) == stream.key, \
        f"{stream.table}: primary key {keys.get(stream.table)} is not the natural key {stream.key}"


def test_given_the_declarations_then_every_stream_has_a_topic_with_its_partitions():
    topics = {t.name: t for t in all_topics("p.")}
    for stream in DECLARED:
        assert topics[topic_for(stream.name, "p.")].partitions == stream.partitions


def test_given_the_readme_then_its_stream_table_is_the_one_the_declarations_give():
    text = (ROOT / "README.md").read_text()
    assert readme_table() in text, "README's stream table is stale: run `python -m shared.streams`"

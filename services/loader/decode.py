"""From Kafka messages to validated rows in COPY text, or to the reason a message is refused."""
from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, call, itemgetter
from typing import Any, Literal, get_args, get_origin

import orjson
from pydantic import ValidationError

from services.loader.validators import VALIDATORS
from services.loader.tables import SPECS
from services.loader.writer import copy_text
from shared.records import Record
from shared.streams import MODELS


@dataclass(frozen=True)
class _Reader:
    """How to read one stream's validated envelopes (dicts, or model instances where the stream
    keeps its models; see ``envelopes``)."""

    validator: Any      # its validate_json is called with strict=True (see ``_check_stream``)
    header: Callable    # -> (stream, schema_version, key, source, run_id, extracted_at, record)
    values: Callable    # record -> its column values in table order, in one C call
    key: Callable       # record -> its natural key
    with_run_id: bool   # the envelope's run_id is stored beside the record (crawl_run has its own)


class _Texts(dict):
    """``str()`` of one key field's values, each written once: days and codes repeat from record to
    record. One cache per field, so that values of different types never meet (1, 1.0 and True
    are one dict key); bounded by starting over."""

    def __missing__(self, value: Any) -> str:
        if len(self) >= 65_536:
            self.clear()
        text = self[value] = str(value)
        return text


def _text_of(model: type[Record], name: str) -> Callable[[Any], str]:
    """How a key field's value becomes its text in ``Record.key()``: ``str``, which hands a string
    back as it is, for text fields; a cache for the rest."""
    annotation = model.model_fields[name].annotation
    if annotation is str or (get_origin(annotation) is Literal and all(isinstance(a, str) for a in get_args(annotation))):
        return str
    return _Texts().__getitem__


def _key_of(model: type[Record], get: Callable) -> Callable[[Any], str]:
    """The record's natural key as ``Record.key()`` writes it, from its values (the common arities
    spelled out: this runs for every record the loader checks)."""
    names = model.primary_key
    texts = [_text_of(model, name) for name in names]
    fields = get(*names)
    if len(names) == 1:
        text = texts[0]
        return fields if text is str else (lambda record: text(fields(record)))
    if len(names) == 2:
        first, second = texts

        def key(record) -> str:
            a, b = fields(record)
            return f"{first(a)}|{second(b)}"
        return key
    return lambda record: "|".join(map(call, texts, fields(record)))


def _reader(stream: str) -> _Reader:
    validator, dicts = VALIDATORS[stream]
    spec, model = SPECS[stream], MODELS[stream]
    get = itemgetter if dicts else attrgetter
    return _Reader(validator, get("stream", "schema_version", "key", "source", "run_id", "extracted_at", "record"),
                   get(*spec.columns), _key_of(model, get), len(spec.provenance) == 3)


_READERS = {stream: _reader(stream) for stream in MODELS}


def _explain(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(p) for p in item["loc"]) or "message"
        parts.append(f"{where}: {item['msg']}")
    more = error.error_count() - 3
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def check(stream: str, key_text: str | None, payload: bytes) -> tuple | str:
    """A message of ``stream``'s topic against the contract: the row's values (table column order,
    provenance last) if it keeps it, else the reason it does not."""
    model = MODELS[stream]
    reader = _READERS[stream]
    try:
        envelope = reader.validator.validate_json(payload, strict=True)
    except ValidationError as exc:
        # Say the most useful thing: not JSON, wrong schema version, or which fields are wrong.
        try:
            head = orjson.loads(payload)
        except orjson.JSONDecodeError as json_error:
            return f"not JSON: {json_error}"
        if isinstance(head, dict) and head.get("schema_version") not in (None, model.schema_version):
            return (f"unknown schema_version {head.get('schema_version')!r} for {stream} "
                    f"(this loader knows {model.schema_version})")
        return f"invalid {stream} envelope: {_explain(exc)}"
    name, version, key, source, run_id, extracted_at, record = reader.header(envelope)
    if name != stream:
        return f"stream {name!r} on the topic of {stream!r}"
    if version != model.schema_version:
        return f"unknown schema_version {version} for {stream} (this loader knows {model.schema_version})"
    natural_key = reader.key(record)
    if key != natural_key or (key_text is not None and key_text != natural_key):
        return (f"key {key!r} (message key {key_text!r}) does not match the "
                f"record's natural key {natural_key!r}")
    if reader.with_run_id:
        return reader.values(record) + (source, run_id, extracted_at)
    return reader.values(record) + (source, extracted_at)


@dataclass
class Decoded:
    """A batch of messages after the contract check, in COPY text ready for the tables."""

    texts: dict[str, bytes] = field(default_factory=dict)          # stream -> its rows in COPY text (UTF-8)
    rows: dict[str, Sequence[int]] = field(default_factory=dict)   # stream -> message index of each row
    refused: list[tuple[int, str]] = field(default_factory=list)   # (message index, reason)


def start_decoder() -> None:
    """Set up a decoder process: a Ctrl-C (SIGINT to the whole process group) is the loader's to
    handle: it finishes its batches and stops its decoders. A loader killed outright takes its
    decoders with it: an idle decoder sees its pipe close, a busy one is ended by a watchdog
    thread that sees its parent change. The cyclic GC is kept from rescanning each batch's young
    objects (see the CLI)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    loader = os.getppid()

    def follow_loader() -> None:
        while os.getppid() == loader:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=follow_loader, name="follow-loader", daemon=True).start()
    gc.freeze()
    gc.set_threshold(200_000, 50, 100)


def decode_batch(streams: str | list[str], keys: list[bytes | None], values: list[bytes | None]) -> Decoded:
    """Check every message of a batch (``streams`` names each message's stream, or all of them at
    once) and format the valid ones per stream as COPY text. Pure: runs in a decoder process as
    well as in-process. A message that breaks the checking itself (something no check foresaw)
    is found by checking the batch again one message at a time, and refused with the error; the
    happy path pays nothing for it."""
    try:
        return _decode(streams, keys, values)
    except Exception:  # noqa: BLE001 - whatever it is, it is one message's doing until shown otherwise
        return _decode_one_by_one(streams, keys, values)


def _groups(streams: str | list[str], count: int) -> dict[str, Sequence[int]]:
    if isinstance(streams, str):
        return {streams: range(count)}
    groups: dict[str, list[int]] = {}
    for i, stream in enumerate(streams):
        groups.setdefault(stream, []).append(i)
    return groups


def _decode(streams: str | list[str], keys: list[bytes | None], values: list[bytes | None]) -> Decoded:
    decoded = Decoded()
    for stream, indices in _groups(streams, len(values)).items():
        rows, positions = _check_stream(stream, indices, keys, values, decoded.refused)
        if rows:
            decoded.texts[stream] = copy_text(rows).encode()
            # (all of them, the common case: a range, which goes back to the loader in a few bytes)
            decoded.rows[stream] = range(len(values)) if len(positions) == len(values) else positions
    decoded.refused.sort()
    return decoded


def _decode_one_by_one(streams: str | list[str], keys: list[bytes | None], values: list[bytes | None]) -> Decoded:
    """The slow path of ``decode_batch``: each message on its own, a failure refuses only it."""
    decoded = Decoded()
    for stream, indices in _groups(streams, len(values)).items():
        lines: list[bytes] = []
        positions: list[int] = []
        for i in indices:
            try:
                refused: list[tuple[int, str]] = []
                rows, _ = _check_stream(stream, [i], keys, values, refused)
                line = copy_text(rows).encode() if rows else b""
            except Exception as exc:  # noqa: BLE001 - the message's own fault: refuse it, go on
                decoded.refused.append((i, f"the loader could not check the message: "
                                           f"{type(exc).__name__}: {exc}"))
                continue
            decoded.refused += refused
            if line:
                lines.append(line)
                positions.append(i)
        if lines:
            decoded.texts[stream] = b"".join(lines)
            decoded.rows[stream] = positions
    decoded.refused.sort()
    return decoded


def _check_stream(stream: str, indices, keys, values, refused: list[tuple[int, str]]) -> tuple[list[tuple], list[int]]:
    """``check`` over one stream's messages, unrolled: a message that fails any test goes back
    through ``check`` for the reason."""
    reader, version = _READERS[stream], MODELS[stream].schema_version
    validate, header, values_of, key_of = reader.validator.validate_json, reader.header, reader.values, reader.key
    rows: list[tuple] = []
    positions: list[int] = []
    for i in indices:
        key, payload = keys[i], values[i] or b""
        try:
            # Strict: a JSON value of the wrong type is refused, never converted (``true`` is not a
            # volume of 1, nor "12" one of 12); dates and timestamps come as ISO 8601 strings.
            name, schema_version, envelope_key, source, run_id, extracted_at, record = header(validate(payload, strict=True))
        except ValidationError:
            name = None
        if name == stream and schema_version == version:
            natural_key = key_of(record)
            if envelope_key == natural_key and (key is None or key == natural_key.encode()):
                rows.append(values_of(record) + ((source, run_id, extracted_at) if reader.with_run_id
                                                 else (source, extracted_at)))
                positions.append(i)
                continue
        refused.append((i, check(stream, key.decode("utf-8", "replace") if key is not None else None, payload)))
    return rows, positions

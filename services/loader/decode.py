"""From Kafka messages to validated rows in COPY text, or to the reason a message is refused."""
from __future__ import annotations

import gc
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from collections.abc import Iterable, Iterator
from operator import attrgetter

import orjson
from pydantic import ValidationError, create_model

from services.loader.tables import SPECS
from services.loader.writer import copy_text
from shared.records import STREAMS, Envelope, Record


# One typed envelope per stream (the shared Envelope with its record typed), so that a single
# Rust-side validate_json checks the envelope and the record together.
_TYPED = {
    stream: create_model(f"{model.__name__}Envelope", __base__=Envelope, record=(model, ...))
    for stream, model in STREAMS.items()
}


# Column values of a record in table order, in one C call.
_VALUES = {stream: attrgetter(*spec.columns) for stream, spec in SPECS.items()}
# Whether the envelope's run_id is stored beside the record (crawl_run carries its own).
_WITH_RUN_ID = {stream: len(spec.provenance) == 3 for stream, spec in SPECS.items()}


def _natural_keys():
    """Per stream, the record's natural key from its key fields in C calls; ``Record.key()``
    itself where a model defines its own."""
    keys = {}
    for stream, model in STREAMS.items():
        if model.key is not Record.key:
            keys[stream] = model.key
        elif len(model.primary_key) == 1:
            keys[stream] = lambda record, get=attrgetter(model.primary_key[0]): str(get(record))
        else:
            keys[stream] = lambda record, get=attrgetter(*model.primary_key): "|".join(map(str, get(record)))
    return keys


_NATURAL_KEY = _natural_keys()


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
    model = STREAMS[stream]
    try:
        envelope = _TYPED[stream].__pydantic_validator__.validate_json(payload)
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
    if envelope.stream != stream:
        return f"stream {envelope.stream!r} on the topic of {stream!r}"
    if envelope.schema_version != model.schema_version:
        return (f"unknown schema_version {envelope.schema_version} for {stream} "
                f"(this loader knows {model.schema_version})")
    record = envelope.record
    natural_key = _NATURAL_KEY[stream](record)
    if envelope.key != natural_key or (key_text is not None and key_text != natural_key):
        return (f"key {envelope.key!r} (message key {key_text!r}) does not match the "
                f"record's natural key {natural_key!r}")
    if _WITH_RUN_ID[stream]:
        return _VALUES[stream](record) + (envelope.source, envelope.run_id, envelope.extracted_at)
    return _VALUES[stream](record) + (envelope.source, envelope.extracted_at)  # crawl_run has its own run_id


@dataclass
class Decoded:
    """A batch of messages after the contract check, in COPY text ready for the tables."""

    texts: dict[str, str] = field(default_factory=dict)            # stream -> its rows in COPY text
    rows: dict[str, list[int]] = field(default_factory=dict)       # stream -> message index of each row
    refused: list[tuple[int, str]] = field(default_factory=list)   # (message index, reason)


def start_decoder() -> None:
    """Set up a decoder process: signals are the loader's to handle (it finishes and stops its
    decoders); a loader killed outright takes its decoders with it (their task queue never
    closes, as every decoder holds its write end); the cyclic GC is kept from rescanning each
    batch's young objects (see the CLI)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    loader = os.getppid()

    def follow_loader() -> None:
        while os.getppid() == loader:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=follow_loader, name="follow-loader", daemon=True).start()
    gc.freeze()
    gc.set_threshold(200_000, 50, 100)


class Packed:
    """Byte strings (or None) as one string and their lengths: one copy to send to a decoder
    process instead of a pickled object per message."""

    __slots__ = ("data", "lengths")

    def __init__(self, items: list[bytes | None]):
        self.data = b"".join(item for item in items if item is not None)
        self.lengths = [-1 if item is None else len(item) for item in items]

    def __iter__(self) -> Iterator[bytes | None]:
        data, start = self.data, 0
        for length in self.lengths:
            if length < 0:
                yield None
            else:
                end = start + length
                yield data[start:end]
                start = end

    def __getstate__(self):
        return self.data, self.lengths

    def __setstate__(self, state):
        self.data, self.lengths = state


def decode_batch(streams: list[str], keys: Iterable[bytes | None], values: Iterable[bytes | None]) -> Decoded:
    """Check every message of a batch (``streams[i]`` names message i's stream) and format the
    valid ones per stream as COPY text. Pure: runs in a decoder process as well as in-process."""
    valid: dict[str, list[tuple]] = {}
    rows: dict[str, list[int]] = {}
    refused: list[tuple[int, str]] = []
    for i, (stream, key, value) in enumerate(zip(streams, keys, values)):
        checked = check(stream, key.decode("utf-8", "replace") if key is not None else None, value or b"")
        if type(checked) is str:
            refused.append((i, checked))
            continue
        stream_rows = valid.get(stream)
        if stream_rows is None:
            stream_rows = valid[stream] = []
            rows[stream] = []
        stream_rows.append(checked)
        rows[stream].append(i)
    return Decoded({stream: copy_text(values) for stream, values in valid.items()}, rows, refused)

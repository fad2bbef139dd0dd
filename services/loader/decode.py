"""From a Kafka message to a validated row, or to a dead letter that says why not."""
from __future__ import annotations

from operator import attrgetter

import orjson
from pydantic import ValidationError, create_model

from services.loader.tables import SPECS
from services.loader.writer import DeadLetter, Row
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


def decode(stream: str, topic: str, partition: int, offset: int, key: bytes | None,
           value: bytes | None) -> Row | DeadLetter:
    """Validate one message of ``stream``'s topic against the contract."""
    key_text = key.decode("utf-8", "replace") if key is not None else None
    payload = value or b""

    def refuse(reason: str, stream_name: str | None = stream) -> DeadLetter:
        return DeadLetter(topic, partition, offset, stream_name, key_text, payload, reason)

    model = STREAMS[stream]
    try:
        envelope = _TYPED[stream].__pydantic_validator__.validate_json(payload)
    except ValidationError as exc:
        # Say the most useful thing: not JSON, wrong schema version, or which fields are wrong.
        try:
            head = orjson.loads(payload)
        except orjson.JSONDecodeError as json_error:
            return refuse(f"not JSON: {json_error}")
        if isinstance(head, dict) and head.get("schema_version") not in (None, model.schema_version):
            return refuse(f"unknown schema_version {head.get('schema_version')!r} for {stream} "
                          f"(this loader knows {model.schema_version})")
        return refuse(f"invalid {stream} envelope: {_explain(exc)}")
    if envelope.stream != stream:
        return refuse(f"stream {envelope.stream!r} on the topic of {stream!r}")
    if envelope.schema_version != model.schema_version:
        return refuse(f"unknown schema_version {envelope.schema_version} for {stream} "
                      f"(this loader knows {model.schema_version})")
    record = envelope.record
    natural_key = _NATURAL_KEY[stream](record)
    if envelope.key != natural_key or (key_text is not None and key_text != natural_key):
        return refuse(f"key {envelope.key!r} (message key {key_text!r}) does not match the "
                      f"record's natural key {natural_key!r}")
    values = _VALUES[stream](record)
    if _WITH_RUN_ID[stream]:
        provenance = (envelope.source, envelope.run_id, envelope.extracted_at)
    else:  # crawl_run carries its own run_id
        provenance = (envelope.source, envelope.extracted_at)
    return Row(values + provenance, topic, partition, offset, natural_key, payload)

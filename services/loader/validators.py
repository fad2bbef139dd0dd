"""Each stream's envelope validator: the contract's own pydantic schema, producing dicts.

The loader only needs a record's values, not a model instance, and building the two instances of an
envelope (the envelope and its record) is some 40% of validating one. So the typed envelope's core
schema is rewritten with every model turned into a typed dict of the same fields: the same types,
constraints, defaults, extra-field rule and validators (a model's after-validators run on a
read-only view with the record's attributes). Where the rewrite cannot promise the same outcome (a
model with a before/wrap validator, a custom ``__init__``, computed or extra-typed fields) the stream
keeps the model validator, and ``tests/loader/test_envelopes.py`` checks both agree on every
stream's valid and broken messages.

One difference, on purpose: a timestamp outside the natural key keeps the zone it came with instead
of being moved to UTC or KST (``ZONE_ONLY``). It is the same instant, and it goes into a
``timestamptz`` column, where the zone is not stored; the move cost a sixth of validating an
envelope.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from pydantic import create_model
from pydantic_core import SchemaValidator

from shared.records import ZONE_ONLY, Envelope, Record
from shared.streams import MODELS

# One typed envelope per stream (the shared Envelope with its record typed), so that a single
# Rust-side validate_json checks the envelope and the record together.
TYPED = {
    stream: create_model(f"{model.__name__}Envelope", __base__=Envelope, record=(model, ...))
    for stream, model in MODELS.items()
}


class _Unsupported(Exception):
    """The schema holds something the dict rewrite does not reproduce exactly."""


_MODEL_FIELD_KEYS = {"type", "schema", "validation_alias", "serialization_alias",
                     "serialization_exclude", "frozen", "metadata"}
_MODEL_FIELDS_KEYS = {"type", "fields", "model_name", "computed_fields"}


def _typed_dict(model: dict) -> dict:
    if model.get("custom_init") or model.get("root_model") or model.get("post_init"):
        raise _Unsupported(f"{model['cls'].__name__}: custom init, root model or post-init")
    fields = model["schema"]
    if fields.get("type") != "model-fields" or set(fields) - _MODEL_FIELDS_KEYS or fields.get("computed_fields"):
        raise _Unsupported(f"{model['cls'].__name__}: fields beyond plain model fields")
    typed = {}
    natural_key = getattr(model["cls"], "primary_key", ())
    for name, field in fields["fields"].items():
        if set(field) - _MODEL_FIELD_KEYS:
            raise _Unsupported(f"{model['cls'].__name__}.{name}: {sorted(set(field) - _MODEL_FIELD_KEYS)}")
        schema = _rewrite(field["schema"] if name in natural_key else _any_zone(field["schema"]))
        typed[name] = {**{k: v for k, v in field.items() if k != "frozen"}, "type": "typed-dict-field",
                       "schema": schema, "required": schema.get("type") != "default"}
    config = model.get("config") or {}
    node = {"type": "typed-dict", "fields": typed, "config": config,
            "extra_behavior": config.get("extra_fields_behavior", "ignore")}
    if "ref" in model:
        node["ref"] = model["ref"]
    return node


def _any_zone(node: Any) -> Any:
    """A field's schema without its ``ZONE_ONLY`` validators (nested models are left to ``_rewrite``)."""
    if isinstance(node, list):
        return [_any_zone(item) for item in node]
    if not isinstance(node, dict) or node.get("type") == "model":
        return node
    if node.get("type") == "function-after" and node["function"].get("function") in ZONE_ONLY:
        return _any_zone(node["schema"])
    return {key: _any_zone(value) for key, value in node.items()}


def _on_attributes(validator: dict) -> dict:
    """A model's after-validator, run on the record's values as attributes; the dict goes on."""
    function = validator["function"]

    def returned(view: SimpleNamespace, result: Any) -> None:
        if result is not view:
            raise _Unsupported("a model validator that returns another object")  # a bug, not bad data

    if validator["type"] == "with-info":
        def check(values: dict, info: Any) -> dict:
            view = SimpleNamespace(**values)
            returned(view, function(view, info))
            return values
    else:
        def check(values: dict) -> dict:
            view = SimpleNamespace(**values)
            returned(view, function(view))
            return values

    return {**validator, "function": check}


def _rewrite(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind == "model":
        return _typed_dict(node)
    inner = node.get("schema")
    if isinstance(inner, dict) and inner.get("type") == "model" and kind and kind.startswith("function-"):
        if kind != "function-after":
            raise _Unsupported(f"{inner['cls'].__name__}: a {kind} model validator")
        return {**node, "function": _on_attributes(node["function"]), "schema": _typed_dict(inner)}
    return {key: _rewrite(value) for key, value in node.items()}


def _validator(stream: str) -> tuple[Any, bool]:
    """The stream's envelope validator and whether it yields dicts (else model instances)."""
    typed = TYPED[stream]
    if MODELS[stream].key is not Record.key:
        return typed.__pydantic_validator__, False  # the record computes its own key: keep the model
    try:
        return SchemaValidator(_rewrite(typed.__pydantic_core_schema__)), True
    except _Unsupported:
        return typed.__pydantic_validator__, False


VALIDATORS: dict[str, tuple[Any, bool]] = {stream: _validator(stream) for stream in MODELS}

"""Records put together from parts already validated through the contract.

Some models are *fieldwise*: a record is valid iff each of its fields is valid on its own (no
model or field validators, no validator that reads other fields, no post-init, no private
attributes). On such a model a page whose fields repeat (the stock code once per page, the period
once per column, the metric once per table row) need not validate every record: the parser
validates the repeating parts through the real model, as whole records, and builds the page's
records from those validated values plus *free* fields, whose schema passes a value of the
right exact type through unchanged (e.g. ``float | None``, checked here record by record).

The shortcut is only taken when :class:`FieldwiseContract` has proved, from the model's pydantic
decorators and core schema, that it holds, and that a record built this way equals the one
pydantic validates; otherwise every page is validated in full (``contract_records``), and
``FieldwiseContract.unusable`` says why.
"""
from __future__ import annotations

from typing import Any, Generic, Iterator

from pydantic import BaseModel

from shared.parsers.base import R, contract_records

#: core schema type -> the exact Python class its lax validation passes through unchanged
_IDENTITY_TYPES: dict[str, type] = {"float": float, "int": int, "bool": bool, "str": str}
#: core config keys that change no field's validation (``allow_inf_nan``, ``str_*``, ``strict``... do)
_HARMLESS_CONFIG = {"title", "extra_fields_behavior"}
_DECORATORS = ("validators", "field_validators", "root_validators", "model_validators", "computed_fields")


def _schemas(node: Any) -> Iterator[dict]:
    """Every dict in a core schema, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _schemas(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _schemas(value)


def _passed_types(schema: dict) -> tuple[type, ...] | None:
    """The exact classes a field schema passes through unchanged, or None if it may change or
    refuse some value of them (constraints, functions, unions, ...)."""
    if schema.get("type") == "default":
        schema = schema["schema"]
    nullable = schema.get("type") == "nullable"
    if nullable:
        schema = schema["schema"]
    passed = _IDENTITY_TYPES.get(schema.get("type"))
    if passed is None or set(schema) - {"type", "metadata"}:
        return None
    return (passed, type(None)) if nullable else (passed,)


def _why_not_fieldwise(model: type[BaseModel], free: tuple[str, ...]) -> str | None:
    """Why records of ``model`` cannot be put together from separately validated fields (None: they can)."""
    decorators = model.__pydantic_decorators__
    found = [name for name in _DECORATORS if getattr(decorators, name)]
    if found:
        return f"{model.__name__} has {', '.join(found)}"
    if model.__pydantic_post_init__ is not None or model.__private_attributes__:
        return f"{model.__name__} has a post-init or private attributes"
    if model.model_config.get("extra") == "allow":
        return f"{model.__name__} keeps extra fields"
    schema = model.__pydantic_core_schema__
    if schema.get("type") != "model" or schema.get("custom_init") or schema.get("root_model") \
            or schema.get("post_init") or schema["schema"].get("type") != "model-fields":
        return f"{model.__name__}'s core schema is not a plain model of fields"
    config = set(schema.get("config", {})) | set(schema["schema"].get("config", {}) or {})
    if config - _HARMLESS_CONFIG:
        return f"{model.__name__}'s config sets {', '.join(sorted(config - _HARMLESS_CONFIG))}"
    for node in _schemas(schema):
        kind = node.get("type")
        if isinstance(kind, str) and kind.startswith("function-") \
                and node.get("function", {}).get("type") != "no-info":
            return f"{model.__name__} has a validator that may read other fields"
        if kind in ("model", "definitions", "definition-ref") and node is not schema:
            return f"{model.__name__} nests models"
    fields = schema["schema"]["fields"]
    for name in free:
        if name not in fields or _passed_types(fields[name]["schema"]) is None:
            return f"{model.__name__}.{name} is not a plain type its validation passes through unchanged"
    return None


class FieldwiseContract(Generic[R]):
    """Builds ``model`` records from complete field dicts whose non-free values were validated
    through the model (:meth:`validated`), checking only that each free value has the exact type
    its schema passes unchanged. ``sample`` is one valid record's fields: the shortcut must build
    it equal, field set and all, to what pydantic validates, or it is not used."""

    def __init__(self, model: type[R], *, free: tuple[str, ...], sample: dict[str, Any]):
        self.model = model
        self.fields = tuple(model.model_fields)
        self._field_set = set(self.fields)
        self.free = {name: _passed_types(model.__pydantic_core_schema__["schema"]["fields"][name]["schema"])
                     for name in free if name in model.model_fields}
        self.unusable = _why_not_fieldwise(model, free)
        if self.unusable is None:
            self.unusable = self._why_sample_differs(sample)

    def _why_sample_differs(self, sample: dict[str, Any]) -> str | None:
        if set(sample) != set(self.fields):
            return f"the sample does not give every field of {self.model.__name__}"
        expected = self.model.model_validate(sample)
        built = self.records([dict(sample)])[0]
        if built != expected or built.__getstate__() != expected.__getstate__() \
                or built.model_dump() != expected.model_dump():
            return f"a {self.model.__name__} built from validated parts differs from a validated one"
        return None

    def validated(self, rows: list[dict[str, Any]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
        """Validate ``rows`` as whole records (refusing as ``contract_records`` does) and return the
        validated values of ``fields`` of each: the parts records may then be built from."""
        return [{name: record.__dict__[name] for name in fields} for record in contract_records(self.model, rows)]

    def records(self, rows: list[dict[str, Any]]) -> list[R]:
        """The records of ``rows`` (complete field dicts in the model's field order, taken over;
        every non-free value from :meth:`validated`). A free value of another type, a missing or
        extra field, or an unusable shortcut sends the whole page through ``contract_records``
        instead, which converts, defaults or refuses as usual."""
        if self.unusable is not None or not rows or rows[0].keys() != self._field_set:
            return contract_records(self.model, rows)
        # what BaseModel.model_construct does, without its per-field default handling: every
        # field is given (so all are set) and extra/private attributes are None, as validation leaves them
        model, new, put, width, fields = self.model, self.model.__new__, object.__setattr__, len(self.fields), self._field_set
        free = tuple(self.free.items())
        out = []
        for row in rows:
            if len(row) != width:
                return contract_records(self.model, rows)
            for name, passed in free:
                if row[name].__class__ not in passed:
                    return contract_records(self.model, rows)
            record = new(model)
            put(record, "__dict__", row)
            put(record, "__pydantic_fields_set__", fields.copy())
            put(record, "__pydantic_extra__", None)
            put(record, "__pydantic_private__", None)
            out.append(record)
        return out

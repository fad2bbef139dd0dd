"""The loader's dict validators say exactly what the contract's models say.

Every stream's envelope is validated in the loader by the contract's core schema rewritten to
produce dicts (services/loader/validators.py). For valid records of every stream (from the recorded
parser fixtures and hand-made ones) and for many broken variants of each, the rewritten validator
and the model validator must agree: the same values, or the same errors at the same places.
"""
from __future__ import annotations

import datetime as dt
from itertools import islice

import orjson
import pytest
from pydantic import ValidationError

from services.loader.validators import TYPED, VALIDATORS
from shared.parsers import parse
from shared.records import CrawlRun, Envelope, Record, StockListing
from shared.streams import MODELS
from tests.loader.streams import daily_price
from tests.parsers.test_fixtures import CASES, load_case

AT = dt.datetime(2026, 11, 21, 1, 2, 3, tzinfo=dt.timezone.utc)


def _samples() -> dict[str, list[Record]]:
    """A few valid records of every stream."""
    found: dict[str, list[Record]] = {stream: [] for stream in MODELS}
    for case in CASES:
        parser, response, expected = load_case(case)
        if isinstance(expected, dict) and "error" in expected:
            continue
        for record in islice(parse(parser, response), 40):
            if record.stream in found:  # (board_post_reactions is an update, not a stream)
                found[record.stream].append(record)
    found["daily_price"] += [daily_price(7), daily_price(8).model_copy(update={"halted": True, "open": None,
                                                                             "high": None, "low": None})]
    found["stock_listing"].append(StockListing(code="0126Z0", name="삼성\t스팩\n1호", market="KONEX"))
    found["crawl_run"].append(CrawlRun(service="fx", run_id="r-1", started_at=AT, status="interrupted",
                                       detail={"pages": [1, 2], "note": "한글"}))
    return found


SAMPLES = _samples()

ODD_VALUES = [None, "", "x", 0, -1, 1.5, 1e300, True, [], {}, "2026-13-45", "005930", "2026-11-21T00:00:00"]


def _variants(envelope: dict):
    """The envelope as it came, and broken in every field of the envelope and of the record."""
    yield envelope
    for field in envelope:
        if field != "record":
            yield {k: v for k, v in envelope.items() if k != field}
            for odd in ODD_VALUES:
                yield dict(envelope, **{field: odd})
    record = envelope["record"]
    yield dict(envelope, record=dict(record, unexpected_field=1))
    for field in record:
        yield dict(envelope, record={k: v for k, v in record.items() if k != field})
        for odd in ODD_VALUES:
            yield dict(envelope, record=dict(record, **{field: odd}))


def _outcome_of_model(stream: str, payload: bytes):
    try:
        envelope = TYPED[stream].__pydantic_validator__.validate_json(payload)
    except ValidationError as exc:
        return "refused", [(e["loc"], e["type"], e["msg"]) for e in exc.errors()]
    return "valid", dict(envelope.__dict__, record=envelope.record.model_dump())


def _outcome_of_dicts(stream: str, payload: bytes):
    validator, _ = VALIDATORS[stream]
    try:
        envelope = validator.validate_json(payload)
    except ValidationError as exc:
        return "refused", [(e["loc"], e["type"], e["msg"]) for e in exc.errors()]
    return "valid", envelope


def test_every_stream_validates_to_dicts_and_has_samples():
    assert all(dicts for _, dicts in VALIDATORS.values())
    assert all(SAMPLES[stream] for stream in MODELS), [s for s in MODELS if not SAMPLES[s]]


@pytest.mark.parametrize("stream", sorted(MODELS))
def test_given_valid_and_broken_envelopes_when_validated_as_dicts_then_the_outcome_is_the_models(stream):
    checked = refused = 0
    for record in SAMPLES[stream]:
        envelope = orjson.loads(Envelope.wrap(record, source="test", run_id="r-1", extracted_at=AT).model_dump_json())
        for variant in _variants(envelope):
            payload = orjson.dumps(variant)
            want, got = _outcome_of_model(stream, payload), _outcome_of_dicts(stream, payload)
            assert got == want, f"{stream}: {payload[:300]!r}"
            checked += 1
            refused += want[0] == "refused"
    assert 0 < refused < checked  # both outcomes were exercised


def test_given_a_halted_day_with_prices_when_validated_as_dicts_then_the_models_own_rule_refuses_it():
    envelope = orjson.loads(Envelope.wrap(daily_price(1), source="t", run_id="r", extracted_at=AT).model_dump_json())
    envelope["record"]["halted"] = True
    with pytest.raises(ValidationError, match="a halted day has no open/high/low"):
        VALIDATORS["daily_price"][0].validate_json(orjson.dumps(envelope))


def test_given_timestamps_in_other_zones_when_validated_as_dicts_then_they_are_the_same_instants_as_the_models():
    post = SAMPLES["board_post"][0]
    envelope = orjson.loads(Envelope.wrap(post, source="t", run_id="r", extracted_at=AT).model_dump_json())
    envelope["extracted_at"] = "2026-11-21T10:02:03+09:00"   # the model moves it to UTC
    envelope["record"]["posted_at"] = "2026-11-20T15:00:00Z"  # and this to KST
    payload = orjson.dumps(envelope)
    model = TYPED["board_post"].__pydantic_validator__.validate_json(payload)
    as_dict = VALIDATORS["board_post"][0].validate_json(payload)
    assert as_dict["extracted_at"] == model.extracted_at == AT  # the same instants...
    assert as_dict["record"]["posted_at"] == model.record.posted_at
    assert as_dict["extracted_at"].utcoffset() == dt.timedelta(hours=9)  # ...in the zones they came in
    assert model.record.posted_at.utcoffset() == dt.timedelta(hours=9)

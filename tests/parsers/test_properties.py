"""Property test: random and mutated bodies (byte flips, truncations, splices of the recorded
responses) fed to every parser. Only ParseError may escape, and every record returned is a
complete, valid contract record. Bounded examples keep it to a few seconds."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from shared.parsers import PARSERS, ParseError, Response, parse
from shared.records import Record
from tests.parsers.cases import case_body

FIXTURES = Path(__file__).parent / "fixtures"


def seeds() -> dict[str, list[tuple[bytes, str, dict]]]:
    """Per parser: (body, url, headers) of its recorded cases, smallest first."""
    found: dict[str, list] = {name: [] for name in PARSERS}
    for folder in sorted(FIXTURES.iterdir()):
        if not (folder / "request.json").exists():
            continue
        request = json.loads((folder / "request.json").read_text(encoding="utf-8"))
        body = case_body(folder)
        found[request["parser"]].append((body, request["url"], request.get("headers", {})))
    return {name: sorted(cases, key=lambda c: len(c[0])) for name, cases in found.items()}


SEEDS = seeds()


@st.composite
def mutated(draw, cases):
    body, url, headers = cases[draw(st.integers(0, len(cases) - 1))]
    how = draw(st.sampled_from(["flip", "truncate", "splice", "random"]))
    data = bytearray(body)
    if how == "flip" and data:
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    elif how == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif how == "splice" and data:
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(max_size=64))
    elif how == "random":
        data = bytearray(draw(st.binary(max_size=512)))
    return Response(body=bytes(data), url=url, headers=headers)


def check(name: str, response: Response) -> None:
    try:
        records = parse(name, response)
    except ParseError as err:
        assert err.parser == name and "\n" not in str(err)
        return
    assert isinstance(records, list)
    for record in records:
        assert isinstance(record, Record)
        # complete and valid: the dump validates again into an equal record
        assert type(record).model_validate(record.model_dump()) == record


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_given_mutated_body_when_parsed_then_only_parse_error_or_valid_records(name):
    cases = SEEDS[name]
    assert cases, f"{name} has no fixture to mutate"
    big = len(cases[0][0]) > 200_000

    @settings(max_examples=8 if big else 40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated(cases))
    def run(response):
        check(name, response)

    run()


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_given_wrong_url_or_garbage_when_parsed_then_parse_error(name):
    with pytest.raises(ParseError):
        parse(name, Response(body=b"\x00\xff garbage <", url="https://example.invalid/"))

"""Web-poet style fixture tests: every folder under fixtures/ holds a recorded response, its
request (parser, url, headers, status) and the expected output written by hand.

expected.json is one of
- a list of records: the output must have exactly these records, in order (only the fields a
  record lists are compared, so very long post bodies may be left out);
- ``{"count": N, "subset": [{"index": i, "record": {...}}]}`` for big captures: the exact count
  plus hand-checked records (first, last, tricky rows);
- ``{"error": "<substring of the reason>", "kind": "ParseError|Blocked|..."}``: a refusal.
A failure names the case, the record index and the field that differs.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared import parsers
from shared.parsers import ParseError, Response, parse

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").exists())


def load_case(case: str) -> tuple[str, Response, object]:
    folder = FIXTURES / case
    request = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    body = next(folder.glob("response.*")).read_bytes()
    response = Response(body=body, url=request["url"], headers=request.get("headers", {}),
                        status=request.get("status", 200))
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return request["parser"], response, expected


def assert_record(case: str, index: int, actual: dict, expected: dict) -> None:
    for field, want in expected.items():
        assert field in actual, f"{case}: record {index} has no field {field!r}"
        got = actual[field]
        if isinstance(want, float) and isinstance(got, (int, float)):
            ok = got == pytest.approx(want, rel=1e-12)
        else:
            ok = got == want
        assert ok, f"{case}: record {index} field {field!r} is {got!r}, expected {want!r}"


@pytest.mark.parametrize("case", CASES)
def test_given_recorded_response_when_parsed_then_output_matches_expected(case):
    parser, response, expected = load_case(case)
    if isinstance(expected, dict) and "error" in expected:
        with pytest.raises(ParseError) as caught:
            parse(parser, response)
        err = caught.value
        assert err.parser == parser, f"{case}: error names {err.parser!r}, not {parser!r}"
        assert expected["error"] in err.reason, f"{case}: reason {err.reason!r} lacks {expected['error']!r}"
        kind = getattr(parsers, expected.get("kind", "ParseError"))
        assert isinstance(err, kind), f"{case}: {type(err).__name__} is not a {kind.__name__}"
        assert "\n" not in str(err)
        return
    records = [r.model_dump(mode="json") for r in parse(parser, response)]
    if isinstance(expected, list):
        assert len(records) == len(expected), f"{case}: {len(records)} records, expected {len(expected)}"
        for index, (actual, want) in enumerate(zip(records, expected)):
            assert_record(case, index, actual, want)
    else:
        assert len(records) == expected["count"], f"{case}: {len(records)} records, expected {expected['count']}"
        for item in expected["subset"]:
            index = item["index"]
            assert_record(case, index, records[index], item["record"])


def test_every_real_sample_has_a_case_or_is_listed_as_unconsumed():
    samples = Path("/work/shared/real-samples")
    if not samples.exists():
        pytest.skip("real-samples folder not on this machine")
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    bodies = {p.read_bytes() for p in FIXTURES.glob("*/response.*")}
    for sample in samples.rglob("*"):
        if sample.is_file() and sample.name != "PROVENANCE.md":
            raw = sample.read_bytes()
            variants = {raw}
            try:
                variants.add(raw.decode("utf-8").encode("euc-kr"))
            except (UnicodeError, ValueError):
                pass
            assert variants & bodies or sample.name in readme, f"{sample.name} has no fixture case"

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

import hashlib
import json
from collections import defaultdict

import pytest

from shared import parsers
from shared.parsers import ParseError, Response, parse
from tests.parsers.cases import FIXTURES, RECORDINGS, REPO, case_body, case_body_path
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").exists())


def load_case(case: str) -> tuple[str, Response, object]:
    folder = FIXTURES / case
    request = json.loads((folder / "request.json").read_text(encoding="utf-8"))
    body = case_body(folder)
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


def test_given_the_real_captures_the_replay_site_ships_then_each_has_a_case_or_is_listed_as_unconsumed():
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    read = {case_body_path(FIXTURES / case).resolve() for case in CASES}
    for capture in sorted(RECORDINGS.iterdir()):
        assert capture.resolve() in read or capture.name in readme, f"{capture.name} has no fixture case"


def test_given_the_fixture_and_recording_bodies_then_no_bytes_are_kept_twice():
    """A capture lives once: a case reusing the replay site's body names it with ``"body"``."""
    homes: dict[str, list[str]] = defaultdict(list)
    for path in [*FIXTURES.glob("*/response.*"), *RECORDINGS.iterdir()]:
        data = path.read_bytes()
        if len(data) >= 64:  # a two-byte "[]" written by hand in two cases is no copy of a capture
            homes[hashlib.sha256(data).hexdigest()].append(str(path.relative_to(REPO)))
    twice = [paths for paths in homes.values() if len(paths) > 1]
    assert not twice, f"the same bytes in several files (keep one, point request.json's \"body\" at it): {twice}"


def test_given_a_case_that_points_at_a_shared_body_then_the_path_stays_inside_the_repository():
    for case in CASES:
        path = case_body_path(FIXTURES / case).resolve()
        assert path.is_relative_to(REPO) and path.is_file(), f"{case}: body {path} is not a file of this repository"

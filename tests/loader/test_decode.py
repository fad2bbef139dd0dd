"""The decoders' pure part: from message bytes to COPY text per stream, or the reason a message is refused."""
from __future__ import annotations

import datetime as dt

import orjson

from services.loader.decode import decode_batch
from shared.records import StockListing
from tests.loader.streams import daily_price, envelope_bytes


def test_given_a_mixed_batch_when_decoded_then_valid_rows_become_copy_text_per_stream_and_the_rest_reasons():
    listing = StockListing(code="005930", name="삼성전자\tA\nB\\C", market="KOSPI")
    messages = [
        ("daily_price", *envelope_bytes(daily_price(0))),
        ("stock_listing", *envelope_bytes(listing)),
        ("daily_price", b"k", b"{not json"),
        ("daily_price", None, envelope_bytes(daily_price(1))[1]),
    ]
    streams = [m[0] for m in messages]
    decoded = decode_batch(streams, [m[1] for m in messages], [m[2] for m in messages])

    assert decoded.rows == {"daily_price": [0, 3], "stock_listing": [1]}
    assert [index for index, _ in decoded.refused] == [2]
    assert decoded.refused[0][1].startswith("not JSON")
    prices = decoded.texts["daily_price"].decode().split("\n")
    assert prices[-1] == "" and len(prices) == 3
    assert prices[0].split("\t")[:8] == ["000000", "2020-01-01", "1000.0", "1050.0", "950.0", "1010.0", "0", "f"]
    # tabs, newlines and backslashes inside a value are escaped: one line per row, one field per column
    [row] = decoded.texts["stock_listing"].decode().splitlines()
    assert row.split("\t")[:3] == ["005930", "삼성전자\\tA\\nB\\\\C", "KOSPI"]


def test_given_a_record_with_a_message_key_other_than_its_natural_key_when_decoded_then_it_is_refused():
    _key, value = envelope_bytes(daily_price(0))
    decoded = decode_batch(["daily_price"], [b"000001|2020-01-01"], [value])
    assert decoded.rows == {} and "does not match the record's natural key" in decoded.refused[0][1]
    assert orjson.loads(value)["key"] == "000000|2020-01-01"


def test_given_a_container_cpu_quota_when_counting_cores_then_the_quota_caps_them(tmp_path):
    from services.loader.consumer import usable_cores

    machine = usable_cores(tmp_path)  # no cgroup files: the affinity alone
    (tmp_path / "cpu.max").write_text("50000 100000\n")  # half a core (a 512-unit Fargate task)
    assert usable_cores(tmp_path) == 1
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert usable_cores(tmp_path) == min(machine, 2)
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert usable_cores(tmp_path) == machine
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")  # cgroup v1: one core
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert usable_cores(tmp_path) == 1


def test_given_timestamps_in_any_zone_when_written_as_copy_text_then_each_reads_as_isoformat_writes_it():
    from zoneinfo import ZoneInfo

    from pydantic import AwareDatetime, TypeAdapter

    from services.loader.writer import copy_text

    parsed = TypeAdapter(list[AwareDatetime]).validate_json(
        b'["2026-11-21T00:00:00Z", "2026-11-21T09:00:00.000123+09:00", "2026-11-21T00:00:00-0330"]')
    fixed = [dt.datetime(2026, 1, 1, 0, 0, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))]
    odd = [dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30, seconds=15)))]
    lmt = [dt.datetime(1900, 1, 1, tzinfo=ZoneInfo("Asia/Seoul"))]  # +08:27:52, not a whole minute
    for column in (parsed, parsed + [None], fixed, odd, lmt, fixed + lmt):
        lines = copy_text([(value,) for value in column]).splitlines()
        assert lines == [r"\N" if v is None else v.isoformat() for v in column]
    assert copy_text([(odd[0],)]).startswith("2026-01-01T00:00:00+05:30:15")  # not rounded to the minute


def test_given_records_of_every_stream_when_their_natural_key_is_read_from_the_validated_values_then_it_is_record_key():
    from services.loader.decode import _READERS
    from services.loader.validators import VALIDATORS
    from shared.records import Envelope
    from tests.loader.test_envelopes import SAMPLES

    for stream, records in SAMPLES.items():
        validator, dicts = VALIDATORS[stream]
        for record in records:
            envelope = validator.validate_json(Envelope.wrap(record, source="t", run_id="r").model_dump_json())
            values = envelope["record"] if dicts else envelope.record
            assert _READERS[stream].key(values) == record.key(), stream


def test_given_a_message_that_breaks_the_checking_itself_when_its_batch_is_decoded_then_only_it_is_refused(monkeypatch):
    # No known message breaks the checks; this stands in for the one nobody foresaw (the formatting
    # fails on it), to show the batch is then checked one message at a time and the rest goes on.
    from services.loader import decode

    real = decode.copy_text

    def fragile(rows):
        if any(row[0] == "000001" for row in rows):
            raise RuntimeError("unforeseen")
        return real(rows)

    monkeypatch.setattr(decode, "copy_text", fragile)
    messages = [envelope_bytes(daily_price(i)) for i in range(3)]
    decoded = decode_batch("daily_price", [k for k, _ in messages], [v for _, v in messages])
    assert decoded.refused == [(1, "the loader could not check the message: RuntimeError: unforeseen")]
    assert list(decoded.rows["daily_price"]) == [0, 2]
    assert decoded.texts["daily_price"] == real([r for r in (decode.check("daily_price", k.decode(), v)
                                                              for k, v in (messages[0], messages[2]))]).encode()

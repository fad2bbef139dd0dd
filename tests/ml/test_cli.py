"""insertcoin score / report arguments and the database URL they pick."""
from __future__ import annotations

import argparse

import pytest

from ml import cli, report
from shared.errors import UserError
from shared.settings import get_settings


def _parse(module, argv):
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return parser.parse_args(argv)


def test_given_from_without_to_when_scoring_then_it_stops_with_a_message():
    with pytest.raises(UserError, match="--from needs --to"):
        cli.run(_parse(cli, ["--from", "2025-01-01", "--url", "postgresql://nowhere/x"]))


def test_given_date_and_latest_together_when_parsing_then_argparse_refuses():
    with pytest.raises(SystemExit):
        _parse(cli, ["--date", "2025-01-02", "--latest"])


def test_given_to_before_from_when_reporting_then_it_stops_with_a_message(tmp_path):
    args = _parse(report, ["--from", "2025-02-01", "--to", "2025-01-01", "--out", str(tmp_path)])
    with pytest.raises(UserError, match="is before"):
        report.run(args)


@pytest.mark.parametrize("env, explicit, want", [
    ({"DATABASE_URL": "postgresql://loader@h/db", "ML_DATABASE_URL": "postgresql://ml@h/db"}, None,
     "postgresql://ml@h/db"),
    ({"DATABASE_URL": "postgresql://loader@h/db"}, None, "postgresql://loader@h/db"),
    ({"ML_DATABASE_URL": "postgresql://ml@h/db"}, "postgresql://given@h/db", "postgresql://given@h/db"),
])
def test_given_environments_when_choosing_the_database_then_ml_url_wins_over_database_url(
        monkeypatch, tmp_path, env, explicit, want):
    monkeypatch.chdir(tmp_path)                       # no .env file
    monkeypatch.delenv("ML_DATABASE_URL", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        assert cli.database_url(explicit) == want
    finally:
        get_settings.cache_clear()


def test_given_a_scoring_run_when_it_logs_then_every_line_carries_a_fresh_run_id(monkeypatch, caplog):
    import logging
    import re

    import orjson

    from shared import logs

    monkeypatch.setitem(logs._CONTEXT, "run_id", "-")
    monkeypatch.setattr(cli, "score_range", lambda url, start, end, config: {"rows": {}, "seconds": {"total": 0}})
    monkeypatch.setattr(cli, "wait_for_postgres", lambda url, wait: None)
    monkeypatch.setattr(cli, "scorable_range", lambda url, start, end: (start, end))
    caplog.set_level(logging.DEBUG, logger="ml.cli")
    assert cli.run(_parse(cli, ["--date", "2025-01-02", "--url", "postgresql://nowhere/x"])) == 0
    line = orjson.loads(logs.JsonFormatter().format(caplog.records[-1]))
    assert line["msg"] == "scored"
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}", line["run_id"])


def test_given_a_scoring_run_when_it_finishes_then_its_result_is_printed_once_and_readable(monkeypatch, caplog,
                                                                                          capsys):
    import logging

    result = {"rows": {"if_top_mover": 30, "m_media_influence": 12}, "seconds": {"total": 1.5}}
    monkeypatch.setattr(cli, "score_range", lambda url, start, end, config: result)
    monkeypatch.setattr(cli, "wait_for_postgres", lambda url, wait: None)
    monkeypatch.setattr(cli, "scorable_range", lambda url, start, end: (start, end))
    caplog.set_level(logging.INFO)
    assert cli.run(_parse(cli, ["--date", "2026-09-22", "--url", "postgresql://nowhere/x"])) == 0
    assert capsys.readouterr().out == ("scored on 2026-09-22 (Tuesday) in 1.5 s: if_top_mover 30, "
                                       "m_media_influence 12\n")
    assert not [r for r in caplog.records if r.levelno >= logging.INFO and "rows" in vars(r)]

"""Against the real stack: a run that has nothing to do says why, a missing topic prefix is named,
and ``stack status`` prints no client warnings."""
from __future__ import annotations

import uuid

import pytest

from tests.cli.test_cli_errors import run_cli

pytestmark = pytest.mark.integration


def test_given_a_saturday_when_scored_then_it_says_there_is_no_session_and_exits_0(database, stack_env):
    ran = run_cli("score", "--date", "2026-06-27", "--url", database["ml"], env=dict(stack_env))
    assert ran.code == 0 and ran.lines == [], ran.stderr[-1500:]
    assert ran.stdout == "no KRX session on 2026-06-27 (Saturday): nothing to score\n"


def test_given_a_week_without_prices_when_scored_then_one_line_says_what_to_crawl_and_load(database, stack_env):
    ran = run_cli("score", "--from", "2026-09-21", "--to", "2026-09-27", "--url", database["ml"], env=dict(stack_env))
    assert ran.code == 1 and "Traceback" not in ran.stderr, ran.stderr[-1500:]
    # Chuseok: 24-26 September 2026 are KRX holidays.
    assert ran.lines == ["insertcoin score: no daily prices loaded from 2026-09-21 to 2026-09-27 (3 KRX session(s)): "
                         "crawl them (`insertcoin crawl stockreport --from 2026-09-21 --to 2026-09-23`) and load "
                         "them (`insertcoin load --until-idle`) first"]


def test_given_a_prefix_without_topics_when_crawling_then_the_missing_bookmark_topic_is_named(stack_env):
    prefix = f"missing{uuid.uuid4().hex[:6]}."
    ran = run_cli("crawl", "fx", env={**stack_env, "KAFKA_TOPIC_PREFIX": prefix, "KOREAEXIM_AUTHKEY": "k"})
    assert ran.code == 2, ran.stderr[-1500:]
    assert ran.lines == [f"insertcoin crawl: the bookmark topic {prefix}bookmarks does not exist (KAFKA_TOPIC_PREFIX="
                         f"'{prefix}'): run `insertcoin topics` to create the fleet's topics, or fix the prefix"]


def test_given_the_stack_up_when_its_status_is_shown_then_no_client_warning_is_printed(stack_env):
    ran = run_cli("stack", "status", env=dict(stack_env))
    assert ran.code == 0 and ran.stderr == "", ran.stderr[-1500:]
    assert ran.stdout.startswith("postgres  up")

"""`docker compose up`, for real (issue 14): the images built on this machine (stand-in base images
when no image registry is reachable, docs/DEPLOY.md), the one-command demo run as the README says
(`bash infra/compose-demo.sh`) on a network that reaches nothing beyond this machine, and then:
every service healthy, every one-shot exited 0, every table holding the simulated world's totals,
scores written, the archive filled, the browser fallback working in its image, a Kafka recreate
keeping topics and bookmarks, and the plain profile starting every crawler."""
from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from services.loader.tables import SPECS
from tests.compose.conftest import ROOT, WORLD

pytestmark = [pytest.mark.integration, pytest.mark.compose]

CRAWLERS = ["stockcode", "stockreport", "stockdebate", "financialreport", "news", "fear-greed", "fx", "disclosure"]
LONG_RUNNING = ["kafka", "postgres", "replay", "loader", "ml-worker", *CRAWLERS]
HEALTHCHECKED = ["kafka", "postgres", "replay"]
ONE_SHOTS = ["migrate", "topics", "replay-world", "demo"]
#: Streams the replay world writes a truth for (services/replay/truth.py), each with its table.
TRUTH_STREAMS = ["stock_listing", "sector", "stock_sector", "stock_valuation", "daily_price", "board_post",
                 "news_rank", "financial_statement", "fear_greed", "fx_rate", "disclosure"]


@pytest.fixture(scope="module")
def demo(project):
    """The README's one command, timed; the project after it."""
    started = time.monotonic()
    result = subprocess.run(["bash", "infra/compose-demo.sh"], cwd=ROOT, env=project.env, capture_output=True,
                            text=True, timeout=1500)
    project.timings["compose_demo_s"] = time.monotonic() - started
    project.demo_output = result.stdout + result.stderr
    assert result.returncode == 0, project.demo_output[-4000:]
    return project


def test_given_the_demo_when_it_ends_then_services_are_healthy_and_one_shots_exited_0(demo):
    state = demo.containers()
    for service in LONG_RUNNING:
        assert state[service]["State"] == "running", (service, state[service]["State"], state[service]["Status"])
    for service in HEALTHCHECKED:
        assert state[service]["Health"] == "healthy", (service, state[service]["Health"])
    for service in ONE_SHOTS:
        assert (state[service]["State"], state[service]["ExitCode"]) == ("exited", 0), (service, state[service])


def test_given_the_demo_when_loaded_then_every_table_holds_the_worlds_totals(demo):
    counts = demo.compose("exec", "-T", "replay", "sh", "-c", "cd /world/truth && wc -l *.jsonl").stdout
    truth = {m.group(2): int(m.group(1)) for m in re.finditer(r"^\s*(\d+) (\w+)\.jsonl$", counts, re.M)}
    assert set(TRUTH_STREAMS) <= set(truth), truth
    sql = " UNION ALL ".join(f"SELECT '{s}', count(*) FROM {SPECS[s].table}" for s in TRUTH_STREAMS)
    tables = {stream: int(n) for stream, n in demo.psql(sql)}
    assert all(truth[s] > 0 for s in TRUTH_STREAMS), truth
    assert tables == {s: truth[s] for s in TRUTH_STREAMS}
    assert demo.psql("SELECT count(*) FROM if_dead_letter") == [["0"]]
    failed = demo.psql("SELECT service, status FROM if_crawl_run WHERE status <> 'succeeded'")
    assert not failed, failed


def test_given_the_demo_when_scored_then_top_movers_and_influence_are_written(demo):
    [[movers, influence, first, last]] = demo.psql(
        "SELECT (SELECT count(*) FROM if_top_mover), (SELECT count(*) FROM if_media_influence_daily), "
        "(SELECT min(trade_date) FROM if_media_influence_daily), (SELECT max(trade_date) FROM if_media_influence_daily)")
    assert int(movers) > 0 and int(influence) > 0
    assert WORLD["DEMO_FROM"] < first <= last <= WORLD["DEMO_TO"]
    assert "the demo service exited 0" in demo.demo_output


def test_given_the_demo_when_crawled_then_the_archive_volume_has_files_and_no_write_failed(demo):
    files = demo.compose("exec", "-T", "news", "find", "/app/var/archive", "-type", "f").stdout.split()
    assert len(files) > 10, files
    logs = demo.compose("logs", "--no-log-prefix", "demo").stdout
    assert "Permission denied" not in logs and "Read-only file system" not in logs
    # the app user's home takes Scrapy's and matplotlib's state
    home = demo.compose("exec", "-T", "news", "python", "-c",
                        "import os, pathlib, matplotlib; pathlib.Path.home().joinpath('probe').touch(); "
                        "print(matplotlib.get_configdir())").stdout.strip()
    assert home.startswith("/home/insertcoin/"), home


def test_given_cnn_refusing_bots_when_fear_greed_runs_in_its_image_then_the_browser_fallback_gives_the_day(demo):
    result = demo.compose("run", "--rm", "--no-deps", "-e", "CRAWL_USER_AGENT=insertcoin-bot/1.0", "fear-greed",
                          "crawl", "fear-greed", "--from", WORLD["DEMO_TO"], "--to", WORLD["DEMO_TO"],
                          check=False, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    finished = [event for event in map(_json, result.stderr.splitlines())
                if event.get("msg") == "crawl finished"]
    assert finished, result.stderr[-3000:]
    # the bot's request answered 418, then the page rendered in Chromium: one day's record
    assert (finished[-1]["status"], finished[-1]["requests"], finished[-1]["records"]) == ("succeeded", 2, 1), \
        finished[-1]


def _json(line: str) -> dict:
    try:
        return json.loads(line) if line.startswith("{") else {}
    except ValueError:
        return {}


def _topics_and_bookmarks(project) -> tuple[list[str], list[str]]:
    kafka = ["exec", "-T", "kafka"]
    topics = project.compose(*kafka, "/opt/kafka/bin/kafka-topics.sh", "--bootstrap-server", "localhost:9092",
                             "--list").stdout.split()
    offsets = project.compose(*kafka, "/opt/kafka/bin/kafka-get-offsets.sh", "--bootstrap-server",
                              "localhost:9092", "--topic", "insertcoin.bookmarks").stdout.split()
    return sorted(topics), sorted(offsets)


def test_given_a_crawled_fleet_when_kafka_is_recreated_then_topics_and_bookmarks_survive(demo):
    topics, bookmarks = _topics_and_bookmarks(demo)
    assert "insertcoin.bookmarks" in topics and "insertcoin.daily_price" in topics, topics
    assert sum(int(line.rsplit(":", 1)[1]) for line in bookmarks) > 0, bookmarks
    before = demo.containers()["kafka"]["ID"]
    demo.compose("up", "-d", "--force-recreate", "--no-deps", "kafka", timeout=300)
    state = demo.wait_for(lambda s: s["kafka"].get("Health") == "healthy", "kafka healthy again", 180)
    assert state["kafka"]["ID"] != before, "the container was not recreated"
    assert _topics_and_bookmarks(demo) == (topics, bookmarks)


def test_given_the_plain_profile_when_up_then_every_crawler_runs_on_an_internal_network(demo):
    demo.compose("down", "--timeout", "5", timeout=300)  # the demo's containers; volumes stay
    started = time.monotonic()
    demo.compose("up", "-d", demo=False, timeout=600)
    state = demo.wait_for(lambda s: all(s.get(n, {}).get("State") == "running" for n in LONG_RUNNING if n != "replay")
                          and all(s[n].get("Health") == "healthy" for n in ("kafka", "postgres")),
                          "the plain profile up", 300, demo=False)
    demo.timings["plain_up_to_healthy_s"] = time.monotonic() - started
    assert "replay" not in state and "demo" not in state, sorted(state)
    network = json.loads(subprocess.run(["docker", "network", "inspect", f"{demo.name}_default"],
                                        capture_output=True, text=True, check=True).stdout)[0]
    assert network["Internal"] is True
    attached = {c["Name"] for c in network["Containers"].values()}
    for crawler in CRAWLERS:
        assert any(name.startswith(f"{demo.name}-{crawler}-") for name in attached), crawler
    # Nothing leaves the machine: a crawler cannot open a connection to an outside address.
    probe = demo.compose("exec", "-T", "stockcode", "python", "-c",
                         "import socket; socket.create_connection(('192.0.2.1', 443), timeout=5)",
                         demo=False, check=False)
    assert probe.returncode != 0 and ("unreachable" in probe.stderr or "timed out" in probe.stderr), probe.stderr
    print("compose timings:", json.dumps({k: round(v, 1) for k, v in demo.timings.items()}),
          *[line for line in demo.demo_output.splitlines() if line.startswith("compose-demo: ")], sep="\n")

"""docker-compose.yml, checked statically (tests/compose/ runs it for real): it validates against the
compose specification, every container runs a real `insertcoin` subcommand with arguments that
parse, every variable the code reads is declared in compose and in .env.example, each image is
built by one service, and the env files work in compose and in a shell alike."""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shared.cli import COMMANDS, load_command
from shared.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
CRAWLERS = ["stockcode", "stockreport", "stockdebate", "financialreport", "news", "fear-greed", "fx", "disclosure"]
OURS = {name: svc for name, svc in SERVICES.items() if svc.get("image", "").startswith("insertcoin")
        and svc.get("command")}
SOURCE_URLS = [name.upper() for name in Settings.model_fields if name.endswith("_url")
               and name not in ("database_url", "database_admin_url", "ml_database_url",
                                "analyst_database_url", "telegram_api_url", "watchlist_webhook_url")]


def _interpolate(value: str) -> str:
    """Compose's ${VAR:-default} / ${VAR:?err} / ${VAR}, with the defaults (or 'x')."""
    return re.sub(r"\$\{([A-Z_0-9]+)(?::?-([^}]*)|:?\?[^}]*)?\}",
                  lambda m: m.group(2) if m.group(2) is not None else "x", value)


def _parse_subcommand(argv: list[str]) -> argparse.Namespace:
    name, rest = argv[0], argv[1:]
    assert name in COMMANDS, f"{name!r} is not an insertcoin subcommand"
    parser = argparse.ArgumentParser(prog=f"insertcoin {name}", exit_on_error=False)
    load_command(name).add_arguments(parser)
    return parser.parse_args(rest)


def test_given_the_compose_file_when_validated_then_it_follows_the_compose_specification():
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                             "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_given_the_fleet_when_composed_then_every_service_of_the_design_is_there():
    expected = {"kafka", "postgres", "loader", "ml-worker", "replay", "metabase", "api", "watchlist", *CRAWLERS}
    assert expected <= set(SERVICES)
    assert SERVICES["replay"]["profiles"] == ["demo"] and SERVICES["metabase"]["profiles"] == ["bi"]
    assert _interpolate(SERVICES["kafka"]["image"]).startswith("apache/kafka:")
    assert _interpolate(SERVICES["postgres"]["image"]).startswith("postgres:16")
    assert SERVICES["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for name in ("kafka", "postgres", "replay", "metabase", "api"):
        assert "healthcheck" in SERVICES[name], name


@pytest.mark.parametrize("name", sorted(OURS))
def test_given_a_container_when_its_command_is_parsed_then_it_is_a_real_insertcoin_subcommand(name):
    command = [_interpolate(str(part)) for part in OURS[name]["command"]]
    args = _parse_subcommand(command)
    if command[0] == "schedule":
        from shared.schedule import next_run  # the cron must be valid, the inner command real
        import datetime as dt

        next_run(args.cron, args.tz, dt.datetime.now(dt.timezone.utc))
        inner = [c for c in args.command if c != "--"]
        _parse_subcommand(inner)
        if name in CRAWLERS:
            assert inner[:2] == ["crawl", name], "each crawler container runs the one-shot crawl"


@pytest.mark.parametrize("name", CRAWLERS)
def test_given_a_crawler_when_composed_then_it_has_every_source_url_kafka_and_no_database(name):
    env = SERVICES[name]["environment"]
    assert set(SOURCE_URLS) <= set(env), set(SOURCE_URLS) - set(env)
    assert "KAFKA_BOOTSTRAP_SERVERS" in env
    assert not any(key.startswith("DATABASE") for key in env), "crawlers get no database credentials"
    depends = SERVICES[name]["depends_on"]
    assert depends["kafka"]["condition"] == "service_healthy"


def test_given_services_that_write_when_composed_then_they_wait_for_healthy_dependencies():
    for name in ("loader", "ml-worker", "migrate"):
        conditions = {dep: spec["condition"] for dep, spec in SERVICES[name]["depends_on"].items()}
        assert "service_healthy" in conditions.values() or "service_completed_successfully" in conditions.values()
    assert SERVICES["loader"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def _env_example(name: str = ".env.example") -> set[str]:
    return {line.split("=", 1)[0] for line in (ROOT / name).read_text().splitlines()
            if line and not line.startswith("#") and "=" in line}


def _variables_read_by_code() -> set[str]:
    """Settings fields plus every os.environ / getenv name in the code."""
    from shared.crawling.config import CrawlEnv

    names = {field.upper() for field in Settings.model_fields}
    names |= {f"CRAWL_{field.upper()}" for field in CrawlEnv.model_fields}
    pattern = re.compile(r"""(?:os\.environ\.get|os\.getenv|os\.environ\[)\(?\s*["']([A-Z][A-Z_0-9]+)["']""")
    for folder in ("shared", "services", "ml"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def test_given_every_variable_the_code_reads_when_documented_then_env_example_declares_it():
    missing = _variables_read_by_code() - _env_example()
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_given_every_variable_compose_passes_when_documented_then_env_example_declares_it():
    used = set()
    for svc in SERVICES.values():
        used |= set(re.findall(r"\$\{([A-Z_0-9]+)", yaml.safe_dump(svc)))
    missing = used - _env_example() - _env_example(".env.demo")
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_given_the_repo_when_scanned_then_no_file_holds_a_secret():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    secret = re.compile(r"(AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|"
                        r"(?i:password|authkey|secret)[ \t]*[=:][ \t]*['\"]?[A-Za-z0-9/+_\-]{16,})")
    offenders = []
    for name in tracked:
        path = ROOT / name
        if path.suffix in {".py", ".yml", ".yaml", ".toml", ".md", ".env", ".example", ".json", ".sh", ""} \
                and path.is_file() and path.stat().st_size < 2_000_000:
            text = path.read_text(encoding="utf-8", errors="ignore")
            offenders += [f"{name}: {m.group(0)[:40]}" for m in secret.finditer(text)
                          if not re.search(r"(?i)test|example|change_me|not-secret|dummy", m.group(0))]
    assert not offenders, offenders


def test_given_the_app_images_when_composed_then_each_is_built_by_one_service_and_never_pulled():
    builders: dict[str, list[str]] = {}
    for name, svc in SERVICES.items():
        if "build" in svc:
            builders.setdefault(svc["image"], []).append(name)
    assert builders and all(len(names) == 1 for names in builders.values()), builders
    for name, svc in SERVICES.items():
        if svc.get("image", "").startswith("insertcoin") and "build" not in svc:
            assert svc["image"] in builders and svc.get("pull_policy") == "never", name
    assert _interpolate(SERVICES["migrate"]["build"]["args"]["PYTHON_IMAGE"]) == "python:3.11-slim-bookworm"


def test_given_kafka_when_composed_then_its_log_dirs_are_on_the_volume():
    kafka = SERVICES["kafka"]
    mounts = {v.split(":")[1] for v in kafka["volumes"]}
    assert kafka["environment"]["KAFKA_LOG_DIRS"] in mounts


@pytest.mark.parametrize("name", CRAWLERS + ["demo"])
def test_given_a_crawler_when_composed_then_every_crawl_setting_is_passed_through(name):
    from shared.crawling.config import CrawlEnv

    expected = {f"CRAWL_{field.upper()}" for field in CrawlEnv.model_fields}
    assert expected <= set(SERVICES[name]["environment"]), expected - set(SERVICES[name]["environment"])
    assert "archive:/app/var/archive" in SERVICES[name]["volumes"]


def _shell_values(*files: str) -> dict[str, str]:
    """What `set -a; . file` gives a shell, variable by variable."""
    script = "set -a; " + "; ".join(f". ./{f}" for f in files) + "; env -0"
    out = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, check=True, env={}).stdout
    return dict(entry.split("=", 1) for entry in out.decode().split("\0") if "=" in entry)


def _compose_values(name: str) -> dict[str, str]:
    """The file as compose's dotenv reads it (KEY=VALUE, optional double quotes)."""
    values = {}
    for line in (ROOT / name).read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value
    return values


@pytest.mark.parametrize("name", [".env.example", ".env.demo"])
def test_given_an_env_file_when_sourced_by_a_shell_then_it_gives_what_compose_reads(name):
    shell = _shell_values(name)
    for key, value in _compose_values(name).items():
        expected = value.replace("~", str(Path.home()), 1) if value.startswith("~") else value
        assert shell.get(key) == expected, (key, shell.get(key), value)


def test_given_the_readme_when_it_shows_the_demo_then_env_demo_is_layered_over_env_and_fx_needs_its_key():
    readme = (ROOT / "README.md").read_text()
    commands = [line for line in readme.splitlines() if "docker compose" in line and ".env.demo" in line]
    assert commands and all("--env-file .env --env-file .env.demo" in line for line in commands), commands
    compose_section = readme.split("## Compose", 1)[1].split("\n## ", 1)[0]
    assert "KOREAEXIM_AUTHKEY" in compose_section and "fx" in compose_section
    assert "bash infra/compose-demo.sh" in compose_section and (ROOT / "infra" / "compose-demo.sh").exists()

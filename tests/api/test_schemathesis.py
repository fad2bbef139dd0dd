"""schemathesis generates requests from the served OpenAPI schema (valid and invalid parameters,
encodings, cursors) against the real server and scored database: none may answer 5xx."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from tests.api.conftest import API_KEY

pytestmark = pytest.mark.integration
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def _schemathesis(api, tmp_path, *extra: str, config: str | None = None) -> subprocess.CompletedProcess:
    cmd = [str(SCHEMATHESIS)]
    if config is not None:
        (tmp_path / "schemathesis.toml").write_text(config)
        cmd += ["--config-file", str(tmp_path / "schemathesis.toml")]
    cmd += ["run", f"{api}/openapi.json", "--checks", "not_a_server_error", "-H", f"X-API-Key: {API_KEY}",
            "--max-examples", "40", "--seed", "17", "--workers", "2", "--no-color", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)


def test_given_generated_requests_for_every_operation_when_sent_then_no_server_error(api, tmp_path):
    result = _schemathesis(api, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Tested: 6" in result.stdout                              # every operation was exercised


def test_given_an_existing_stock_when_fuzzing_its_timeline_then_no_server_error(api, scored, tmp_path):
    with psycopg2.connect(scored[0]["admin"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT t.code FROM if_top_mover t JOIN m_stock USING (code) "
                    "ORDER BY t.trade_date DESC, t.rank LIMIT 1")
        code = cur.fetchone()[0]
    result = _schemathesis(api, tmp_path, "--include-path-regex", "timeline",
                           config=f'[parameters]\n"path.code" = "{code}"\n')
    assert result.returncode == 0, result.stdout[-4000:]
    assert "generated" in result.stdout and " 0 generated" not in result.stdout

"""`insertcoin migrate` on the real PostgreSQL: idempotent, sets role passwords from the
environment, creates Metabase's role and database when asked."""
import subprocess
import sys
import uuid

import psycopg2
import pytest

from tests.conftest import _with_db

pytestmark = pytest.mark.integration


def test_given_passwords_in_the_environment_when_migrating_twice_then_roles_log_in_with_them(database, stack_env):
    password = uuid.uuid4().hex
    env = {"DATABASE_ADMIN_URL": database["admin"], "ANALYST_DB_PASSWORD": password, "PATH": "/usr/bin:/bin"}
    for _ in range(2):  # a second run changes nothing and still succeeds
        result = subprocess.run([sys.executable, "-m", "shared.cli", "migrate"], env=env,
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "insertcoin_analyst" in result.stdout
    url = database["analyst"].replace(database["analyst"].split("//")[1].split("@")[0],
                                      f"insertcoin_analyst:{password}")
    try:
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM m_medium")
            assert cur.fetchone()[0] == 6  # board, news, financial, fear_greed, fx, disclosure
    finally:  # give the shared stack its own password back
        from shared.stack import _secrets
        from shared.settings import get_settings
        with psycopg2.connect(database["admin"]) as conn, conn.cursor() as cur:
            cur.execute("ALTER ROLE insertcoin_analyst PASSWORD %s",
                        (_secrets(get_settings())["INSERTCOIN_ANALYST_PASSWORD"],))


def test_given_a_metabase_password_when_migrating_then_metabase_gets_its_own_database(database):
    password = uuid.uuid4().hex
    env = {"DATABASE_ADMIN_URL": database["admin"], "METABASE_DB_PASSWORD": password, "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "shared.cli", "migrate"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    host = database["admin"].split("@")[1].split("/")[0]
    with psycopg2.connect(f"postgresql://metabase:{password}@{host}/metabase") as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS probe (id int)")  # it owns its database

"""The local stack: a real PostgreSQL and a real Apache Kafka (KRaft), started from this machine's
binaries and Maven Central, for machines without Docker or internet.

``insertcoin stack up | down | status | env``. State lives in ``STACK_DIR`` (default ``.stack/``):
the database cluster, the broker's log dirs, pid files, logs, and generated passwords
(``secrets.env``, mode 600, never committed). Kafka jars are cached under ``CACHE_DIR``.
"""
from __future__ import annotations

import argparse
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from shared.settings import ROOT, Settings, get_settings

KAFKA_VERSION = "3.9.1"
POM = ROOT / "infra" / "kafka" / "pom.xml"
ROLES = ("insertcoin_loader", "insertcoin_analyst", "insertcoin_ml")
ADMIN = "insertcoin_admin"
DB_NAME = "insertcoin"


class StackError(RuntimeError):
    """The stack could not be brought up; the message says what to do."""


# --------------------------------------------------------------------------- prerequisites
def _pg_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def ensure_prerequisites() -> Path:
    """Java, Maven and PostgreSQL >= 15 binaries; apt-installs them when root, else says what to do."""
    missing = []
    if not shutil.which("java"):
        missing.append(("java", "default-jre-headless"))
    if not shutil.which("mvn"):
        missing.append(("mvn", "maven"))
    bindir = _pg_bindir()
    if bindir is None or int(bindir.parent.name if bindir.parent.name.isdigit() else 15) < 15:
        missing.append(("initdb (PostgreSQL >= 15)", "postgresql"))
    if missing:
        packages = " ".join(pkg for _, pkg in missing)
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise StackError(f"missing {', '.join(n for n, _ in missing)}: install them "
                             f"(Debian/Ubuntu: sudo apt-get install -y {packages})")
        print(f"stack: installing {packages} with apt-get", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages.split()],
                       check=True, env=env)
        bindir = _pg_bindir()
        if bindir is None:
            raise StackError("postgresql was installed but initdb is still not found")
    return bindir


# --------------------------------------------------------------------------- helpers
def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def _pid_alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None


def _secrets(settings: Settings) -> dict[str, str]:
    """Passwords of the local roles, generated once into ``secrets.env`` (mode 600)."""
    path = settings.stack_dir / "secrets.env"
    if path.exists():
        return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)
    values = {f"{role.upper()}_PASSWORD": secrets.token_urlsafe(18) for role in (ADMIN, *ROLES)}
    settings.stack_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(f"{k}={v}\n" for k, v in values.items()))
    return values


def urls(settings: Settings | None = None) -> dict[str, str]:
    """Connection settings of the local stack, one per role, as environment variables."""
    settings = settings or get_settings()
    pw = _secrets(settings)
    port = settings.stack_pg_port

    def url(role: str) -> str:
        return f"postgresql://{role}:{pw[role.upper() + '_PASSWORD']}@127.0.0.1:{port}/{DB_NAME}"

    return {
        "DATABASE_URL": url("insertcoin_loader"),
        "DATABASE_ADMIN_URL": url(ADMIN),
        "ANALYST_DATABASE_URL": url("insertcoin_analyst"),
        "ML_DATABASE_URL": url("insertcoin_ml"),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{settings.stack_kafka_port}",
    }


# --------------------------------------------------------------------------- PostgreSQL
def _as_db_user(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the ``postgres`` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _pg_dir(settings: Settings) -> Path:
    return settings.stack_dir / "pg"


def postgres_up(settings: Settings, bindir: Path) -> None:
    data = _pg_dir(settings) / "data"
    pw = _secrets(settings)
    if os.geteuid() == 0:
        _pg_dir(settings).mkdir(parents=True, exist_ok=True)
        shutil.chown(_pg_dir(settings), "postgres", "postgres")
        # The postgres user must be able to reach the stack dir.
        for parent in [settings.stack_dir, *settings.stack_dir.parents]:
            if parent == Path("/"):
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o001)
    if not (data / "PG_VERSION").exists():
        pwfile = _pg_dir(settings) / ".pwfile"
        pwfile.write_text(pw[f"{ADMIN.upper()}_PASSWORD"] + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        subprocess.run(_as_db_user([str(bindir / "initdb"), "-D", str(data), "-U", ADMIN,
                                    "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8",
                                    "--locale=C.UTF-8"]),
                       check=True, stdout=subprocess.DEVNULL)
        pwfile.unlink()
    running = subprocess.run(_as_db_user([str(bindir / "pg_ctl"), "-D", str(data), "status"]),
                             capture_output=True).returncode == 0
    if not running:
        if _port_open(settings.stack_pg_port):
            raise StackError(f"port {settings.stack_pg_port} is taken by another process: stop it "
                             "or set STACK_PG_PORT")
        _start_postgres(settings, bindir, data)
    _bootstrap_database(settings)


def _start_postgres(settings: Settings, bindir: Path, data: Path) -> None:
    options = (f"-p {settings.stack_pg_port} -c listen_addresses=127.0.0.1 "
               f"-k {_pg_dir(settings)} -c shared_buffers=128MB -c max_connections=60 "
               f"-c wal_level=minimal -c max_wal_senders=0 -c synchronous_commit=on")
    subprocess.run(_as_db_user([str(bindir / "pg_ctl"), "-D", str(data), "-l",
                                str(_pg_dir(settings) / "postgres.log"), "-o", options, "-w",
                                "-t", "60", "start"]), check=True, stdout=subprocess.DEVNULL)


def _bootstrap_database(settings: Settings) -> None:
    """Create the database and the roles' passwords (idempotent), then apply migrations."""
    import psycopg2

    pw = _secrets(settings)
    admin = psycopg2.connect(host="127.0.0.1", port=settings.stack_pg_port, user=ADMIN,
                             password=pw[f"{ADMIN.upper()}_PASSWORD"], dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
        if cur.fetchone() is None:
            cur.execute(f"CREATE DATABASE {DB_NAME}")
        for role in ROLES:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            verb = "ALTER" if cur.fetchone() else "CREATE"
            cur.execute(f"{verb} ROLE {role} LOGIN PASSWORD %s", (pw[f"{role.upper()}_PASSWORD"],))
    admin.close()
    migrate(urls(settings)["DATABASE_ADMIN_URL"])


def migrate(admin_url: str) -> None:
    """Apply every Alembic migration to the database at ``admin_url``."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "db" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "db" / "migrations"))
    config.attributes["url"] = admin_url
    command.upgrade(config, "head")


def postgres_down(settings: Settings, bindir: Path) -> None:
    data = _pg_dir(settings) / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(_as_db_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                                    "stop"]), stdout=subprocess.DEVNULL, check=False)


# --------------------------------------------------------------------------- Kafka
def kafka_libs(settings: Settings) -> Path:
    """The broker's jars, fetched once from Maven Central with ``mvn dependency:copy-dependencies``."""
    libs = settings.cache_dir / f"kafka-{KAFKA_VERSION}" / "libs"
    marker = libs / ".complete"
    if marker.exists():
        return libs
    libs.mkdir(parents=True, exist_ok=True)
    print(f"stack: fetching Apache Kafka {KAFKA_VERSION} jars from Maven Central", file=sys.stderr)
    result = subprocess.run(["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
                             f"-DoutputDirectory={libs}", "-DincludeScope=runtime"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"mvn could not fetch the Kafka jars: {result.stdout[-2000:]}{result.stderr[-2000:]}")
    marker.touch()
    return libs


def _kafka_dir(settings: Settings) -> Path:
    return settings.stack_dir / "kafka"


def _write_kafka_config(settings: Settings) -> Path:
    kdir = _kafka_dir(settings)
    port, controller = settings.stack_kafka_port, settings.stack_kafka_port + 1
    config = kdir / "server.properties"
    config.write_text("\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{controller}",
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        f"log.dirs={kdir / 'data'}",
        "num.partitions=1",
        "auto.create.topics.enable=false",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=6",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "num.network.threads=2",
        "num.io.threads=4",
        "log.retention.hours=168",
        "",
    ]))
    (kdir / "log4j.properties").write_text("\n".join([
        "log4j.rootLogger=WARN, file",
        "log4j.appender.file=org.apache.log4j.FileAppender",
        f"log4j.appender.file.File={kdir / 'server.log'}",
        "log4j.appender.file.layout=org.apache.log4j.PatternLayout",
        "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n",
        "log4j.logger.kafka=INFO",
        "log4j.logger.org.apache.kafka=INFO",
        "",
    ]))
    return config


def _java(libs: Path, settings: Settings, *args: str, heap: str = "512m") -> list[str]:
    kdir = _kafka_dir(settings)
    return ["java", f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true", f"-Dlog4j.configuration=file:{kdir / 'log4j.properties'}",
            "-cp", f"{libs}/*", *args]


def kafka_up(settings: Settings) -> None:
    kdir = _kafka_dir(settings)
    pidfile = kdir / "kafka.pid"
    if _pid_alive(pidfile) and _port_open(settings.stack_kafka_port):
        return
    if _port_open(settings.stack_kafka_port):
        raise StackError(f"port {settings.stack_kafka_port} is taken by another process: stop it "
                         "or set STACK_KAFKA_PORT")
    libs = kafka_libs(settings)
    kdir.mkdir(parents=True, exist_ok=True)
    config = _write_kafka_config(settings)
    if not (kdir / "data" / "meta.properties").exists():
        cid = cluster_id()
        result = subprocess.run(_java(libs, settings, "kafka.tools.StorageTool", "format", "-t", cid,
                                      "-c", str(config), heap="128m"),
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise StackError(f"kafka storage format failed: {result.stdout}{result.stderr}")
    with open(kdir / "kafka.out", "ab") as out:
        proc = subprocess.Popen(_java(libs, settings, "kafka.Kafka", str(config)),
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    pidfile.write_text(str(proc.pid))
    deadline = time.monotonic() + 90
    while not _port_open(settings.stack_kafka_port):
        if proc.poll() is not None:
            raise StackError(f"the Kafka broker exited with {proc.returncode}; see {kdir / 'server.log'}"
                             f" and {kdir / 'kafka.out'}")
        if time.monotonic() > deadline:
            raise StackError(f"the Kafka broker did not open port {settings.stack_kafka_port} in 90 s")
        time.sleep(0.2)


def cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64. Like Kafka's own Uuid.randomUuid, never
    one that starts with '-': the storage tool's argument parser would take it for an option
    (about 1 start in 64 failed with "argument --cluster-id/-t: expected one argument")."""
    import base64
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def kafka_down(settings: Settings) -> None:
    pidfile = _kafka_dir(settings) / "kafka.pid"
    pid = _pid_alive(pidfile)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)


# --------------------------------------------------------------------------- commands
def up(settings: Settings | None = None) -> dict[str, str]:
    """Bring PostgreSQL and Kafka up (idempotent), create the topics, return the connection env."""
    from shared.broker import ensure_topics, wait_for_broker

    settings = settings or get_settings()
    bindir = ensure_prerequisites()
    settings.stack_dir.mkdir(parents=True, exist_ok=True)
    kafka_up(settings)  # the JVM warms up while PostgreSQL starts
    postgres_up(settings, bindir)
    env = urls(settings)
    wait_for_broker(env["KAFKA_BOOTSTRAP_SERVERS"])
    ensure_topics(env["KAFKA_BOOTSTRAP_SERVERS"], settings.kafka_topic_prefix)
    return env


def down(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    kafka_down(settings)
    bindir = _pg_bindir()
    if bindir:
        postgres_down(settings, bindir)


def status(settings: Settings | None = None) -> dict:
    settings = settings or get_settings()
    from shared.broker import list_topics

    state = {
        "postgres": {"port": settings.stack_pg_port, "up": _port_open(settings.stack_pg_port)},
        "kafka": {"port": settings.stack_kafka_port, "up": _port_open(settings.stack_kafka_port),
                  "pid": _pid_alive(_kafka_dir(settings) / "kafka.pid")},
    }
    if state["kafka"]["up"]:
        state["kafka"]["topics"] = list_topics(f"127.0.0.1:{settings.stack_kafka_port}")
    return state


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["up", "down", "status", "env"],
                        help="up: start (installing what is missing), down: stop, status: what runs, "
                             "env: the connection settings as export lines")


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        if args.action == "up":
            started = time.monotonic()
            up(settings)
            print(f"stack up in {time.monotonic() - started:.1f}s: PostgreSQL on 127.0.0.1:"
                  f"{settings.stack_pg_port}, Kafka on 127.0.0.1:{settings.stack_kafka_port}")
            print(f"connection settings: eval \"$(insertcoin stack env)\"")
        elif args.action == "down":
            down(settings)
            print("stack down")
        elif args.action == "env":
            for key, value in urls(settings).items():
                print(f"export {key}='{value}'")
        else:
            state = status(settings)
            for name in ("postgres", "kafka"):
                info = state[name]
                print(f"{name:9} {'up' if info['up'] else 'down':5} port {info['port']}")
            for topic, partitions in sorted(state["kafka"].get("topics", {}).items()):
                print(f"  topic {topic} ({partitions} partitions)")
            return 0 if all(state[n]["up"] for n in ("postgres", "kafka")) else 1
    except StackError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    return 0

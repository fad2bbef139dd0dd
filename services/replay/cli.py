"""``insertcoin replay serve``: serve a simulated world or a recordings folder at the sources' paths."""
from __future__ import annotations

import argparse
import errno
import logging
import os
import socket
import sys
from pathlib import Path

log = logging.getLogger(__name__)
DEFAULT_RECORDINGS = Path(__file__).resolve().parent / "recordings"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    serve = sub.add_parser("serve", help="run the replay HTTP server")
    source = serve.add_mutually_exclusive_group()
    source.add_argument("--world", type=Path, help="world folder written by insertcoin simulate (default: none)")
    source.add_argument("--recordings", type=Path,
                        help=f"recordings folder (index.json + bodies) (default: {DEFAULT_RECORDINGS})")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8950, help="port to listen on (default: %(default)s)")
    serve.add_argument("--legacy", choices=("closed", "archived"), default="closed",
                       help="finance.naver.com pages: as today (410/302) or archived copies (default: %(default)s)")
    serve.add_argument("--fx-daily-limit", type=int, default=1000,
                       help="Eximbank calls per key and day (default: %(default)s)")
    serve.add_argument("--clock", help="world clock, KST (YYYY-MM-DDTHH:MM:SS): which statements and estimate "
                       "revisions are public; default the world's last day 23:59:59; also POST /__replay/clock")
    serve.add_argument("--workers", type=int, default=1,
                       help="processes sharing the port (SO_REUSEPORT among themselves only; the port must be "
                            "free); admin fault changes reach one worker (default: %(default)s: binds the port "
                            "exclusively)")


def build_resource(args: argparse.Namespace):
    """The ReplaySite for the parsed arguments (world or recordings)."""
    from services.replay.recordings import Recordings
    from services.replay.server import ReplaySite, faults_from_env
    faults = faults_from_env()
    if args.world:
        from services.replay.routes import WorldRoutes
        from services.replay.world import World
        routes = WorldRoutes(World(args.world), legacy=args.legacy,
                             authkey=os.environ.get("REPLAY_KOREAEXIM_AUTHKEY") or None,
                             daily_limit=args.fx_daily_limit,
                             opendart_key=os.environ.get("REPLAY_OPENDART_API_KEY") or None)
        if getattr(args, "clock", None):
            routes.set_clock(args.clock)
        return ReplaySite(routes=routes, faults=faults)
    return ReplaySite(recordings=Recordings(args.recordings or DEFAULT_RECORDINGS), faults=faults)


class PortTaken(OSError):
    """The port is held by another process (a replay server left running?)."""


def _listen(host: str, port: int, *, shared: bool = False) -> socket.socket:
    """A listening socket. Exclusive unless ``shared`` (workers of one server, SO_REUSEPORT)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT only: never a live listener
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise PortTaken(f"port {port} on {host} is already in use (another replay server still "
                            f"running?): stop it or pass another --port") from None
        raise
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def claim_port(host: str, port: int) -> None:
    """Fail unless the port is free: an exclusive bind, released at once (workers then share it)."""
    _listen(host, port).close()


def run(args: argparse.Namespace) -> int:
    from twisted.internet import reactor

    from services.replay.server import make_site
    from shared.errors import EXIT_USAGE, UserError
    workers = max(args.workers, 1)
    try:
        if workers > 1:  # no stale server may share the port with the workers
            claim_port(args.host, args.port)
        else:
            sock = _listen(args.host, args.port)
    except PortTaken as err:
        raise UserError(str(err).strip().splitlines()[0], EXIT_USAGE) from None
    try:
        site = make_site(build_resource(args))
    except (FileNotFoundError, ValueError) as err:  # no world/recordings folder, a bad REPLAY_FAULTS or --clock
        raise UserError(str(err).strip().splitlines()[0], EXIT_USAGE) from None
    children = []
    for _ in range(workers - 1):
        pid = os.fork()
        if pid == 0:
            children = []
            break
        children.append(pid)
    if workers > 1:
        sock = _listen(args.host, args.port, shared=True)
    reactor.adoptStreamPort(sock.fileno(), socket.AF_INET, site)
    sock.close()
    log.info("replay site listening", extra={"host": args.host, "port": args.port, "pid": os.getpid(),
                                             "source": str(args.world or args.recordings or DEFAULT_RECORDINGS)})
    reactor.run()
    return 0

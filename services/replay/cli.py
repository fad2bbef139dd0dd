"""``insertcoin replay serve``: serve a simulated world or a recordings folder at the sources' paths."""
from __future__ import annotations

import argparse
import logging
import os
import socket
from pathlib import Path

log = logging.getLogger(__name__)
DEFAULT_RECORDINGS = Path(__file__).resolve().parent / "recordings"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    serve = sub.add_parser("serve", help="run the replay HTTP server")
    source = serve.add_mutually_exclusive_group()
    source.add_argument("--world", type=Path, help="world folder written by insertcoin simulate")
    source.add_argument("--recordings", type=Path,
                        help=f"recordings folder (index.json + bodies); default {DEFAULT_RECORDINGS}")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8950)
    serve.add_argument("--legacy", choices=("closed", "archived"), default="closed",
                       help="finance.naver.com pages: as today (410/302) or archived copies")
    serve.add_argument("--fx-daily-limit", type=int, default=1000, help="Eximbank calls per key and day")
    serve.add_argument("--clock", help="world clock, KST (YYYY-MM-DDTHH:MM:SS): which statements and estimate "
                       "revisions are public; default the world's last day 23:59:59; also POST /__replay/clock")
    serve.add_argument("--workers", type=int, default=1,
                       help="processes sharing the port (SO_REUSEPORT); admin fault changes reach one worker")


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


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def run(args: argparse.Namespace) -> int:
    from twisted.internet import reactor

    from services.replay.server import make_site
    site = make_site(build_resource(args))
    children = []
    for _ in range(max(args.workers, 1) - 1):
        pid = os.fork()
        if pid == 0:
            children = []
            break
        children.append(pid)
    sock = _listen(args.host, args.port)
    reactor.adoptStreamPort(sock.fileno(), socket.AF_INET, site)
    sock.close()
    log.info("replay site listening", extra={"host": args.host, "port": args.port, "pid": os.getpid(),
                                             "source": str(args.world or args.recordings or DEFAULT_RECORDINGS)})
    reactor.run()
    return 0

"""The replay site's HTTP server (Twisted): one port, every source's paths, faults on demand."""
from __future__ import annotations

import logging
import os
from urllib.parse import parse_qsl

import orjson
from twisted.internet import reactor
from twisted.web import resource, server

from services.replay.faults import BLOCK_HTML, FaultConfig, FaultPlan
from services.replay.recordings import Recordings
from services.replay.reply import HTML_UTF8, Reply, json_reply, not_found

log = logging.getLogger(__name__)


class ReplaySite(resource.Resource):
    """Dispatches to a world's routes or to recordings; ``/__replay/*`` is the admin API."""

    isLeaf = True

    def __init__(self, routes=None, recordings: Recordings | None = None, faults: FaultPlan | None = None):
        super().__init__()
        self.routes = routes
        self.recordings = recordings
        self.faults = faults or FaultPlan()
        self.requests = 0
        self._hanging: list = []

    def render(self, request: server.Request):
        self.requests += 1
        method = request.method.decode()
        uri = request.uri.decode("utf-8", "replace")
        path, _, query = uri.partition("?")
        if path.startswith("/__replay/"):
            return self._send(request, self._admin(method, path, request))
        headers = {k.decode().lower(): v[-1].decode("utf-8", "replace")
                   for k, v in request.requestHeaders.getAllRawHeaders()}
        fault = self.faults.draw(path)
        if fault and fault[0] == "hang":
            self._hanging.append(request)
            request.notifyFinish().addBoth(lambda _: self._hanging.remove(request))
            return server.NOT_DONE_YET
        if fault and fault[0] in ("429", "500", "503"):
            code = int(fault[0])
            return self._send(request, Reply(code, f"<html><body><h1>{code}</h1></body></html>".encode(), HTML_UTF8,
                                             (("Retry-After", "5"),) if code == 429 else ()))
        if fault and fault[0] == "block":
            return self._send(request, Reply(200, BLOCK_HTML, HTML_UTF8))
        reply = self._answer(method, path, query, headers)
        if fault and fault[0] == "truncate" and len(reply.body) > 1:
            self._head(request, reply)
            request.write(reply.body[: len(reply.body) // 2])
            request.channel.transport.loseConnection()
            return server.NOT_DONE_YET
        if fault and fault[0] == "slow":
            def later():
                if not request._disconnected:
                    self._head(request, reply)
                    request.write(reply.body)
                    request.finish()
            reactor.callLater(fault[1].slow_seconds, later)
            return server.NOT_DONE_YET
        return self._send(request, reply)

    def _answer(self, method: str, path: str, query: str, headers: dict[str, str]) -> Reply:
        if self.recordings is not None:
            found = self.recordings.find(method, path, query, headers.get("host", ""))
            if found is not None or self.routes is None:
                return found or not_found()
        q = dict(parse_qsl(query, keep_blank_values=True))
        try:
            return self.routes.answer(method, path, q, headers)
        except (ValueError, KeyError, IndexError) as exc:
            log.warning("bad request", extra={"path": path, "query": query, "error": repr(exc)})
            return not_found()

    def _admin(self, method: str, path: str, request) -> Reply:
        if path == "/__replay/health":
            return json_reply({"ok": True, "requests": self.requests})
        if path == "/__replay/faults":
            if method == "POST":
                try:
                    self.faults.configure(FaultConfig.model_validate(orjson.loads(request.content.read() or b"{}")))
                except ValueError as exc:
                    return json_reply({"error": f"bad fault config: {exc}"}, status=400)
            elif method == "DELETE":
                self.faults.configure(FaultConfig())
            return json_reply(self.faults.config.model_dump(mode="json"))
        return not_found()

    @staticmethod
    def _head(request, reply: Reply) -> None:
        request.setResponseCode(reply.status)
        request.setHeader(b"content-type", reply.content_type.encode())
        request.setHeader(b"content-length", str(len(reply.body)).encode())
        for name, value in reply.headers:
            request.setHeader(name.encode(), value.encode())

    def _send(self, request, reply: Reply) -> bytes:
        self._head(request, reply)
        return b"" if request.method == b"HEAD" else reply.body


def faults_from_env() -> FaultPlan:
    """The fault plan of env ``REPLAY_FAULTS`` (JSON), empty when unset."""
    raw = os.environ.get("REPLAY_FAULTS")
    if not raw:
        return FaultPlan()
    try:
        return FaultPlan(FaultConfig.model_validate(orjson.loads(raw)))
    except ValueError as exc:
        raise ValueError(f"REPLAY_FAULTS is not a valid fault config: {exc}") from exc


def make_site(resource_: ReplaySite) -> server.Site:
    site = server.Site(resource_)
    site.noisy = False
    site.log = lambda request: None  # no per-request access log: it would cost more than the answer
    return site

"""The replay site's HTTP server (Twisted): one port, every source's paths, faults on demand."""
from __future__ import annotations

import logging
import os
from urllib.parse import parse_qsl

import orjson
from twisted.internet import reactor
from twisted.web import resource, server

from services.replay.faults import BLOCK_HTML, NAVER_HOME_HTML, FaultConfig, FaultPlan
from services.replay.recordings import Recordings
from services.replay.reply import HTML_UTF8, Reply, json_reply, not_found

log = logging.getLogger(__name__)
CACHE_BYTES = 512 * 1024 * 1024  # whole bodies kept per URL (world routes that depend on the URL alone)


class ReplaySite(resource.Resource):
    """Dispatches to a world's routes or to recordings; ``/__replay/*`` is the admin API."""

    isLeaf = True

    def __init__(self, routes=None, recordings: Recordings | None = None, faults: FaultPlan | None = None,
                 cache_bytes: int = CACHE_BYTES):
        super().__init__()
        self.routes = routes
        self.recordings = recordings
        self.faults = faults or FaultPlan()
        self.requests = 0
        self._hanging: list = []
        self.cache_bytes = cache_bytes
        self._bodies: dict[bytes, tuple[bytes, bytes, bytes]] = {}  # uri -> (status line bits, headers, body)
        self._cached = 0

    def render(self, request: server.Request):
        self.requests += 1
        if request.method == b"GET" and not self.faults.config.rules:
            hit = self._bodies.get(request.uri)
            if hit is not None:  # fast path: a whole body rendered before for this URL
                request.setResponseCode(200)
                request.responseHeaders.setRawHeaders(b"content-type", [hit[0]])
                request.responseHeaders.setRawHeaders(b"content-length", [hit[1]])
                return hit[2]
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
        if fault and fault[0] in ("block", "home"):
            return self._send(request, Reply(200, BLOCK_HTML if fault[0] == "block" else NAVER_HOME_HTML, HTML_UTF8))
        if method == "POST" and "form-urlencoded" in headers.get("content-type", ""):
            form = request.content.read().decode("utf-8", "replace")  # a form POST: its fields as the query
            query = f"{query}&{form}" if query else form
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
            reply = self.routes.answer(method, path, q, headers)
        except (ValueError, KeyError, IndexError) as exc:
            log.warning("bad request", extra={"path": path, "query": query, "error": repr(exc)})
            return not_found()
        if method == "GET" and reply.status == 200 and not reply.headers and self.routes.cacheable(path, q):
            self._keep(f"{path}?{query}" if query else path, reply)
        return reply

    def _keep(self, uri: str, reply: Reply) -> None:
        if self._cached + len(reply.body) > self.cache_bytes:
            self._bodies.clear()  # simple bound: start over rather than track recency
            self._cached = 0
        self._bodies[uri.encode("utf-8")] = (reply.content_type.encode(), str(len(reply.body)).encode(), reply.body)
        self._cached += len(reply.body)

    def set_clock(self, now: str | None) -> str:
        """Move a world's clock; cached bodies are dropped."""
        clock = self.routes.set_clock(now)
        self._bodies.clear()
        self._cached = 0
        return clock

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
        if path == "/__replay/clock":
            if self.routes is None:
                return json_reply({"error": "recordings have no clock"}, status=400)
            try:
                if method == "POST":
                    self.set_clock(orjson.loads(request.content.read() or b"{}").get("now"))
                elif method == "DELETE":
                    self.set_clock(None)
            except (ValueError, AttributeError, TypeError) as exc:
                return json_reply({"error": f"bad clock (want {{\"now\": \"YYYY-MM-DDTHH:MM:SS\"}}, KST): {exc}"},
                                  status=400)
            return json_reply({"now": self.routes.world.clock + "+09:00"})
        return not_found()

    @staticmethod
    def _head(request, reply: Reply) -> None:
        request.setResponseCode(reply.status)
        request.setHeader(b"content-type", reply.content_type.encode())
        request.setHeader(b"content-length", str(len(reply.body)).encode())
        for name, value in reply.headers:  # added, not set: a reply may carry several Set-Cookie
            request.responseHeaders.addRawHeader(name.encode(), value.encode())

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

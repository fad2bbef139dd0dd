"""Local stand-ins of the watchlist's receivers, speaking their real protocols: the Telegram Bot
API (``POST /bot<token>/<method>``, form or JSON parameters, ``{"ok": true, "result": ...}``
answers, 401 ``Unauthorized`` for an unknown token) and a JSON webhook receiver."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class Receiver:
    """A threaded HTTP server on 127.0.0.1 recording every request it answers."""

    def __init__(self, handler_class):
        self.requests: list[dict] = []
        outer = self

        class Handler(handler_class):
            receiver = outer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _body(handler: BaseHTTPRequestHandler) -> dict:
    raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
    kind = handler.headers.get("Content-Type", "")
    if kind.startswith("application/json"):
        return json.loads(raw or b"{}")
    if kind.startswith("application/x-www-form-urlencoded"):
        return {k: v[0] for k, v in parse_qs(raw.decode()).items()}
    return {"_raw": raw.decode(errors="replace"), "_content_type": kind}


class TelegramBotApi(BaseHTTPRequestHandler):
    """getMe and sendMessage of the Bot API for one token (``receiver.token``)."""

    receiver = None

    def do_POST(self):
        params = _body(self)
        _, _, rest = self.path.partition("/bot")
        token, _, method = rest.partition("/")
        self.receiver.requests.append({"token": token, "method": method, "params": params})
        if token != self.receiver.token:
            return self._answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if method == "getMe":
            return self._answer(200, {"ok": True, "result": {
                "id": 7000001, "is_bot": True, "first_name": "insertcoin stand-in",
                "username": "insertcoin_standin_bot", "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False}})
        if method == "sendMessage":
            if "chat_id" not in params or not params.get("text"):
                return self._answer(400, {"ok": False, "error_code": 400,
                                          "description": "Bad Request: message text is empty"})
            message_id = sum(r["method"] == "sendMessage" for r in self.receiver.requests)
            return self._answer(200, {"ok": True, "result": {
                "message_id": message_id, "date": int(time.time()), "text": params["text"],
                "chat": {"id": int(params["chat_id"]), "type": "private", "first_name": "analyst"},
                "from": {"id": 7000001, "is_bot": True, "first_name": "insertcoin stand-in"}}})
        return self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Webhook(BaseHTTPRequestHandler):
    """Records JSON POSTs; answers ``receiver.status`` (204 by default)."""

    receiver = None

    def do_POST(self):
        self.receiver.requests.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                       "body": _body(self)})
        self.send_response(getattr(self.receiver, "status", 204))
        self.send_header("Content-Length", "0")
        self.end_headers()

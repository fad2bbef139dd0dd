"""Recorded responses served back byte for byte: ``index.json`` maps method + URL to a body file,
status and headers."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import orjson

from services.replay.reply import Reply


class Recordings:
    """A recordings folder: ``index.json`` = [{method, url, status, headers, body}, ...]."""

    def __init__(self, folder: str | Path):
        folder = Path(folder)
        index_path = folder / "index.json"
        if not index_path.exists():
            raise FileNotFoundError(f"{folder} is not a recordings folder (no index.json)")
        self.exact: dict[tuple[str, str, str], list[tuple[str, Reply]]] = {}
        self.loose: dict[tuple[str, str, tuple], list[tuple[str, Reply]]] = {}
        for entry in orjson.loads(index_path.read_bytes()):
            url = urlsplit(entry["url"])
            headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
            body = (folder / entry["body"]).read_bytes()
            reply = Reply(int(entry.get("status", 200)), body,
                          headers.pop("content-type", "application/octet-stream"), tuple(headers.items()))
            method = entry.get("method", "GET").upper()
            self.exact.setdefault((method, url.path, url.query), []).append((url.netloc, reply))
            self.loose.setdefault((method, url.path, _canon(url.query)), []).append((url.netloc, reply))

    def find(self, method: str, path: str, query: str, host: str = "") -> Reply | None:
        """The recorded reply for a request (host only breaks ties between recorded hosts)."""
        hits = self.exact.get((method, path, query)) or self.loose.get((method, path, _canon(query)))
        if not hits:
            return None
        for netloc, reply in hits:
            if netloc == host:
                return reply
        return hits[0][1]


def _canon(query: str) -> tuple:
    return tuple(sorted(parse_qsl(query, keep_blank_values=True)))

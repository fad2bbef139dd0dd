"""The archive of every fetched body: one gzip file per response, keyed by service, fetch date
(KST) and URL, under ``ARCHIVE_DIR`` (a local folder, or ``s3://bucket/prefix`` with boto3).

File layout: ``<root>/<service>/<YYYY-MM-DD>/<sha1(url)>.gz``. The gzip holds one JSON line of
metadata (url, status, headers, parser, fetched_at) then the raw body, so ``insertcoin reparse``
can rebuild the exact :class:`shared.parsers.Response`. Secrets in URLs (``authkey``) are masked.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from shared.records import KST

_SECRET_PARAMS = re.compile(r"(?i)\b(authkey|apikey|api_key|token|crtfc_key)=[^&]*")


def mask_secrets(url: str) -> str:
    """The URL with secret query values replaced by ``***``."""
    return _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", url)


@dataclass(frozen=True)
class ArchivedResponse:
    service: str
    url: str
    status: int
    headers: dict[str, str]
    parser: str | None
    fetched_at: str
    body: bytes


def _pack(item: ArchivedResponse) -> bytes:
    meta = {"service": item.service, "url": item.url, "status": item.status, "headers": item.headers,
            "parser": item.parser, "fetched_at": item.fetched_at}
    return gzip.compress(orjson.dumps(meta) + b"\n" + item.body, compresslevel=5)


def _unpack(data: bytes) -> ArchivedResponse:
    raw = gzip.decompress(data)
    head, _, body = raw.partition(b"\n")
    meta = orjson.loads(head)
    return ArchivedResponse(body=body, **meta)


class Archive:
    """Writes and reads archived responses under one root (folder or ``s3://`` prefix)."""

    def __init__(self, root: str):
        self.root = root.rstrip("/")
        self.s3 = self.root.startswith("s3://")
        if self.s3:
            import boto3
            bucket, _, prefix = self.root[5:].partition("/")
            self._bucket, self._prefix = bucket, prefix.strip("/")
            self._client = boto3.client("s3")

    @staticmethod
    def key(service: str, url: str, day: dt.date) -> str:
        """``service/YYYY-MM-DD/sha1(url).gz`` (the URL after masking secrets)."""
        digest = hashlib.sha1(mask_secrets(url).encode()).hexdigest()
        return f"{service}/{day.isoformat()}/{digest}.gz"

    def write(self, *, service: str, url: str, status: int, headers: dict[str, str], body: bytes,
              parser: str | None, fetched_at: dt.datetime | None = None) -> str:
        """Store one response; returns its key. The latest fetch of a URL on a day wins."""
        fetched_at = fetched_at or dt.datetime.now(KST)
        url = mask_secrets(url)
        key = self.key(service, url, fetched_at.astimezone(KST).date())
        data = _pack(ArchivedResponse(service, url, status, headers, parser, fetched_at.isoformat(), body))
        if self.s3:
            self._client.put_object(Bucket=self._bucket, Key=f"{self._prefix}/{key}".lstrip("/"), Body=data)
        else:
            path = Path(self.root) / key
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return key

    def read(self, services: list[str] | None = None, first: dt.date | None = None,
             last: dt.date | None = None) -> Iterator[ArchivedResponse]:
        """Archived responses of ``services`` (all when None) fetched between ``first`` and ``last``."""
        for key in sorted(self._keys()):
            parts = key.split("/")
            if len(parts) != 3 or not parts[2].endswith(".gz"):
                continue
            service, day = parts[0], parts[1]
            if services and service not in services:
                continue
            if (first and day < first.isoformat()) or (last and day > last.isoformat()):
                continue
            yield _unpack(self._get(key))

    def _keys(self) -> Iterator[str]:
        if self.s3:
            paginator = self._client.get_paginator("list_objects_v2")
            prefix = f"{self._prefix}/" if self._prefix else ""
            for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    yield obj["Key"][len(prefix):]
            return
        root = Path(self.root)
        if root.exists():
            for path in root.glob("*/*/*.gz"):
                yield path.relative_to(root).as_posix()

    def _get(self, key: str) -> bytes:
        if self.s3:
            full = f"{self._prefix}/{key}".lstrip("/")
            return self._client.get_object(Bucket=self._bucket, Key=full)["Body"].read()
        return (Path(self.root) / key).read_bytes()

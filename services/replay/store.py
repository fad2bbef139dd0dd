"""World files: keyed JSON-lines files with a byte-offset index, read back one key at a time."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import orjson


def write_keyed(path: Path, items: Iterable[tuple[str, Any]]) -> None:
    """Write ``key -> value`` as one JSON line per key plus ``<name>.index.json`` of offsets."""
    index: dict[str, list[int]] = {}
    offset = 0
    with open(path, "wb") as fh:
        for key, value in items:
            line = orjson.dumps(value) + b"\n"
            index[key] = [offset, len(line)]
            fh.write(line)
            offset += len(line)
    write_json(path.with_suffix(".index.json"), index)


def write_json(path: Path, value: Any) -> None:
    """Deterministic JSON (sorted keys) for small world files."""
    path.write_bytes(orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n")


def read_json(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


class KeyedFile:
    """Random access to a file written by :func:`write_keyed`."""

    def __init__(self, path: Path):
        self.path = path
        self.index: dict[str, list[int]] = read_json(path.with_suffix(".index.json"))
        self._fh = open(path, "rb")

    def __contains__(self, key: str) -> bool:
        return key in self.index

    def get(self, key: str) -> Any:
        """The value stored under ``key`` or ``None``."""
        where = self.index.get(key)
        if where is None:
            return None
        self._fh.seek(where[0])
        return orjson.loads(self._fh.read(where[1]))

"""A simulated world read back from its folder for serving: small files in memory, big ones by key."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from services.replay.store import KeyedFile, read_json


class World:
    """The world folder written by ``insertcoin simulate`` (layout in services/replay/README.md)."""

    def __init__(self, folder: str | Path):
        folder = Path(folder)
        if not (folder / "world.json").exists():
            raise FileNotFoundError(f"{folder} is not a world folder (no world.json): run insertcoin simulate")
        self.folder = folder
        self.meta = read_json(folder / "world.json")
        self.listing: list[dict] = read_json(folder / "listing.json")
        self.index_of = {s["code"]: i for i, s in enumerate(self.listing)}
        self.days: list[str] = self.meta["krx_days"]
        self.day_numbers = np.array([int(d.replace("-", "")) for d in self.days])
        self.prices = {k: np.load(folder / "prices" / f"{k}.npy")
                       for k in ("open", "high", "low", "close", "foreign", "volume")}
        self.indexes = read_json(folder / "prices" / "index.json")
        self.board = KeyedFile(folder / "board.jsonl")
        self.board_ids = np.load(folder / "board_ids.npy")
        self.board_stocks = np.load(folder / "board_stocks.npy")
        self.news = KeyedFile(folder / "news.jsonl")
        self.financials = KeyedFile(folder / "financials.jsonl")
        self.fear_greed = read_json(folder / "fear_greed.json")
        self.fx = read_json(folder / "fx.json")
        self.fx_day = {d: i for i, d in enumerate(self.fx["days"])}
        self.end_session = dt.date.fromisoformat(self.meta["end_session"])

    def stock(self, code: str) -> dict | None:
        i = self.index_of.get(code)
        return None if i is None else self.listing[i]

    def day_range(self, start: int, end: int) -> tuple[int, int]:
        """Indexes [lo, hi) of trading days with start <= YYYYMMDD <= end."""
        return (int(np.searchsorted(self.day_numbers, start, side="left")),
                int(np.searchsorted(self.day_numbers, end, side="right")))

    def post_code(self, post_id: str) -> str | None:
        """The stock code a post id belongs to, or ``None``."""
        try:
            key = int(post_id)
        except ValueError:
            return None
        j = int(np.searchsorted(self.board_ids, key))
        if j < len(self.board_ids) and self.board_ids[j] == key:
            return self.listing[int(self.board_stocks[j])]["code"]
        return None

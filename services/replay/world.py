"""A simulated world read back from its folder for serving: small files in memory, big ones by key."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from services.replay.disclosures import statement_at
from services.replay.store import KeyedFile, read_json

KST = ZoneInfo("Asia/Seoul")


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
        self.financials = KeyedFile(folder / "financials.jsonl")  # code -> disclosure timeline
        self.default_clock = self.meta.get("clock") or f"{self.meta['to']}T23:59:59"
        self.clock = self.default_clock
        self.fear_greed = read_json(folder / "fear_greed.json")
        self.fx = read_json(folder / "fx.json")
        self.fx_day = {d: i for i, d in enumerate(self.fx["days"])}
        # DART filings (services/replay/filings.py); worlds written before them have none
        self.filings = read_json(folder / "filings.json") if (folder / "filings.json").exists() else None
        self.end_session = dt.date.fromisoformat(self.meta["end_session"])

    def statement(self, code: str) -> dict | None:
        """The statement columns the finance pages show for ``code`` at the world's clock."""
        return statement_at(self.financials.get(code), self.clock)

    def set_clock(self, now: str | None) -> str:
        """Set the world's clock (naive KST ``YYYY-MM-DDTHH:MM:SS``; ``None``: the world's last
        day, 23:59:59), which decides which statements and estimate revisions are public."""
        if now is None:
            self.clock = self.default_clock
        else:
            parsed = dt.datetime.fromisoformat(now)
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(KST).replace(tzinfo=None)
            self.clock = parsed.strftime("%Y-%m-%dT%H:%M:%S")
        return self.clock

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

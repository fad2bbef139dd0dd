"""Planted media effects: which medium drives the day's top movers, how strongly, with what lag.

A config is JSON or YAML::

    {"movers_per_day": 8, "decoys": 0.5, "unexplained_movers": 0.25,
     "effects": [{"medium": "board", "strength": 1.0, "lag": 1}]}

``medium`` is one of board, news, financial, disclosure (a DART filing of a material type in the
lag window, services/replay/filings.py; stock-level media: the planted movers carry the
signal) or fear_greed, fx (market-wide media: they set how many big movers a day has).
``lag`` 0 means activity during the trading day itself, 1 activity on the day before (stamped
before the 09:00 KST open). An empty ``effects`` list plants nothing: movers are pure noise.
``strength`` scales both the planted move and the planted activity (1: moves of 12-20 %, ~27
posts; 0.25: moves of 3-5 %, near ordinary noise). ``decoys``: per day, this many times
``movers_per_day`` stocks get a planted mover's media activity but no move. ``unexplained_movers``:
this share of each day's planted movers move with no media activity at all.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Medium = Literal["board", "news", "financial", "disclosure", "fear_greed", "fx"]
STOCK_MEDIA = ("board", "news", "financial", "disclosure")
MARKET_MEDIA = ("fear_greed", "fx")


class Effect(BaseModel):
    """One planted effect."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    medium: Medium
    strength: float = Field(default=1.0, ge=0.05, le=5)
    lag: Literal[0, 1] = 1


class EffectsConfig(BaseModel):
    """The whole planted-effects configuration of a world."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    movers_per_day: int = Field(default=8, ge=0, le=200)
    decoys: float = Field(default=0.0, ge=0, le=5)
    unexplained_movers: float = Field(default=0.0, ge=0, le=1)
    effects: list[Effect] = Field(default_factory=lambda: [Effect(medium="board")])
    #: a medium that only echoes the planted disclosures: "board" bursts after every planted filing
    #: (mover or decoy) in the same window, and carries nothing the filing does not
    disclosure_echo: Literal["board"] | None = None

    def stock_effects(self) -> list[Effect]:
        return [e for e in self.effects if e.medium in STOCK_MEDIA]

    def market_effects(self) -> list[Effect]:
        return [e for e in self.effects if e.medium in MARKET_MEDIA]


def load_effects(path: str | Path | None) -> EffectsConfig:
    """Read an effects config (JSON or YAML); ``None`` gives the default (board, lag 1)."""
    if path is None:
        return EffectsConfig()
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml
        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    try:
        return EffectsConfig.model_validate(data or {})
    except ValueError as exc:
        raise ValueError(f"effects config {path}: {exc}") from exc

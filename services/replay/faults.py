"""Faults on demand: per path prefix, a share of 429, 500/503, hangs, slow answers, truncated
bodies, block pages and Naver's portal home page (``home``: what Naver answers, HTTP 200, to a
client it refuses, in place of the page or JSON asked for), drawn from a seeded generator (same seed + same request order -> same faults).

Config (env ``REPLAY_FAULTS`` or ``POST /__replay/faults``)::

    {"seed": 7, "rules": [{"prefix": "/api/stocks", "share": {"429": 0.1, "503": 0.05,
      "hang": 0.01, "slow": 0.05, "truncate": 0.05, "block": 0.05, "home": 0.05}, "slow_seconds": 2.0}]}
"""
from __future__ import annotations

import random

from pydantic import BaseModel, ConfigDict, Field, model_validator

KINDS = ("429", "500", "503", "hang", "slow", "truncate", "block", "home")
BLOCK_HTML = ("<!DOCTYPE html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>네이버</title></head><body>"
              "<div class=\"error_content\"><h2>서비스 이용이 제한되었습니다.</h2><p>비정상적인 접근이 감지되어 "
              "일시적으로 제한되었습니다. 잠시 후 다시 이용해 주세요.</p><a href=\"https://www.naver.com/\">네이버 홈"
              "</a></div></body></html>").encode("utf-8")
#: The head and top of www.naver.com as a browser-less client gets it (trimmed: no scripts).
NAVER_HOME_HTML = ("<!doctype html><html lang=\"ko\" data-dark=\"false\"><head><meta charset=\"utf-8\">"
                   "<title>NAVER</title><meta name=\"viewport\" content=\"width=1190\">"
                   "<meta property=\"og:title\" content=\"네이버\"><meta property=\"og:url\" "
                   "content=\"https://www.naver.com/\"><meta property=\"og:description\" content=\"네이버 메인에서 "
                   "다양한 정보와 유용한 컨텐츠를 만나 보세요\"></head><body><div id=\"wrap\"><div id=\"header\" "
                   "role=\"banner\"><h1 class=\"logo\"><a href=\"https://www.naver.com\">NAVER</a></h1>"
                   "<form id=\"sform\" action=\"https://search.naver.com/search.naver\"><input id=\"query\" "
                   "name=\"query\" title=\"검색어를 입력해 주세요.\"></form></div></div></body></html>").encode("utf-8")


class FaultRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    prefix: str = "/"
    share: dict[str, float] = Field(default_factory=dict)
    slow_seconds: float = Field(default=2.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> "FaultRule":
        unknown = set(self.share) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {', '.join(KINDS)}")
        if any(v < 0 for v in self.share.values()) or sum(self.share.values()) > 1:
            raise ValueError(f"fault shares for {self.prefix!r} must be >= 0 and sum to at most 1")
        return self


class FaultConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 0
    rules: list[FaultRule] = Field(default_factory=list)


class FaultPlan:
    """Draws the fault (or ``None``) for each request, deterministically under the seed."""

    def __init__(self, config: FaultConfig | None = None):
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        self.config = config
        self._rngs = [random.Random(f"{config.seed}:{i}") for i in range(len(config.rules))]

    def draw(self, path: str) -> tuple[str, FaultRule] | None:
        """The fault kind for a request to ``path`` under the first rule whose prefix matches."""
        for rule, rng in zip(self.config.rules, self._rngs):
            if path.startswith(rule.prefix):
                u, edge = rng.random(), 0.0
                for kind in KINDS:
                    edge += rule.share.get(kind, 0.0)
                    if u < edge:
                        return kind, rule
                return None
        return None

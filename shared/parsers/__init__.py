"""Parsers: pure functions from a recorded response to contract records.

>>> from shared.parsers import Response, parse
>>> parse("naver-chart-day", Response(body=b"[]", url="https://api.stock.naver.com/chart/domestic/item/005930/day"))
[]

Every parser returns the complete list of records of a page or raises :class:`ParseError`
(``Blocked``, ``ConfigurationError`` and ``QuotaExceeded`` are its typed kinds); never a partial
list and never another exception. Context a body lacks (stock code, date, section, market, page)
comes from the response's URL.
"""
from __future__ import annotations

from shared.records import Record
from shared.parsers.base import (
    PARSERS, Blocked, ConfigurationError, ParseError, Parser, QuotaExceeded, Response, charset_of, decode,
)
from shared.parsers import cnn, kind, koreaexim, nate, naver_api, naver_legacy, naver_stock  # noqa: F401 (registers)
from shared.parsers import dart, naver_reactions  # noqa: F401 (registers)
from shared.parsers.naver_api import discussion_next_offset, industry_group_sizes, market_value_last_page
from shared.parsers.naver_legacy import last_page

__all__ = [
    "PARSERS", "Blocked", "ConfigurationError", "ParseError", "Parser", "QuotaExceeded", "Response",
    "charset_of", "decode", "discussion_next_offset", "industry_group_sizes", "last_page", "market_value_last_page", "parse",
]


def parse(name: str, response: Response) -> list[Record]:
    """Run the parser ``name`` on ``response``. Raises ``ParseError`` (also for an unknown name)."""
    parser = PARSERS.get(name)
    if parser is None:
        raise ParseError(name, f"unknown parser (known: {', '.join(sorted(PARSERS))})")
    return parser.function(response)

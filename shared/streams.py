"""Every stream, declared once: its record model (and so its natural key and columns), the table
it lands in, its topic's partitions and compaction, and how the loader merges it. The loader's
table map (services/loader/tables.py), topic creation (shared/topics.py), the tests' world loader
(tests/truth.py) and the README's stream table are read from here; tests/test_streams.py checks
every migrated table against its declaration.

A new medium is one ``Stream(...)`` here, its migration, its parser and its spider."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.records import (BoardPost, CrawlRun, DailyPrice, Disclosure, FearGreed, FinancialStatement,
                            FxRate, NewsRank, Record, Sector, StockListing, StockSector, StockValuation)


@dataclass(frozen=True)
class Stream:
    model: type[Record]
    table: str
    about: str                          # one line for the README's stream table
    partitions: int = 1                 # by volume: per stock per day is 6, per stock 3, the rest 1
    compacted: bool = False             # the topic keeps the newest record per key only
    merge: Literal["newest", "coalesce"] = "newest"
    #: "newest": the last record of a key replaces the row; "coalesce": sources that each know part
    #: of a row fill it in, a null never erasing a known value
    precedence: tuple[str, ...] = ()    # envelope sources, richest first: a later-listed source
    #: never replaces a row written from an earlier-listed one (a source not listed ranks first)
    kept_if_null: tuple[str, ...] = ()  # derived columns a null never erases
    json_columns: tuple[str, ...] = ()  # columns stored as jsonb

    @property
    def name(self) -> str:
        return self.model.stream

    @property
    def key(self) -> tuple[str, ...]:
        return self.model.primary_key

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.model.model_fields)


DECLARED: tuple[Stream, ...] = (
    Stream(StockListing, "m_stock", "listed securities (KIND and Naver; sources fill in each other's gaps)",
           partitions=3, merge="coalesce"),
    Stream(Sector, "m_sector", "industry groups"),
    Stream(StockSector, "m_stock_sector", "each stock's industry group"),
    Stream(StockValuation, "if_stock_valuation", "market value and valuation per stock and day", partitions=3),
    Stream(DailyPrice, "if_stock_daily_price",
           "daily OHLCV; `change` derived from the previous close, never erased by a null",
           partitions=6, kept_if_null=("change",)),
    Stream(BoardPost, "if_board_post", "stock discussion board posts with their reactions", partitions=6),
    Stream(NewsRank, "if_news_rank", "the day's ranked news per section", partitions=3),
    Stream(FinancialStatement, "if_financial_statement",
           "financial statement figures and estimates (every change also in `if_financial_statement_change`)",
           partitions=3),
    Stream(FearGreed, "if_fear_greed", "CNN Fear & Greed with its seven components; the JSON outranks the page",
           precedence=("fear-greed", "fear-greed/page")),
    Stream(FxRate, "if_fx_rate", "Korea Eximbank exchange rates"),
    Stream(Disclosure, "if_disclosure",
           "DART filings by receipt number: the minute from the daily list, the stock code from OpenDART",
           partitions=3, merge="coalesce"),
    Stream(CrawlRun, "if_crawl_run", "one row per crawl run: what it asked, fetched and published, and how it ended",
           json_columns=("detail",)),
)
STREAMS_BY_NAME: dict[str, Stream] = {s.name: s for s in DECLARED}
#: Every stream's record model, by stream name.
MODELS: dict[str, type[Record]] = {s.name: s.model for s in DECLARED}


def readme_table() -> str:
    """The README's stream table (between its ``streams:begin`` / ``streams:end`` markers)."""
    lines = ["| stream | table | natural key | topic partitions | merge | what |", "|---|---|---|---|---|---|"]
    for s in DECLARED:
        merge = s.merge + (f", {' over '.join(s.precedence)}" if s.precedence else "")
        lines.append(f"| `{s.name}` | `{s.table}` | {', '.join(s.key)} | {s.partitions} | {merge} | {s.about} |")
    return "\n".join(lines)


def write_readme(path: str = "README.md") -> bool:
    """Rewrite the README's stream table from the declarations; True when it changed."""
    import re
    from pathlib import Path

    readme = Path(path)
    text = readme.read_text()
    new = re.sub(r"(<!-- streams:begin[^\n]*-->\n).*?(\n<!-- streams:end -->)",
                 lambda m: m.group(1) + readme_table() + m.group(2), text, flags=re.S)
    if new != text:
        readme.write_text(new)
    return new != text


if __name__ == "__main__":
    print("README.md stream table " + ("rewritten" if write_readme() else "already current"))

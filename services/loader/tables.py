"""Where each stream lands: table, columns (the record's fields, in order), natural key, merge rule."""
from __future__ import annotations

from dataclasses import dataclass

from shared.records import STREAMS, Record

PROVENANCE = ("source", "run_id", "extracted_at")


@dataclass(frozen=True)
class TableSpec:
    stream: str
    table: str
    columns: tuple[str, ...]      # the record's fields, in model order
    key: tuple[str, ...]          # the natural primary key
    coalesce: bool = False        # a null from one source never erases another source's value
    json_columns: tuple[str, ...] = ()
    precedence: tuple[str, ...] = ()  # envelope sources, richest first (see PRECEDENCE)
    kept_if_null: tuple[str, ...] = ()  # derived columns a null never erases (see KEPT_IF_NULL)

    @property
    def provenance(self) -> tuple[str, ...]:
        """Envelope fields stored beside the record (those the record does not carry itself)."""
        return tuple(c for c in PROVENANCE if c not in self.columns)

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.columns + self.provenance

    @property
    def value_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.key)


_TABLES = {
    "stock_listing": "m_stock",
    "sector": "m_sector",
    "stock_sector": "m_stock_sector",
    "stock_valuation": "if_stock_valuation",
    "daily_price": "if_stock_daily_price",
    "board_post": "if_board_post",
    "news_rank": "if_news_rank",
    "financial_statement": "if_financial_statement",
    "fear_greed": "if_fear_greed",
    "fx_rate": "if_fx_rate",
    "disclosure": "if_disclosure",
    "crawl_run": "if_crawl_run",
}

#: Streams fed by several sources that each know part of a row (KIND/Naver listings; DART's daily
#: list with the minute, OpenDART with stock codes): a null never erases a known value.
COALESCED = ("stock_listing", "disclosure")


#: Source precedence per stream: envelope ``source`` values, richest first. For the same key, a
#: record from a source listed later never replaces a row written from a source listed earlier
#: (in a later batch or within one batch); a source not listed ranks with the first. Fear & Greed:
#: CNN's JSON (score to a tenth, seven components) over the rendered page it falls back to (the
#: gauge's whole number, no components).
PRECEDENCE: dict[str, tuple[str, ...]] = {
    "fear_greed": ("fear-greed", "fear-greed/page"),
}

#: Derived columns a record may lack the input for: a null there never erases a value a row holds
#: (a re-parsed chart's first row has no previous close, so no change; the crawl that fetched
#: the session before had one).
KEPT_IF_NULL: dict[str, tuple[str, ...]] = {
    "daily_price": ("change",),
}


def _spec(model: type[Record]) -> TableSpec:
    return TableSpec(
        stream=model.stream,
        table=_TABLES[model.stream],
        columns=tuple(model.model_fields),
        key=model.primary_key,
        coalesce=model.stream in COALESCED,
        json_columns=("detail",) if model.stream == "crawl_run" else (),
        precedence=PRECEDENCE.get(model.stream, ()),
        kept_if_null=KEPT_IF_NULL.get(model.stream, ()),
    )


SPECS: dict[str, TableSpec] = {stream: _spec(model) for stream, model in STREAMS.items()}

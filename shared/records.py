"""Record contracts: one versioned pydantic model per stream, and the envelope they travel in.

A record is what a parser yields and what the loader writes. Field names are the contract
between crawlers, Kafka, PostgreSQL and the ML worker: change one and you bump
``schema_version`` on that model (the loader refuses versions it does not know).

Every model declares
- ``stream``: the stream (and so the Kafka topic and the table) it belongs to;
- ``schema_version``: bumped on any incompatible change;
- ``primary_key``: the natural key; ``record.key()`` joins it into the Kafka message key so that
  one entity always lands on one partition.

Numbers: what the contract accepts, its table holds exactly (nothing is rounded on the way in).
- Float fields are IEEE-754 doubles, as JSON numbers are read. They go into unconstrained
  ``numeric`` columns (migration 0005 lifted ``if_stock_daily_price``'s ``numeric(18, 4)`` and
  ``numeric(7, 4)``), written as the double's shortest decimal: ``1234.56789`` and ``0.00001``
  are stored as sent, and so is every number of up to 15 significant digits and every number a
  producer writes from a double. Not finite (``Infinity``, ``NaN``, ``1e400``) is refused.
  A JSON number is a double (RFC 8259 section 6, RFC 7493): one written with more significant
  digits than a double carries (``0.10000000000000000001``, ``9007199254740993``) means the
  nearest double, as in every JSON reader, and is stored as that double. Checking each number's
  text for it doubled the decoders' cost (measured on the loader bench's data), so the contract
  says it instead; our producers write doubles' shortest forms, which never meet this.
- Integer fields declare their column's range (``Count``: integer, ``SmallCount``: smallint,
  ``BigCount``: bigint): a value beyond it is refused by the contract, with the field named,
  instead of by the database.
"""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import (AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints,
                      model_validator)

KST = ZoneInfo("Asia/Seoul")
UTC = dt.timezone.utc

#: A KRX short code: six characters, digits and capital letters ("005930", "0126Z0").
StockCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{6}$")]
Market = Literal["KOSPI", "KOSDAQ", "KONEX"]
Section = Literal["all", "pol", "eco", "soc", "int", "its", "spo", "ent"]
PeriodType = Literal["annual", "quarter"]
Metric = Literal[
    "revenue", "operating_income", "net_income", "operating_margin", "net_margin", "roe",
    "debt_ratio", "quick_ratio", "reserve_ratio", "eps", "bps", "dps", "per", "pbr",
    "dividend_yield", "payout_ratio",
]
#: Units a financial figure can carry: 100M KRW (억원), KRW, percent, times (배).
Unit = Literal["KRW_100M", "KRW", "PCT", "X"]
RunStatus = Literal["succeeded", "failed", "blocked", "partial", "interrupted"]
INT16_MAX, INT32_MAX, INT64_MAX = 2**15 - 1, 2**31 - 1, 2**63 - 1
#: A count stored in an ``integer`` column.
Count = Annotated[int, Field(ge=0, le=INT32_MAX)]
#: A count stored in a ``smallint`` column.
SmallCount = Annotated[int, Field(ge=0, le=INT16_MAX)]
#: A count stored in a ``bigint`` column.
BigCount = Annotated[int, Field(ge=0, le=INT64_MAX)]
NonNegInt = Count


def _in_kst(value: dt.datetime) -> dt.datetime:
    return value.astimezone(KST)


def _in_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC)


KstDatetime = Annotated[AwareDatetime, AfterValidator(_in_kst)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
#: Validators that only change how an instant is written (its zone), never which instant it is.
ZONE_ONLY = frozenset({_in_kst, _in_utc})


class Record(BaseModel):
    """Base of every stream's record: frozen, strict about unknown fields, finite numbers only."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    stream: ClassVar[str]
    schema_version: ClassVar[int] = 1
    primary_key: ClassVar[tuple[str, ...]]

    def key(self) -> str:
        """The natural key as one string, e.g. ``005930|2026-09-29``."""
        return "|".join(str(getattr(self, name)) for name in self.primary_key)


class StockListing(Record):
    """A listed security. Sources disagree on what they know (Naver has no sector, KIND no
    security type), so nullable fields mean "this source does not say", and the loader never
    overwrites a known value with a null."""

    stream: ClassVar[str] = "stock_listing"
    primary_key: ClassVar[tuple[str, ...]] = ("code",)

    code: StockCode
    name: str = Field(min_length=1)
    market: Market
    sector: str | None = None
    security_type: str | None = Field(default=None, pattern=r"^[a-z_]+$")
    listed_date: dt.date | None = None
    fiscal_month: int | None = Field(default=None, ge=1, le=12)
    market_cap: BigCount | None = Field(default=None, description="KRW")


class Sector(Record):
    """An industry group (Naver 업종). ``sector_code`` is Naver's group number."""

    stream: ClassVar[str] = "sector"
    primary_key: ClassVar[tuple[str, ...]] = ("sector_code",)

    sector_code: str = Field(min_length=1)
    name: str = Field(min_length=1)


class StockSector(Record):
    """Membership of a stock in a sector, from the industry member lists or the integration page."""

    stream: ClassVar[str] = "stock_sector"
    primary_key: ClassVar[tuple[str, ...]] = ("code",)

    code: StockCode
    sector_code: str = Field(min_length=1)


class StockValuation(Record):
    """Valuation figures of one stock as shown on one day (Naver integration)."""

    stream: ClassVar[str] = "stock_valuation"
    primary_key: ClassVar[tuple[str, ...]] = ("code", "as_of_date")

    code: StockCode
    as_of_date: dt.date
    per: float | None = None
    eps: float | None = None
    pbr: float | None = None
    bps: float | None = None
    dividend_yield: float | None = None
    foreign_ratio: float | None = None


class DailyPrice(Record):
    """One stock's (or index's) trading day. A halted day has null open/high/low and volume 0.

    ``change`` is the close less the previous session's close (KRW, or points for an index). Where
    the source gives no change (Naver's chart API) it is **derived** (:func:`session_change`) from
    the previous row of the same answer; the price crawl asks for one session before its window
    for that, so ``change`` is null only on a security's first session (or when the source has no
    earlier session)."""

    stream: ClassVar[str] = "daily_price"
    primary_key: ClassVar[tuple[str, ...]] = ("code", "trade_date")

    code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{1,12}$")]
    trade_date: dt.date
    open: float | None = Field(default=None, gt=0)
    high: float | None = Field(default=None, gt=0)
    low: float | None = Field(default=None, gt=0)
    close: float = Field(gt=0)
    volume: BigCount
    halted: bool = False
    change: float | None = None
    foreign_ratio: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _halted_has_no_prices(self) -> "DailyPrice":
        # (spelled out: the loader runs this for every record it checks)
        if self.halted:
            if self.open is not None or self.high is not None or self.low is not None:
                raise ValueError("a halted day has no open/high/low")
        elif self.open is None or self.high is None or self.low is None:
            raise ValueError("a trading day needs open, high and low (or halted=true)")
        return self


def session_change(close: float, previous_close: float) -> float:
    """``DailyPrice.change`` derived from two closes, subtracted in decimal as the prices are
    written (271250.0 - 270000.0, 2534.12 - 2520.33 = 13.79), so no binary artefact is added."""
    return float(Decimal(repr(close)) - Decimal(repr(previous_close)))


class BoardPost(Record):
    """A post on a stock's discussion board (Naver 종목토론실)."""

    stream: ClassVar[str] = "board_post"
    primary_key: ClassVar[tuple[str, ...]] = ("code", "post_id")

    code: StockCode
    post_id: str = Field(min_length=1)
    posted_at: KstDatetime
    title: str
    body: str | None = None
    author: str
    views: Count | None = None
    likes: Count | None = None
    dislikes: Count | None = None
    comment_count: Count | None = None
    hidden: bool = False
    reply_depth: SmallCount = 0


class NewsRank(Record):
    """One row of Nate's daily ranked news for a section."""

    stream: ClassVar[str] = "news_rank"
    primary_key: ClassVar[tuple[str, ...]] = ("rank_date", "section", "rank")

    rank_date: dt.date
    section: Section
    rank: int = Field(ge=1, le=100)
    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    press: str | None = None
    article_id: str = Field(min_length=1)


class FinancialStatement(Record):
    """One figure of one period of a company's statements (actual or consensus estimate)."""

    stream: ClassVar[str] = "financial_statement"
    primary_key: ClassVar[tuple[str, ...]] = ("code", "period_type", "period", "metric")

    code: StockCode
    period: Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    period_type: PeriodType
    is_estimate: bool
    metric: Metric
    value: float | None = None
    unit: Unit


class FearGreed(Record):
    """CNN Fear & Greed on one US trading day; component scores (0-100) where the source gives them."""

    stream: ClassVar[str] = "fear_greed"
    primary_key: ClassVar[tuple[str, ...]] = ("as_of_date",)

    as_of_date: dt.date
    score: float = Field(ge=0, le=100)
    rating: Literal["extreme fear", "fear", "neutral", "greed", "extreme greed"]
    market_momentum: float | None = Field(default=None, ge=0, le=100)
    stock_price_strength: float | None = Field(default=None, ge=0, le=100)
    stock_price_breadth: float | None = Field(default=None, ge=0, le=100)
    put_call_options: float | None = Field(default=None, ge=0, le=100)
    market_volatility: float | None = Field(default=None, ge=0, le=100)
    junk_bond_demand: float | None = Field(default=None, ge=0, le=100)
    safe_haven_demand: float | None = Field(default=None, ge=0, le=100)


class FxRate(Record):
    """Korea Eximbank's rate for one currency on one day, in KRW per ``unit`` units."""

    stream: ClassVar[str] = "fx_rate"
    primary_key: ClassVar[tuple[str, ...]] = ("rate_date", "currency")

    rate_date: dt.date
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    unit: Literal[1, 100]
    deal_base_rate: float = Field(gt=0)
    ttb: float | None = Field(default=None, ge=0)
    tts: float | None = Field(default=None, ge=0)
    name: str


#: What a disclosure is about, from its report name (shared/parsers/dart_events.py holds the rules).
EventType = Literal[
    "earnings_preliminary", "earnings_periodic", "capital_raise", "supply_contract", "shareholder_change",
    "buyback", "inquiry_answer", "halt_warning", "other",
]


class Disclosure(Record):
    """One filing on DART (공시), keyed by its receipt number (rcpNo: YYYYMMDD + 6 digits).

    ``disclosed_at`` is the minute DART's daily list shows (KST); OpenDART's list.json has dates
    only, so its rows carry ``None`` there and the loader keeps a known time (coalesce). The
    report name is kept as sent (JSON) or as the page shows it (HTML whitespace collapsed).
    ``stock_code`` is None when the corp code does not resolve to a listed stock."""

    stream: ClassVar[str] = "disclosure"
    primary_key: ClassVar[tuple[str, ...]] = ("receipt_no",)

    receipt_no: Annotated[str, StringConstraints(pattern=r"^\d{14}$")]
    receipt_date: dt.date
    disclosed_at: KstDatetime | None = None
    corp_code: Annotated[str, StringConstraints(pattern=r"^\d{8}$")] | None = None
    corp_name: str = Field(min_length=1)
    stock_code: StockCode | None = None
    market: Market | None = None
    report_name: str = Field(min_length=1)
    submitter: str | None = None
    remark: str | None = None
    is_correction: bool = False
    event_type: EventType

    @model_validator(mode="after")
    def _receipt_date_is_in_the_number(self) -> "Disclosure":
        if self.receipt_no[:8] != self.receipt_date.strftime("%Y%m%d"):
            raise ValueError(f"receipt_no {self.receipt_no} does not start with receipt_date {self.receipt_date}")
        if self.disclosed_at is not None and (self.disclosed_at.second or self.disclosed_at.microsecond):
            raise ValueError("disclosed_at is a minute (no seconds)")
        if self.disclosed_at is not None and self.disclosed_at.astimezone(KST).date() != self.receipt_date:
            raise ValueError(f"disclosed_at is not on receipt_date {self.receipt_date} in Korea")
        return self


class CrawlRun(Record):
    """What one run of one crawler did."""

    stream: ClassVar[str] = "crawl_run"
    primary_key: ClassVar[tuple[str, ...]] = ("run_id",)

    service: str
    run_id: str
    started_at: UtcDatetime
    finished_at: UtcDatetime | None = None
    status: RunStatus
    requests: Count = 0
    pages: Count = 0
    records: Count = 0
    errors: Count = 0
    detail: dict[str, Any] = Field(default_factory=dict)


class Envelope(BaseModel):
    """What travels on Kafka: one record plus where and when it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stream: str
    schema_version: int
    key: str
    source: str
    run_id: str
    extracted_at: UtcDatetime
    record: dict[str, Any]

    @classmethod
    def wrap(cls, record: Record, *, source: str, run_id: str,
             extracted_at: dt.datetime | None = None) -> "Envelope":
        """Envelope a record for publishing."""
        return cls(
            stream=record.stream,
            schema_version=record.schema_version,
            key=record.key(),
            source=source,
            run_id=run_id,
            extracted_at=extracted_at or dt.datetime.now(UTC),
            record=record.model_dump(mode="json"),
        )

    def open(self) -> Record:
        """Validate the payload against its stream's model. Raises ``ContractError``."""
        from shared.streams import MODELS  # the declarations import this module's models

        model = MODELS.get(self.stream)
        if model is None:
            raise ContractError(f"unknown stream {self.stream!r}")
        if self.schema_version != model.schema_version:
            raise ContractError(
                f"unknown schema_version {self.schema_version} for {self.stream} "
                f"(this loader knows {model.schema_version})")
        record = model.model_validate(self.record)
        if record.key() != self.key:
            raise ContractError(f"key {self.key!r} does not match the record's key {record.key()!r}")
        return record


class ContractError(ValueError):
    """A message that does not honour the record contract."""


def new_run_id() -> str:
    """A fresh run id: sortable by time (UTC timestamp prefix) and unique."""
    return dt.datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]

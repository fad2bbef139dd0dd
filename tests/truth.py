"""A simulated world's truth (``services/replay`` writes ``truth/<stream>.jsonl``) loaded into the
tables or read straight into ``build_panel``'s frames: what a perfect crawl and load would give.
Test and bench support only; the product reads the tables through ``ml.dataset``."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import orjson
import pandas as pd
import psycopg2

from ml.dataset import is_stock_code
from shared.streams import STREAMS_BY_NAME

# --------------------------------------------------------------------------- truth -> tables
#: The streams a simulated world's truth holds as records (tables and columns: shared/streams.py).
TRUTH_STREAMS = ("stock_listing", "daily_price", "board_post", "news_rank", "financial_statement",
                 "fear_greed", "fx_rate")


def load_truth(folder: Path, url: str, *, streams: tuple[str, ...] = TRUTH_STREAMS,
               extracted_at: dt.datetime | None = None) -> dict[str, int]:
    """COPY a simulated world's ``truth/<stream>.jsonl`` records into the tables at ``url``
    (provenance: source ``simulate``, run_id ``truth``). Returns rows copied per stream."""
    stamp = (extracted_at or dt.datetime.now(dt.timezone.utc)).isoformat()
    counts: dict[str, int] = {}
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        for stream in streams:
            table, cols = STREAMS_BY_NAME[stream].table, STREAMS_BY_NAME[stream].columns
            path = Path(folder) / f"{stream}.jsonl"
            if not path.exists():
                raise FileNotFoundError(f"truth stream {stream}: {path} does not exist")
            frame = pd.DataFrame([orjson.loads(line) for line in path.read_bytes().splitlines() if line])
            if frame.empty:
                counts[stream] = 0
                continue
            for col in cols:
                if col not in frame:
                    frame[col] = None
            frame = frame[list(cols)].convert_dtypes().assign(source="simulate", run_id="truth", extracted_at=stamp)
            buf = io.StringIO()
            frame.to_csv(buf, index=False, header=False)
            buf.seek(0)
            cur.copy_expert(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)", buf)
            counts[stream] = len(frame)
    return counts


def frames_from_truth(folder: Path) -> dict[str, pd.DataFrame]:
    """The frames ``build_panel`` takes, read straight from a world's truth records (no database):
    what the loaders above return after a perfect crawl and load. Financial events come from
    ``financial_events.jsonl`` (every statement and revision at its publication time)."""
    def read(stream: str) -> pd.DataFrame:
        path = Path(folder) / f"{stream}.jsonl"
        return pd.DataFrame([orjson.loads(line) for line in path.read_bytes().splitlines() if line])

    prices = read("daily_price")
    prices = prices[is_stock_code(prices["code"])]
    prices = prices.assign(trade_date=pd.to_datetime(prices["trade_date"]),
                           halted=prices["halted"].astype(int))[
        ["code", "trade_date", "open", "close", "volume", "halted"]]
    stocks = read("stock_listing")[["code", "name", "market_cap", "security_type"]]
    posts = read("board_post")
    board = pd.DataFrame({
        "code": posts["code"],
        "posted_at": pd.to_datetime(posts["posted_at"], utc=True).dt.tz_convert(None),
        "reactions": posts[["likes", "dislikes", "comment_count"]].fillna(0).sum(axis=1)})
    news = read("news_rank")[["rank_date", "section", "rank", "title"]]
    news["rank_date"] = pd.to_datetime(news["rank_date"])
    fg = read("fear_greed")[["as_of_date", "score"]]
    fg["as_of_date"] = pd.to_datetime(fg["as_of_date"])
    fx = read("fx_rate")
    fx = fx[fx["currency"] == "USD"]
    fx = pd.DataFrame({"rate_date": pd.to_datetime(fx["rate_date"]),
                       "rate": fx["deal_base_rate"] / fx["unit"]})
    events = financial_events_from_truth(Path(folder) / "financial_events.jsonl")
    from ml import disclosures  # worlds written before DART filings have no disclosure truth
    filings = disclosures.from_records(read("disclosure").to_dict("records")) \
        if (Path(folder) / "disclosure.jsonl").exists() else disclosures.empty()
    return dict(prices=prices, stocks=stocks, board=board, news=news, events=events,
                fear_greed=fg.sort_values("as_of_date"), fx=fx.sort_values("rate_date"), disclosures=filings)


def financial_events_from_truth(path: Path) -> pd.DataFrame:
    """A world's ``financial_events.jsonl`` as ``load_financial_events`` returns events: code,
    event_at (naive UTC, from the KST ``published_at``), kind."""
    rows = [orjson.loads(line) for line in Path(path).read_bytes().splitlines() if line.strip()]
    if not rows:
        return pd.DataFrame({"code": pd.Series(dtype=str), "event_at": pd.Series(dtype="datetime64[ns]"),
                             "kind": pd.Series(dtype=str)})
    frame = pd.DataFrame(rows)
    unknown = set(frame["kind"]) - {"new_statement", "estimate_revision"}
    if unknown:
        raise ValueError(f"{path}: unknown financial event kind(s) {sorted(unknown)}")
    return pd.DataFrame({
        "code": frame["code"].astype(str),
        "event_at": pd.to_datetime(frame["published_at"], utc=True).dt.tz_convert(None).astype("datetime64[ns]"),
        "kind": frame["kind"]})

"""DART filings (공시) of a simulated world: corp codes, every filing's receipt number, minute,
report name and the moment it becomes visible, and the ground truth a correct crawl loads.

Report names are real DART titles (from the captures, tests/parsers/fixtures/*dart*), so the
event-type rules run on the simulated names as on real ones. Listed stocks get a corp code that
corpCode.xml maps to their stock code; unlisted issuers (funds, ABS: DART's 기타법인) file too,
with no stock code and no market. A few of those filings are *late*: they carry their receipt
date but show up on the lists days later, as OpenDART's real windows grew (CONTRACTS-media.md §1).
Times are naive KST ``YYYY-MM-DDTHH:MM:SS`` strings (they sort as they compare).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import orjson

from shared.parsers.dart_events import ROUTINE, event_type, is_correction
from shared.records import KST, Disclosure

#: real report names per event type (the captures' titles; supply contracts and buybacks from the guide)
NAMES: dict[str, tuple[str, ...]] = {
    "earnings_preliminary": ("연결재무제표기준영업(잠정)실적(공정공시)", "영업(잠정)실적(공정공시)",
                             "매출액또는손익구조30%(대규모법인은15%)이상변동"),
    "earnings_periodic": ("분기보고서 (2026.06)", "반기보고서 (2026.06)"),
    "capital_raise": ("주요사항보고서(유상증자결정)", "주요사항보고서(전환사채권발행결정)", "신주인수권행사(제4회차)"),
    "supply_contract": ("단일판매ㆍ공급계약체결",),
    "shareholder_change": ("최대주주변경", "주식등의대량보유상황보고서(일반)", "임원ㆍ주요주주특정증권등소유상황보고서"),
    "buyback": ("자기주식취득결정", "주식소각결정"),
    "inquiry_answer": ("조회공시요구(풍문또는보도)에대한답변(부인)",),
    "halt_warning": ("주권매매거래정지(상장폐지 사유발생)", "투자경고종목지정(주가급등)"),
    "other": ("현금ㆍ현물배당결정", "주주총회소집결의", "기업설명회(IR)개최(안내공시)", "타법인주식및출자증권취득결정"),
}
#: how often each event type is filed in the background (per filing)
BACKGROUND = {"earnings_preliminary": 0.08, "earnings_periodic": 0.05, "capital_raise": 0.06, "supply_contract": 0.05,
              "shareholder_change": 0.25, "buyback": 0.04, "inquiry_answer": 0.02, "halt_warning": 0.02, "other": 0.43}
#: the material types a planted (price-moving) filing is drawn from
PLANTED_TYPES = ("earnings_preliminary", "capital_raise", "supply_contract", "buyback", "inquiry_answer")
UNLISTED_NAMES = ("투자설명서(집합투자증권)", "일괄신고추가서류", "[기재정정]증권신고서(집합투자증권-신탁형)",
                  "자산유동화계획의등록신청서")
MARKET_CHANNEL = {"KOSPI": "80", "KOSDAQ": "90", "KONEX": "60"}
#: a day's filing hours (KST) and shares: before the open, during the session, after the close
HOURS = ((7 * 60, 9 * 60, 0.12), (9 * 60, 15 * 60 + 30, 0.45), (15 * 60 + 30, 19 * 60, 0.43))
FILINGS_PER_STOCK_DAY = 0.12
UNLISTED_CORPS = 12
LATE_SHARE = 0.3   # of unlisted issuers' filings
PLANTED_HOURS = {0: (9 * 60, 15 * 60 + 30), 1: (15 * 60 + 30, 19 * 60)}


def corp_code_of(index: int) -> str:
    """The DART corp code of the world's i-th listed security (8 digits, stable)."""
    return f"{100000 + index * 37:08d}"


def _minute(rng: np.random.Generator) -> int:
    u, edge = rng.random(), 0.0
    for start, end, share in HOURS:
        edge += share
        if u < edge:
            return int(rng.integers(start, end))
    return int(rng.integers(HOURS[-1][0], HOURS[-1][1]))


def _stamp(day: dt.date, minute: int) -> str:
    return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00"


def make_filings(rng: np.random.Generator, listing: list[dict], days: list[dt.date],
                 planted: list[dict] | None = None) -> dict:
    """Corp codes and filings. ``planted``: filings the effects plan asks for (``index``, ``day``,
    ``minute``, ``event_type``) - a mover's disclosure. Returns ``{"corps": [...], "filings": [...]}``
    with filings sorted by receipt number."""
    corps = [{"corp_code": corp_code_of(i), "corp_name": s["name"], "stock_code": s["code"], "market": s["market"],
              "index": i} for i, s in enumerate(listing) if s["security_type"] == "stock"]
    for j in range(UNLISTED_CORPS):
        corps.append({"corp_code": f"{900000 + j * 11:08d}", "corp_name": f"시뮬자산운용{j + 1}호",
                      "stock_code": None, "market": None, "index": None})
    listed = [c for c in corps if c["index"] is not None]
    unlisted = [c for c in corps if c["index"] is None]
    by_index = {c["index"]: c for c in listed}
    kinds, weights = list(BACKGROUND), np.array(list(BACKGROUND.values()))
    raw = []
    for day in days:
        if day.weekday() >= 5:
            continue
        for corp in listed:
            for _ in range(int(rng.poisson(FILINGS_PER_STOCK_DAY))):
                kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
                names = NAMES[kind]
                raw.append((corp, day, _minute(rng), names[int(rng.integers(len(names)))], False, 0))
        for corp in unlisted:
            if rng.random() < 0.5:
                late = int(rng.integers(1, 10)) if rng.random() < LATE_SHARE else 0
                raw.append((corp, day, _minute(rng), UNLISTED_NAMES[int(rng.integers(len(UNLISTED_NAMES)))], False,
                            late))
    for p in planted or ():
        names = NAMES[p["event_type"]]
        raw.append((by_index[p["index"]], p["day"], p["minute"], names[int(rng.integers(len(names)))], True, 0))
    serial: dict[tuple[dt.date, str], int] = {}
    filings = []
    for corp, day, minute, name, is_planted, late in sorted(raw, key=lambda r: (r[1], r[2])):
        channel = MARKET_CHANNEL.get(corp["market"], "00") if rng.random() < 0.6 else "00"
        n = serial[(day, channel)] = serial.get((day, channel), 0) + 1
        at = _stamp(day, minute)
        visible = at if not late else _stamp(day + dt.timedelta(days=late), minute)
        filings.append({"receipt_no": f"{day.strftime('%Y%m%d')}{channel}{n:04d}", "at": at, "visible": visible,
                        "corp_code": corp["corp_code"], "corp_name": corp["corp_name"],
                        "stock_code": corp["stock_code"], "market": corp["market"], "report_name": name,
                        "submitter": corp["corp_name"], "planted": is_planted})
    filings.sort(key=lambda f: f["receipt_no"])
    return {"corps": [{k: c[k] for k in ("corp_code", "corp_name", "stock_code", "market")} for c in corps],
            "filings": filings}


def echo_bursts(rng: np.random.Generator, data: dict, listing: list[dict], mean_posts: float = 27.0) -> list:
    """Board bursts that only echo filings: after every listed material filing (any type but
    ``ROUTINE``; planted or background alike, so the echo tells nothing the filing's type does not),
    Poisson(``mean_posts``)
    posts from its minute to the end of its window (09:00 before the open, 15:30 in the session,
    the next day's 09:00 after the close). (stock index, start, end, count) as ``board.make_posts`` takes."""
    index = {s["code"]: i for i, s in enumerate(listing)}
    out = []
    for f in data["filings"]:
        if f["stock_code"] is None or event_type(f["report_name"]) in ROUTINE:
            continue
        at = dt.datetime.fromisoformat(f["at"])
        open_, close = at.replace(hour=9, minute=0), at.replace(hour=15, minute=30)
        end = open_ if at < open_ else close if at < close else open_ + dt.timedelta(days=1)
        out.append((index[f["stock_code"]], at, end, int(rng.poisson(mean_posts))))
    return out


def record_of(filing: dict) -> Disclosure:
    """The contract record a correct crawl makes of a filing."""
    at = dt.datetime.fromisoformat(filing["at"]).replace(tzinfo=KST)
    name = filing["report_name"]
    return Disclosure(receipt_no=filing["receipt_no"], receipt_date=at.date(), disclosed_at=at,
                      corp_code=filing["corp_code"], corp_name=filing["corp_name"], stock_code=filing["stock_code"],
                      market=filing["market"], report_name=name, submitter=filing["submitter"], remark=None,
                      is_correction=is_correction(name), event_type=event_type(name))


def write_truth(path: Path, filings: dict, clock: str) -> int:
    """truth/disclosure.jsonl: every filing visible at ``clock``."""
    n = 0
    with open(path, "wb") as fh:
        for filing in filings["filings"]:
            if filing["visible"] <= clock:
                fh.write(orjson.dumps(record_of(filing).model_dump(mode="json")) + b"\n")
                n += 1
    return n

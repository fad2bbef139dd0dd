"""Annual and quarterly statements of the simulated companies, actuals plus one consensus column."""
from __future__ import annotations

import datetime as dt

import numpy as np

#: metric -> (Naver row title, unit, decimals shown)
ROWS: list[tuple[str, str, str, int]] = [
    ("revenue", "매출액", "KRW_100M", 0), ("operating_income", "영업이익", "KRW_100M", 0),
    ("net_income", "당기순이익", "KRW_100M", 0), ("operating_margin", "영업이익률", "PCT", 2),
    ("net_margin", "순이익률", "PCT", 2), ("roe", "ROE", "PCT", 2), ("debt_ratio", "부채비율", "PCT", 2),
    ("quick_ratio", "당좌비율", "PCT", 2), ("reserve_ratio", "유보율", "PCT", 2), ("eps", "EPS", "KRW", 0),
    ("bps", "BPS", "KRW", 0), ("dps", "주당배당금", "KRW", 0), ("per", "PER", "X", 2),
    ("pbr", "PBR", "X", 2), ("dividend_yield", "시가배당률", "PCT", 2),
    ("payout_ratio", "배당성향", "PCT", 2),
]
NOT_ESTIMATED = {"debt_ratio", "quick_ratio", "reserve_ratio"}


def periods(end: dt.date, fiscal_month: int) -> dict[str, list[tuple[str, bool]]]:
    """(period "YYYY-MM", is_estimate) columns: 3 years + 1 estimate, 5 quarters + 1 estimate."""
    year = end.year - 1 if end.month >= 4 else end.year - 2
    if fiscal_month != 12:
        year = end.year if end.month > fiscal_month + 2 else end.year - 1
    annual = [(f"{y}-{fiscal_month:02d}", y > year) for y in range(year - 2, year + 2)]
    q_end = (end.year * 12 + end.month - 2) // 3 * 3  # months since year 0 of the last quarter end
    quarters = []
    for k in range(-4, 2):
        m = q_end + 3 * k - 1
        quarters.append((f"{m // 12}-{m % 12 + 1:02d}", k == 1))
    return {"annual": annual, "quarter": quarters}


def make_financials(rng: np.random.Generator, stock: dict, close: float, end: dt.date,
                    surprise: int) -> dict[str, list[dict]]:
    """period_type -> columns, each {period, estimate, values{metric: float|None}}. ``surprise``
    (+1/-1/0) makes the latest actual quarter's profits jump or slump against the one before."""
    shares = stock["shares"]
    revenue = max(close * shares / 1e8 * rng.uniform(0.2, 1.5), 10.0)
    margin = rng.normal(0.07, 0.06)
    equity = revenue * rng.uniform(0.4, 1.5)
    out: dict[str, list[dict]] = {}
    for kind, cols in periods(end, stock["fiscal_month"] or 12).items():
        scale = 1.0 if kind == "annual" else 0.25
        rows = []
        last_actual = max(i for i, (_p, est) in enumerate(cols) if not est)
        for i, (period, est) in enumerate(cols):
            rev = round(revenue * scale * rng.uniform(0.85, 1.15))
            m = margin + rng.normal(0, 0.015)
            if kind == "quarter" and i == last_actual and surprise:
                m = abs(margin) * (2.5 if surprise > 0 else -1.5) + 0.02 * surprise
            op = round(rev * m)
            net = round(op * rng.uniform(0.6, 0.85))
            eps = round(net * 1e8 / shares)
            bps = round(equity * 1e8 / shares)
            dps = round(max(eps, 0) * rng.uniform(0, 0.35))
            values = {
                "revenue": rev, "operating_income": op, "net_income": net,
                "operating_margin": round(op / rev * 100, 2) if rev else None,
                "net_margin": round(net / rev * 100, 2) if rev else None,
                "roe": round(net / (equity * scale) * 100, 2),
                "debt_ratio": round(rng.uniform(20, 250), 2), "quick_ratio": round(rng.uniform(50, 400), 2),
                "reserve_ratio": round(rng.uniform(100, 5000), 2), "eps": eps, "bps": bps, "dps": dps,
                "per": round(close / eps, 2) if eps > 0 else None, "pbr": round(close / bps, 2) if bps > 0 else None,
                "dividend_yield": round(dps / close * 100, 2), "payout_ratio": round(dps / eps * 100, 2) if eps > 0 else None,
            }
            for metric in list(values):
                if (est and metric in NOT_ESTIMATED) or rng.random() < 0.03:
                    values[metric] = None
            rows.append({"period": period, "estimate": est,
                         "values": {k: (float(v) if v is not None else None) for k, v in values.items()}})
        out[kind] = rows
    return out


def fmt_figure(value: float | None, decimals: int) -> str:
    """Naver's figure text: thousands commas, fixed decimals, "-" when missing."""
    if value is None:
        return "-"
    return f"{value:,.{decimals}f}"


def valuation(statement: dict | None, close: float) -> dict[str, float | None]:
    """PER/EPS/PBR/BPS/dividend yield as the integration page shows them: trailing four
    quarters' EPS, latest quarter's BPS, latest annual dividend."""
    none = {"per": None, "eps": None, "pbr": None, "bps": None, "dividend_yield": None}
    if statement is None:
        return none
    quarters = [c for c in statement["quarter"] if not c["estimate"]][-4:]
    eps_parts = [c["values"]["eps"] for c in quarters]
    eps = float(sum(eps_parts)) if None not in eps_parts else None
    bps = quarters[-1]["values"]["bps"]
    annual = [c for c in statement["annual"] if not c["estimate"]][-1]
    dps = annual["values"]["dps"]
    return {
        "per": round(close / eps, 2) if eps and eps > 0 else None,
        "eps": eps,
        "pbr": round(close / bps, 2) if bps and bps > 0 else None,
        "bps": bps,
        "dividend_yield": round(dps / close * 100, 2) if dps is not None else None,
    }

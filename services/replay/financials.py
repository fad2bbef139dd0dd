"""Figures of the simulated companies' statements (the 16 rows Naver shows) and the valuation
derived from them; when they are published is in ``disclosures``."""
from __future__ import annotations

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


def period_values(profile: dict, figures: dict, estimate: bool) -> dict[str, float | None]:
    """The 16 figures of one column. ``profile``: the company (revenue, margin, equity, shares,
    close); ``figures``: the period's draws (rev, margin, scale, net_share, payout, debt, quick,
    reserve, missing row indexes). Estimates leave out the rows consensus does not cover."""
    shares, close, scale = profile["shares"], profile["close"], figures["scale"]
    equity = profile["equity"]
    rev = round(figures["rev"])
    op = round(rev * figures["margin"])
    net = round(op * figures["net_share"])
    eps = round(net * 1e8 / shares)
    bps = round(equity * 1e8 / shares)
    dps = round(max(eps, 0) * figures["payout"])
    values = {
        "revenue": rev, "operating_income": op, "net_income": net,
        "operating_margin": round(op / rev * 100, 2) if rev else None,
        "net_margin": round(net / rev * 100, 2) if rev else None,
        "roe": round(net / (equity * scale) * 100, 2),
        "debt_ratio": round(figures["debt"], 2), "quick_ratio": round(figures["quick"], 2),
        "reserve_ratio": round(figures["reserve"], 2), "eps": eps, "bps": bps, "dps": dps,
        "per": round(close / eps, 2) if eps > 0 else None, "pbr": round(close / bps, 2) if bps > 0 else None,
        "dividend_yield": round(dps / close * 100, 2), "payout_ratio": round(dps / eps * 100, 2) if eps > 0 else None,
    }
    for j in figures["missing"]:
        values[ROWS[j][0]] = None
    return {k: (None if v is None or (estimate and k in NOT_ESTIMATED) else float(v)) for k, v in values.items()}


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

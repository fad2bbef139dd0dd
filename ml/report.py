"""``insertcoin report --from D --to D --out DIR``: an HTML page of influence per medium over time
(with intervals), daily lifts, and each day's top movers beside their media activity."""
from __future__ import annotations

import argparse
import datetime as dt
import html
from pathlib import Path

import numpy as np
import pandas as pd

from ml import dataset, plots
from ml.cli import database_url
from shared.cli import day
from shared.errors import DEFAULT_WAIT, EXIT_USAGE, UserError, wait_for_postgres


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", type=day, required=True, help="first day (YYYY-MM-DD), required")
    parser.add_argument("--to", dest="end", type=day, required=True, help="last day (YYYY-MM-DD), required")
    parser.add_argument("--out", type=Path, required=True, help="folder for index.html and PNGs, required")
    parser.add_argument("--url", help="database URL (default: ML_DATABASE_URL, else DATABASE_URL)")
    parser.add_argument("--wait", type=float, default=DEFAULT_WAIT,
                        help="seconds PostgreSQL may take to answer (default: %(default)s)")


def load_report(conn, start: dt.date, end: dt.date) -> dict[str, pd.DataFrame]:
    """monthly / yearly influence, daily scores and top movers with media activity in the range."""
    months = (start.strftime("%Y-%m"), end.strftime("%Y-%m"))
    return {
        "monthly": dataset.read_frame(conn, "SELECT * FROM m_media_influence WHERE period_type = 'month' "
                                            "AND period BETWEEN %s AND %s", months,
                                      true_values=["t"], false_values=["f"]),
        "yearly": dataset.read_frame(conn, "SELECT * FROM v_influence_yearly WHERE year BETWEEN %s AND %s "
                                           "ORDER BY year, clock, scope, rank",
                                     (str(start.year), str(end.year)), dtype={"year": str},
                                     true_values=["t"], false_values=["f"]),
        "daily": dataset.read_frame(conn, "SELECT * FROM v_influence_daily WHERE trade_date BETWEEN %s AND %s",
                                    (start, end), parse_dates=["trade_date"]),
        "movers": dataset.read_frame(conn, "SELECT * FROM v_top_movers_media WHERE list = 'abs' AND "
                                           "trade_date BETWEEN %s AND %s ORDER BY trade_date, rank",
                                     (start, end), dtype={"code": str}, parse_dates=["trade_date"]),
        "disclosures": dataset.read_frame(
            conn, "SELECT trade_date, rank, code, clock, to_char(disclosed_at AT TIME ZONE 'Asia/Seoul', "
                  "'YYYY-MM-DD HH24:MI') AS disclosed_kst, report_name, event_type, receipt_no "
                  "FROM v_top_mover_disclosure WHERE list = 'abs' AND trade_date BETWEEN %s AND %s "
                  "ORDER BY trade_date, rank, disclosed_at", (start, end),
            dtype={"code": str, "receipt_no": str}, parse_dates=["trade_date"]),
    }


MEDIUM_WORDS = {"board": "board posts", "news": "ranked news", "financial": "financial disclosures",
                "fear_greed": "the Fear & Greed index", "fx": "the USD/KRW rate"}
CLOCK_WORDS = {"predictive": "before the 09:00 KST open (predictive clock)",
               "explanatory": "during the trading day (explanatory clock)"}


def _table(frame: pd.DataFrame, floats: str = "{:.4g}") -> str:
    return frame.to_html(index=False, float_format=lambda v: floats.format(v), border=0, escape=True)


def _p(p: float) -> str:
    return "< 1e-6" if p <= 1e-6 else f"{p:.2g}"


def yearly_sentences(yearly: pd.DataFrame) -> list[str]:
    """The answer in words, one sentence per year and clock: the media that passed Holm's
    correction (best first) with influence, 95% CI and adjusted p, or "no medium passed"."""
    out = []
    order = {c: i for i, c in enumerate(CLOCK_WORDS)}
    groups = sorted(yearly.groupby(["year", "clock"]), key=lambda kv: (kv[0][0], order.get(kv[0][1], 9)))
    for (year, clock), g in groups:
        tests = len(yearly[yearly["year"] == year])
        passed = g[g["significant"].astype(bool)].sort_values("influence", ascending=False)
        head = f"{year}, {CLOCK_WORDS.get(clock, clock)}: "
        if passed.empty:
            best = g.sort_values("p_value").iloc[0]
            out.append(head + f"no medium passed Holm's correction at 5% over the year's {tests} tests "
                       f"(media x clocks); smallest raw p: {MEDIUM_WORDS.get(best['medium'], best['medium'])} "
                       f"({best['scope']}-level), {_p(best['p_value'])}.")
            continue
        claims = [f"{MEDIUM_WORDS.get(r['medium'], r['medium'])} ({r['scope']}-level: average precision "
                  f"{r['influence']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] over the medium shuffled, "
                  f"Holm-adjusted p {_p(r['p_adjusted'])})" for _, r in passed.iterrows()]
        out.append(head + "passed Holm's correction at 5% over the year's "
                   f"{tests} tests: " + "; ".join(claims) + ".")
    return out


def _warm_up(yearly: pd.DataFrame, sessions: int, start, end) -> str:
    if yearly.empty or not sessions:
        return ""
    scored = int(yearly["n_days"].max())
    return (f"<p>Sessions between {start} and {end}: {sessions}. Out-of-sample days scored: {scored} "
            f"(<code>n_days</code>). The rolling model scores a day only with at least 60 earlier trading "
            f"days to train on (<code>--min-train</code>), and refits every 21; the days before that are "
            f"training only, so a range starting with too little loaded history has fewer scored days "
            f"than sessions.</p>")


def _movers_table(g: pd.DataFrame) -> pd.DataFrame:
    """A day's movers with r in % and media activity in units a person reads."""
    out = pd.DataFrame({"rank": g["rank"], "code": g["code"], "name": g.get("name", ""),
                        "r": g["r"].map(lambda v: f"{v:+.1%}")})
    for clock in ("predictive", "explanatory"):
        b, n, f = (g[f"{m}_{clock}"].astype(float) for m in ("board", "news", "financial"))
        out[f"board {clock}"] = b.map(lambda v: f"x{np.exp(v):.1f} usual posts")
        out[f"news {clock}"] = n.map(lambda v: f"{np.expm1(v):.2f} mention weight" if v > 0 else "-")
        out[f"financial {clock}"] = f.map(lambda v: f"{np.expm1(v):.0f} events" if v > 0 else "-")
    return out


def write_report(frames: dict[str, pd.DataFrame], start: dt.date, end: dt.date, out: Path) -> Path:
    """Write ``out/index.html`` and its figures; returns the page's path."""
    out.mkdir(parents=True, exist_ok=True)
    yearly = frames["yearly"]
    parts = [f"<h1>insertcoin: which medium moves the day's biggest movers? {start} to {end}</h1>"]
    if len(yearly):
        parts.append("<h2>The answer</h2><ul>" + "".join(f"<li>{html.escape(s)}</li>"
                                                         for s in yearly_sentences(yearly)) + "</ul>")
    parts.append(
        "<p><b>How to read it.</b> Predictive clock: data stamped before the 09:00 KST open. Explanatory "
        "clock: the trading day itself. Influence: out-of-sample average precision (PR-AUC) of "
        "the day's top-10 movers (stock media) or of turbulent days (market media) under a rolling "
        "logistic model, minus the same with the medium's contribution shuffled (across stocks within "
        "each day; for market media circularly shifted against the days). p (one-sided) and the 95% CI "
        "come from that same comparison; a medium passes when its Holm-adjusted p is below 5% over the "
        "media x clocks tested in its year (months: x the year's months). Ranks order the media that "
        "passed only.</p>")
    sessions = frames["daily"]["trade_date"].nunique() if len(frames["daily"]) else 0
    parts.append(_warm_up(yearly, sessions, start, end))
    if len(yearly):
        parts.append("<h2>Media per year</h2>")
        table = yearly.assign(passed=yearly["significant"].map({True: "yes", False: "no"}),
                              rank=yearly["rank"].map(lambda r: "-" if pd.isna(r) else str(int(r))),
                              **{c: yearly[c].map("{:+.3f}".format) for c in ("influence", "ci_low", "ci_high")},
                              **{c: yearly[c].map(_p) for c in ("p_value", "p_adjusted")})
        cols = ["year", "clock", "scope", "medium", "passed", "rank", "influence", "ci_low", "ci_high",
                "p_value", "p_adjusted", "n_days"]
        parts.append(_table(table.sort_values(["year", "clock", "scope", "p_value"])[cols]))
    if len(frames["monthly"]):
        plots.influence_over_time(frames["monthly"], out / "influence.png")
        parts.append('<h2>Influence per month</h2><img src="influence.png" width="100%">')
    if len(frames["daily"]):
        plots.daily_lift(frames["daily"], out / "daily_lift.png")
        parts.append("<h2>Daily lift (descriptive)</h2><p>Each day alone: the share of active stocks "
                     "among the top 10 over the share of all stocks. A day's lift is a description, not "
                     "a test of the medium: one day's hypergeometric p is not corrected for the many days "
                     "shown, and the answer above rests on the yearly test only.</p>"
                     '<img src="daily_lift.png" width="100%">')
    movers = frames["movers"]
    if len(movers):
        plots.movers_activity(movers, out / "movers.png")
        parts.append('<h2>Top movers and their media</h2><img src="movers.png" width="100%">')
        for day, g in sorted(movers.groupby("trade_date"), reverse=True):
            parts.append(f"<h3>{pd.Timestamp(day).date()}</h3>")
            parts.append(_table(_movers_table(g)))
            filed = frames.get("disclosures")
            filed = filed[filed["trade_date"] == day] if filed is not None and len(filed) else ()
            if len(filed):  # what was disclosed (v_top_mover_disclosure)
                parts.append("<p>What was disclosed (DART, KST; predictive = before the open):</p>")
                parts.append(_table(filed.drop(columns=["trade_date"])))
    if len(frames["monthly"]) + len(yearly) + len(frames["daily"]) + len(movers) == 0:
        parts.append(f"<p>No scores between {start} and {end}: run <code>insertcoin score</code> first.</p>")
    page = out / "index.html"
    page.write_text("<!doctype html><meta charset='utf-8'><title>insertcoin report</title>"
                    "<style>body{font-family:sans-serif;max-width:1200px;margin:auto}"
                    "table{border-collapse:collapse;font-size:12px}td,th{padding:2px 6px}</style>"
                    + "\n".join(p for p in parts if p), encoding="utf-8")
    return page


def run(args: argparse.Namespace) -> int:
    if args.end < args.start:
        raise UserError(f"--to {args.end} is before --from {args.start}", EXIT_USAGE)
    url = database_url(args.url)
    wait_for_postgres(url, args.wait)
    conn = dataset.connect(url)
    try:
        frames = load_report(conn, args.start, args.end)
    finally:
        conn.close()
    page = write_report(frames, args.start, args.end, args.out)
    print(html.escape(str(page)))
    return 0

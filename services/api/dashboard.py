"""The dashboard: server-rendered HTML with inline SVG charts, served by the API's process.
Pages: the period's answer and today's movers (/ and /dashboard), a stock (/stocks/{code}), the watchlist
(/watchlist). No JavaScript and no build step; a CJK font renders the Korean names."""
from __future__ import annotations

import datetime as dt
import math
from html import escape
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from services.api import queries, svg
from services.api.http import Problem
from services.api.routes import CODE, FIRST_DAY, LAST_DAY, PERIOD

router = APIRouter(include_in_schema=False)

#: how each medium the ML worker scores (ml.features STOCK_MEDIA, MARKET_MEDIA) reads in a sentence
MEDIUM = {"board": "Board posts", "news": "Ranked news", "financial": "Financial statements",
          "disclosure": "Disclosures (DART filings)", "fear_greed": "Fear & Greed",
          "fx": "The won's exchange rate"}
CLOCK = {"predictive": "before the open lead", "explanatory": "on the day go with"}
CLOCK_SHORT = {"predictive": "before the open", "explanatory": "same day"}

CSS = """
body{font-family:"Noto Sans CJK KR","Noto Sans KR","Noto Sans CJK",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:10px 24px}header a{color:#fff;margin-right:18px;text-decoration:none}
main{max-width:980px;margin:0 auto;padding:12px 24px}section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 16px;margin:14px 0}
h1{font-size:22px}h2{font-size:17px;margin:4px 0 10px}.answer{font-size:18px;line-height:1.5}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{padding:4px 8px;border-bottom:1px solid #eaeef2;text-align:right}
th:first-child,td:first-child,td.l,th.l{text-align:left}.muted{color:#656d76}.up{color:#d1242f}.down{color:#0969da}
.chart{max-width:100%;height:auto}.chart-title{font-size:13px;font-weight:600}.tick{font-size:11px;fill:#57606a}
.axis-label{font-size:11px;fill:#57606a}.grid{stroke:#eaeef2}.bar{fill:#1f6feb}.zero{stroke:#57606a;stroke-dasharray:3 3}
.ci.sig{stroke:#1a7f37;stroke-width:2}.pt.sig{fill:#1a7f37}.ci.nonsig{stroke:#8c959f}.pt.nonsig{fill:#fff;stroke:#8c959f}
.hit{font-weight:600;color:#1a7f37}
"""


def _db(request: Request):
    return request.app.state.db


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>{escape(title)} - insertcoin'
        f'</title><meta name="viewport" content="width=device-width"><style>{CSS}</style></head><body>'
        f'<header><a href="/dashboard"><b>insertcoin</b></a><a href="/dashboard">Influence &amp; movers</a>'
        f'<a href="/watchlist">Watchlist</a><a href="/docs">API</a></header><main>{body}</main></body></html>')


def _num(v, fmt: str, missing: str = "-") -> str:
    return missing if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def _p(v: float) -> str:
    return f"{v:.2g}" if v >= 0.001 else "<0.001"


def _stock_link(code: str, name: str | None) -> str:
    if name is None:                     # not a listed stock (an index): no page to link to
        return f'{escape(code)} <span class="muted">index</span>'
    return f'<a href="/stocks/{escape(code)}">{escape(name or code)}</a> <span class="muted">{escape(code)}</span>'


def media_cells(row: dict, clock: str) -> str:
    """A mover's media on one clock in their units: board posts as a multiple of the usual,
    news as the summed mention weight, financial as a count of events."""
    board, news, fin = (row.get(f"{m}_{clock}") for m in ("board", "news", "financial"))
    return (f"<td>{_num(None if board is None else math.exp(board), '.1f')}×</td>"
            f"<td>{_num(None if news is None else math.expm1(news), '.1f')}</td>"
            f"<td>{_num(None if fin is None else math.expm1(fin), '.0f')}</td>")


def answer(rows: list[dict], period: str) -> str:
    """The period's answer in one sentence, with its interval and its multiple-testing-corrected p."""
    if not rows:
        return f"No influence scores for {escape(period)} yet (`insertcoin score` writes them)."
    m = len(rows)
    winners = sorted((r for r in rows if r["significant"] and r["influence"] > 0),
                     key=lambda r: -r["influence"])
    if winners:
        w = winners[0]
        return (f"{MEDIUM[w['medium']]} {CLOCK[w['clock']]} the day's top movers in {escape(period)}: "
                f"PR-AUC {w['influence']:+.3f} [{w['ci_low']:.3f}, {w['ci_high']:.3f}], p {_p(w['p_value'])} "
                f"(Holm-adjusted {_p(w['p_adjusted'])} over {m} media × clocks tested).")
    best = max(rows, key=lambda r: r["influence"])
    floor = min(1.0, m / (min(r["n_permutations"] for r in rows) + 1))
    caveat = (f" With {min(r['n_permutations'] for r in rows)} permutations no adjusted p can go below "
              f"{floor:.2g}: rescore with more permutations to tell." if floor > 0.05 else "")
    return (f"In {escape(period)}, no medium explains or predicts the top movers beyond chance after "
            f"correcting for {m} media × clocks tested (strongest: {MEDIUM[best['medium']].lower()} "
            f"{CLOCK_SHORT[best['clock']]}, PR-AUC {best['influence']:+.3f} [{best['ci_low']:.3f}, "
            f"{best['ci_high']:.3f}], adjusted p {_p(best['p_adjusted'])}).{caveat}")


def _influence_section(db, period: str | None) -> tuple[str, str]:
    if period is None:
        latest = db.one("SELECT max(period) AS p FROM m_media_influence WHERE period_type = 'year'")
        period = latest["p"] if latest and latest["p"] else str(dt.date.today().year)
    kind = "year" if len(period) == 4 else "month"
    rows = queries.influence(db, kind, period, period, None, None, 100, None)
    ranked = sorted((r for r in rows if r["significant"]), key=lambda r: -r["influence"])
    others = sorted((r for r in rows if not r["significant"]), key=lambda r: -r["influence"])
    table = ['<table id="media"><tr><th class="l">rank</th><th class="l">medium</th><th class="l">clock</th>'
             '<th>PR-AUC drop</th><th>95% CI</th><th>p</th><th>Holm p</th></tr>']
    for i, r in enumerate(ranked + others, start=1):
        rank = str(i) if r in ranked else '<span class="muted">n.s.</span>'
        table.append(f'<tr class="{"sig" if r in ranked else "muted"}"><td>{rank}</td>'
                     f'<td class="l">{MEDIUM[r["medium"]]}</td><td class="l">{CLOCK_SHORT[r["clock"]]}</td>'
                     f'<td>{r["influence"]:+.3f}</td><td>[{r["ci_low"]:+.3f}, {r["ci_high"]:+.3f}]</td>'
                     f'<td>{_p(r["p_value"])}</td><td>{_p(r["p_adjusted"])}</td></tr>')
    table.append("</table>")
    chart = svg.interval_chart(
        [{"label": f"{MEDIUM[r['medium']]} ({CLOCK_SHORT[r['clock']]})", "value": r["influence"],
          "low": r["ci_low"], "high": r["ci_high"], "significant": r["significant"]}
         for r in ranked + others],
        f"Influence in {period}: PR-AUC drop without the medium, 95% CI (green: significant, Holm)",
        "PR-AUC drop (out of sample)")
    body = (f'<section><h2>The answer for {escape(period)}</h2><p class="answer" id="answer">'
            f'{answer(rows, period)}</p>{chart}'
            '<p class="muted">Media are ranked only where significant at 5% after the Holm correction over '
            'every medium × clock scored in the period; n.s. = not significant, unranked.</p>'
            f'{"".join(table)}</section>')
    return body, period


def movers_table(rows: list[dict], with_links: bool = True) -> str:
    out = ['<table class="movers"><tr><th class="l">#</th><th class="l">stock</th><th>open→close</th>'
           '<th colspan="3">before the open: posts, news, financial</th>'
           '<th colspan="3">same day: posts, news, financial</th></tr>']
    for r in rows:
        cls = "up" if r["r"] > 0 else "down"
        name = _stock_link(r["code"], r.get("name")) if with_links else escape(r.get("name") or r["code"])
        out.append(f'<tr><td>{r["rank"]}</td><td class="l">{name}</td><td class="{cls}">{r["r"]:+.1%}</td>'
                   f'{media_cells(r, "predictive")}{media_cells(r, "explanatory")}</tr>')
    out.append("</table>")
    return "".join(out)


@router.get("/", response_class=HTMLResponse)
@router.get("/dashboard", response_class=HTMLResponse)      # its address behind the shared ALB
def home(request: Request,
         period: Annotated[str | None, Query(pattern=PERIOD)] = None,
         date: Annotated[dt.date | None, Query(ge=FIRST_DAY, le=LAST_DAY)] = None) -> HTMLResponse:
    db = _db(request)
    influence, period = _influence_section(db, period)
    day = date or queries.latest_mover_day(db)
    movers = queries.movers(db, day, day, "abs", None, 10, None) if day else []
    movers_html = (f'<section><h2>Top movers of {day}</h2>'
                   f'{movers_table(movers) if movers else "<p>No top movers scored for this day.</p>"}'
                   '<p class="muted">Posts: the board\'s post volume as a multiple of its usual; news: '
                   'rank-weighted mentions in the most-read news; financial: new statements and estimate '
                   'revisions.</p></section>')
    return _page("Influence & movers", f"<h1>Which medium moves the day's biggest movers?</h1>"
                                       f"{influence}{movers_html}")


@router.get("/stocks/{code}", response_class=HTMLResponse)
def stock_page(request: Request, code: Annotated[str, Path(pattern=CODE)]) -> HTMLResponse:
    db = _db(request)
    found = queries.stock_and_last_day(db, code)
    if found is None:
        raise Problem(404, "Not Found", f"no stock {code}")
    end = found.pop("last_day") or dt.date.today()
    start = end - dt.timedelta(days=90)
    data = queries.timeline(db, code, found["name"], start, end)
    prices = svg.line_chart({"close": [(p["trade_date"], p["close"]) for p in data["prices"]]},
                            f"Close, {start} to {end}", "KRW")
    posts = svg.bar_chart([(p["hour_kst"], p["posts"]) for p in data["posts_per_hour"]],
                          "Board posts per hour (KST)", "posts / hour")
    mover_rows = "".join(f'<tr><td>{m["trade_date"]}</td><td class="l">{m["list"]}</td><td>{m["rank"]}</td>'
                         f'<td class="{"up" if m["r"] > 0 else "down"}">{m["r"]:+.1%}</td>'
                         f'{media_cells(m, "predictive")}{media_cells(m, "explanatory")}</tr>'
                         for m in data["movers"] if m["list"] == "abs")
    news_rows = "".join(f'<tr><td>{n["rank_date"]}</td><td class="l">{escape(n["section"])} #{n["rank"]}</td>'
                        f'<td class="l">{escape(n["title"])}</td></tr>' for n in data["news"][-30:])
    changes: dict[tuple, int] = {}
    for f in data["financial"]:
        key = (f["changed_at"].date(), f["period_type"], f["period"], "estimate" if f["is_estimate"] else "actual")
        changes[key] = changes.get(key, 0) + 1
    fin_rows = "".join(f'<tr><td>{d}</td><td class="l">{escape(pt)} {escape(p)}</td><td class="l">{kind}</td>'
                       f'<td>{n} figure(s)</td></tr>' for (d, pt, p, kind), n in list(changes.items())[-30:])
    body = (f'<h1>{escape(found["name"])} <span class="muted">{code} · {escape(found["market"])}</span></h1>'
            f'<section>{prices}{posts}</section>'
            f'<section><h2>Days among the top 10 movers</h2>'
            f'{"<table><tr><th class=l>day</th><th class=l>list</th><th>rank</th><th>open→close</th><th colspan=3>before the open</th><th colspan=3>same day</th></tr>" + mover_rows + "</table>" if mover_rows else "<p>None in this range.</p>"}'
            f'</section><section><h2>In the most-read news</h2>'
            f'{"<table>" + news_rows + "</table>" if news_rows else "<p>Not named in ranked news in this range.</p>"}'
            f'</section><section><h2>Financial statements: figures loaded or revised</h2>'
            f'{"<table id=financial>" + fin_rows + "</table>" if fin_rows else "<p>No change of its statements in this range.</p>"}'
            f'</section>')
    return _page(found["name"], body)


def _why(reasons: list[dict]) -> str:
    """Media pushing a stock up the list, then (muted) what the controls added, if anything."""
    media = "; ".join(escape(x["detail"]) for x in reasons if x["contribution"] > 0 and x["medium"] != "controls")
    rest = [x for x in reasons if x["medium"] == "controls" and x["contribution"] > 0]
    extra = f' <span class="muted">({escape(rest[0]["detail"])})</span>' if rest else ""
    return (media or "-") + extra


@router.get("/watchlist", response_class=HTMLResponse)
def watchlist_page(request: Request,
                   date: Annotated[dt.date | None, Query(ge=FIRST_DAY, le=LAST_DAY)] = None) -> HTMLResponse:
    db = _db(request)
    day = date or queries.latest_watchlist_day(db)
    rows = queries.watchlist(db, day) if day else []
    items = "".join(
        f'<tr><td>{r["rank"]}</td><td class="l">{_stock_link(r["code"], r["name"])}</td>'
        f'<td>{r["probability"]:.1%}</td><td class="l">'
        f'{_why(r["reasons"])}</td>'
        f'<td class="{"hit" if r["among_movers"] else ""}">'
        f'{"-" if r["among_movers"] is None else ("mover" if r["among_movers"] else "no")}</td></tr>'
        for r in rows)
    listed = (f'<table id="watchlist"><tr><th class="l">#</th><th class="l">stock</th><th>P(top 10)</th>'
              f'<th class="l">why (overnight media pushing it up)</th><th>outcome</th></tr>{items}</table>'
              if rows else "<p>No watchlist yet (`insertcoin watchlist` makes one before the open).</p>")
    end = day or dt.date.today()
    scores = queries.watchlist_scores(db, end - dt.timedelta(days=365), end, 1000, None)
    summary = queries.watchlist_summary(db, end - dt.timedelta(days=365), end)
    chart = svg.line_chart({"precision@N": [(s["trade_date"], s["precision"]) for s in scores],
                            "base rate (random list)": [(s["trade_date"], s["base_rate"]) for s in scores]},
                           "How past watchlists did: share of the list among the day's top 10 movers",
                           "share of the list", y_fmt=".0%", y_zero=True)
    verdict = ("No list scored yet." if not summary["lists"] else
               f'{summary["lists"]} lists scored: {summary["hits"]} of {summary["picks"]} picks were among '
               f'the day\'s top 10 movers, mean precision {summary["mean_precision"]:.1%} against a base rate '
               f'of {summary["mean_base_rate"]:.1%} for a random list.')
    caveats = "".join(f'<p class="caveat">Caveat: {escape(c)}</p>' for c in (rows[0]["caveats"] if rows else []))
    body = (f'<h1>Pre-open watchlist{f" for {day}" if day else ""}</h1><section>{caveats}{listed}'
            f'<p class="muted">Ranked at 08:40 KST on media stamped before the 09:00 open by the predictive '
            f'model; probability of being among the day\'s top 10 movers by |close/open - 1|.</p></section>'
            f'<section><h2>Track record</h2><p id="track">{verdict}</p>{chart}</section>')
    return _page("Watchlist", body)

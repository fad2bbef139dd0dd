"""CNN Fear & Greed (graphdata JSON, and the page that fills itself in with JavaScript) and Korea
Eximbank's exchangeJSON, rendered from a world."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from services.replay import macro
from services.replay.reply import HTML_UTF8, Reply, json_reply
from services.replay.world import World

TEAPOT = Reply(418, b"I'm a teapot. You're a bot.", "text/plain; charset=utf-8")
HISTORY_POINTS = 252
INDICATORS = (("market_momentum_sp500", "Market Momentum"), ("stock_price_strength", "Stock Price Strength"),
              ("stock_price_breadth", "Stock Price Breadth"), ("put_call_options", "Put and Call Options"),
              ("market_volatility_vix", "Market Volatility"), ("safe_haven_demand", "Safe Haven Demand"),
              ("junk_bond_demand", "Junk Bond Demand"))


def looks_like_browser(headers: dict[str, str]) -> bool:
    """CNN's bot check: a browser User-Agent, a cnn.com Referer/Origin (or the replayed page
    itself) and an Accept that asks for JSON."""
    ua = headers.get("user-agent", "")
    origin = headers.get("referer", "") + " " + headers.get("origin", "")
    return ("Mozilla/" in ua and ("cnn.com" in origin or "/markets/fear-and-greed" in origin)
            and "json" in headers.get("accept", ""))


def _ms(day: str) -> float:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc).timestamp() * 1000


class FeedRenderer:
    """Bodies of CNN and Eximbank endpoints for one world."""

    def __init__(self, world: World, authkey: str | None, daily_limit: int = 1000):
        self.world = world
        self.authkey = authkey
        self.daily_limit = daily_limit
        self.calls: dict[tuple[str, str], int] = {}
        fg = world.fear_greed
        self.last = max(i for i, d in enumerate(fg["days"]) if d <= world.meta["to"])
        self.graphdata = lru_cache(maxsize=512)(self._graphdata)
        self.fx_day = lru_cache(maxsize=4096)(self._fx_day)

    # -- production.dataviz.cnn.io ----------------------------------------------------------
    def _graphdata(self, since: str | None) -> Reply:
        fg, last = self.world.fear_greed, self.last
        days = fg["days"][: last + 1]
        first = max(last + 1 - HISTORY_POINTS, 0) if since is None else next(
            (i for i, d in enumerate(days) if d >= since), last + 1)
        score = fg["score"]
        now_ms = _ms(days[last]) + 86_392_000  # 23:59:52 UTC of the last US session

        def back(n: int) -> float:
            return score[max(last - n, 0)]
        body = {
            "fear_and_greed": {"score": score[last], "rating": macro.rating(score[last]),
                               "timestamp": dt.datetime.fromtimestamp(now_ms / 1000, dt.timezone.utc).isoformat(),
                               "previous_close": back(1), "previous_1_week": back(5),
                               "previous_1_month": back(21), "previous_1_year": back(252)},
            "fear_and_greed_historical": {
                "timestamp": now_ms, "score": score[last], "rating": macro.rating(score[last]),
                "data": [{"x": _ms(days[i]), "y": score[i], "rating": macro.rating(score[i])}
                         for i in range(first, last + 1)]},
        }
        for name, *_rest in macro.COMPONENTS:
            comp = fg["components"][name]
            entry = {"timestamp": now_ms, "score": comp["score"][last], "rating": macro.rating(comp["score"][last]),
                     "data": [{"x": _ms(days[i]), "y": comp["level"][i], "rating": macro.rating(comp["score"][i])}
                              for i in range(first, last + 1)]}
            body[name] = entry
            if name == "market_momentum_sp500":
                body["market_momentum_sp125"] = entry
            if name == "market_volatility_vix":
                body["market_volatility_vix_50"] = entry
        return json_reply(body)

    # -- edition.cnn.com --------------------------------------------------------------------
    def page(self) -> Reply:
        """The markets page before JavaScript: an empty gauge and the script that fills it in."""
        indicators = "".join(
            f"  <div class=\"market-fng-indicator\" data-id=\"{key}\">\n"
            f"    <div class=\"market-fng-indicator__name\">{label}</div>\n"
            f"    <div class=\"market-fng-indicator__value\" data-index=\"\"><span class=\"market-fng-indicator__value-label "
            f"{key}-index\"></span></div>\n  </div>\n" for key, label in INDICATORS)
        historical = "".join(
            f"            <div class=\"market-fng-gauge__historical-item market-fng-gauge__historical-item--{key}\" "
            f"data-index-label=\"\">\n              <div class=\"market-fng-gauge__historical-item-label\">{label}</div>\n"
            "              <div class=\"market-fng-gauge__historical-item-index\">\n"
            "                <div class=\"market-fng-gauge__historical-item-index-label\"></div>\n"
            "                <div class=\"market-fng-gauge__historical-item-index-value\"></div>\n"
            "              </div>\n            </div>\n"
            for key, label in (("prevClose", "Previous close"), ("weekClose", "1 week ago"),
                               ("monthClose", "1 month ago"), ("yearClose", "1 year ago")))
        html = PAGE.replace("{historical}", historical).replace("{indicators}", indicators)
        return Reply(200, html.encode("utf-8"), HTML_UTF8)

    # -- oapi.koreaexim.go.kr ---------------------------------------------------------------
    def exchange(self, q: dict[str, str], today: dt.date) -> Reply:
        key = q.get("authkey", "")
        if not self.authkey or key != self.authkey:
            return json_reply([_error_row(3)])
        if q.get("data") != "AP01":
            return json_reply([_error_row(2)])
        used = self.calls.get((key, today.isoformat()), 0) + 1
        self.calls[(key, today.isoformat())] = used
        if used > self.daily_limit:
            return json_reply([_error_row(4)])
        date = q.get("searchdate", "") or today.strftime("%Y%m%d")
        return self.fx_day(date)

    def _fx_day(self, date: str) -> Reply:
        iso = f"{date[:4]}-{date[4:6]}-{date[6:8]}" if len(date) == 8 else date
        t = self.world.fx_day.get(iso)
        if t is None:  # weekend, KRX holiday, or outside the world
            return json_reply([])
        rows = []
        for cur, name, _base in macro.CURRENCIES:
            deal = self.world.fx["rates"][cur][t]
            ttb, tts = ("0", "0") if cur == "KRW" else tuple(macro.fmt_rate(v) for v in macro.fx_spread(deal))
            rows.append({"result": 1, "cur_unit": cur, "ttb": ttb, "tts": tts,
                         "deal_bas_r": macro.fmt_rate(deal), "bkpr": f"{int(deal):,}", "yy_efee_r": "0",
                         "ten_dd_efee_r": "0", "kftc_bkpr": f"{int(deal):,}",
                         "kftc_deal_bas_r": macro.fmt_rate(deal), "cur_nm": name})
        return json_reply(rows)


def _error_row(result: int) -> dict:
    return {"result": result, "cur_unit": None, "ttb": None, "tts": None, "deal_bas_r": None, "bkpr": None,
            "yy_efee_r": None, "ten_dd_efee_r": None, "kftc_bkpr": None, "kftc_deal_bas_r": None,
            "cur_nm": None}


PAGE = """<!DOCTYPE html>
<html lang="en" data-uri="cms.cnn.com/_pages/markets-fear-and-greed@published">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fear and Greed Index - Investor Sentiment | CNN</title>
<link rel="canonical" href="https://www.cnn.com/markets/fear-and-greed">
</head>
<body class="layout layout-with-rail markets">
<div class="market-tabbed-container">
  <div class="market-tabbed-container__content">
    <div class="market-tabbed-container__tab market-tabbed-container__tab--1">
      <div class="market-fng-gauge" data-uri="cms.cnn.com/_components/market-fng-gauge/instances/fear-and-greed-gauge@published">
        <div class="market-fng-gauge__header">
          <h1 class="market-fng-gauge__title">Fear &amp; Greed Index</h1>
          <div class="market-fng-gauge__subtitle">What emotion is driving the market now?</div>
        </div>
        <div class="market-fng-gauge__timestamp" data-timestamp="">Last updated</div>
        <div class="market-fng-gauge__overview">
          <div class="market-fng-gauge__meter-container">
            <div class="market-fng-gauge__meter" data-index-label="">
              <div class="market-fng-gauge__dial"></div>
              <div class="market-fng-gauge__hand"></div>
              <div class="market-fng-gauge__hand-base"></div>
              <div class="market-fng-gauge__dial-number">
                <span class="market-fng-gauge__dial-number-value"></span>
              </div>
            </div>
          </div>
          <div class="market-fng-gauge__historical">
{historical}          </div>
        </div>
        <a href="/markets/fear-and-greed" class="market-fng-gauge__text" data-index-label="">
          <span class="market-fng-gauge__label"></span> is driving the US market
        </a>
      </div>
      <div class="market-fng-timeline" data-chart-url="/index/fearandgreed/graphdata"></div>
    </div>
  </div>
</div>
<div class="market-fng-indicators">
{indicators}</div>
<script>
(function () {
  function label(r) { return r.replace(/ /g, "-"); }
  function title(r) { return r.replace(/\\b\\w/g, function (c) { return c.toUpperCase(); }); }
  function q(sel) { return document.querySelector(sel); }
  fetch("/index/fearandgreed/graphdata", {headers: {"Accept": "application/json"}})
    .then(function (res) { return res.json(); })
    .then(function (d) {
      var fg = d.fear_and_greed;
      q(".market-fng-gauge__dial-number-value").textContent = String(Math.round(fg.score));
      q(".market-fng-gauge__meter").setAttribute("data-index-label", label(fg.rating));
      q(".market-fng-gauge__text").setAttribute("data-index-label", label(fg.rating));
      q(".market-fng-gauge__label").textContent = fg.rating;
      var ts = q(".market-fng-gauge__timestamp");
      ts.setAttribute("data-timestamp", String(Date.parse(fg.timestamp)));
      ts.textContent = "Last updated " + new Date(fg.timestamp).toUTCString();
      var hist = {prevClose: fg.previous_close, weekClose: fg.previous_1_week,
                  monthClose: fg.previous_1_month, yearClose: fg.previous_1_year};
      Object.keys(hist).forEach(function (k) {
        var v = hist[k], r = v < 25 ? "extreme fear" : v < 45 ? "fear" : v <= 55 ? "neutral" : v <= 75 ? "greed" : "extreme greed";
        var item = q(".market-fng-gauge__historical-item--" + k);
        item.setAttribute("data-index-label", label(r));
        item.querySelector(".market-fng-gauge__historical-item-index-label").textContent = title(r);
        item.querySelector(".market-fng-gauge__historical-item-index-value").textContent = String(Math.round(v));
      });
      document.querySelectorAll(".market-fng-indicator").forEach(function (el) {
        var c = d[el.getAttribute("data-id")];
        if (!c) return;
        el.querySelector(".market-fng-indicator__value").setAttribute("data-index", label(c.rating));
        el.querySelector(".market-fng-indicator__value-label").textContent = title(c.rating);
      });
    });
})();
</script>
</body>
</html>
"""

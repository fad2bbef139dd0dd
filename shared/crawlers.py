"""Every crawler, declared once: its command and package, the streams it publishes, its source
hosts (the settings naming their base URLs), its schedule (one cron, KST), the secrets it needs,
its task size and its bookmark cursor (:mod:`shared.crawling.cursors`). ``insertcoin crawl`` finds its spider here, and ``python -m infra.generate``
writes the compose crawler services, infra/cloudformation/crawlers.yaml and .env.example's crons
from it (tests/test_generated.py keeps the checked-in output current). A cron is written here and
nowhere else by hand."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.crawling.cursors import CoveredRange, DayDone, NewestDay, NewestItem

#: EventBridge Scheduler's day-of-week names (cron's 0 and 7 are Sunday)
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass(frozen=True)
class Crawler:
    command: str                  # `insertcoin crawl <command>`, the compose service, the ECS family
    spider: str                   # module:class
    streams: tuple[str, ...]      # what it publishes (besides crawl_run and the dead letter)
    cron: str                     # five fields, in KST
    when: str                     # why then, in words
    sources: tuple[str, ...]      # the settings holding its sources' base URLs
    secrets: tuple[str, ...] = ()  # environment variables read from a secret
    browser: bool = False         # runs the browser image (Chromium) and its larger task
    run_at_start: bool = False    # compose also runs it once at `up` (the others need its output)
    cursor: Callable | None = None  # its bookmarks' shape, built per run (None: no incremental runs)

    @property
    def package(self) -> str:
        return self.spider.split(":")[0].rsplit(".", 1)[0]

    @property
    def logical(self) -> str:
        """CloudFormation's name stem: fear-greed -> FearGreed."""
        return "".join(part.capitalize() for part in self.command.split("-"))

    @property
    def cron_variable(self) -> str:
        return self.command.upper().replace("-", "_") + "_CRON"

    @property
    def eventbridge_cron(self) -> str:
        return eventbridge(self.cron)


def eventbridge(cron: str) -> str:
    """A five-field cron in EventBridge Scheduler's six fields: day-of-month or day-of-week must be
    '?', days of the week by name, a year field."""
    minute, hour, dom, month, dow = cron.split()
    if dow != "*":
        names = []
        for part in dow.split(","):
            first, _, last = part.partition("-")
            names.append(_DAYS[int(first)] + (f"-{_DAYS[int(last)]}" if last else ""))
        return f"cron({minute} {hour} ? {month} {','.join(names)} *)"
    return f"cron({minute} {hour} {dom} {month} ? *)"


NAVER = ("NAVER_STOCK_API_URL", "NAVER_STOCK_URL", "NAVER_MSTOCK_URL", "NAVER_FINANCE_URL")
DECLARED: tuple[Crawler, ...] = (
    Crawler("stockcode", "services.stockcode.spider:StockCodeSpider",
            ("stock_listing", "sector", "stock_sector", "stock_valuation"), "30 7 * * 1-5",
            "07:30 KST weekdays, before the open", ("KIND_URL", *NAVER), run_at_start=True),
    Crawler("stockreport", "services.stockreport.spider:StockReportSpider", ("daily_price",), "10 16 * * 1-5",
            "16:10 KST weekdays, after the close", NAVER, cursor=CoveredRange),
    Crawler("stockdebate", "services.stockdebate.spider:StockDebateSpider", ("board_post",), "5 * * * *",
            "hourly at :05, every day (off the top of the hour, where the other crawlers start)", NAVER,
            cursor=NewestItem),
    Crawler("financialreport", "services.financialreport.spider:FinancialReportSpider", ("financial_statement",),
            "10 18 * * 1-5", "18:10 KST weekdays, after the day's disclosures and before the ML worker", NAVER),
    Crawler("news", "services.news.spider:NewsSpider", ("news_rank",), "50 23 * * *",
            "23:50 KST daily, when the day's ranking is final", ("NATE_NEWS_URL",), cursor=DayDone),
    Crawler("fear-greed", "services.fear_greed.spider:FearGreedSpider", ("fear_greed",), "0 7 * * 2-6",
            "07:00 KST Tuesday-Saturday, after the US close", ("CNN_DATAVIZ_URL", "CNN_WEB_URL"), browser=True,
            cursor=NewestDay),
    Crawler("fx", "services.fx.spider:FxSpider", ("fx_rate",), "30 11 * * 1-5",
            "11:30 KST weekdays, after Koreaexim publishes", ("KOREAEXIM_URL",), secrets=("KOREAEXIM_AUTHKEY",),
            cursor=DayDone),
    Crawler("disclosure", "services.disclosure.spider:DisclosureSpider", ("disclosure",), "0 8,12,16,20 * * *",
            "08:00, 12:00, 16:00 and 20:00 KST daily: before the open, at lunch, after the close, evening",
            ("DART_URL", "OPENDART_URL"), secrets=("OPENDART_API_KEY",),
            cursor=DayDone.settling(7)),  # late filings join a day's list for about a week
)
CRAWLERS: dict[str, Crawler] = {c.command: c for c in DECLARED}

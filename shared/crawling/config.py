"""Crawl settings: read once from ``CRAWL_*`` variables into Scrapy settings, and parsed back
from Scrapy settings into one typed, frozen :class:`CrawlConfig` (as scrapy-playwright's
``Config.from_settings`` does)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import Settings

#: A current desktop Chrome; Naver answers home pages to crawlers without one.
BROWSER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")


@dataclass(frozen=True)
class Source:
    """One source host: the Settings field holding its base URL, the headers it expects and
    its politeness (concurrent requests and seconds between requests)."""

    base_field: str
    headers: dict[str, str] = field(default_factory=dict)
    concurrency: int = 2
    delay: float = 0.5


SOURCES: dict[str, Source] = {
    "naver_api": Source("naver_stock_api_url", {"Referer": "https://m.stock.naver.com/"}, 4, 0.25),
    "naver_stock": Source("naver_stock_url", {"Referer": "https://stock.naver.com/"}, 2, 0.5),
    "naver_mstock": Source("naver_mstock_url", {"Referer": "https://m.stock.naver.com/"}, 4, 0.25),
    "naver_finance": Source("naver_finance_url", {"Referer": "https://finance.naver.com/"}, 2, 0.5),
    "kind": Source("kind_url", {"Referer": "https://kind.krx.co.kr/corpgeneral/corpList.do?method=loadInitPage"},
                   1, 1.0),
    "nate": Source("nate_news_url", {"Referer": "https://news.nate.com/"}, 2, 0.5),
    "cnn_dataviz": Source("cnn_dataviz_url", {"Referer": "https://www.cnn.com/", "Origin": "https://www.cnn.com",
                                              "Accept": "application/json, text/plain, */*"}, 1, 1.0),
    "cnn_web": Source("cnn_web_url", {"Referer": "https://www.cnn.com/"}, 1, 1.0),
    "koreaexim": Source("koreaexim_url", {}, 1, 0.5),
    # DART's portal: under 100 requests a minute (CONTRACTS-media.md §2), so one at a time, 1 s apart
    "dart": Source("dart_url", {"Referer": "https://dart.fss.or.kr/dsac001/mainY.do"}, 1, 1.0),
    "opendart": Source("opendart_url", {}, 1, 0.5),
}


class CrawlEnv(BaseSettings):
    """``CRAWL_*`` environment variables (all optional)."""

    model_config = SettingsConfigDict(env_prefix="CRAWL_", frozen=True, extra="ignore", env_ignore_empty=True)

    polite: bool = True                  # off: no delays, no AutoThrottle, high concurrency (benchmarks, replay)
    concurrency: int | None = None       # per host, overrides the per-source default
    delay: float | None = None           # seconds between requests per host, overrides the default
    autothrottle: bool = True
    timeout: float = 30.0
    retry_times: int = 5
    backoff_base: float = 1.0            # first retry waits about this long, then x2 each time
    backoff_max: float = 60.0
    block_backoff: float = 60.0          # first wait after a block page (SOURCES.md: about 60 s)
    max_blocks: int = 5                  # block pages in a row before the run stops as "blocked"
    progress: Literal["auto", "on", "off"] = "auto"
    user_agent: str = BROWSER_UA
    checkpoint_units: int = 20          # write bookmarks after this many finished units ...
    checkpoint_seconds: float = 15.0    # ... or this long since the last checkpoint, whichever first

    @model_validator(mode="after")
    def _sane(self) -> "CrawlEnv":
        check_limits(self)  # refused here, before Scrapy starts, not inside Twisted
        return self


def check_limits(config) -> None:
    """Refuse limits that make no sense (on a CrawlEnv or a CrawlConfig), naming the variable."""
    if config.retry_times < 0 or config.max_blocks < 1:
        raise ValueError("CRAWL_RETRY_TIMES must be >= 0 and CRAWL_MAX_BLOCKS >= 1")
    if config.backoff_base < 0 or config.backoff_max < config.backoff_base:
        raise ValueError("CRAWL_BACKOFF_BASE must be >= 0 and <= CRAWL_BACKOFF_MAX")
    if config.checkpoint_units < 1 or config.checkpoint_seconds <= 0:
        raise ValueError("CRAWL_CHECKPOINT_UNITS must be >= 1 and CRAWL_CHECKPOINT_SECONDS > 0")


@dataclass(frozen=True)
class CrawlConfig:
    """What the middlewares, the spider base and the pipeline read, parsed once."""

    retry_times: int
    backoff_base: float
    backoff_max: float
    block_backoff: float
    max_blocks: int
    retry_statuses: frozenset[int]
    archive_dir: str
    progress: str
    checkpoint_units: int = 20
    checkpoint_seconds: float = 15.0

    @classmethod
    def from_settings(cls, settings) -> "CrawlConfig":
        """Parse the ``INSERTCOIN_*`` keys of Scrapy settings; refuses nonsense with a clear error."""
        config = cls(
            retry_times=settings.getint("INSERTCOIN_RETRY_TIMES", 5),
            backoff_base=settings.getfloat("INSERTCOIN_BACKOFF_BASE", 1.0),
            backoff_max=settings.getfloat("INSERTCOIN_BACKOFF_MAX", 60.0),
            block_backoff=settings.getfloat("INSERTCOIN_BLOCK_BACKOFF", 60.0),
            max_blocks=settings.getint("INSERTCOIN_MAX_BLOCKS", 5),
            retry_statuses=frozenset(settings.getlist("INSERTCOIN_RETRY_STATUSES",
                                                      [429, 500, 502, 503, 504, 408, 522, 524])),
            archive_dir=settings.get("INSERTCOIN_ARCHIVE_DIR", ""),
            progress=settings.get("INSERTCOIN_PROGRESS", "auto"),
            checkpoint_units=settings.getint("INSERTCOIN_CHECKPOINT_UNITS", 20),
            checkpoint_seconds=settings.getfloat("INSERTCOIN_CHECKPOINT_SECONDS", 15.0),
        )
        check_limits(config)
        return config


def base_url(settings: Settings, source: str) -> str:
    """The base URL of ``source`` (no trailing slash), from the settings' per-host variables."""
    return str(getattr(settings, SOURCES[source].base_field)).rstrip("/")


def scrapy_settings(settings: Settings, sources: tuple[str, ...], *, browser: bool = False,
                    env: CrawlEnv | None = None) -> dict:
    """The Scrapy settings of one crawl: politeness per source host, our middlewares and pipeline,
    and (``browser``) scrapy-playwright on the machine's Chromium."""
    env = env or CrawlEnv()
    slots: dict[str, dict] = {}
    for name in sources:
        source = SOURCES[name]
        host = urlsplit(base_url(settings, name)).netloc
        concurrency = env.concurrency or source.concurrency
        delay = source.delay if env.delay is None else env.delay
        if not env.polite:  # CRAWL_CONCURRENCY still caps it (a test that wants a slow, steady crawl)
            concurrency, delay = env.concurrency or 32, 0.0
        known = slots.get(host)
        if known:  # several sources on one host (the replay site): the strictest wins
            concurrency, delay = min(known["concurrency"], concurrency), max(known["delay"], delay)
        slots[host] = {"concurrency": concurrency, "delay": delay, "randomize_delay": True}
    result = {
        "BOT_NAME": "insertcoin",
        "USER_AGENT": env.user_agent,
        "ROBOTSTXT_OBEY": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "CONCURRENT_REQUESTS": 64 if not env.polite else 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 32 if not env.polite else 4,
        "DOWNLOAD_DELAY": 0.0 if not env.polite else 0.25,
        "DOWNLOAD_SLOTS": slots,
        "DOWNLOAD_TIMEOUT": env.timeout,
        "AUTOTHROTTLE_ENABLED": env.polite and env.autothrottle,
        "AUTOTHROTTLE_START_DELAY": 0.5,
        "AUTOTHROTTLE_MAX_DELAY": 30.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
        "REDIRECT_ENABLED": False,       # a redirect (legacy pages -> stock.naver.com) is an answer, not a hop
        "RETRY_ENABLED": False,          # replaced by BackoffRetryMiddleware
        "DOWNLOADER_MIDDLEWARES": {
            "shared.crawling.middleware.BackoffRetryMiddleware": 550,
            "shared.crawling.middleware.ArchiveMiddleware": 950,
            # not used by these crawlers (no allowed_domains, auth or meta refresh): skip the work
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
            "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
        },
        "SPIDER_MIDDLEWARES": {
            "shared.crawling.middleware.BookmarkOrderMiddleware": 950,
            # every status reaches the parser (handle_httpstatus_all), each request carries its
            # source's Referer, and paging has no depth: these would only wrap every element
            "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": None,
            "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
            "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
            "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
            "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
        },
        # the pipeline is synchronous and gets one RecordBatch per page: one worker per page, not 100
        "CONCURRENT_ITEMS": 1,
        "ITEM_PIPELINES": {"shared.crawling.pipeline.KafkaPipeline": 300},
        "EXTENSIONS": {"scrapy.extensions.telnet.TelnetConsole": None},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "INSERTCOIN_RETRY_TIMES": env.retry_times,
        "INSERTCOIN_BACKOFF_BASE": env.backoff_base,
        "INSERTCOIN_BACKOFF_MAX": env.backoff_max,
        "INSERTCOIN_BLOCK_BACKOFF": env.block_backoff,
        "INSERTCOIN_MAX_BLOCKS": env.max_blocks,
        "INSERTCOIN_ARCHIVE_DIR": settings.archive_dir,
        "INSERTCOIN_PROGRESS": env.progress,
        "INSERTCOIN_CHECKPOINT_UNITS": env.checkpoint_units,
        "INSERTCOIN_CHECKPOINT_SECONDS": env.checkpoint_seconds,
    }
    if browser:
        result["DOWNLOAD_HANDLERS"] = {
            "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
            "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
        }
        result["PLAYWRIGHT_BROWSER_TYPE"] = "chromium"
        result["PLAYWRIGHT_LAUNCH_OPTIONS"] = {
            "executable_path": settings.chromium_path, "headless": True,
            "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]}
        result["PLAYWRIGHT_PROCESS_REQUEST_HEADERS"] = None  # the browser sends its own, like a visitor's
        result["PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT"] = int(env.timeout * 1000)
    return result

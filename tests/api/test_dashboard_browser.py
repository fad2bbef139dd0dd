"""The dashboard in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium, never a
downloaded one) against the real server. Pages load with data, charts render, links lead where they
say, Korean names render in a CJK font; screenshots are kept in var/test-artifacts/."""
from __future__ import annotations

import re
import subprocess

import psycopg2
import pytest

from ml.features import MARKET_MEDIA, STOCK_MEDIA
from shared.settings import get_settings

TESTED = 2 * (len(STOCK_MEDIA) + len(MARKET_MEDIA))  # media x clocks scored in a year
from tests.api.conftest import ARTIFACTS

pytestmark = pytest.mark.integration
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=get_settings().chromium_path, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="ko-KR")
    yield context.new_page()
    context.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def _drawn_svgs(page) -> list[dict]:
    """Every inline chart with its rendered size and the number of drawn marks."""
    return page.eval_on_selector_all(
        "svg.chart", "els => els.map(e => ({w: e.getBoundingClientRect().width, "
                     "h: e.getBoundingClientRect().height, "
                     "marks: e.querySelectorAll('path.series, rect.bar, circle.pt').length}))")


def test_given_scores_when_opening_the_home_page_then_the_answer_ranked_media_and_movers_show(page, api, scored):
    page.goto(api + "/")
    answer = page.inner_text("#answer")
    assert answer.startswith("Board posts before the open lead the day's top movers in 2025: PR-AUC +")
    assert "Holm-adjusted" in answer and f"{TESTED} media × clocks" in answer
    ranks = page.eval_on_selector_all("#media tr.sig td:first-child", "els => els.map(e => e.innerText)")
    assert ranks == ["1"]                                           # only the significant medium is ranked
    assert page.locator("#media tr.muted").count() == TESTED - 1     # every other medium x clock
    charts = _drawn_svgs(page)
    assert charts and all(c["w"] > 300 and c["h"] > 50 for c in charts) and charts[0]["marks"] == TESTED
    assert page.locator("table.movers tr").count() == 11
    assert HANGUL.search(page.inner_text("table.movers"))
    korean_font = subprocess.run(["fc-match", "-f", "%{family}", ":lang=ko"], capture_output=True, text=True)
    assert "CJK" in korean_font.stdout, "no CJK font: apt-get install fonts-noto-cjk"   # else tofu boxes
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    assert len([h for h in hrefs if h.startswith("/stocks/")]) >= 9
    for href in set(hrefs):                                          # every link on the page answers
        assert page.request.get(api + href).status == 200, href
    _shot(page, "home")


def test_given_a_mover_when_following_its_link_then_the_stock_page_charts_prices_and_posts(page, api, scored):
    page.goto(api + "/")
    link = page.locator("table.movers a").first
    name = link.inner_text()
    link.click()
    page.wait_for_load_state("load")
    assert re.search(r"/stocks/[0-9A-Z]{6}$", page.url)
    assert page.inner_text("h1").startswith(name)
    charts = _drawn_svgs(page)
    assert len(charts) == 2 and all(c["marks"] > 0 for c in charts)
    bars = page.locator("svg.chart rect.bar").count()
    code = page.url.rsplit("/", 1)[1]
    with psycopg2.connect(scored[0]["admin"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(DISTINCT date_trunc('hour', posted_at)) FROM if_board_post WHERE code = %s "
                    "AND posted_at >= (SELECT max(trade_date) - 90 FROM if_stock_daily_price WHERE code = %s)"
                    "::timestamp AT TIME ZONE 'Asia/Seoul'", (code, code))
        hours = cur.fetchone()[0]
    assert bars == hours > 0
    _shot(page, "stock")
    page.click("header >> text=Watchlist")
    assert page.url.endswith("/watchlist")


def test_given_watchlists_when_opening_the_watchlist_page_then_the_list_and_track_record_show(page, api, scored):
    page.goto(api + "/watchlist")
    assert page.locator("#watchlist tr").count() == 6               # header + the top 5
    assert HANGUL.search(page.inner_text("#watchlist"))
    assert "board posts overnight" in page.inner_text("#watchlist")
    assert re.match(r"5 lists scored: \d+ of 25 picks", page.inner_text("#track"))
    charts = _drawn_svgs(page)
    assert len(charts) == 1 and charts[0]["marks"] == 2             # precision@N and the base rate
    _shot(page, "watchlist")
    page.locator("#watchlist a").first.click()
    page.wait_for_load_state("load")
    assert re.search(r"/stocks/[0-9A-Z]{6}$", page.url) and page.locator("svg.chart").count() == 2

"""Nate's daily ranked news (news.nate.com/rank/interest), EUC-KR HTML."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from lxml import etree

from shared.records import NewsRank
from shared.parsers.base import Refusal, Response, blocked_kind, contract_records, day, decode, html_tree, register

_SECTIONS = {"all", "pol", "eco", "soc", "int", "its", "spo", "ent"}
# per-item XPath compiled once (``element.xpath(str)`` compiles its expression on every call)
_TOP_BLOCKS = etree.XPath('//div[contains(@class, "postRankSubjectList")]//div[contains(@class, "mduSubjectList")]')
_TOP_LINK = etree.XPath('.//div[contains(@class, "mlt01")]//a[@href]')
_TOP_TITLE = etree.XPath('.//h2[contains(@class, "tit")]')
_LIST_ITEMS = etree.XPath('//*[@id="postRankSubject"]//ul[contains(@class, "mduSubject")]/li')
_ITEM_LINK = etree.XPath('./a[@href]')
_ITEM_TITLE = etree.XPath('.//h2')
_RANK_TEXT = etree.XPath('.//dl[contains(@class, "mduRank")]/dt//text()')
_PRESS = etree.XPath('.//span[contains(@class, "medium")]')


def _text(node) -> str:
    return " ".join(node.text_content().split())


def _rank_date(response: Response, tree) -> dt.date:
    if response.query("date"):
        return day(response.query("date"), "%Y%m%d")
    # the page's own date: <img alt="2026년"><img alt="09월"><img alt="29일"> in div.news_date
    alts = "".join(tree.xpath('//div[contains(@class, "news_date")]//img/@alt'))
    found = re.search(r"(\d{4})년(\d{2})월(\d{2})일", alts)
    if not found:
        raise Refusal("no rank date: neither date= in the URL nor the page's date images")
    return dt.date(int(found.group(1)), int(found.group(2)), int(found.group(3)))


def _article(href: str | None) -> tuple[str, str]:
    if not href:
        raise Refusal("a ranked item without a link: changed layout")
    url = "https:" + href if href.startswith("//") else href
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refusal(f"link {href!r} is not an article URL")
    article_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if not article_id:
        raise Refusal(f"link {href!r} has no article id")
    return url, article_id


def _press(node) -> str | None:
    """``span.medium`` text without the trailing ``<em>date</em>``."""
    spans = _PRESS(node)
    if not spans:
        return None
    press = (spans[0].text or "").strip()
    return press or None


@register("nate-ranking", ("news_rank",), "news.nate.com rank/interest -> news_rank")
def parse_ranking(response: Response) -> list[NewsRank]:
    """Ranks 1-50 (or 51-100 on ``page=2``): 1-5 from ``div.mduSubjectList``, the rest from
    ``#postRankSubject``. Section and date come from the URL (``sc``, ``date``)."""
    section = response.query("sc") or "all"
    if section not in _SECTIONS:
        raise Refusal(f"section sc={section} is not one of {', '.join(sorted(_SECTIONS))}")
    text = decode(response, "cp949")
    if "rank_page" not in text:
        kind = blocked_kind(response.body)
        raise Refusal("no rank paging (div.rank_page): truncated body, block page or changed layout", kind)
    tree = html_tree(text)
    rank_date = _rank_date(response, tree)
    items = []
    for block in _TOP_BLOCKS(tree):
        link = _TOP_LINK(block)
        title = _TOP_TITLE(block)
        items.append((block, link[0].get("href") if link else None, _text(title[0]) if title else ""))
    for li in _LIST_ITEMS(tree):
        link = _ITEM_LINK(li)
        title = _ITEM_TITLE(li)
        items.append((li, link[0].get("href") if link else None, _text(title[0]) if title else ""))
    records = []
    for node, href, title in items:
        rank_text = _RANK_TEXT(node)
        rank = "".join(rank_text).strip()
        if not rank.isdigit():
            raise Refusal(f"rank {rank!r} is not a number: changed layout")
        url, article_id = _article(href)
        records.append({"rank_date": rank_date, "section": section, "rank": int(rank), "title": title,
                        "url": url, "press": _press(node), "article_id": article_id})
    ranks = [r["rank"] for r in records]
    if ranks and ranks != list(range(ranks[0], ranks[0] + len(ranks))):
        raise Refusal(f"ranks are not consecutive ({ranks[:3]}...{ranks[-3:]}): truncated or changed layout")
    return contract_records(NewsRank, records)

"""Crawling plumbing written once for the seven crawlers: typed Scrapy config, politeness,
retries with backoff, block handling, the archive, bookmarks, the Kafka pipeline and the runner.

A crawler is a :class:`~shared.crawling.spider.SourceSpider` subclass that knows URLs and paging;
everything else lives here.
"""

"""fear-greed: CNN Fear & Greed with its components from the dataviz JSON; on 418 the page
rendered in the machine's Chromium (scrapy-playwright) -> fear_greed."""

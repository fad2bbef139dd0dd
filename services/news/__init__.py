"""news: Nate's ranked news, ranks 1-100 (two pages) per section per day -> news_rank."""

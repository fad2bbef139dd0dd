"""The pre-open watchlist (``insertcoin watchlist``)."""

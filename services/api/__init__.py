"""The read API and dashboard (``insertcoin serve``)."""

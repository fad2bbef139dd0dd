"""The ML worker: daily top movers and media-influence scores."""

"""Code every insertcoin service shares: settings, record contracts, Kafka plumbing, parsers."""

"""The loader: Kafka -> PostgreSQL, every record exactly once in its table."""

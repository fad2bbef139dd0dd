"""One frozen settings object, read once from the environment (and a ``.env`` file if present)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every variable a service reads. Defaults point at the real sources and the local stack."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", frozen=True,
                                      extra="ignore")

    # Where records go.
    database_url: SecretStr = Field(
        default=SecretStr("postgresql://insertcoin_loader@127.0.0.1:55432/insertcoin"),
        description="SQLAlchemy/libpq URL of the loader role (the ML worker may use its own).")
    database_admin_url: SecretStr | None = Field(
        default=None, description="Owner role, used only by `insertcoin migrate`.")
    ml_database_url: SecretStr | None = Field(
        default=None, description="The ML worker's role (insertcoin_ml); DATABASE_URL when unset.")
    kafka_bootstrap_servers: str = "127.0.0.1:59092"
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = "AWS_MSK_IAM"
    kafka_topic_prefix: str = "insertcoin."

    # One base URL per source host; the real host by default, the replay site in the demo.
    naver_stock_api_url: str = "https://api.stock.naver.com"
    naver_stock_url: str = "https://stock.naver.com"
    naver_mstock_url: str = "https://m.stock.naver.com"
    naver_finance_url: str = "https://finance.naver.com"
    nate_news_url: str = "https://news.nate.com"
    cnn_dataviz_url: str = "https://production.dataviz.cnn.io"
    cnn_web_url: str = "https://edition.cnn.com"
    koreaexim_url: str = "https://oapi.koreaexim.go.kr"
    kind_url: str = "https://kind.krx.co.kr"
    dart_url: str = "https://dart.fss.or.kr"
    opendart_url: str = "https://opendart.fss.or.kr"

    # Secrets: only ever from the environment.
    koreaexim_authkey: SecretStr | None = None
    opendart_api_key: SecretStr | None = None
    loader_db_password: SecretStr | None = Field(default=None, description="set by `migrate`")
    analyst_db_password: SecretStr | None = Field(default=None, description="set by `migrate`")
    ml_db_password: SecretStr | None = Field(default=None, description="set by `migrate`")
    metabase_db_password: SecretStr | None = Field(
        default=None, description="`migrate` creates Metabase's own role and database with it")

    # Running.
    log_level: str = "INFO"
    stack_dir: Path = ROOT / ".stack"
    stack_pg_port: int = 55432
    stack_kafka_port: int = 59092
    cache_dir: Path = Path.home() / ".cache" / "insertcoin"
    archive_dir: str = str(ROOT / "var" / "archive")
    chromium_path: str = "/usr/bin/chromium"

    # The read API and dashboard (`insertcoin serve`) and the pre-open watchlist (issue 17).
    analyst_database_url: SecretStr | None = Field(
        default=None, description="The read-only analyst role the API reads as; DATABASE_URL when unset.")
    api_keys: SecretStr | None = Field(
        default=None, description="Comma-separated keys accepted in the X-API-Key header; unset: "
                                  "`serve` refuses to start unless --no-auth.")
    api_rate_limit: int = Field(default=600, description="requests per minute per API key")
    api_pool_size: int = Field(default=8, description="database connections per API worker")
    telegram_bot_token: SecretStr | None = None
    telegram_chat_id: str | None = None
    telegram_api_url: str = Field(default="https://api.telegram.org/bot",
                                  description="Bot API base URL (the token is appended)")
    watchlist_webhook_url: SecretStr | None = Field(
        default=None, description="a JSON POST of each watchlist goes here when set")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, parsed once."""
    return Settings()

"""The watchlist tests share the API tests' scored database."""
from tests.api.conftest import scored  # noqa: F401

"""The ``insertcoin serve`` application: the read API under /api (OpenAPI at /docs) and the
dashboard at /, one process, reading as the analyst role."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import ORJSONResponse

from services.api.db import Database
from services.api.http import RateLimiter, install_error_handlers


def create_app(database_url: str, api_keys: frozenset[str] | None, rate_limit: int,
               pool_size: int = 8) -> FastAPI:
    """The app; ``api_keys`` None leaves /api open (``serve --no-auth``)."""
    from services.api import dashboard, routes

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.db = Database(database_url, pool_size)
        try:
            yield
        finally:
            app.state.db.close()

    app = FastAPI(title="insertcoin", version="1",
                  description="Which medium moves the day's biggest movers on the Korean market: top "
                              "movers, media influence, stock timelines and the pre-open watchlist. "
                              "Send an API key in X-API-Key; Accept: text/csv for CSV.",
                  default_response_class=ORJSONResponse, lifespan=lifespan)
    app.state.api_keys = api_keys
    app.state.limiter = RateLimiter(rate_limit)
    install_error_handlers(app)

    @app.get("/api/health", include_in_schema=False)
    def health() -> dict:
        app.state.db.one("SELECT 1 AS ok")
        return {"status": "ok"}

    app.include_router(routes.router)
    app.include_router(dashboard.router)
    return app

"""Sending a watchlist: a Telegram message (Bot API sendMessage through python-telegram-bot) and a
generic JSON webhook. Both read their addresses and secrets from the settings (the environment)."""
from __future__ import annotations

import asyncio
import logging

import httpx

from services.watchlist.rank import Watchlist

log = logging.getLogger(__name__)
TIMEOUT = 15.0
# httpx logs every request's URL at INFO: the Bot API's URL holds the token, a webhook's may hold one
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)


def message_text(watchlist: Watchlist) -> str:
    """The Telegram message: one line per stock, its probability and its strongest reason."""
    lines = [f"insertcoin watchlist {watchlist.trade_date} (before the 09:00 KST open, "
             f"{watchlist.n_ranked} stocks ranked)"]
    for r in watchlist.rows.itertuples():
        top = next((x for x in r.reasons if x["contribution"] > 0 and x["medium"] != "controls"), None)
        why = f" - {top['medium']}: {top['detail']}" if top else ""
        lines.append(f"{r.rank}. {r.name or ''} ({r.code}) {r.probability:.0%}{why}")
    lines += [f"caveat: {caveat}" for caveat in watchlist.caveats]
    return "\n".join(lines)


def payload(watchlist: Watchlist) -> dict:
    """The webhook's JSON body."""
    return {"type": "insertcoin.watchlist", "trade_date": watchlist.trade_date.isoformat(),
            "data_until": watchlist.data_until.isoformat(), "model": watchlist.model,
            "n_ranked": watchlist.n_ranked, "caveats": list(watchlist.caveats),
            "stocks": [{"rank": int(r.rank), "code": r.code, "name": r.name, "score": r.score,
                        "probability": r.probability, "reasons": r.reasons}
                       for r in watchlist.rows.itertuples()]}


async def _send_telegram(token: str, chat_id: str, base_url: str, text: str) -> int:
    from telegram import Bot

    async with Bot(token=token, base_url=base_url) as bot:
        message = await bot.send_message(chat_id=chat_id, text=text)
    return message.message_id


def send_telegram(watchlist: Watchlist, token: str, chat_id: str, base_url: str) -> int:
    """Send the list as a Telegram message; returns the message id."""
    return asyncio.run(_send_telegram(token, chat_id, base_url, message_text(watchlist)))


def post_webhook(watchlist: Watchlist, url: str) -> int:
    """POST the list as JSON; returns the HTTP status (raises on anything but 2xx)."""
    response = httpx.post(url, json=payload(watchlist), timeout=TIMEOUT)
    response.raise_for_status()
    return response.status_code


def notify(watchlist: Watchlist, settings) -> list[str]:
    """Send to every configured receiver; returns the failures (one line each), never raises."""
    failures = []
    token = settings.telegram_bot_token
    if token and settings.telegram_chat_id:
        try:
            message_id = send_telegram(watchlist, token.get_secret_value(), settings.telegram_chat_id,
                                       settings.telegram_api_url)
            log.info("telegram sent", extra={"message_id": message_id})
        except Exception as exc:  # noqa: BLE001 - any failure is reported, the list is stored
            reason = str(exc).replace(token.get_secret_value(), "***")   # never log the token
            failures.append(f"telegram: {type(exc).__name__}: {reason}")
    if settings.watchlist_webhook_url:
        try:
            status = post_webhook(watchlist, settings.watchlist_webhook_url.get_secret_value())
            log.info("webhook posted", extra={"status": status})
        except httpx.HTTPStatusError as exc:
            failures.append(f"webhook: the receiver answered HTTP {exc.response.status_code}")
        except Exception as exc:  # noqa: BLE001 - the URL may hold a secret: only the error's kind
            failures.append(f"webhook: {type(exc).__name__}")
    return failures

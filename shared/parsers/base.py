"""What every parser shares: the response, the refusal error, decoding and number reading.

A parser is a pure function ``Response -> list[Record]``. It either returns every record of the
page or raises :class:`ParseError` (or a subclass) naming itself and the reason; nothing else
escapes (see :func:`shared.parsers.parse`).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, TypeVar
from urllib.parse import parse_qs, urlsplit

import orjson
from lxml import html as lxml_html
from pydantic import TypeAdapter, ValidationError
from pydantic_core import SchemaValidator, core_schema

from shared.records import KST, Record

R = TypeVar("R", bound=Record)


class ParseError(Exception):
    """A response that is not the page the parser expects. ``str()`` is one line."""

    def __init__(self, parser: str, reason: str):
        super().__init__(parser, reason)
        self.parser = parser
        self.reason = " ".join(str(reason).split())  # always one line

    def __str__(self) -> str:
        return f"{self.parser}: {self.reason}"


class Blocked(ParseError):
    """The source answered a block page or a rate limit (retry later, back off)."""


class ConfigurationError(ParseError):
    """The request itself is misconfigured (e.g. a bad API key): retrying will not help."""


class QuotaExceeded(ParseError):
    """The source's daily quota is spent (Korea Eximbank result 4)."""


class Refusal(Exception):
    """Raised inside a parser; :func:`shared.parsers.parse` turns it into ``kind(name, reason)``."""

    def __init__(self, reason: str, kind: type[ParseError] = ParseError):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


@dataclass(frozen=True)
class Response:
    """One HTTP response as the parsers see it. Header names are lower-cased."""

    body: bytes
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    status: int = 200

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", {str(k).lower(): str(v) for k, v in self.headers.items()})

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def query(self, name: str) -> str | None:
        """The first value of a query parameter, or None."""
        values = parse_qs(urlsplit(self.url).query).get(name)
        return values[0] if values else None

    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_ALIASES = {"euc-kr": "cp949", "euc_kr": "cp949", "ks_c_5601-1987": "cp949", "x-windows-949": "cp949",
            "ms949": "cp949", "windows-949": "cp949", "utf8": "utf-8"}


def _codec(name: str) -> str:
    name = name.strip().lower()
    return _ALIASES.get(name, name)


def charset_of(response: Response, default: str) -> str:
    """The charset the source declares: Content-Type header, else ``<meta charset>``, else ``default``.

    EUC-KR is read as cp949, its superset, which is what Korean servers really send.
    """
    header = response.headers.get("content-type", "")
    match = re.search(r"charset\s*=\s*\"?([A-Za-z0-9_\-]+)", header, re.I)
    if match:
        return _codec(match.group(1))
    match = _CHARSET_RE.search(response.body[:4096])
    if match:
        return _codec(match.group(1).decode("ascii"))
    return _codec(default)


def decode(response: Response, default: str = "utf-8") -> str:
    """The body as text in its declared charset; a body that is not valid in it is refused."""
    charset = charset_of(response, default)
    try:
        return response.body.decode(charset)
    except LookupError:
        raise Refusal(f"unknown charset {charset!r}") from None
    except UnicodeDecodeError as err:
        raise Refusal(f"body is not valid {charset} (byte {err.start}): wrong encoding") from None


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def html_tree(text: str):
    """Parse HTML text with lxml; an empty or unparsable document is refused."""
    if text[:1] != "<" or text.startswith("<?xml"):  # skip the regex when no declaration can lead
        text = _XML_DECL.sub("", text, count=1)
    if not text or text.isspace():
        raise Refusal("empty body")
    try:
        return lxml_html.document_fromstring(text)
    except (ValueError, lxml_html.etree.ParserError) as err:
        raise Refusal(f"unparsable HTML: {err}") from None


_INVALID_ESCAPE = re.compile(r'\\(?!["\\/bfnrtu])')


def load_json(response: Response) -> Any:
    """Decode a JSON body. HTML where JSON was due, a truncated or invalid body are refused.

    Tolerates what Naver really sends: raw control characters and invalid backslash escapes
    inside strings.
    """
    body = response.body
    first = body[:1]
    # the first non-blank byte is "<" (<!doctype, <html, any markup): HTML, not JSON
    ctype = response.headers.get("content-type")
    if first == b"<" or (first.isspace() and body[:512].lstrip()[:1] == b"<") \
            or (ctype and "htm" in ctype.lower() and response.content_type() == "text/html"):
        if is_portal_home(body):
            raise Refusal("HTML where JSON was due: the portal's home page (a block: Naver sends it, "
                          "HTTP 200, to clients it refuses)", Blocked)
        raise Refusal("HTML where JSON was due", blocked_kind(body))
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        if not body.strip():
            raise Refusal("empty body") from None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal("JSON body is not valid UTF-8") from None
    try:
        return json.loads(_INVALID_ESCAPE.sub(r"\\\\", text), strict=False)
    except json.JSONDecodeError as err:
        raise Refusal(f"truncated or invalid JSON ({err.msg} at char {err.pos})") from None


_BLOCK_MARKERS = ("captcha", "I'm a teapot", "비정상적인", "접근이 제한", "일시적으로 제한", "Access Denied",
                  "Too Many Requests")


#: What identifies Naver's portal home page (www.naver.com), which Naver answers with HTTP 200 in
#: place of a page or an API answer to a client it refuses (a bot User-Agent, too many requests).
_PORTAL_HOME = re.compile(rb"<title>\s*NAVER\s*</title>|property=\"og:url\"\s+content=\"https://www\.naver\.com/?\"",
                          re.IGNORECASE)


def is_portal_home(body: bytes) -> bool:
    """Is the body Naver's portal home page (never what a crawler asked for: a block)?"""
    return _PORTAL_HOME.search(body[:20000]) is not None


def blocked_kind(body: bytes) -> type[ParseError]:
    """``Blocked`` if the body looks like a block page (in UTF-8 or EUC-KR) or is Naver's portal
    home page, else ``ParseError``."""
    if is_portal_home(body):
        return Blocked
    sample = body[:20000]
    for text in (sample.decode("utf-8", "ignore"), sample.decode("cp949", "ignore")):
        if any(marker in text for marker in _BLOCK_MARKERS):
            return Blocked
    return ParseError


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_MISSING = {"", "-", "N/A", "n/a", "null", "None"}


def number(text: Any, *, what: str = "value") -> float | None:
    """Read a display number: "12.34배", "22,292원", "46.52%", "-1,234", "+53,759". "-" -> None."""
    if text.__class__ is str:  # fast path: plain numbers, with or without thousands commas
        try:
            value = float(text.replace(",", "") if "," in text else text)
        except ValueError:
            return _display_number(text, what)
        if value - value != 0:  # inf / nan
            raise Refusal(f"{what} {text.strip()!r} is not a finite number")
        return value
    if text is None:
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    return _display_number(str(text), what)


def _display_number(raw: str, what: str) -> float | None:
    """The slow path of :func:`number`: blanks, dashes, units and signs."""
    raw = raw.replace("\xa0", " ").strip()
    if raw in _MISSING:
        return None
    try:
        value = float(raw.replace(",", ""))
    except ValueError:
        pass
    else:
        if value - value != 0:  # inf / nan
            raise Refusal(f"{what} {raw!r} is not a finite number")
        return value
    cleaned = raw.replace(",", "").replace(" ", "")
    match = _NUMBER.match(cleaned)
    if not match or cleaned[match.end():] not in ("", "배", "원", "%", "억", "억원", "주"):
        raise Refusal(f"{what} {raw!r} is not a number")
    return float(match.group(0))


def integer(text: Any, *, what: str = "value") -> int | None:
    """Like :func:`number` but integral."""
    if text.__class__ is str and text.isascii() and text.isdigit():
        return int(text)  # fast path, and exact beyond 2**53
    if text.__class__ is int:
        return text
    value = number(text, what=what)
    if value is None:
        return None
    if value != int(value):
        raise Refusal(f"{what} {text!r} is not an integer")
    return int(value)


_FAST_FORMATS = {"%Y%m%d": re.compile(r"(\d{4})(\d{2})(\d{2})"), "%Y-%m-%d": re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
                 "%Y.%m.%d": re.compile(r"(\d{4})\.(\d{2})\.(\d{2})")}


_FAST_TIMES = {"%Y.%m.%d %H:%M": re.compile(r"(\d{4})\.(\d{2})\.(\d{2}) (\d{2}):(\d{2})")}


def kst_datetime(text: str, fmt: str) -> dt.datetime:
    """A naive Korean local time string as an aware Asia/Seoul datetime."""
    try:
        if fmt == "%Y-%m-%dT%H:%M:%S":
            return dt.datetime.fromisoformat(text.strip()).replace(tzinfo=KST)
        fast = _FAST_TIMES.get(fmt)
        found = fast.fullmatch(text.strip()) if fast is not None else None
        if found:  # zero-padded fields: no need for strptime (which also reads "2026.9.1 9:05")
            return dt.datetime(*map(int, found.groups()), tzinfo=KST)
        return dt.datetime.strptime(text.strip(), fmt).replace(tzinfo=KST)
    except ValueError:
        raise Refusal(f"time {text!r} does not match {fmt}") from None


def day(text: str, fmt: str) -> dt.date:
    """A date string in ``fmt``, refused if it does not match."""
    try:
        fast = _FAST_FORMATS.get(fmt)
        if fast is not None:
            found = fast.fullmatch(text.strip())
            if not found:
                raise ValueError
            return dt.date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        return dt.datetime.strptime(text.strip(), fmt).date()
    except ValueError:
        raise Refusal(f"date {text!r} does not match {fmt}") from None


def blank(value: Any) -> bool:
    """True for what :func:`require` refuses: None, "", [] and {}."""
    return value is None or value == "" or value == [] or value == {}


def require(value: Any, reason: str) -> Any:
    """``value`` if truthy, else refuse with ``reason``."""
    if value is None or value == "" or value == [] or value == {}:
        raise Refusal(reason)
    return value


@dataclass(frozen=True)
class Parser:
    """A registered parser: its name, what it yields and the function."""

    name: str
    streams: tuple[str, ...]
    function: Callable[[Response], list[Record]]
    description: str
    source: str | None = None  # envelope source of its records, when not the crawling service's


#: name -> Parser, filled by the ``@register`` decorators of the source modules.
PARSERS: dict[str, Parser] = {}


def _contract_reason(err: Exception, model: type[Record] | None = None, head: type[Record] | None = None) -> str:
    """One line naming the record, the field and the value that fail the contract."""
    errors = getattr(err, "errors", None)
    if not callable(errors):
        return f"{type(err).__name__}: {err}"
    items = errors()[:3]
    title = getattr(err, "title", "record")
    first = items[0].get("loc", ()) if items else ()
    if model is not None:  # a batch: loc starts with the record's position in the page
        index = first[0] if first and isinstance(first[0], int) else None
        if index is None:
            title = model.__name__
        elif head is not None:  # position 0 is the head record, position i the model's record i - 1
            title = f"{head.__name__} record 0" if index == 0 else f"{model.__name__} record {index - 1}"
        else:
            title = f"{model.__name__} record {index}"
    parts = []
    for item in items:
        loc = tuple(item.get("loc", ()))
        if model is not None and loc and loc[0] == first[0]:
            loc = loc[1:]
        parts.append(f"{'.'.join(str(p) for p in loc) or 'record'}: {item.get('msg')} (got {item.get('input')!r})")
    return f"{title} fails the contract: " + "; ".join(parts)


#: model -> the core validator of ``list[model]``; (head, model) -> that of one head record
#: followed by any number of ``model`` records (built once; pydantic-core's own entry point skips
#: TypeAdapter's per-call Python overhead)
_VALIDATORS: dict[type | tuple[type, type], Any] = {}


def _page_validator(head: type[Record] | None, model: type[Record]) -> Any:
    if head is None:
        return TypeAdapter(list[model]).validator
    return SchemaValidator(core_schema.tuple_schema(
        [head.__pydantic_core_schema__, model.__pydantic_core_schema__], variadic_item_index=1))


def contract_records(model: type[R], rows: list[dict[str, Any]], *, head: type[Record] | None = None) -> list:
    """Validate a page's field dicts as ``model`` records in one batched pydantic call. With
    ``head``, ``rows[0]`` holds the fields of a ``head`` record that leads the page (e.g. the
    Sector before its member StockSectors), validated in the same call.

    All or nothing: one invalid row refuses the page, naming the record (its index among the
    ``model`` records), the field and the value. Batching costs about a third of validating
    record by record (``Model(**row)``).
    """
    validator = _VALIDATORS.get(model if head is None else (head, model))
    if validator is None:
        validator = _VALIDATORS[model if head is None else (head, model)] = _page_validator(head, model)
    try:
        if head is None:
            return validator.validate_python(rows)
        return list(validator.validate_python(rows))
    except ValidationError as err:
        raise Refusal(_contract_reason(err, model, head)) from None


def register(name: str, streams: tuple[str, ...], description: str, *, source: str | None = None):
    """Register a parser function under ``name``; ``source`` is the envelope source its records are
    published with when it is not the crawling service's (a poorer fallback the loader ranks
    below the service's own records, see ``Stream.precedence`` in shared/streams.py). The wrapper
    enforces the refusal rules:
    non-2xx statuses are refused, a :class:`Refusal` becomes ``ParseError`` (or its kind) and any
    other exception is wrapped, so callers only ever see ``ParseError``."""

    def wrap(function: Callable[[Response], list[Record]]):
        def parse_response(response: Response) -> list[Record]:
            try:
                if not 200 <= response.status < 300:
                    kind = Blocked if response.status in (403, 418, 429) else ParseError
                    raise Refusal(f"HTTP {response.status}", kind)
                records = function(response)
                if not isinstance(records, list):
                    records = list(records)
                return records
            except ParseError:
                raise
            except Refusal as err:
                raise err.kind(name, err.reason) from None
            except Exception as err:  # noqa: BLE001 - the contract is: only ParseError escapes
                if type(err).__name__ == "ValidationError":
                    raise ParseError(name, _contract_reason(err)) from err
                raise ParseError(name, f"unexpected {type(err).__name__}: {err}") from err

        parse_response.__name__ = function.__name__
        parse_response.__doc__ = function.__doc__
        parse_response.__wrapped__ = function
        PARSERS[name] = Parser(name, streams, parse_response, description, source)
        return parse_response

    return wrap

"""Reading an answer: JSON of the shape an endpoint promises, or one error that says what came instead.

A proxy's HTML page with HTTP 200, a body cut off mid-way, ``null`` or an
object of another shape must not surface as a raw ``JSONDecodeError`` or
pydantic ``ValidationError`` from deep inside a flow: the operator needs the
endpoint, the status, the content type, a glimpse of the body and what was
expected, and must never see a KS in any of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from kaltura_events.api.errors import RateLimitedError, UnexpectedResponseError, api_v3_error
from kaltura_events.api.redaction import scrub

RATE_LIMIT_STATUS = "RateLimitReached"
"""The Events Platform's ``status`` for a refused, over-the-limit request (at HTTP 200 or 429)."""

T = TypeVar("T")
U = TypeVar("U")
M = TypeVar("M", bound=BaseModel)

EXCERPT_CHARS = 120
_SCAN_CHARS = 2000
_TRAILING_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-%]+$")


def excerpt(body: bytes | str, sensitive: Iterable[str] = (), limit: int = EXCERPT_CHARS) -> str:
    """The start of a body, one line, scrubbed before it is cut so no half-token slips through."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    window = text[:_SCAN_CHARS]
    if len(text) > _SCAN_CHARS:
        window = _TRAILING_TOKEN.sub("", window)
    clean = " ".join(scrub(window, sensitive).split())
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


@dataclass(frozen=True)
class Reader(Generic[T]):
    """How one endpoint's answer is read: what it should be, and how to turn it into ``T``.

    ``parse`` raises ValueError (pydantic's ValidationError is one) or
    TypeError when the JSON is not of that shape; ``allow_empty`` reads an
    empty body as ``{}`` for the endpoints whose answer carries nothing we need.
    """

    expected: str
    parse: Callable[[Any], T]
    allow_empty: bool = False

    def then(self, convert: Callable[[T], U]) -> Reader[U]:
        """The same reading, then ``convert`` of what it read."""
        return Reader(self.expected, lambda payload: convert(self.parse(payload)), self.allow_empty)


def _kind(payload: Any) -> str:
    if payload is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(payload), "a number"
    )


def _shape_problem(payload: Any, exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        details = [
            f"{'.'.join(str(part) for part in error['loc']) or 'answer'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)[:3]
        ]
        return f"JSON of another shape ({_kind(payload)}; {'; '.join(details)})"
    return f"JSON of another shape ({_kind(payload)}; {exc})"


def json_payload(body: bytes) -> Any:
    """orjson where it reads the body, about three times as fast as ``json`` (a 500-profile page
    takes 2 ms with ``json``); ``json`` where it does not, so what JSON reads and how a bad body is
    described stay exactly ``json``'s (orjson refuses NaN and integers beyond 64 bits, which
    ``json`` reads)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _decode_problem(body: bytes, exc: ValueError) -> str:
    text = body.decode("utf-8", "replace").rstrip()
    if isinstance(exc, json.JSONDecodeError) and text[:1] in ("{", "["):
        if exc.msg.startswith("Unterminated string") or exc.pos >= len(text) - 1:
            return "JSON cut off"
        return "JSON that does not parse"
    return "not JSON"


def read_answer(
    endpoint: str, response: httpx.Response, reader: Reader[T], sensitive: Iterable[str] = ()
) -> T:
    """The answer as ``T``, or UnexpectedResponseError naming everything but the secrets."""
    body = response.content
    problem: str | None = None
    payload: Any = {}
    if not body.strip():
        if not reader.allow_empty:
            problem = "an empty body"
    else:
        try:
            payload = json_payload(body)
        except ValueError as exc:
            problem = _decode_problem(body, exc)
    if problem is None and isinstance(payload, dict) and payload.get("status") == RATE_LIMIT_STATUS:
        # In every answer's status enum, with no code or header stated: refused, not done; retried.
        raise RateLimitedError(endpoint, RATE_LIMIT_STATUS, status_code=response.status_code)
    if problem is None:
        try:
            return reader.parse(payload)
        except (ValueError, TypeError) as exc:
            problem = _shape_problem(payload, exc)
    # Raised here, outside the handlers: a parse error's context holds the body, and with it any echoed KS.
    raise _unreadable(endpoint, response, reader, problem, sensitive)


def _unreadable(
    endpoint: str, response: httpx.Response, reader: Reader[Any], problem: str, sensitive: Iterable[str]
) -> UnexpectedResponseError:
    sensitive = tuple(sensitive)
    return UnexpectedResponseError(
        endpoint,
        status_code=response.status_code,
        content_type=excerpt(response.headers.get("content-type", ""), sensitive, limit=60),
        excerpt=excerpt(response.content, sensitive),
        problem=scrub(problem, sensitive),
        expected=reader.expected,
    )


# -- readers ---------------------------------------------------------------------


_BARE_REFUSAL_KEYS = frozenset({"code", "message", "objectType", "args", "field", "status"})


def _is_refusal(payload: Any, bare: bool) -> bool:
    if not isinstance(payload, dict):
        return False
    if payload.get("objectType") == "KalturaAPIException":
        return True
    return (
        bare
        and isinstance(payload.get("code"), str)
        and isinstance(payload.get("message"), str)
        and set(payload) <= _BARE_REFUSAL_KEYS
    )


def refusing(
    endpoint: str, read: Reader[T], sensitive: Iterable[str] = (), *, bare: bool = False
) -> Reader[T]:
    """``read``, after turning a ``KalturaAPIException`` into the error tree.

    API v3, the App Registry and User Profile answer an application error with
    HTTP 200, so the body decides whether it is a result. The refusal keeps the
    API's code and words, minus anything we sent that it quotes (``INVALID_KS``
    quotes the KS). ``bare`` also reads ``{"code", "message"}`` without an
    ``objectType`` as a refusal: the Messaging guide's §13 shows that shape.
    """
    sensitive = tuple(sensitive)

    def refusal_or_result(payload: Any) -> T:
        if _is_refusal(payload, bare):
            raise api_v3_error(
                endpoint,
                scrub(str(payload.get("code", "")), sensitive),
                scrub(str(payload.get("message", "")), sensitive),
                _scrubbed_args(payload.get("args"), sensitive),
            )
        return read.parse(payload)

    return Reader(read.expected, refusal_or_result, read.allow_empty)


def _scrubbed_args(args: Any, sensitive: Iterable[str]) -> Any:
    """An exception's ``args`` as Kaltura sent them, minus a quoted KS (``INVALID_KS`` quotes it)."""
    if isinstance(args, dict):
        return {key: scrub(str(value), sensitive) for key, value in args.items()}
    return None


def unwrap(payload: Any, key: str) -> Any:
    """The object under ``key`` when enveloped, else the payload itself (the spec wraps, the first
    description shows a bare object; both are read)."""
    if isinstance(payload, dict) and isinstance(payload.get(key), dict):
        return payload[key]
    return payload


def one(model: type[M], key: str) -> Reader[M]:
    """A single object, enveloped under ``key`` or bare."""
    return Reader(
        f"a JSON object with `{key}` (or a bare {model.__name__})", lambda p: _validate(model, unwrap(p, key))
    )


def shaped(model: type[M], expected: str) -> Reader[M]:
    """A JSON object that is itself ``model`` (an envelope with a list, a page)."""
    return Reader(expected, lambda p: _validate(model, p))


def _validate(model: type[M], payload: Any) -> M:
    if not isinstance(payload, dict):
        raise TypeError("not an object")
    return model.model_validate(payload)


def _acknowledged(payload: Any) -> None:
    if not isinstance(payload, dict):
        raise TypeError("not an object")


ACKNOWLEDGED: Reader[None] = Reader(
    'a JSON object such as {"status": ...} (or no body)', _acknowledged, allow_empty=True
)
"""Writes whose answer carries nothing we use: any JSON object, or nothing at all."""


def _v3_void(payload: Any) -> None:
    if payload is not None and not isinstance(payload, dict):
        raise TypeError("neither null nor an object")


V3_VOID: Reader[None] = Reader("JSON null (or no body)", _v3_void, allow_empty=True)
"""API v3 actions that return nothing answer ``null``."""

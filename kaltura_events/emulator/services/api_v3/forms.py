"""API v3 request parameters: query string, form-encoded body or JSON body, merged.

Kaltura's clients send nested objects flattened into form keys
(``filter[objectType]=KalturaCategoryFilter``, or the older ``filter:objectType``);
they are rebuilt into nested dicts so handlers read one shape whatever the encoding.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

_BRACKETS = re.compile(r"\[([^\]]*)\]")


def _key_parts(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    parts = head.split(":")
    if bracket:
        parts += _BRACKETS.findall("[" + rest)
    return [part for part in parts if part != ""] or [key]


def nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``[("pager[pageSize]", "50")]`` -> ``{"pager": {"pageSize": "50"}}``; later keys win."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        parts = _key_parts(key)
        node = result
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return result


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_params(query_string: str, body: bytes, content_type: str) -> dict[str, Any]:
    """Merge query parameters with a JSON or form body; raises ValueError on a malformed JSON body."""
    params = nest(parse_qsl(query_string, keep_blank_values=True))
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return params
    if "json" in content_type.lower() or text.startswith("{"):
        decoded = json.loads(text)
        if not isinstance(decoded, dict):
            raise ValueError("a JSON body must be an object")
        return _merge(params, decoded)
    return _merge(params, nest(parse_qsl(text, keep_blank_values=True)))

"""The API's JSON parser. `json.loads` recurses once per level of nesting, in C, so a body of a few
hundred thousand brackets can exhaust the thread's stack. The depth is measured first, by a linear
scan with no recursion, and a body nested deeper than JSON_MAX_DEPTH is refused with a 400 before
the decoder sees it. The body is read only up to the configured maximum."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import IO, Any

import numpy as np
from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json

from marketplace.middleware import body_too_large_message

# No request of this API nests beyond a handful of levels; 64 leaves room and is far below the
# depth at which the decoder's recursion matters.
JSON_MAX_DEPTH = 64

# A JSON string: a quote, then anything but a quote or backslash, or a backslash and the character it
# escapes, then a quote. Brackets inside strings are text, not nesting. The scan runs on UTF-8, where
# no byte of a multi-byte character is a quote, a backslash or a bracket.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_NESTING_STEP = np.zeros(256, dtype=np.int8)
_NESTING_STEP[list(b"[{")] = 1
_NESTING_STEP[list(b"]}")] = -1


class JsonTooDeep(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels is not accepted.")


class RequestBodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def json_check_depth(text: str, *, limit: int = JSON_MAX_DEPTH) -> None:
    """Raises JsonTooDeep where arrays and objects nest deeper than `limit`. Strings are dropped
    first, then every byte but a bracket; the depth is the running sum of +1 per opening and -1 per
    closing bracket. All of it runs in C (a regular expression, bytes.translate, numpy)."""
    brackets = _JSON_STRING.sub(b"", text.encode("utf-8", "surrogatepass")).translate(None, _NOT_A_BRACKET)
    if len(brackets) <= limit:
        return
    steps = _NESTING_STEP[np.frombuffer(brackets, dtype=np.uint8)]
    if int(np.cumsum(steps, dtype=np.int64).max()) > limit:
        raise JsonTooDeep(limit)


class DepthLimitedJSONParser(parsers.JSONParser):
    """DRF's JSONParser, with the body read up to DATA_UPLOAD_MAX_MEMORY_SIZE and its nesting depth
    checked before it is decoded."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestBodyTooLarge(body_too_large_message(limit))
        try:
            # bytes.decode takes text encodings only, never a decompressing codec such as bz2_codec.
            text = raw.decode(encoding)
        except LookupError:
            raise ParseError(f'Unsupported charset "{encoding}" in request Content-Type header.') from None
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        try:
            json_check_depth(text)
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except JsonTooDeep as exc:
            raise ParseError(str(exc)) from None
        except ValueError as exc:  # JSONDecodeError
            raise ParseError(f"JSON parse error - {exc}") from None

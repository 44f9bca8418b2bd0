"""Hostile request bodies get a clear JSON 4xx on the API, never a crash or an HTML page: JSON nested
deeper than the parser's limit, bodies over the configured maximum (refused before they are read),
chunked bodies, and the errors Django itself raises while reading a body. Uploads keep their own,
larger limit. The chain client's dependencies leave the interpreter's recursion limit as it was."""

from __future__ import annotations

import bz2
import io
import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.exceptions import ParseError

from marketplace.api.parsers import (
    JSON_MAX_DEPTH,
    DepthLimitedJSONParser,
    JsonTooDeep,
    RequestBodyTooLarge,
    json_check_depth,
)
from tests.integration.processes import ROOT

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
VERIFY_URL = "/api/v1/provenance/verify/"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _credentials_nested(depth: int) -> str:
    """Sign-in credentials whose username is a list nested `depth` deep: `depth + 1` in all."""
    return '{"username": ' + _nested(depth) + ', "password": "x"}'


def _post(
    body: bytes | str, *, content_type: str = "application/json", path: str = TOKEN_URL, **extra: Any
) -> Any:
    return Client().generic("POST", path, body, content_type=content_type, **extra)


def _json(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json"), (
        response.status_code,
        response.content[:300],
    )
    return json.loads(response.content)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("[]", 1),
        ('{"a": [1, {"b": []}], "c": {}}', 4),
        # Brackets inside strings, escaped quotes and escaped backslashes are text, not nesting.
        ('{"a": "[[[[{{{{"}', 1),
        (r'["\"[[[", "\\", [[]]]', 3),
        (r'["\\\"]]]]"]', 1),
        ('["ü[[é", {"ß": "{{"}]', 2),
    ],
)
def test_json_depth_counts_brackets_outside_strings_only(text: str, depth: int) -> None:
    json_check_depth(text, limit=depth)
    with pytest.raises(JsonTooDeep):
        json_check_depth(text, limit=depth - 1)


def test_json_nested_deeper_than_the_limit_is_refused_with_a_json_400() -> None:
    response = _post(_credentials_nested(JSON_MAX_DEPTH))
    assert response.status_code == 400
    assert str(JSON_MAX_DEPTH) in _json(response)["detail"]


def test_json_nested_to_the_limit_reaches_the_serializer() -> None:
    response = _post(_credentials_nested(JSON_MAX_DEPTH - 1))
    assert response.status_code == 400
    assert "username" in _json(response)


def test_upload_endpoints_that_take_json_refuse_deep_json_too(client_for: Any, make_user: Any) -> None:
    response = client_for(make_user("artist")).generic(
        "POST", "/api/v1/styles/", '{"title": ' + _nested(1000) + "}", content_type="application/json"
    )
    assert response.status_code == 400
    assert str(JSON_MAX_DEPTH) in _json(response)["detail"]


def test_a_body_over_the_maximum_is_refused_before_it_is_read() -> None:
    # The declared length is over the limit but the payload is tiny: reading it would fail, so the
    # answer proves nothing read it.
    response = _post(b"{}", CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    assert response.status_code == 413
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}" in _json(response)["detail"]


def test_a_ten_megabyte_json_body_gets_a_json_answer_not_an_html_page() -> None:
    body = b'{"username": "' + b"a" * 10_000_000 + b'", "password": "x"}'
    response = _post(body)
    assert response.status_code == 413
    assert "limit" in _json(response)["detail"]


def test_a_chunked_body_is_refused_with_a_json_411() -> None:
    response = _post(b"", HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH="")
    assert response.status_code == 411
    assert "Content-Length" in _json(response)["detail"]


def test_a_content_length_that_is_not_a_number_gets_a_json_400() -> None:
    response = _post(b"{}", CONTENT_LENGTH="12abc")
    assert response.status_code == 400
    assert "Content-Length" in _json(response)["detail"]


def test_outside_the_api_an_oversized_body_gets_a_413_too() -> None:
    response = _post(
        b"",
        path="/accounts/login/",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
    )
    assert response.status_code == 413


def test_the_multipart_limit_holds_the_largest_file_an_endpoint_takes() -> None:
    largest_file = max(settings.MOTIF_MAX_VERIFY_BYTES, settings.MOTIF_MAX_UPLOAD_BYTES)
    assert largest_file + settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= settings.MOTIF_MAX_MULTIPART_BYTES


def test_an_upload_larger_than_the_json_limit_still_reaches_its_view(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    response = Client().post(VERIFY_URL, {"file": SimpleUploadedFile("big.png", b"not an image " * 2000)})
    assert response.status_code == 400
    assert "file" in _json(response)


def test_a_multipart_body_over_its_limit_is_refused_before_it_is_read() -> None:
    response = _post(
        b"--x--",
        content_type="multipart/form-data; boundary=x",
        path=VERIFY_URL,
        CONTENT_LENGTH=str(settings.MOTIF_MAX_MULTIPART_BYTES + 1),
    )
    assert response.status_code == 413
    assert f"{settings.MOTIF_MAX_MULTIPART_BYTES:,}" in _json(response)["detail"]


def test_a_form_field_over_the_data_limit_in_an_upload_gets_a_json_413(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    response = Client().post(TOKEN_URL, {"username": "u" * 8000, "password": "x"})
    assert response.status_code == 413
    assert "limit" in _json(response)["detail"]


def test_too_many_form_fields_on_the_api_get_a_json_400() -> None:
    body = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = _post(body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "detail" in _json(response)


def test_the_recursion_limit_is_the_interpreters_after_the_chain_client_is_imported() -> None:
    # A fresh interpreter: this test process may have imported the chain libraries in any order.
    script = (
        "import sys; default = sys.getrecursionlimit()\n"
        "import django; django.setup()\n"
        "import config.urls, marketplace.tasks, provenance.tasks, stylization.tasks, provenance.core.chain\n"
        "print(default, sys.getrecursionlimit())\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-3000:]
    default, after = run.stdout.split()[-2:]
    assert after == default


def test_the_json_parser_reads_no_more_than_the_limit_whatever_the_server_passes_it(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with pytest.raises(RequestBodyTooLarge):
        DepthLimitedJSONParser().parse(io.BytesIO(b"[" + b"1," * 1000 + b"1]"), parser_context={})
    assert (
        DepthLimitedJSONParser().parse(io.BytesIO(b"[" + b"1," * 400 + b"1]"), parser_context={}) == [1] * 401
    )


def test_the_json_parser_refuses_a_decompressing_charset() -> None:
    with pytest.raises(ParseError, match="charset"):
        DepthLimitedJSONParser().parse(
            io.BytesIO(bz2.compress(b"[]")), parser_context={"encoding": "bz2_codec"}
        )

"""One anonymous request must not take the server down: a real server process (runserver, threaded,
as `manage.py serve` runs it) answers JSON nested 100,000 deep and a 10 MB body with a JSON 4xx, and
still answers the next request."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from marketplace.api.parsers import JSON_MAX_DEPTH
from tests.integration.processes import process_env, start_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _post(base: str, path: str, body: bytes) -> tuple[int, str, bytes]:
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        conn.close()


def test_the_server_survives_deep_and_huge_json_bodies_and_keeps_answering(tmp_path: Path) -> None:
    env = process_env(DEBUG="false", SECRET_KEY="hostile-bodies-" + "k" * 50, SECURE_SSL_REDIRECT="false")
    server, base = start_server(env, tmp_path / "server.log")
    try:
        deep = b"[" * 100_000 + b"]" * 100_000
        status, content_type, body = _post(base, "/api/v1/auth/token/", deep)
        assert (status, content_type) == (400, "application/json"), server.output()
        assert str(JSON_MAX_DEPTH) in json.loads(body)["detail"]

        huge = b'{"username": "' + b"a" * 10_000_000 + b'", "password": "x"}'
        status, content_type, body = _post(base, "/api/v1/auth/token/", huge)
        assert (status, content_type) == (413, "application/json"), body[:300]

        status, content_type, _ = _post(base, "/api/v1/auth/token/", b'{"username": "nobody", "password": "x"}')
        assert (status, content_type) == (400, "application/json")
        assert server.popen.poll() is None, server.output()
    finally:
        server.kill()

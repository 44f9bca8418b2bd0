"""Real processes for integration tests: the API server and `dramatiq` workers on Redis, sharing the
test database and media folder with the test process."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        STYLIZATION_CACHE_DIR=str(settings.STYLIZATION_CACHE_DIR),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._fh = log.open("wb")
        # A session of its own, so the whole tree (dramatiq forks workers) can be killed at once.
        self.popen = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        self._fh.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start_worker(env: dict[str, str], log: Path, *, queues: tuple[str, ...] = ()) -> Process:
    """A `dramatiq` worker process; `queues` limits what it consumes (all queues when empty)."""
    return Process(
        ["rundramatiq", "--processes", "1", "--threads", "1", *(["--queues", *queues] if queues else [])],
        env,
        log,
    )


def start_server(env: dict[str, str], log: Path) -> tuple[Process, str]:
    port = free_port()
    server = Process(["runserver", f"127.0.0.1:{port}", "--noreload"], env, log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/v1/products/", timeout=2)
            return server, base
        except (urllib.error.URLError, ConnectionError):
            if server.popen.poll() is not None:
                break
            time.sleep(0.3)
    server.kill()
    raise RuntimeError(f"The server did not start:\n{server.output()}")


def call(
    base: str, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None
) -> Any:
    request = urllib.request.Request(
        f"{base}{path}", method=method, data=json.dumps(body).encode() if body else None
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def wait_for(predicate: Any, *, timeout: float, what: str, processes: tuple[Process, ...] = ()) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    logs = "\n\n".join(f"--- {p.log.name}\n{p.output()}" for p in processes)
    raise AssertionError(f"Timed out waiting for {what}.\n{logs}")

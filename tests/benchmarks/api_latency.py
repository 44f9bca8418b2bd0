"""`python -m tests.benchmarks.api_latency`: request-to-preview through the API of `make run`.

It starts the product as `make run` does (migrate, seed_demo, `manage.py serve` with its embedded
worker) on a fresh data folder and a free port, logs in as the demo buyer, and times, from the
client's side, POST /api/v1/personalizations/ until GET /api/v1/personalizations/{id}/ answers
`done`. It times the demo styles' shipped models (the live configurator's path) against the
optimiser on the same patterns, in the same run (an uploaded style image has no model, so it is
optimised), and prints each path's figures and their ratio. Poll interval: POLL_S."""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from tests.benchmarks._common import ROOT, free_port, stop_process_group, wait_until_answering

POLL_S = 0.01
BUYER = ("bea", "motif-demo-2026")  # marketplace/management/commands/seed_demo.py


def _call(
    url: str,
    *,
    token: str = "",
    body: dict[str, Any] | None = None,
    files: dict[str, tuple[str, bytes]] | None = None,
) -> Any:
    headers = {"Authorization": f"Token {token}"} if token else {}
    data = None
    if files is not None:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in (body or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
        for name, (filename, content) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n".encode()
                + content
                + b"\r\n"
            )
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def _preview(
    host: str, token: str, body: dict[str, Any], files: dict[str, tuple[str, bytes]] | None, timeout: float
) -> dict[str, Any]:
    started = time.perf_counter()
    made = _call(f"{host}/api/v1/personalizations/", token=token, body=body, files=files)
    accepted = time.perf_counter() - started
    while True:
        shown = _call(f"{host}/api/v1/personalizations/{made['id']}/", token=token)
        if shown["status"] in ("done", "failed"):
            break
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"personalization {made['id']} was not done within {timeout:.0f} s")
        time.sleep(POLL_S)
    info = shown.get("engine_info") or {}
    return {
        "status": shown["status"],
        "seconds": time.perf_counter() - started,
        "accepted_s": accepted,
        "method": info.get("method", "?"),
        "engine_ms": float(info.get("engine_ms", 0.0)),
    }


def _row(name: str, runs: list[dict[str, Any]]) -> str:
    seconds = sorted(r["seconds"] * 1000 for r in runs)
    methods = ", ".join(sorted({r["method"] for r in runs}))
    p90 = seconds[min(len(seconds) - 1, round(0.9 * (len(seconds) - 1)))]
    return (
        f"| {name} | {methods} | {len(runs)} | {statistics.median(seconds):.0f} | {p90:.0f} | {max(seconds):.0f} | "
        f"{statistics.median(r['accepted_s'] * 1000 for r in runs):.0f} | "
        f"{statistics.median(r['engine_ms'] for r in runs):.0f} | {sum(r['status'] != 'done' for r in runs)} |"
    )


def api_latency_bench(*, requests: int, optimiser_requests: int) -> int:
    from stylization.engine.patterns import generate_pattern

    data = Path(tempfile.mkdtemp(prefix="motif-api-latency-"))
    port = free_port()
    env = dict(
        os.environ,
        MOTIF_VAR_DIR=str(data),
        DATABASE_URL=f"sqlite:///{data / 'motif.sqlite3'}",
        DRAMATIQ_BROKER_URL="",
        LOCAL_CHAIN_PORT=str(free_port()),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # The live path is what this bench times: the model's tile as the preview itself.
        STYLIZATION_PREVIEW_METHOD="live",
    )
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    log = (data / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    host = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{host}/api/v1/products/", server)
        token = _call(f"{host}/api/v1/auth/token/", body={"username": BUYER[0], "password": BUYER[1]})[
            "token"
        ]
        styles = _call(f"{host}/api/v1/styles/", token=token)["results"]
        patterns = _call(f"{host}/api/v1/patterns/", token=token)["results"]
        live = [s for s in styles if (s.get("model") or {}).get("status") == "ready"]
        if not live:
            print("No demo style has a ready model: nothing to time on the live path.", file=sys.stderr)
            return 1
        # The first preview of each style loads its model into the worker (the warm cache): timed apart.
        first = [
            _preview(host, token, {"pattern": patterns[0]["id"], "style": s["id"]}, None, 120) for s in live
        ]
        timed = []
        for i in range(requests):
            style, pattern = live[i % len(live)], patterns[i % len(patterns)]
            body = {
                "pattern": pattern["id"],
                "style": style["id"],
                "strength": round(0.3 + 0.6 * (i % 7) / 6, 2),
                "seed": i,
            }
            timed.append(_preview(host, token, body, None, 120))
        # A buyer's own image (a listed painting would be refused as laundering): generated here.
        own = io.BytesIO()
        generate_pattern("basic", size=320, seed=2026, kind="blobs").convert("RGB").save(
            own, format="JPEG", quality=90
        )
        own_image = own.getvalue()
        optimised = []
        for i in range(optimiser_requests):
            pattern = patterns[i % len(patterns)]
            body = {"pattern": pattern["id"], "strength": 0.7, "seed": i}
            optimised.append(_preview(host, token, body, {"style_image": ("own.jpg", own_image)}, 300))
    finally:
        stop_process_group(server)
        log.close()
    print(
        f"Request-to-preview through the API of `manage.py serve` (make run), polling every {POLL_S * 1000:.0f} ms\n"
    )
    print(
        "| path | method | requests | median ms | p90 ms | max ms | POST answered ms (median) | engine ms (median) | failed |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(_row("live model, first preview of each style (cold load)", first))
    print(_row("live model, warm", timed))
    if optimised:
        print(_row("optimiser (uploaded style image)", optimised))
        ratio = statistics.median(r["seconds"] for r in optimised) / statistics.median(
            r["seconds"] for r in timed
        )
        print(f"\noptimiser / live model, median request-to-preview: {ratio:.1f}×")
    warm = statistics.median(r["seconds"] for r in timed)
    print(
        f"live model median {warm * 1000:.0f} ms against the ≤ 500 ms target: {'met' if warm <= 0.5 else 'missed'}"
    )
    shutil.rmtree(data, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.api_latency",
        description="Request-to-preview through the API of `make run`: live models against the optimiser.",
    )
    parser.add_argument("--requests", type=int, default=24, help="live-model previews to time")
    parser.add_argument("--optimiser-requests", type=int, default=3, help="optimiser previews to time")
    args = parser.parse_args(argv)
    return api_latency_bench(requests=args.requests, optimiser_requests=args.optimiser_requests)


if __name__ == "__main__":
    raise SystemExit(main())

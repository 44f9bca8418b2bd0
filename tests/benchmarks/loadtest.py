"""`python -m tests.benchmarks.loadtest`: load figures for the production shape against the
single-process server, in one run, with locust headless and bounded.

Both targets run on the same PostgreSQL database and the same code: first `make serve-prod`'s shape
(gunicorn with config/deploy/gunicorn.conf.py, plus the worker pools on Redis), then `manage.py serve`
(one process: runserver's threads and the embedded worker). Each gets the same locust run: USERS
concurrent users for DURATION seconds over the catalogue page, GET /api/v1/patterns/ and
POST /api/v1/provenance/verify/ with a small image. The verify rate limit is lifted for the run (every
locust user comes from 127.0.0.1). The load generator runs on the same machine as the servers.

    python -m tests.benchmarks.loadtest [--users 20] [--duration 60] [--database-url postgres://…]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from config.queues import POOLS
from tests.benchmarks._common import ROOT, free_port, stop_process_group, wait_until_answering

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
PATHS = ("catalogue page", "GET /api/v1/patterns/", "POST /api/v1/provenance/verify/")


def _rss_mb(pid: int) -> float:
    """Resident memory of a process tree (the server and its children), in MB."""
    out = subprocess.run(["ps", "-o", "rss=,ppid=,pid=", "-e"], capture_output=True, text=True).stdout
    rows = [tuple(int(v) for v in line.split()) for line in out.splitlines() if line.strip()]
    tree, total, grew = {pid}, 0, True
    while grew:
        grew = False
        for _rss, ppid, child in rows:
            if ppid in tree and child not in tree:
                tree.add(child)
                grew = True
    for rss, _ppid, child in rows:
        if child in tree:
            total += rss
    return total / 1024


def _locust(host: str, users: int, duration: int, out: Path, nice: int = 0) -> dict[str, dict[str, float]]:
    prefix = out / "stats"
    # On a small shared machine the generator itself can starve; a negative nice (root only) gives
    # it the CPU it needs so that the servers, not the generator, are what is measured.
    renice = ["nice", "-n", str(nice)] if nice else []
    subprocess.run(
        [
            *renice,
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{duration}s",
            "-H",
            host,
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "10",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        check=False,
        capture_output=True,
        timeout=duration + 120,
    )
    rows: dict[str, dict[str, float]] = {}
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            rows[row["Name"]] = {
                "requests": float(row["Request Count"]),
                "failures": float(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
            }
    return rows


def _workers_ready(log: Path, count: int, process: subprocess.Popen[bytes], timeout: float = 300) -> None:
    """Wait until `count` Dramatiq worker processes have booted: their start-up (Django, torch) would
    otherwise be measured as load on the web processes."""
    deadline = time.monotonic() + timeout
    while log.read_text(errors="replace").count("ready for action") < count:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker pools did not all start; see {log}")
        time.sleep(1)


def _target(
    name: str,
    argv: list[str],
    env: dict[str, str],
    host: str,
    users: int,
    duration: int,
    out: Path,
    workers: int = 0,
    nice: int = 0,
) -> dict[str, Any]:
    log_path = out / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_until_answering(f"{host}/api/v1/products/", process)
        if workers:
            _workers_ready(log_path, workers, process)
        for _ in range(3):  # warm the workers (imports, connections) before measuring
            urllib.request.urlopen(f"{host}/", timeout=30).read()
        rss_before = _rss_mb(process.pid)
        (out / name).mkdir(exist_ok=True)
        stats = _locust(host, users, duration, out / name, nice)
        return {"stats": stats, "rss_before_mb": rss_before, "rss_after_mb": _rss_mb(process.pid)}
    finally:
        stop_process_group(process)
        log.close()


def _table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| server | path | requests | req/s | p50 / p95 / p99 ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    for server, result in results.items():
        for path in (*PATHS, "Aggregated"):
            s = result["stats"].get(path)
            if s:
                lines.append(
                    f"| {server} | {path} | {s['requests']:.0f} | {s['rps']:.1f} | "
                    f"{s['p50']:.0f} / {s['p95']:.0f} / {s['p99']:.0f} | {s['failures']:.0f} |"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.loadtest",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/motif")
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("DRAMATIQ_BROKER_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--only", choices=["gunicorn", "serve"], default=None)
    parser.add_argument(
        "--generator-nice", type=int, default=0, help="nice value for locust (negative: root)"
    )
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env.update(
        DATABASE_URL=args.database_url,
        OMP_NUM_THREADS="1",
        PYTHONUNBUFFERED="1",
        VERIFY_RATE_LIMIT="1000000/min",
        LOCAL_CHAIN_PORT=str(free_port()),
        LOG_LEVEL="WARNING",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    out = Path(tempfile.mkdtemp(prefix="motif-loadbench-"))
    results: dict[str, dict[str, Any]] = {}
    if args.only in (None, "gunicorn"):
        port = free_port()
        # INFO: the pools' "ready for action" lines are how the bench knows they have booted.
        prod_env = dict(
            env,
            DRAMATIQ_BROKER_URL=args.redis_url,
            MOTIF_EMBEDDED_WORKER="false",
            LOG_LEVEL="INFO",
            GUNICORN_ACCESSLOG="",
            DRAMATIQ_NAMESPACE=f"motif-loadbench-{os.getpid()}",
        )
        results["gunicorn (serve-prod)"] = _target(
            "gunicorn",
            [sys.executable, "-m", "config.serve_prod", "--no-migrate", "--bind", f"127.0.0.1:{port}"],
            prod_env,
            f"http://127.0.0.1:{port}",
            args.users,
            args.duration,
            out,
            workers=sum(len(pool.members) for pool in POOLS.values()),
            nice=args.generator_nice,
        )
    if args.only in (None, "serve"):
        port = free_port()
        serve_env = dict(env, DRAMATIQ_BROKER_URL="")
        results["manage.py serve"] = _target(
            "serve",
            [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
            serve_env,
            f"http://127.0.0.1:{port}",
            args.users,
            args.duration,
            out,
            nice=args.generator_nice,
        )
    print(
        f"{args.users} users for {args.duration} s per server; load generator on the same machine; logs in {out}\n"
    )
    print(_table(results))
    for server, result in results.items():
        print(
            f"\n{server}: RSS {result['rss_before_mb']:.0f} MB before, {result['rss_after_mb']:.0f} MB after"
        )
    if len(results) == 2:
        g, s = (results[k]["stats"]["Aggregated"] for k in ("gunicorn (serve-prod)", "manage.py serve"))
        print(f"\nthroughput ratio gunicorn / serve: {g['rps'] / max(s['rps'], 1e-9):.2f}× (target ≥ 2×)")
        print(
            f"gunicorn p99 / p50: {g['p99'] / max(g['p50'], 1e-9):.1f}× (target ≤ 5×); "
            f"errors: gunicorn {g['failures']:.0f}, serve {s['failures']:.0f} (target 0)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

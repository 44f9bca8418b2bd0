"""`make serve-prod`: the production shape on this machine. gunicorn (config/deploy/gunicorn.conf.py)
and one `runpool` process per pool in config/queues.py, on the machine's PostgreSQL and Redis, with
a local anvil node when CHAIN_RPC_URL is not set. Ctrl-C or SIGTERM stops everything.

    python -m config.serve_prod [--bind 127.0.0.1:8001] [--pools web-side,gpu,chain]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_env(base: dict[str, str]) -> dict[str, str]:
    env = dict(base)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/motif")
    env.setdefault("DRAMATIQ_BROKER_URL", "redis://127.0.0.1:6379/0")
    env["MOTIF_EMBEDDED_WORKER"] = "false"
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def start(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bind", default=os.environ.get("ADDR", "127.0.0.1:8001"))
    parser.add_argument("--pools", default="web-side,gpu,chain")
    parser.add_argument("--no-migrate", action="store_true")
    args = parser.parse_args()
    env = production_env(dict(os.environ))
    env["GUNICORN_BIND"] = args.bind
    python = sys.executable
    if not args.no_migrate:
        subprocess.run([python, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True)
    children: list[subprocess.Popen[bytes]] = []
    node = None
    if not env.get("CHAIN_RPC_URL"):
        sys.path.insert(0, str(ROOT))
        from provenance.local_node import ANVIL_CHAIN_ID, ANVIL_DEV_PRIVATE_KEY, start_anvil

        state = Path(env.get("MOTIF_VAR_DIR", ROOT / "var")) / "chain" / "prod-state.json"
        node = start_anvil(state_file=state, port=int(env.get("LOCAL_CHAIN_PORT", "8546")))
        if node is not None:
            env.update(
                CHAIN_RPC_URL=node.url, CHAIN_ID=str(ANVIL_CHAIN_ID), CHAIN_PRIVATE_KEY=ANVIL_DEV_PRIVATE_KEY
            )
    children.append(
        start([python, "-m", "gunicorn", "-c", "config/deploy/gunicorn.conf.py", "config.wsgi"], env)
    )
    for pool in [p for p in args.pools.split(",") if p]:
        children.append(start([python, "manage.py", "runpool", pool], env))
    print(f"serve-prod: gunicorn on http://{args.bind}, pools {args.pools}, pids {[c.pid for c in children]}")

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping and all(c.poll() is None for c in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        if node is not None:
            node.stop()
    return 0 if stopping else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The local chain that `make run` starts: anvil (npm package @foundry-rs/anvil) on loopback, its
state kept in var/chain/state.json so the demo's records survive a restart."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# anvil's first development account: a key published with anvil itself, for local chains only.
ANVIL_DEV_PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ANVIL_CHAIN_ID = 31337


def anvil_binary() -> str | None:
    local = ROOT / "node_modules" / ".bin" / "anvil"
    if local.exists():
        return str(local)
    return shutil.which("anvil")


class LocalNode:
    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process, self.url = process, url

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # SIGINT makes anvil write its state file
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_anvil(*, state_file: Path, port: int = 8545, timeout_s: float = 15.0) -> LocalNode | None:
    binary = anvil_binary()
    if binary is None:
        return None
    state_file.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [binary, "--host", "127.0.0.1", "--port", str(port), "--state", str(state_file), "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return LocalNode(process, f"http://127.0.0.1:{port}")
        time.sleep(0.1)
    process.kill()
    return None

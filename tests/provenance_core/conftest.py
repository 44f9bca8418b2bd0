"""Shared fixtures: a chain to run against (in-process always, anvil when installed), manifests,
and the dev certificate chain."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from provenance.core.chain import AttributionRecord, ChainClient
from provenance.core.ids import new_record_id
from provenance.core.manifest import (
    AttributionInput,
    BasePatternRef,
    EngineInfo,
    LicencedStyleRef,
    LicenceVersion,
    OutputHashes,
    StylizationSettings,
    make_order_commitment,
)

REPO = Path(__file__).resolve().parents[2]
ANVIL = REPO / "node_modules" / ".bin" / "anvil"
ANVIL_CHAIN_ID = 31337
# anvil's first well-known development account (public test mnemonic, never used for value)
ANVIL_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def missing_tool(message: str) -> None:
    """Skip locally, but fail in CI, where a missing tool means a broken pipeline."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true, so this is a failure, not a skip)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def anvil_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not ANVIL.exists():
        missing_tool("anvil not installed: run `npm install` at the repo root to test against anvil")
    port = _free_port()
    state = tmp_path_factory.mktemp("anvil") / "state.json"
    process = subprocess.Popen(
        [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--state", str(state), "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            if Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 1})).eth.chain_id == ANVIL_CHAIN_ID:
                break
        except Exception:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"anvil did not start: {process.stderr.read().decode() if process.stderr else ''}")
        time.sleep(0.1)
    yield url
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(params=["in_process", "anvil"])
def chain(request: pytest.FixtureRequest) -> ChainClient:
    """A client (owner + registrar) with a freshly deployed registry."""
    if request.param == "in_process":
        client = ChainClient.in_process()
    else:
        url = request.getfixturevalue("anvil_url")
        client = ChainClient.from_rpc(
            url, ANVIL_CHAIN_ID, private_key=ANVIL_DEV_KEY, timeout=20, poll_interval=0.05
        )
    client.deploy()
    return client


@pytest.fixture
def other_client(chain: ChainClient) -> Callable[[], ChainClient]:
    """Clients for fresh, funded accounts on the same chain and registry (not registrars)."""

    def make() -> ChainClient:
        account = Account.create()
        w3 = chain.w3
        tx = {
            "to": account.address,
            "value": Web3.to_wei(1, "ether"),
            "gas": 21_000,
            "nonce": w3.eth.get_transaction_count(chain.sender, "pending"),
            "chainId": chain.chain_id,
            "maxFeePerGas": 2 * w3.eth.get_block("latest")["baseFeePerGas"] + 10**9,
            "maxPriorityFeePerGas": 10**9,
        }
        w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(chain.account.sign_transaction(tx).raw_transaction)
        )
        client = ChainClient(
            w3,
            account=account,
            chain_id=chain.chain_id,
            timeout=chain.timeout,
            poll_interval=chain.poll_interval,
            artifact=chain.artifact,
        )
        client.attach(chain.address)
        return client

    return make


def nonzero_hash() -> bytes:
    """A 32-byte hash with no zero bytes: the worst case for calldata gas."""
    return bytes(b % 255 + 1 for b in os.urandom(32))


def random_record(record_id: str | None = None) -> AttributionRecord:
    return AttributionRecord(
        record_id or new_record_id(), nonzero_hash(), nonzero_hash(), nonzero_hash(), nonzero_hash()
    )


@pytest.fixture
def attribution_input() -> AttributionInput:
    commitment = make_order_commitment(order_id="ord_1042", buyer_id="usr_77", salt=bytes(range(32)))
    return AttributionInput(
        record_id="0f" * 16,
        created_at=dt.datetime(2026, 11, 25, 12, 0, 5, tzinfo=dt.UTC),
        base_pattern=BasePatternRef(pattern_id="pat_ferns", sha256="a1" * 32, designer_public_id="des_9k2"),
        style=LicencedStyleRef(
            style_id="sty_indigo",
            sha256="b2" * 32,
            artist_public_id="art_4q8",
            licence=LicenceVersion(
                version="3", terms={"commercial_use": True, "max_prints": 500, "territory": "worldwide"}
            ),
        ),
        stylization=StylizationSettings(
            params={"strength": 0.7, "levels": 3, "repeat": "half_drop"}, seed=2**63 + 11
        ),
        engine=EngineInfo(
            method="gram-multiscale",
            encoder="random-shallow-v1",
            weights_sha256=None,
            library_versions={"torch": "2.14.1", "numpy": "2.4.6"},
            device="cpu",
        ),
        outputs=OutputHashes(
            print_png_sha256="c3" * 32,
            print_sheet_sha256="d4" * 32,
            svg_sha256="e5" * 32,
            phash="8f3a00ff12345678",
            dhash="0123456789abcdef",
        ),
        royalty_split_bps={"des_9k2": 6000, "art_4q8": 3000, "motif": 1000},
        order_commitment=commitment.commitment,
    )

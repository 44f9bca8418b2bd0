"""Client behaviour that the outbox worker and the verifier rely on."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
from eth_account import Account

from provenance.core.chain import (
    ChainClient,
    ChainConflict,
    ChainUnavailable,
    ConfirmationTimeout,
    NotOurContract,
    WrongChain,
)

from .conftest import random_record

# A contract that is not ours: init code returning the 1-byte runtime 0x00 (STOP).
FOREIGN_CONTRACT_INIT = "0x6001600c60003960016000f300"


def test_resend_after_crash_returns_the_existing_record(chain: ChainClient) -> None:
    record = random_record()
    first = chain.attribute(record)  # ...and the worker dies before saving the receipt
    resent = chain.attribute(record)
    assert resent.already_on_chain
    assert (resent.tx_hash, resent.block_number, resent.block_time, resent.gas_used) == (
        first.tx_hash,
        first.block_number,
        first.block_time,
        first.gas_used,
    )


def test_resend_with_a_different_manifest_hash_is_a_conflict(chain: ChainClient) -> None:
    record = random_record()
    chain.attribute(record)
    altered = random_record(record.record_id)
    with pytest.raises(ChainConflict) as raised:
        chain.attribute(altered)
    assert raised.value.on_chain_manifest_hash == record.manifest_hash


def test_attach_accepts_our_registry(chain: ChainClient) -> None:
    fresh = ChainClient(chain.w3, account=chain.account, chain_id=chain.chain_id, artifact=chain.artifact)
    fresh.attach(chain.address)
    assert fresh.code_matches_build()


def test_attach_refuses_a_different_contract(chain: ChainClient) -> None:
    tx = {
        "data": FOREIGN_CONTRACT_INIT,
        "nonce": chain.w3.eth.get_transaction_count(chain.sender, "pending"),
        "gas": 100_000,
        "chainId": chain.chain_id,
        **chain._fees(),
    }
    tx_hash = chain.w3.eth.send_raw_transaction(chain.account.sign_transaction(tx).raw_transaction)
    foreign = chain.w3.eth.wait_for_transaction_receipt(tx_hash)["contractAddress"]
    with pytest.raises(NotOurContract):
        chain.attach(foreign)
    with pytest.raises(NotOurContract, match="no contract code"):
        chain.attach(Account.create().address)


def test_wrong_chain_id_is_refused(chain: ChainClient) -> None:
    confused = ChainClient(
        chain.w3, account=chain.account, chain_id=chain.chain_id + 1, artifact=chain.artifact
    )
    with pytest.raises(WrongChain):
        confused.attach(chain.address)


def test_closed_port_raises_chain_unavailable() -> None:
    client = ChainClient.from_rpc("http://127.0.0.1:1", 31337, private_key="0x" + "11" * 32, timeout=2)
    with pytest.raises(ChainUnavailable):
        client.attach("0x" + "22" * 20)


@pytest.fixture
def silent_node() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_unresponsive_node_times_out_as_chain_unavailable(silent_node: str) -> None:
    client = ChainClient.from_rpc(silent_node, 31337, private_key="0x" + "11" * 32, timeout=1)
    started = time.monotonic()
    with pytest.raises(ChainUnavailable):
        client.attach("0x" + "22" * 20)
    assert time.monotonic() - started < 5


def test_keystore_signing_key_is_accepted(tmp_path) -> None:
    account = Account.create()
    keystore = tmp_path / "registrar.json"
    keystore.write_text(json.dumps(Account.encrypt(account.key, "correct horse")))
    client = ChainClient.from_rpc(
        "http://127.0.0.1:1", 1, keystore_path=keystore, keystore_password="correct horse"
    )
    assert client.sender == account.address


def mine_blocks(chain: ChainClient, count: int) -> None:
    provider = chain.w3.provider
    if hasattr(provider, "ethereum_tester"):
        provider.ethereum_tester.mine_blocks(count)
    else:
        provider.make_request("anvil_mine", [hex(count)])


def test_confirmations_are_waited_for(chain: ChainClient) -> None:
    record = random_record()
    receipt = chain.attribute(record)
    deep = ChainClient(
        chain.w3,
        account=chain.account,
        chain_id=chain.chain_id,
        confirmations=3,
        timeout=0.3,
        poll_interval=0.01,
        artifact=chain.artifact,
    )
    deep.attach(chain.address)
    with pytest.raises(ConfirmationTimeout) as raised:
        deep.wait_for_confirmation(receipt.tx_hash)
    assert raised.value.tx_hash == receipt.tx_hash
    mine_blocks(chain, 3)
    assert deep.wait_for_confirmation(receipt.tx_hash).block_number == receipt.block_number
    assert chain.lookup(record.record_id).confirmations == 4  # type: ignore[union-attr]

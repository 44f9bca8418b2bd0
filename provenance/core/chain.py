"""Client for the AttributionRegistry contract.

One client per process, used from a single queue: it fetches the *pending* nonce before every
send, so it never races itself, but two clients sharing a key would. Three failure kinds are kept
apart because the verifier treats them differently:
  ChainUnavailable  the node could not be read or did not answer in time (never evidence of tampering);
  NotOurContract    the configured address does not hold the Motif registry;
  ChainConflict     the record id is already anchored with a different manifest hash.
"""
# ruff: noqa: E402 (the recursion limit is read before the Ethereum libraries are imported)

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import requests

# py_ecc (through eth_account) and py-evm (through eth_tester) raise the interpreter's recursion limit
# to 100,000 when they are imported, for the EVM's deep call stacks. With that limit Python keeps
# recursing until the C stack overflows, so a deeply nested input (a JSON body, in `json.loads`)
# kills the whole process with a segfault instead of raising RecursionError. The registry makes no
# nested calls, so the limit is put back right after the imports. This module is where the product
# first imports them.
_RECURSION_LIMIT = sys.getrecursionlimit()
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from eth_typing import ChecksumAddress, HexStr
from eth_utils import keccak, to_checksum_address
from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, ProviderConnectionError, TimeExhausted, Web3RPCError

sys.setrecursionlimit(_RECURSION_LIMIT)

from provenance.core.ids import record_id_from_bytes32, record_id_to_bytes32

ARTIFACT_PATH = Path(__file__).resolve().parent.parent / "contracts" / "build" / "AttributionRegistry.json"
REGISTRY_VERSION = "motif.attribution-registry/1"
_ZERO32 = bytes(32)


class ChainError(Exception):
    """Base for everything the chain client raises on purpose."""


class ChainUnavailable(ChainError):
    """The node is unreachable or too slow; retry later. Says nothing about the record itself."""


class ConfirmationTimeout(ChainUnavailable):
    """A transaction was sent but not confirmed in time; keep `tx_hash` and ask again later."""

    def __init__(self, message: str, *, tx_hash: str) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class NotOurContract(ChainError):
    """The address holds no code, or code that is not the Motif attribution registry."""


class WrongChain(ChainError):
    """The node serves a different chain id than the one configured."""


class ChainConflict(ChainError):
    """The record id is already on chain with a different manifest hash."""

    def __init__(self, record_id: str, *, on_chain: bytes, ours: bytes) -> None:
        super().__init__(
            f"record {record_id} is anchored with manifest hash {on_chain.hex()}, not {ours.hex()}"
        )
        self.record_id = record_id
        self.on_chain_manifest_hash = on_chain
        self.our_manifest_hash = ours


class ChainRejected(ChainError):
    """The contract refused the call (e.g. the sender is not a registrar)."""


@dataclass(frozen=True)
class AttributionRecord:
    """What goes on chain for one order line; every hash is 32 raw bytes."""

    record_id: str
    manifest_hash: bytes
    output_hash: bytes
    base_pattern_hash: bytes
    style_hash: bytes


@dataclass(frozen=True)
class TxReceiptInfo:
    tx_hash: str
    block_number: int
    block_time: dt.datetime
    gas_used: int
    already_on_chain: bool = False  # True when a resend found the earlier transaction instead


@dataclass(frozen=True)
class OnChainRecord:
    record_id: str
    manifest_hash: bytes
    output_hash: bytes
    base_pattern_hash: bytes
    style_hash: bytes
    tx_hash: str
    block_number: int
    block_time: dt.datetime
    confirmations: int  # blocks including the record's own, so 1 = just mined
    revoked: bool
    contract_address: str
    chain_id: int


@dataclass(frozen=True)
class OnChainRevocation:
    """A `Revoked` event: the record's revocation as the chain has it."""

    record_id: str
    reason: bytes  # the bytes32 sent with it (provenance.core.revocation)
    tx_hash: str
    block_number: int
    block_time: dt.datetime


@dataclass(frozen=True)
class OnChainBatch:
    merkle_root: bytes
    count: int
    tx_hash: str
    block_number: int
    block_time: dt.datetime
    confirmations: int
    contract_address: str
    chain_id: int


def load_artifact(path: Path = ARTIFACT_PATH) -> dict[str, Any]:
    return json.loads(path.read_text())


def _event_topic(signature: str) -> bytes:
    return keccak(text=signature)


# `Attributed` is anonymous (see the contract), so its logs are recognised by shape and by not
# starting with one of the named events' signature topics.
_NAMED_EVENT_TOPICS = frozenset(
    _event_topic(sig)
    for sig in (
        "Revoked(bytes32,bytes32)",
        "BatchAnchored(bytes32,uint256)",
        "RegistrarAdded(address)",
        "RegistrarRemoved(address)",
        "OwnershipTransferred(address,address)",
    )
)
_BATCH_ANCHORED_TOPIC = _event_topic("BatchAnchored(bytes32,uint256)")
_REVOKED_TOPIC = _event_topic("Revoked(bytes32,bytes32)")

_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # includes requests' ConnectionError and socket timeouts
    requests.RequestException,
    ProviderConnectionError,
    TimeExhausted,
)


@contextmanager
def _node_errors() -> Iterator[None]:
    try:
        yield
    except _UNAVAILABLE_ERRORS as exc:
        raise ChainUnavailable(f"chain node unavailable: {exc}") from exc


def _as_hex(value: bytes | str) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def _utc(timestamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)


class ChainClient:
    def __init__(
        self,
        w3: Web3,
        *,
        account: LocalAccount,
        chain_id: int,
        confirmations: int = 0,
        timeout: float = 30.0,
        poll_interval: float = 0.2,
        artifact: dict[str, Any] | None = None,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.chain_id = chain_id
        self.confirmations = confirmations
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.artifact = artifact or load_artifact()
        self._contract: Contract | None = None
        self.from_block = 0  # deployment block; log scans start here
        self.deployment: TxReceiptInfo | None = None  # set by deploy()
        self._chain_checked = False

    # ---- construction -------------------------------------------------------------------

    @classmethod
    def in_process(cls, *, confirmations: int = 0) -> ChainClient:
        """A throwaway py-evm chain; the signer is a fresh local key funded by a test account.

        Signing locally (instead of using eth-tester's unlocked accounts) keeps tests on the
        same code path as production.
        """
        w3 = Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))
        account: LocalAccount = Account.create()
        funder = w3.eth.accounts[0]
        tx = w3.eth.send_transaction(
            {"from": funder, "to": account.address, "value": Web3.to_wei(100, "ether")}
        )
        w3.eth.wait_for_transaction_receipt(tx)
        return cls(
            w3,
            account=account,
            chain_id=w3.eth.chain_id,
            confirmations=confirmations,
            timeout=10.0,
            poll_interval=0.01,
        )

    @classmethod
    def from_rpc(
        cls,
        url: str,
        chain_id: int,
        *,
        private_key: str | None = None,
        keystore_path: str | Path | None = None,
        keystore_password: str | None = None,
        confirmations: int = 0,
        timeout: float = 30.0,
        poll_interval: float = 1.0,
    ) -> ChainClient:
        """Connect lazily: building a client never touches the network, so a node that is down
        surfaces as ChainUnavailable on first use rather than at start-up."""
        if (private_key is None) == (keystore_path is None):
            raise ValueError("give exactly one of private_key or keystore_path")
        if keystore_path is not None:
            if keystore_password is None:
                raise ValueError("a keystore needs its password")
            key = Account.decrypt(json.loads(Path(keystore_path).read_text()), keystore_password)
            account: LocalAccount = Account.from_key(key)
        else:
            account = Account.from_key(private_key)
        # No automatic retries: the caller's queue retries, and a bounded call is what lets the
        # verifier answer "chain unreachable" quickly.
        provider = HTTPProvider(
            url, request_kwargs={"timeout": min(timeout, 10.0)}, exception_retry_configuration=None
        )
        return cls(
            Web3(provider),
            account=account,
            chain_id=chain_id,
            confirmations=confirmations,
            timeout=timeout,
            poll_interval=poll_interval,
        )

    # ---- contract ---------------------------------------------------------------------------

    @property
    def sender(self) -> ChecksumAddress:
        return self.account.address

    @property
    def contract(self) -> Contract:
        if self._contract is None:
            raise ChainError("no registry attached: call deploy() or attach(address) first")
        return self._contract

    @property
    def address(self) -> ChecksumAddress:
        return self.contract.address

    @cached_property
    def _code_hash_of_build(self) -> bytes:
        return keccak(hexstr=self.artifact["deployedBytecode"])

    def _ensure_chain(self) -> None:
        if self._chain_checked:
            return
        with _node_errors():
            served = self.w3.eth.chain_id
        if served != self.chain_id:
            raise WrongChain(f"node serves chain id {served}, configured {self.chain_id}")
        self._chain_checked = True

    def deploy(self) -> str:
        self._ensure_chain()
        factory = self.w3.eth.contract(abi=self.artifact["abi"], bytecode=self.artifact["bytecode"])
        receipt = self._send(factory.constructor())
        self._contract = self.w3.eth.contract(address=receipt["contractAddress"], abi=self.artifact["abi"])
        self.from_block = receipt["blockNumber"]
        self.deployment = self._receipt_info(receipt)
        return self._contract.address

    def attach(self, address: str, *, from_block: int = 0) -> None:
        """Bind to an existing registry, refusing an address that does not hold one."""
        self._ensure_chain()
        address = to_checksum_address(address)
        with _node_errors():
            code = self.w3.eth.get_code(address)
        if not code:
            raise NotOurContract(f"no contract code at {address}")
        candidate = self.w3.eth.contract(address=address, abi=self.artifact["abi"])
        try:
            with _node_errors():
                version = candidate.functions.registryVersion().call()
        except ChainUnavailable:
            raise
        except Exception as exc:  # any revert or undecodable answer means "not our interface"
            raise NotOurContract(f"{address} does not answer registryVersion(): {exc}") from exc
        if version != REGISTRY_VERSION:
            raise NotOurContract(f"{address} is registry {version!r}, expected {REGISTRY_VERSION!r}")
        self._contract = candidate
        self.from_block = from_block

    def code_matches_build(self) -> bool:
        """Whether the deployed code is byte-for-byte this checkout's build (informational:
        a registry deployed from an older build is still ours if it answers the version)."""
        with _node_errors():
            return keccak(self.w3.eth.get_code(self.address)) == self._code_hash_of_build

    # ---- writes -------------------------------------------------------------------------------

    def attribute(self, record: AttributionRecord) -> TxReceiptInfo:
        """Anchor one record. Safe to call again after a crash: an identical record already on
        chain is returned as `already_on_chain`; a different one raises ChainConflict."""
        record_id32 = record_id_to_bytes32(record.record_id)
        for value in (record.manifest_hash, record.output_hash, record.base_pattern_hash, record.style_hash):
            if len(value) != 32:
                raise ValueError("every attribution hash must be 32 bytes")
        existing = self._existing_attribution(record, record_id32)
        if existing is not None:
            return existing
        call = self.contract.functions.attribute(
            record_id32, record.manifest_hash, record.output_hash, record.base_pattern_hash, record.style_hash
        )
        try:
            return self._receipt_info(self._send(call))
        except ChainRejected:
            # Lost a race with an earlier send of the same record (e.g. a retry whose first
            # attempt was still pending): settle it the same way as above.
            existing = self._existing_attribution(record, record_id32)
            if existing is not None:
                return existing
            raise

    def _existing_attribution(self, record: AttributionRecord, record_id32: bytes) -> TxReceiptInfo | None:
        with _node_errors():
            on_chain = self.contract.functions.manifestOf(record_id32).call()
        if on_chain == _ZERO32:
            return None
        if on_chain != record.manifest_hash:
            raise ChainConflict(record.record_id, on_chain=on_chain, ours=record.manifest_hash)
        log = self._attributed_log(record_id32)
        if log is None:
            raise ChainError(f"record {record.record_id} is stored but its event log was not found")
        info = self.wait_for_confirmation(_as_hex(log["transactionHash"]))
        return TxReceiptInfo(
            info.tx_hash, info.block_number, info.block_time, info.gas_used, already_on_chain=True
        )

    def revoke(self, record_id: str, reason_hash: bytes) -> TxReceiptInfo:
        record_id32 = record_id_to_bytes32(record_id)
        with _node_errors():
            if self.contract.functions.isRevoked(record_id32).call():
                raise ChainRejected(f"record {record_id} is already revoked")
        return self._receipt_info(self._send(self.contract.functions.revoke(record_id32, reason_hash)))

    def anchor_batch(self, merkle_root: bytes, count: int) -> TxReceiptInfo:
        """Anchor a Merkle root; resending an anchored root returns the original transaction."""
        existing = self.lookup_batch(merkle_root)
        if existing is not None:
            info = self.wait_for_confirmation(existing.tx_hash)
            return TxReceiptInfo(
                info.tx_hash, info.block_number, info.block_time, info.gas_used, already_on_chain=True
            )
        return self._receipt_info(self._send(self.contract.functions.anchorBatch(merkle_root, count)))

    def add_registrar(self, account: str) -> TxReceiptInfo:
        return self._receipt_info(
            self._send(self.contract.functions.addRegistrar(to_checksum_address(account)))
        )

    def remove_registrar(self, account: str) -> TxReceiptInfo:
        return self._receipt_info(
            self._send(self.contract.functions.removeRegistrar(to_checksum_address(account)))
        )

    def transfer_ownership(self, new_owner: str) -> TxReceiptInfo:
        """Hand registrar management to another key (e.g. a cold wallet or a multisig)."""
        return self._receipt_info(
            self._send(self.contract.functions.transferOwnership(to_checksum_address(new_owner)))
        )

    def owner(self) -> str:
        with _node_errors():
            return str(self.contract.functions.owner().call())

    def is_registrar(self, account: str) -> bool:
        with _node_errors():
            return bool(self.contract.functions.isRegistrar(to_checksum_address(account)).call())

    # ---- reads ----------------------------------------------------------------------------------

    def lookup(self, record_id: str) -> OnChainRecord | None:
        """The record as the chain has it, or None when the id was never attributed singly."""
        record_id32 = record_id_to_bytes32(record_id)
        with _node_errors():
            manifest = self.contract.functions.manifestOf(record_id32).call()
            if manifest == _ZERO32:
                return None
            revoked = bool(self.contract.functions.isRevoked(record_id32).call())
        log = self._attributed_log(record_id32)
        if log is None:
            raise ChainError(f"record {record_id} is stored but its event log was not found")
        return self._record_from_log(log, manifest=manifest, revoked=revoked)

    def is_revoked(self, record_id: str) -> bool:
        with _node_errors():
            return bool(self.contract.functions.isRevoked(record_id_to_bytes32(record_id)).call())

    def revocation(self, record_id: str) -> OnChainRevocation | None:
        """The record's revocation event, or None when the chain has not revoked it."""
        record_id32 = record_id_to_bytes32(record_id)
        logs = [log for log in self._get_logs([_REVOKED_TOPIC, record_id32]) if len(log["topics"]) == 2]
        if not logs:
            return None
        log = logs[0]
        block_number, block_time, _ = self._block_facts(log["blockNumber"])
        return OnChainRevocation(
            record_id=record_id,
            reason=bytes(log["data"])[:32],
            tx_hash=_as_hex(log["transactionHash"]),
            block_number=block_number,
            block_time=block_time,
        )

    def find_by_output(self, output_hash: bytes) -> list[OnChainRecord]:
        """Every record whose output file hash is `output_hash` (normally one)."""
        logs = self._get_logs([None, output_hash])
        found = []
        for log in logs:
            record_id32 = bytes(log["topics"][0])
            with _node_errors():
                manifest = self.contract.functions.manifestOf(record_id32).call()
                revoked = bool(self.contract.functions.isRevoked(record_id32).call())
            found.append(self._record_from_log(log, manifest=manifest, revoked=revoked))
        return found

    def lookup_batch(self, merkle_root: bytes) -> OnChainBatch | None:
        with _node_errors():
            if not self.contract.functions.batchAnchored(merkle_root).call():
                return None
        logs = [
            log for log in self._get_logs([_BATCH_ANCHORED_TOPIC, merkle_root]) if len(log["topics"]) == 2
        ]
        if not logs:
            raise ChainError(f"batch {merkle_root.hex()} is stored but its event log was not found")
        log = logs[0]
        block_number, block_time, confirmations = self._block_facts(log["blockNumber"])
        return OnChainBatch(
            merkle_root=merkle_root,
            count=int.from_bytes(bytes(log["data"]), "big"),
            tx_hash=_as_hex(log["transactionHash"]),
            block_number=block_number,
            block_time=block_time,
            confirmations=confirmations,
            contract_address=self.address,
            chain_id=self.chain_id,
        )

    def wait_for_confirmation(self, tx_hash: str) -> TxReceiptInfo:
        """Wait (bounded by `timeout`) for the receipt and `confirmations` blocks on top of it."""
        return self._receipt_info(self._wait(tx_hash))

    # ---- internals ----------------------------------------------------------------------------

    def _attributed_log(self, record_id32: bytes) -> Any | None:
        logs = self._get_logs([record_id32])
        return logs[0] if logs else None

    def _get_logs(self, topics: list[bytes | None]) -> list[Any]:
        with _node_errors():
            logs = self.w3.eth.get_logs(
                {
                    "address": self.address,
                    "fromBlock": self.from_block,
                    "toBlock": "latest",
                    "topics": [None if t is None else _as_hex(t) for t in topics],
                }
            )
        if topics and topics[0] in (_BATCH_ANCHORED_TOPIC, _REVOKED_TOPIC):
            return list(logs)
        return [
            log
            for log in logs
            if len(log["topics"]) == 2
            and len(bytes(log["data"])) == 64
            and bytes(log["topics"][0]) not in _NAMED_EVENT_TOPICS
        ]

    def _record_from_log(self, log: Any, *, manifest: bytes, revoked: bool) -> OnChainRecord:
        data = bytes(log["data"])
        block_number, block_time, confirmations = self._block_facts(log["blockNumber"])
        return OnChainRecord(
            record_id=record_id_from_bytes32(bytes(log["topics"][0])),
            manifest_hash=bytes(manifest),
            output_hash=bytes(log["topics"][1]),
            base_pattern_hash=data[:32],
            style_hash=data[32:],
            tx_hash=_as_hex(log["transactionHash"]),
            block_number=block_number,
            block_time=block_time,
            confirmations=confirmations,
            revoked=revoked,
            contract_address=self.address,
            chain_id=self.chain_id,
        )

    def _block_facts(self, block_number: int) -> tuple[int, dt.datetime, int]:
        with _node_errors():
            block = self.w3.eth.get_block(block_number)
            latest = self.w3.eth.block_number
        return block_number, _utc(block["timestamp"]), latest - block_number + 1

    def _send(self, call: Any) -> Any:
        """Sign and send with the pending nonce, then wait for the confirmations."""
        self._ensure_chain()
        with _node_errors():
            nonce = self.w3.eth.get_transaction_count(self.sender, "pending")
            params: dict[str, Any] = {"from": self.sender, "nonce": nonce, "chainId": self.chain_id}
            try:
                params["gas"] = self._with_headroom(call.estimate_gas({"from": self.sender}))
            except (ContractLogicError, TransactionFailed) as exc:
                raise ChainRejected(self._describe_revert(exc)) from exc
            params.update(self._fees())
            tx = call.build_transaction(params)
            signed = self.account.sign_transaction(tx)
            try:
                tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            except (ContractLogicError, TransactionFailed) as exc:
                raise ChainRejected(self._describe_revert(exc)) from exc
        receipt = self._wait(HexStr(_as_hex(tx_hash)))
        if receipt["status"] != 1:
            raise ChainRejected(f"transaction {_as_hex(tx_hash)} reverted")
        return receipt

    @staticmethod
    def _with_headroom(estimate: int) -> int:
        # Estimates are exact for this contract's straight-line code; the margin only covers a
        # node that estimates against a slightly different state.
        return estimate + estimate // 5

    def _fees(self) -> dict[str, int]:
        base = self.w3.eth.get_block("latest").get("baseFeePerGas")
        if base is None:
            return {"gasPrice": self.w3.eth.gas_price}
        try:
            tip = self.w3.eth.max_priority_fee
        except (Web3RPCError, ValueError, NotImplementedError):
            tip = Web3.to_wei(1, "gwei")
        # Twice the base fee survives six full blocks of base-fee growth before the tx stalls.
        return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}

    def _wait(self, tx_hash: HexStr | str) -> Any:
        deadline = time.monotonic() + self.timeout
        with _node_errors():
            try:
                receipt = self.w3.eth.wait_for_transaction_receipt(
                    HexStr(tx_hash), timeout=self.timeout, poll_latency=self.poll_interval
                )
            except TimeExhausted as exc:
                raise ConfirmationTimeout(
                    f"no receipt for {tx_hash} within {self.timeout}s", tx_hash=tx_hash
                ) from exc
            while self.w3.eth.block_number - receipt["blockNumber"] < self.confirmations:
                if time.monotonic() > deadline:
                    raise ConfirmationTimeout(
                        f"{tx_hash} mined but not yet {self.confirmations} confirmations deep",
                        tx_hash=tx_hash,
                    )
                time.sleep(self.poll_interval)
        return receipt

    def _receipt_info(self, receipt: Any) -> TxReceiptInfo:
        with _node_errors():
            block = self.w3.eth.get_block(receipt["blockNumber"])
        return TxReceiptInfo(
            tx_hash=_as_hex(receipt["transactionHash"]),
            block_number=receipt["blockNumber"],
            block_time=_utc(block["timestamp"]),
            gas_used=receipt["gasUsed"],
        )

    def _describe_revert(self, exc: BaseException) -> str:
        """Name the contract's custom error when the node returned its selector."""
        text = " ".join(_revert_payloads(exc))
        for entry in self.artifact["abi"]:
            if entry["type"] != "error":
                continue
            signature = f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"
            if keccak(text=signature)[:4].hex() in text:
                return f"contract refused: {entry['name']}"
        return f"contract refused: {exc}"


def _revert_payloads(exc: BaseException) -> Iterator[str]:
    """Revert data as lowercase hex, wherever this node type put it (HTTP nodes: `.data` hex;
    eth-tester: raw bytes in the args of the exception or of its cause)."""
    seen: BaseException | None = exc
    while seen is not None:
        for value in (getattr(seen, "data", None), *seen.args):
            if isinstance(value, bytes | bytearray):
                yield bytes(value).hex()
            elif isinstance(value, str):
                yield value.lower()
                for literal in re.findall(r"b'(?:[^'\\]|\\.)*'|b\"(?:[^\"\\]|\\.)*\"", value):
                    with suppress(ValueError, SyntaxError):
                        yield ast.literal_eval(literal).hex()
        seen = seen.__cause__ or seen.__context__

"""The one chain client of this process, built from settings, with the registry deployed on first use.

No `CHAIN_RPC_URL`: an in-process py-evm chain (tests; its records live as long as the process).
Otherwise any EVM JSON-RPC endpoint, signing with `CHAIN_PRIVATE_KEY` or a keystore file."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from provenance.core.chain import ChainClient
from provenance.models import RegistryDeployment

log = logging.getLogger(__name__)

_client: ChainClient | None = None
# One writer per process: nonces are taken in order, and the in-process chain is not thread-safe.
chain_lock = threading.RLock()


def _build() -> ChainClient:
    if not settings.CHAIN_RPC_URL:
        client = ChainClient.in_process(confirmations=settings.CHAIN_CONFIRMATIONS)
        client.deploy()
        log.info(
            "In-process chain: registry deployed at %s (records last as long as this process).",
            client.address,
        )
        return client
    client = ChainClient.from_rpc(
        settings.CHAIN_RPC_URL,
        settings.CHAIN_ID,
        private_key=settings.CHAIN_PRIVATE_KEY or None,
        keystore_path=settings.CHAIN_KEYSTORE_PATH or None,
        keystore_password=settings.CHAIN_KEYSTORE_PASSWORD or None,
        confirmations=settings.CHAIN_CONFIRMATIONS,
        timeout=settings.CHAIN_TIMEOUT_S,
    )
    deployment = RegistryDeployment.objects.filter(
        chain_id=settings.CHAIN_ID, rpc_url=settings.CHAIN_RPC_URL
    ).first()
    if deployment is not None:
        client.attach(deployment.address)  # NotOurContract if the address holds something else
        return client
    address = client.deploy()
    try:
        with transaction.atomic():
            RegistryDeployment.objects.create(
                chain_id=settings.CHAIN_ID, rpc_url=settings.CHAIN_RPC_URL, address=address
            )
    except IntegrityError:
        # Another process deployed first; use the recorded registry so all records are in one place.
        client.attach(
            RegistryDeployment.objects.get(chain_id=settings.CHAIN_ID, rpc_url=settings.CHAIN_RPC_URL).address
        )
    log.info("AttributionRegistry deployed at %s on chain %s.", client.address, settings.CHAIN_ID)
    return client


def chain_client() -> ChainClient:
    global _client
    with chain_lock:
        if _client is None:
            _client = _build()
        return _client


def forget_chain_client() -> None:
    """Drop the cached client (tests switch chains; a node restart needs a fresh connection)."""
    global _client
    with chain_lock:
        _client = None


def keys_dir() -> Path:
    return Path(settings.PROVENANCE_KEYS_DIR)

"""What an anonymous verifier is told when the chain is down: that it is unreachable, and nothing
about the node (host, port, the HTTP library's words) or the contract."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from provenance.chain_access import forget_chain_client
from provenance.services import attribution_record_create, record_write_to_chain
from tests.provenance.conftest import png_of


def test_a_chain_down_verdict_names_no_host_port_or_library(rendered_line: Any, settings: Any) -> None:
    line = rendered_line(1)
    record = record_write_to_chain(record_pk=attribution_record_create(order_line_id=line.pk).pk)
    settings.CHAIN_RPC_URL = "http://127.0.0.1:1"
    settings.CHAIN_PRIVATE_KEY = "0x" + "11" * 32
    settings.CHAIN_TIMEOUT_S = 2.0
    forget_chain_client()
    try:
        response = APIClient().get(f"/api/v1/provenance/verify/?sha256={record.delivered_png_sha256}")
        body = response.json()
        assert response.status_code == 200 and body["verdict"] == "chain_unreachable"
        text = " ".join(body["reasons"])
        assert "unreachable" in text
        for leak in ("127.0.0.1", ":1", "urllib3", "HTTPConnection", "Errno", "Max retries"):
            assert leak not in text, text
        assert png_of(line)
    finally:
        forget_chain_client()

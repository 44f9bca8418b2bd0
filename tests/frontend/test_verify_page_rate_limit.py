from typing import Any

from django.test import Client
from rest_framework.throttling import ScopedRateThrottle


def test_the_verify_page_shares_the_api_rate_limit(db: None, monkeypatch: Any) -> None:
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"verify": "2/min"})
    client = Client()
    statuses = [client.post("/verify/", {"sha256": "0" * 64}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert "Too many checks" in client.post("/verify/", {"sha256": "0" * 64}).content.decode()

"""The locust users of `python -m tests.benchmarks.loadtest`: the catalogue page, the patterns API and a
verification of a small image, in equal measure."""

from __future__ import annotations

import io

from locust import HttpUser, between, task
from PIL import Image


def _small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 96), (180, 120, 60)).save(out, format="PNG")
    return out.getvalue()


SMALL_PNG = _small_png()


class Visitor(HttpUser):
    wait_time = between(0.0, 0.1)

    @task
    def catalogue(self) -> None:
        self.client.get("/", name="catalogue page")

    @task
    def patterns(self) -> None:
        self.client.get("/api/v1/patterns/", name="GET /api/v1/patterns/")

    @task
    def verify(self) -> None:
        self.client.post(
            "/api/v1/provenance/verify/",
            files={"file": ("small.png", SMALL_PNG, "image/png")},
            name="POST /api/v1/provenance/verify/",
        )

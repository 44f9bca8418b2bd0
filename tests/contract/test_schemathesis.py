"""The API against its own schema: schemathesis fuzzes every operation of /api/schema/ on a live
server (a real process on loopback, on the test database), signed in as a user who holds every
role, with listings, a personalization and an order to find. Bounded: a few examples per operation
on one worker (hypothesis parses lambda sources with ast.parse, which races in CPython 3.11 threads: SystemError "AST constructor recursion depth mismatch"), and POST /api/v1/personalizations/ (each one a stylization job) left out.

Asserted: no 5xx, no status code the schema does not document, no response that breaks its
schema, no content type it does not declare."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from marketplace.models import JobStatus, Personalization
from marketplace.services.accounts import user_token
from tests.conftest import create_products, skip_or_fail
from tests.fakes.stripe_server import FakeStripe
from tests.integration.processes import ROOT, process_env, start_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
MAX_TIME_S = int(os.environ.get("SCHEMATHESIS_MAX_TIME_S", "90"))


def _schemathesis() -> str:
    exe = Path(sys.executable).parent / "schemathesis"
    if not exe.exists():
        skip_or_fail("schemathesis is not installed in this environment.")
    return str(exe)


def _server_env(stripe: FakeStripe) -> dict[str, str]:
    return process_env(
        # As in production: DEBUG off (JSON errors, no debug pages), Stripe (the loopback fake) for
        # checkout and payout onboarding; plain HTTP on loopback.
        DEBUG="false",
        SECRET_KEY="schemathesis-" + "k" * 50,
        SECURE_SSL_REDIRECT="false",
        STRIPE_SECRET_KEY="sk_test_motif",
        STRIPE_WEBHOOK_SECRET="whsec_motif_tests",
        STRIPE_API_BASE=stripe.url,
        STRIPE_CONNECT_BASE=stripe.url,
        LOGIN_RATE_LIMIT="10000/min",
        LOGIN_USERNAME_RATE_LIMIT="10000/min",
        REGISTER_RATE_LIMIT="10000/min",
        VERIFY_RATE_LIMIT="10000/min",
        REPORT_RATE_LIMIT="10000/min",
    )


def test_the_api_holds_to_its_schema_under_fuzzing(
    make_user: Any, make_style: Any, make_pattern: Any, tmp_path: Path
) -> None:
    exe = _schemathesis()
    everyone = make_user("artist", "designer", "buyer", "verifier", username="fuzzer")
    style, pattern = make_style(everyone), make_pattern(everyone)
    create_products()
    Personalization.objects.create(
        buyer=everyone, base_pattern=pattern, style=style, status=JobStatus.DONE, progress=100
    )
    token = user_token(user=everyone)
    stripe = FakeStripe.start()
    server, base = start_server(_server_env(stripe), tmp_path / "server.log")
    report = tmp_path / "report.json"
    try:
        run = subprocess.run(
            [
                exe,
                "run",
                f"{base}/api/schema/",
                "--checks",
                CHECKS,
                "--max-examples",
                str(MAX_EXAMPLES),
                "--max-time",
                str(MAX_TIME_S),
                "--workers",
                "1",
                "--phases",
                "examples,coverage,fuzzing",
                "--seed",
                "16",
                "--no-shrink",
                "--request-timeout",
                "30",
                "--exclude-operation-id",
                "v1_personalizations_create",
                "-H",
                f"Authorization: Token {token}",
                "--report",
                "json",
                "--report-json-path",
                str(report),
                "--warnings",
                "off",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=MAX_TIME_S + 240,
            env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false", "NO_COLOR": "1"},
        )
    finally:
        server.kill()
        stripe.stop()
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "schemathesis-last.txt").write_text(run.stdout + run.stderr)
    summary = json.loads(report.read_text())
    print(
        json.dumps(
            {k: summary[k] for k in ("operations", "test_cases", "failures", "errors", "running_time")}
        )
    )
    assert summary["operations"]["tested"] == summary["operations"]["selected"] >= 40, summary["operations"]
    assert summary["test_cases"]["generated"] > 0
    assert summary["failures"] == [] and summary["errors"] == [], run.stdout[-12000:]
    assert run.returncode == 0, run.stdout[-12000:]


def test_every_operation_that_takes_a_body_answers_deep_and_huge_json_with_a_json_4xx(
    make_user: Any, make_style: Any, make_pattern: Any, tmp_path: Path
) -> None:
    """Fuzzing never sends JSON nested 100,000 deep (which once crashed the whole server process) or
    a 10 MB body, so each operation of the schema that takes a body gets both, signed in, and each
    answer is checked as the fuzzer checks its own: a 4xx the schema documents, in JSON that matches
    it. The server must still answer afterwards. An operation whose answer to `{}` names refused
    fields has parsed the body, so its answer to the deep one must name the depth limit."""
    import requests
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from marketplace.api.parsers import JSON_MAX_DEPTH

    everyone = make_user("artist", "designer", "buyer", "verifier", username="deep")
    style = make_style(everyone)
    make_pattern(everyone)
    ids = {"id": style.pk, "pk": style.pk, "line_pk": 1, "payment_id": 1, "record_id": "0" * 64}
    headers = {"Authorization": f"Token {user_token(user=everyone)}", "Content-Type": "application/json"}
    bodies = {
        "plain": b"{}",
        "deep": b"[" * 100_000 + b"]" * 100_000,
        "huge": b'{"title": "' + b"a" * 10_000_000 + b'"}',
    }
    stripe = FakeStripe.start()
    server, base = start_server(_server_env(stripe), tmp_path / "server.log")
    answers: dict[str, dict[str, Any]] = {}
    try:
        schema = schemathesis.openapi.from_url(f"{base}/api/schema/")
        operations = [result.ok() for result in schema.get_all_operations()]
        with requests.Session() as session:
            for operation in (op for op in operations if op.body):
                case = operation.Case(
                    path_parameters={p.name: ids[p.name] for p in operation.path_parameters},
                    media_type="application/json",
                )
                url = base + case.formatted_path
                label = f"{operation.method.upper()} {operation.path}"
                for kind, raw in bodies.items():
                    response = session.request(operation.method, url, data=raw, headers=headers, timeout=30)
                    answers.setdefault(label, {})[kind] = response
                    if kind == "plain":
                        continue
                    case.validate_response(
                        response,
                        checks=[
                            not_a_server_error,
                            status_code_conformance,
                            content_type_conformance,
                            response_schema_conformance,
                        ],
                    )
                    assert 400 <= response.status_code < 500, (label, kind, response.status_code)
                    assert response.headers["Content-Type"] == "application/json", (label, kind)
        assert requests.get(f"{base}/api/v1/products/", timeout=10).status_code == 200
        assert server.popen.poll() is None, server.output()
    finally:
        server.kill()
        stripe.stop()

    parsed = [
        label
        for label, got in answers.items()
        if got["plain"].status_code == 400 and set(got["plain"].json()) - {"detail"}
    ]
    assert len(answers) >= 15 and len(parsed) >= 5, {
        label: got["plain"].status_code for label, got in answers.items()
    }
    for label in parsed:
        deep = answers[label]["deep"]
        assert deep.status_code == 400 and str(JSON_MAX_DEPTH) in deep.json()["detail"], (
            label,
            deep.text[:300],
        )
    for label, got in answers.items():
        assert got["huge"].status_code == 413, (label, got["huge"].text[:300])

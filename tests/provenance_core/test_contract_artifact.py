from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from provenance.core.chain import ARTIFACT_PATH, load_artifact

from .conftest import REPO, missing_tool

SOURCE = REPO / "provenance" / "contracts" / "AttributionRegistry.sol"


def test_committed_artifact_matches_the_source_it_claims() -> None:
    artifact = load_artifact()
    assert artifact["sourceSha256"] == hashlib.sha256(SOURCE.read_bytes()).hexdigest(), "run make contracts"
    assert artifact["settings"]["optimizer"] == {"enabled": True, "runs": 200}
    assert artifact["settings"]["evmVersion"] == "cancun"
    assert artifact["deployedBytecode"].startswith("0x") and len(artifact["deployedBytecode"]) > 100


def test_committed_artifact_equals_a_fresh_build(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "solc").exists():
        missing_tool("node or node_modules/solc missing: run `npm install` to check the artifact rebuild")
    fresh = tmp_path / "AttributionRegistry.json"
    subprocess.run(
        [node, str(REPO / "provenance/contracts/compile.js"), "--out", str(fresh)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert fresh.read_bytes() == ARTIFACT_PATH.read_bytes(), (
        "artifact is stale: run make contracts and commit it"
    )

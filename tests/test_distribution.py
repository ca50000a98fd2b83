"""What the installed distribution says about itself: one version, its metadata, the stable-ABI
extension, and the interpreters it refuses."""

from __future__ import annotations

import importlib.metadata
import pathlib
import subprocess
import sys
import sysconfig

import influxlp
import pytest
from influxlp import _influxlp

CARGO_TOML = pathlib.Path(__file__).resolve().parent.parent / "Cargo.toml"


def test_version_is_the_packages_and_the_crates():
    assert influxlp.__version__ == _influxlp.__version__
    assert influxlp.__version__ == importlib.metadata.version("influxlp")
    if not CARGO_TOML.exists():
        pytest.skip("an installed wheel: no Cargo.toml beside the tests")
    tomllib = pytest.importorskip("tomllib")
    crate = tomllib.loads(CARGO_TOML.read_text())["package"]["version"]
    assert influxlp.__version__ == crate


def test_command_line_prints_the_version():
    shown = subprocess.run(
        [sys.executable, "-m", "influxlp", "--version"], capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == f"influxlp {influxlp.__version__}"


def test_metadata_names_license_urls_and_typing():
    metadata = importlib.metadata.metadata("influxlp")
    assert metadata["License-Expression"] == "MIT"
    assert "LICENSE" in metadata.get_all("License-File")
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert metadata["Requires-Python"] == ">=3.10"
    urls = dict(entry.split(", ", 1) for entry in metadata.get_all("Project-URL"))
    assert {"Homepage", "Repository", "Issues"} <= set(urls)
    assert pathlib.Path(influxlp.__file__).with_name("py.typed").exists()


def test_extension_is_built_for_the_stable_abi():
    suffix = pathlib.Path(_influxlp.__file__).name.split(".", 1)[1]
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        pytest.skip("free-threaded CPython has no stable ABI before 3.15")
    assert suffix in ("abi3.so", "pyd"), suffix


def _import_as_free_threaded(gil_enabled: bool) -> subprocess.CompletedProcess:
    """Import influxlp in a child whose interpreter reports a free-threaded build."""
    code = (
        "import sys, sysconfig\n"
        "real = sysconfig.get_config_var\n"
        "sysconfig.get_config_var = lambda name: 1 if name == 'Py_GIL_DISABLED' else real(name)\n"
        f"sys._is_gil_enabled = lambda: {gil_enabled}\n"
        "import influxlp\n"
        "print(influxlp.parse(b'm v=1 1')['m'].num_rows)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_free_threaded_cpython_without_its_gil_is_refused_with_a_clear_message():
    child = _import_as_free_threaded(gil_enabled=False)
    assert child.returncode != 0
    last = child.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: influxlp does not support free-threaded CPython yet")
    assert "PYTHON_GIL=1" in last


def test_free_threaded_cpython_with_its_gil_enabled_is_accepted():
    child = _import_as_free_threaded(gil_enabled=True)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "1"

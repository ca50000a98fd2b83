"""The pieces of `tests/wheel/check_wheel.py` that decide what the wheel check proves."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import stat
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parent / "wheel" / "check_wheel.py"


@pytest.fixture(scope="module")
def check_wheel():
    if not SCRIPT.exists():
        pytest.skip("check_wheel.py is not beside this copy of the tests")
    spec = importlib.util.spec_from_file_location("check_wheel", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _executable(path: pathlib.Path) -> None:
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.mark.skipif(os.name == "nt", reason="POSIX executables")
def test_path_loses_every_directory_with_cargo_or_rustc(check_wheel, tmp_path, monkeypatch):
    toolchain, other, plain = tmp_path / "rust", tmp_path / "other", tmp_path / "plain"
    for directory in (toolchain, other, plain):
        directory.mkdir()
    _executable(toolchain / "cargo")
    _executable(other / "rustc")
    _executable(plain / "python")
    monkeypatch.setenv("PATH", os.pathsep.join(map(str, (toolchain, plain, other))))
    assert check_wheel.toolchain_free_path() == str(plain)


def test_a_wheel_without_abi3_or_manylinux_is_rejected(check_wheel, tmp_path):
    good = tmp_path / "influxlp-1.0.0-cp310-abi3-manylinux2014_x86_64.whl"
    good.write_bytes(b"")
    check_wheel.check_tags(good)
    for name in (
        "influxlp-1.0.0-cp311-cp311-manylinux2014_x86_64.whl",
        "influxlp-1.0.0-cp310-abi3-linux_x86_64.whl",
    ):
        wheel = tmp_path / name
        wheel.write_bytes(b"")
        if "abi3" in name and not sys.platform.startswith("linux"):
            continue  # the manylinux tag is required on Linux only
        with pytest.raises(SystemExit):
            check_wheel.check_tags(wheel)
    musl = tmp_path / "influxlp-1.0.0-cp310-abi3-musllinux_1_2_x86_64.whl"
    musl.write_bytes(b"")
    check_wheel.check_tags(musl, ("manylinux", "musllinux"))
    if sys.platform.startswith("linux"):
        with pytest.raises(SystemExit):
            check_wheel.check_tags(musl)  # what this machine builds must be manylinux


def test_other_interpreters_are_gil_cpythons_of_310_or_newer(check_wheel):
    for (major, minor), python in check_wheel.other_interpreters().items():
        assert (major, minor) != sys.version_info[:2] and minor >= 10
        assert check_wheel.minor(python) == (major, minor)

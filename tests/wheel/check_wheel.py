"""Build the wheel, install it where no Rust toolchain can be found, and test what was installed.

    python tests/wheel/check_wheel.py                    # build (release profile), then check
    python tests/wheel/check_wheel.py --profile dist     # the profile published wheels use
    python tests/wheel/check_wheel.py --wheel dist/*.whl # check a wheel built elsewhere
    python tests/wheel/check_wheel.py --core --wheel ... # numpy and pytest only (e.g. musl)
    python tests/wheel/check_wheel.py -- -k parse        # anything after -- goes to pytest

Steps:
1. ``maturin build`` (on Linux with ``--zig`` for a manylinux2014 baseline, which maturin's
   auditwheel check confirms); the file name must carry ``abi3``, and on Linux ``manylinux``
   (``musllinux`` too for a wheel given with ``--wheel``).
2. A fresh virtualenv, no system site-packages, PATH stripped of every directory holding
   ``cargo`` or ``rustc``; ``pip install <wheel>[test]`` there, so nothing can be compiled.
3. The test suite (``tests/`` with the ``README.md`` and ``bench/`` it reads, copied to a
   scratch directory without ``python/influxlp``) run by that virtualenv's pytest; the
   ``influxlp`` it imports is checked to be the installed one.
4. The same wheel installed for each other CPython minor version found on the machine (pyenv
   or ``python3.X`` on PATH), there running the tests that need only numpy and pytest.
"""

from __future__ import annotations

import argparse
import glob
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
SUITE_FILES = ["tests", "README.md", "bench"]
# The part of the suite that needs nothing beyond numpy and pytest (for other interpreters).
CORE_TESTS = ["tests/test_distribution.py", "tests/test_parse.py", "tests/test_store.py"]
TOOLCHAIN = ("cargo", "rustc")
MIN_MINOR = 10  # abi3-py310


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(map(str, argv)), flush=True)
    return subprocess.run(argv, check=True, **kwargs)


def maturin() -> str:
    """The maturin installed with this Python (the `test` extra), else the one on PATH."""
    name = "maturin.exe" if os.name == "nt" else "maturin"
    beside = pathlib.Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which("maturin")
    if found is None:
        sys.exit("maturin is not installed: pip install '.[test]'")
    return found


def build_wheel(profile: str, out: pathlib.Path) -> pathlib.Path:
    argv = [maturin(), "build", "--profile", profile, "--out", str(out)]
    if sys.platform.startswith("linux"):
        # zig links against an old glibc: manylinux2014 (glibc 2.17) without a docker image.
        argv += ["--zig", "--compatibility", "manylinux2014", "--auditwheel", "check"]
    started = time.monotonic()
    run(argv, cwd=ROOT)
    print(f"built in {time.monotonic() - started:.0f} s", flush=True)
    (wheel,) = out.glob("*.whl")
    return wheel


def check_tags(wheel: pathlib.Path, linux_platforms: tuple[str, ...] = ("manylinux",)) -> None:
    """Exit unless the wheel is for the stable ABI and, on Linux, one of `linux_platforms`."""
    tags = wheel.name.removesuffix(".whl").split("-")[2:]
    print(f"wheel: {wheel.name} ({wheel.stat().st_size / 1e6:.1f} MB), tags {tags}", flush=True)
    if tags[1] != "abi3":
        sys.exit(f"not a stable-ABI wheel: {wheel.name}")
    if sys.platform.startswith("linux") and not tags[2].startswith(linux_platforms):
        sys.exit(f"not a {' or '.join(linux_platforms)} wheel: {wheel.name}")


def toolchain_free_path() -> str:
    """PATH without any directory that holds cargo or rustc."""
    keep = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and not any(shutil.which(tool, path=entry) for tool in TOOLCHAIN)
    ]
    return os.pathsep.join(keep)


def venv_env(venv: pathlib.Path) -> dict[str, str]:
    scripts = venv / ("Scripts" if os.name == "nt" else "bin")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CARGO", "RUSTUP"))}
    env.pop("PYTHONPATH", None)
    env["PATH"] = str(scripts) + os.pathsep + toolchain_free_path()
    env["VIRTUAL_ENV"] = str(venv)
    for tool in TOOLCHAIN:
        found = shutil.which(tool, path=env["PATH"])
        if found:
            sys.exit(f"{tool} is still reachable at {found}")
    return env


def venv_python(venv: pathlib.Path) -> pathlib.Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def install(python: str, wheel: pathlib.Path, venv: pathlib.Path, core: bool) -> dict[str, str]:
    """A fresh virtualenv holding the wheel and the test suite's requirements."""
    run([python, "-m", "venv", str(venv)])
    env = venv_env(venv)
    requirements = [str(wheel), "pytest"] if core else [f"{wheel}[test]"]
    started = time.monotonic()
    # --only-binary: nothing may be compiled here, influxlp least of all.
    pip = [venv_python(venv), "-m", "pip", "install", "--quiet", "--only-binary", ":all:"]
    run(pip + requirements, env=env)
    print(f"installed in {time.monotonic() - started:.1f} s", flush=True)
    return env


def copy_suite(scratch: pathlib.Path) -> pathlib.Path:
    suite = scratch / "suite"
    suite.mkdir()
    for name in SUITE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, suite / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, suite / name)
    return suite


def imported_from(venv: pathlib.Path, suite: pathlib.Path, env: dict[str, str]) -> None:
    """The influxlp that the suite's directory imports must be the one in the virtualenv."""
    shown = run(
        [venv_python(venv), "-c", "import influxlp; print(influxlp.__file__)"],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"influxlp imported from {shown}", flush=True)
    if not pathlib.Path(shown).resolve().is_relative_to(venv.resolve()):
        sys.exit(f"the suite imported {shown}, not the installed wheel in {venv}")


def pytest(venv: pathlib.Path, suite: pathlib.Path, env: dict[str, str], args: list[str]) -> int:
    argv = [venv_python(venv), "-m", "pytest", "-ra", "-p", "no:cacheprovider", *args]
    print("+", " ".join(map(str, argv)), flush=True)
    return subprocess.run(argv, cwd=suite, env=env).returncode


def minor(python: str) -> tuple[int, int] | None:
    """The (major, minor) version of a CPython with a GIL; None for anything else."""
    probe = (
        "import sys, sysconfig; "
        "print(*sys.version_info[:2], sys.implementation.name, "
        "int(bool(sysconfig.get_config_var('Py_GIL_DISABLED'))))"
    )
    try:
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    if out.returncode != 0:
        return None
    major, minor_, implementation, free_threaded = out.stdout.split()
    if implementation != "cpython" or free_threaded == "1":
        return None
    return int(major), int(minor_)


def other_interpreters() -> dict[tuple[int, int], str]:
    """One CPython per minor version (>= 3.10) other than this one, if the machine has any."""
    mine = sys.version_info[:2]
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")))
    candidates += [f"python3.{m}" for m in range(MIN_MINOR, 20)]
    found: dict[tuple[int, int], str] = {}
    for candidate in candidates:
        path = shutil.which(candidate) if os.sep not in candidate else candidate
        version = minor(path) if path else None
        if version and version != mine and version[1] >= MIN_MINOR and version not in found:
            found[version] = path
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=pathlib.Path, help="check this wheel, do not build")
    parser.add_argument("--profile", default="release", help="cargo profile (default release)")
    parser.add_argument(
        "--core", action="store_true", help="install numpy and pytest only; run the core tests"
    )
    parser.add_argument(
        "--no-other-pythons", action="store_true", help="skip the other CPython versions"
    )
    parser.add_argument("pytest_args", nargs="*", help="after --: arguments for pytest")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="influxlp-wheel-") as scratch_name:
        scratch = pathlib.Path(scratch_name)
        if options.wheel:
            wheel = options.wheel
            check_tags(wheel, ("manylinux", "musllinux"))
        else:
            wheel = build_wheel(options.profile, scratch / "dist")
            check_tags(wheel)
        suite = copy_suite(scratch)

        venv = scratch / "venv"
        env = install(sys.executable, wheel, venv, options.core)
        imported_from(venv, suite, env)
        tests = options.pytest_args or (CORE_TESTS if options.core else ["tests"])
        status = pytest(venv, suite, env, tests)
        if status != 0:
            return status

        others = {} if options.no_other_pythons else other_interpreters()
        if not others and not options.no_other_pythons:
            print(f"no CPython >= 3.{MIN_MINOR} other than {platform.python_version()} found")
        for (major, minor_), python in sorted(others.items()):
            print(f"--- the same wheel on CPython {major}.{minor_} ({python})", flush=True)
            other = scratch / f"venv{major}{minor_}"
            other_env = install(python, wheel, other, core=True)
            imported_from(other, suite, other_env)
            status = pytest(other, suite, other_env, CORE_TESTS)
            if status != 0:
                return status
    return 0


if __name__ == "__main__":
    sys.exit(main())

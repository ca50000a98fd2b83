"""pytest plugin: fake InfluxDB servers for tests, registered through the ``pytest11`` entry point.

Fixtures:

- ``influxdb_server``: a running server with a fresh, empty store for each test, stopped
  afterwards; configured by the ``influxdb`` marker;
- ``influxdb_server_factory``: a callable that starts servers with any ``influxlp.Server``
  options and stops them all at teardown;
- ``influxdb_session_server``: one server for the whole session, ``reset()`` (store, request log,
  faults) before each test that uses it.

Options come from ``@pytest.mark.influxdb(flavor=..., tokens=..., ...)`` on a test, class or
module (the closest wins; ``@pytest.mark.influxdb("v2")`` names the flavor), then from the ini
options ``influxdb_flavor``, ``influxdb_version``, ``influxdb_auto_create_databases``,
``influxdb_max_body_size`` and ``influxdb_databases``. Besides the ``Server`` options, every
fixture takes ``databases``: databases created in the store once the server has started.

When a test using one of these servers fails, the requests the server answered are shown in
the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from influxlp import Server

_INI_OPTIONS: dict[str, tuple[str, str, Any]] = {
    "influxdb_flavor": (
        "default flavor of the influxdb fixtures (v1, v2, v3, cloud)",
        "string",
        "v1",
    ),
    "influxdb_version": (
        "version the influxdb fixtures report (default: the flavor's)",
        "string",
        None,
    ),
    "influxdb_auto_create_databases": (
        "create databases on first write in the influxdb fixtures (true/false; "
        "default: the flavor's behaviour)",
        "string",
        None,
    ),
    "influxdb_max_body_size": (
        "largest request body of the influxdb fixtures, bytes",
        "string",
        None,
    ),
    "influxdb_databases": (
        "databases created in the influxdb fixtures' stores when they start",
        "args",
        [],
    ),
}

# How many of a failed test's requests its report shows.
_REPORTED_REQUESTS = 20

_servers_key = pytest.StashKey[list["Server"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, (help_text, kind, default) in _INI_OPTIONS.items():
        parser.addini(name, help_text, type=kind, default=default)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "influxdb(flavor=None, **options): influxlp.Server options (and databases=[...]) for "
        "the influxdb_server fixture; on a test, class or module",
    )


def _truthy(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise pytest.UsageError(f"influxdb_auto_create_databases: expected true or false, got {text!r}")


def _ini_defaults(config: pytest.Config) -> dict[str, Any]:
    options: dict[str, Any] = {}
    flavor = config.getini("influxdb_flavor")
    if flavor:
        options["flavor"] = flavor
    version = config.getini("influxdb_version")
    if version:
        options["version"] = version
    auto_create = config.getini("influxdb_auto_create_databases")
    if auto_create:
        options["auto_create_databases"] = _truthy(auto_create)
    max_body_size = config.getini("influxdb_max_body_size")
    if max_body_size:
        try:
            options["max_body_size"] = int(max_body_size)
        except ValueError:
            raise pytest.UsageError(
                f"influxdb_max_body_size: expected a number of bytes, got {max_body_size!r}"
            ) from None
    databases = config.getini("influxdb_databases")
    if databases:
        options["databases"] = list(databases)
    return options


def _marker_options(node: pytest.Item) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # closest marker last so that it wins: module, then class, then function
    for marker in reversed(list(node.iter_markers("influxdb"))):
        if len(marker.args) > 1:
            raise pytest.UsageError(
                "@pytest.mark.influxdb takes at most one positional argument (the flavor)"
            )
        if marker.args:
            options["flavor"] = marker.args[0]
        options.update(marker.kwargs)
    return options


def _start(options: dict[str, Any]) -> Server:
    from influxlp import Server

    databases: Iterable[str] = options.pop("databases", None) or ()
    if isinstance(databases, str):
        databases = [databases]
    server = Server(**options)
    server.start()
    _create(server, databases)
    return server


def _create(server: Server, databases: Iterable[str]) -> None:
    for db in databases:
        server.store.create_database(db)


def _track(node: pytest.Item, server: Server) -> None:
    node.stash.setdefault(_servers_key, []).append(server)


@pytest.fixture
def influxdb_server_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., Server]]:
    """A callable that starts an ``influxlp.Server`` with the given options (on top of the ini
    defaults; ``databases=[...]`` creates databases) and stops it when the test ends."""
    started: list[Server] = []
    defaults = _ini_defaults(request.config)

    def start(**options: Any) -> Server:
        server = _start({**defaults, **options})
        started.append(server)
        _track(request.node, server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def influxdb_server(
    request: pytest.FixtureRequest, influxdb_server_factory: Callable[..., Server]
) -> Server:
    """A running fake InfluxDB with an empty store, configured by the ``influxdb`` marker."""
    return influxdb_server_factory(**_marker_options(request.node))


@pytest.fixture(scope="session")
def _influxdb_session_server(pytestconfig: pytest.Config) -> Iterator[tuple[Server, list[str]]]:
    options = _ini_defaults(pytestconfig)
    databases = list(options.get("databases", ()))
    server = _start(options)
    yield server, databases
    server.stop()


@pytest.fixture
def influxdb_session_server(
    request: pytest.FixtureRequest, _influxdb_session_server: tuple[Server, list[str]]
) -> Server:
    """One server shared by the whole session (configured by the ini options), reset (store,
    request log, faults) before each test that uses it."""
    server, databases = _influxdb_session_server
    server.reset()
    _create(server, databases)
    _track(request.node, server)
    return server


def _describe(server: Server) -> str:
    requests = server.requests
    lines = [f"{server!r}: {len(requests)} requests"]
    if len(requests) > _REPORTED_REQUESTS:
        lines.append(f"  ... {len(requests) - _REPORTED_REQUESTS} earlier requests not shown")
    for entry in requests[-_REPORTED_REQUESTS:]:
        lines.append(f"  {entry!r}")
        if entry.status is not None and entry.status >= 400 and entry.response_body:
            lines.append(f"    {entry.response_body[:200]!r}")
    return "\n".join(lines)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    servers = item.stash.get(_servers_key, None)
    if servers and report.failed and call.when == "call":
        report.sections.append(
            ("influxdb requests", "\n".join(_describe(server) for server in servers))
        )

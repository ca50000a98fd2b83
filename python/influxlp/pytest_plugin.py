"""pytest plugin: fake InfluxDB servers for tests, registered through the ``pytest11`` entry point.

Fixtures:
- ``influxdb_server``: a running server with a fresh, empty store for each test;
- ``influxdb_server_factory``: starts servers with any ``Server`` options, stops them at teardown;
- ``influxdb_session_server``: one server for the whole session, ``reset()`` before each test
  that uses it.

Options come from ``@pytest.mark.influxdb(flavor=..., tokens=..., ...)`` on a test, class or
module, then from the ini options ``influxdb_flavor``, ``influxdb_version``,
``influxdb_auto_create_databases`` and ``influxdb_max_body_size``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

_INI_OPTIONS = {
    "influxdb_flavor": ("default flavor of the influxdb fixtures (v1, v2, v3, cloud)", "v1"),
    "influxdb_version": ("version the influxdb fixtures report (default: the flavor's)", None),
    "influxdb_auto_create_databases": (
        "create databases on first write in the influxdb fixtures (true/false; "
        "default: the flavor's behaviour)",
        None,
    ),
    "influxdb_max_body_size": ("largest request body of the influxdb fixtures, bytes", None),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, (help_text, default) in _INI_OPTIONS.items():
        parser.addini(name, help_text, default=default)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "influxdb(**options): influxlp.Server options for the influxdb_server fixture",
    )


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
        options["auto_create_databases"] = str(auto_create).strip().lower() in ("1", "true", "yes")
    max_body_size = config.getini("influxdb_max_body_size")
    if max_body_size:
        options["max_body_size"] = int(max_body_size)
    return options


def _marker_options(node: pytest.Item) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # closest marker last so that it wins: module, then class, then function
    for marker in reversed(list(node.iter_markers("influxdb"))):
        options.update(marker.kwargs)
    return options


@pytest.fixture
def influxdb_server_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """A callable that starts an ``influxlp.Server`` with the given options (on top of the ini
    defaults) and stops it when the test ends."""
    from influxlp import Server

    started: list[Server] = []
    defaults = _ini_defaults(request.config)

    def start(**options: Any) -> Server:
        server = Server(**{**defaults, **options})
        server.start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def influxdb_server(
    request: pytest.FixtureRequest, influxdb_server_factory: Callable[..., Any]
) -> Any:
    """A running fake InfluxDB with an empty store, configured by the ``influxdb`` marker."""
    return influxdb_server_factory(**_marker_options(request.node))


@pytest.fixture(scope="session")
def _influxdb_session_server(pytestconfig: pytest.Config) -> Iterator[Any]:
    from influxlp import Server

    server = Server(**_ini_defaults(pytestconfig))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def influxdb_session_server(_influxdb_session_server: Any) -> Any:
    """One server shared by the whole session, reset (store, request log, faults) before each
    test that uses it."""
    _influxdb_session_server.reset()
    return _influxdb_session_server

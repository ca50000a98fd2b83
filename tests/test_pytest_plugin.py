"""The pytest plugin (fixtures, marker, ini options), run with pytester."""

from __future__ import annotations

import os
import pathlib

import pytest

pytest_plugins = ["pytester"]

PYTHON_DIR = str(pathlib.Path(__file__).resolve().parent.parent / "python")


def test_installing_influxlp_registers_the_plugin(pytester: pytest.Pytester, monkeypatch) -> None:
    # A separate interpreter with nothing but the entry point to find the plugin.
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [PYTHON_DIR, os.environ.get("PYTHONPATH")]))
    )
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    pytester.makepyfile(
        """
        import urllib.request

        def test_server(influxdb_server):
            with urllib.request.urlopen(influxdb_server.url + "/ping") as answer:
                assert answer.status == 204
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    markers = pytester.runpytest_subprocess("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.influxdb(flavor=None, **options):*"])
    help_text = pytester.runpytest_subprocess("--help")
    help_text.stdout.fnmatch_lines(["*influxdb_flavor*", "*influxdb_databases*"])


def test_influxdb_server_is_fresh_for_each_test_and_stopped_after(pytester) -> None:
    pytester.makepyfile(
        """
        import socket
        import influxlp

        seen = []

        def test_first(influxdb_server):
            assert isinstance(influxdb_server, influxlp.Server)
            assert influxdb_server.is_running
            assert influxdb_server.flavor == "v1"
            influxdb_server.store.write(b"cpu value=1", db="db")
            assert influxdb_server.store.count() == 1
            seen.append(influxdb_server)

        def test_second(influxdb_server):
            assert influxdb_server is not seen[0]
            assert influxdb_server.store.count() == 0
            assert influxdb_server.requests == []
            seen.append(influxdb_server)

        def test_both_were_stopped():
            for server in seen:
                assert not server.is_running
                with socket.socket() as sock:
                    assert sock.connect_ex((server.host, server.port)) != 0
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


def test_factory_starts_servers_with_options_and_stops_them_all(pytester) -> None:
    pytester.makepyfile(
        """
        import urllib.error
        import urllib.request
        import influxlp

        started = []

        def test_factory(influxdb_server_factory):
            plain = influxdb_server_factory()
            v2 = influxdb_server_factory(
                flavor="v2", tokens=["secret"], version="v2.7.99", databases=["a", "b"]
            )
            users = influxdb_server_factory(users=[influxlp.User("u", "p", admin=True)])
            started.extend([plain, v2, users])
            assert len({s.port for s in started}) == 3
            assert plain.flavor == "v1" and v2.flavor == "v2" and v2.version == "v2.7.99"
            assert v2.store.databases() == ["a", "b"]
            try:
                urllib.request.urlopen(
                    urllib.request.Request(v2.url + "/api/v2/write?bucket=a", data=b"m v=1")
                )
            except urllib.error.HTTPError as error:
                assert error.code == 401
            else:
                raise AssertionError("the token was not required")

        def test_all_stopped():
            assert len(started) == 3
            assert not any(server.is_running for server in started)
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_marker_on_the_test(pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.influxdb(flavor="v3", version="3.1.0")
        def test_marked(influxdb_server):
            assert influxdb_server.flavor == "v3"
            assert influxdb_server.version == "3.1.0"

        @pytest.mark.influxdb("cloud")
        def test_positional_flavor(influxdb_server):
            assert influxdb_server.flavor == "cloud"

        @pytest.mark.influxdb(databases=["telemetry"], auto_create_databases=False)
        def test_databases(influxdb_server):
            assert influxdb_server.store.databases() == ["telemetry"]

        def test_unmarked(influxdb_server):
            assert influxdb_server.flavor == "v1"

        @pytest.mark.influxdb(flavour="v2")
        def test_misspelled(influxdb_server):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(["*flavour*"])


def test_marker_on_module_and_class_closest_wins(pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.influxdb(flavor="v2", version="module")

        def test_module_level(influxdb_server):
            assert influxdb_server.flavor == "v2"
            assert influxdb_server.version == "module"

        @pytest.mark.influxdb(flavor="v3")
        class TestClass:
            def test_class_level(self, influxdb_server):
                assert influxdb_server.flavor == "v3"
                assert influxdb_server.version == "module"

            @pytest.mark.influxdb(version="test")
            def test_test_level(self, influxdb_server):
                assert influxdb_server.flavor == "v3"
                assert influxdb_server.version == "test"
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


def test_marker_does_not_leak_between_modules(pytester) -> None:
    pytester.makepyfile(
        test_a="""
        import pytest
        pytestmark = pytest.mark.influxdb(flavor="v2")

        def test_a(influxdb_server):
            assert influxdb_server.flavor == "v2"
        """,
        test_b="""
        def test_b(influxdb_server):
            assert influxdb_server.flavor == "v1"
        """,
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_ini_flavor_and_version(pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        influxdb_flavor = v2
        influxdb_version = v2.0.0-test
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def test_defaults(influxdb_server, influxdb_server_factory, influxdb_session_server):
            for server in (influxdb_server, influxdb_server_factory(), influxdb_session_server):
                assert server.flavor == "v2"
                assert server.version == "v2.0.0-test"

        @pytest.mark.influxdb(flavor="v1")
        def test_marker_overrides(influxdb_server):
            assert influxdb_server.flavor == "v1"
            assert influxdb_server.version == "v2.0.0-test"

        def test_factory_overrides(influxdb_server_factory):
            assert influxdb_server_factory(flavor="v3").flavor == "v3"
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


@pytest.mark.parametrize(("value", "status"), [("true", 204), ("false", 404)])
def test_ini_auto_create_databases(pytester, value, status) -> None:
    pytester.makeini(
        f"""
        [pytest]
        influxdb_auto_create_databases = {value}
        """
    )
    pytester.makepyfile(
        f"""
        import urllib.error
        import urllib.request

        def test_write(influxdb_server):
            request = urllib.request.Request(
                influxdb_server.url + "/write?db=new", data=b"m v=1"
            )
            try:
                status = urllib.request.urlopen(request).status
            except urllib.error.HTTPError as error:
                status = error.code
            assert status == {status}
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_ini_max_body_size(pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        influxdb_max_body_size = 100
        influxdb_databases = db
        """
    )
    pytester.makepyfile(
        """
        import urllib.error
        import urllib.request

        def post(server, body):
            request = urllib.request.Request(server.url + "/write?db=db", data=body)
            try:
                return urllib.request.urlopen(request).status
            except urllib.error.HTTPError as error:
                return error.code

        def test_limit(influxdb_server):
            assert post(influxdb_server, b"m v=1") == 204
            assert post(influxdb_server, b"m v=1 " + b" " * 200) == 413
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_ini_databases(pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        influxdb_databases = telemetry metrics
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def test_fixture(influxdb_server):
            assert influxdb_server.store.databases() == ["metrics", "telemetry"]

        @pytest.mark.influxdb(databases=["only"])
        def test_marker_replaces(influxdb_server):
            assert influxdb_server.store.databases() == ["only"]

        def test_session(influxdb_session_server):
            assert influxdb_session_server.store.databases() == ["metrics", "telemetry"]
            influxdb_session_server.store.drop_database("metrics")

        def test_session_again(influxdb_session_server):
            assert influxdb_session_server.store.databases() == ["metrics", "telemetry"]
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=4)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("influxdb_auto_create_databases", "maybe", "expected true or false"),
        ("influxdb_max_body_size", "big", "expected a number of bytes"),
        ("influxdb_flavor", "v9", "unknown flavor"),
    ],
)
def test_bad_ini_values_are_reported(pytester, option, value, message) -> None:
    pytester.makeini(
        f"""
        [pytest]
        {option} = {value}
        """
    )
    pytester.makepyfile(
        """
        def test_server(influxdb_server):
            pass
        """
    )
    result = pytester.runpytest()
    assert result.ret != 0
    output = result.stdout.str() + result.stderr.str()
    assert message in output


def test_session_server_is_shared_and_reset(pytester) -> None:
    pytester.makepyfile(
        """
        import urllib.error
        import urllib.request

        seen = []

        def post(server, body):
            request = urllib.request.Request(server.url + "/write?db=db", data=body)
            try:
                return urllib.request.urlopen(request).status
            except urllib.error.HTTPError as error:
                return error.code

        def test_first(influxdb_session_server):
            server = influxdb_session_server
            seen.append(server)
            server.store.create_database("db")
            assert post(server, b"m v=1") == 204
            server.fail_next(5, status=503)
            assert post(server, b"m v=2") == 503

        def test_second(influxdb_session_server):
            server = influxdb_session_server
            assert server is seen[0] and server.is_running
            assert server.store.databases() == []
            assert server.requests == []
            server.store.create_database("db")
            assert post(server, b"m v=3") == 204

        def test_still_running_until_the_session_ends():
            assert seen[0].is_running
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


def test_a_failing_test_reports_the_requests(pytester) -> None:
    pytester.makepyfile(
        """
        import urllib.error
        import urllib.request

        def test_fails(influxdb_server):
            influxdb_server.fail_next(status=503)
            request = urllib.request.Request(
                influxdb_server.url + "/write?db=db&u=me&p=hunter2", data=b"m v=1"
            )
            try:
                urllib.request.urlopen(request)
            except urllib.error.HTTPError:
                pass
            assert influxdb_server.store.count() == 1

        def test_passes(influxdb_server):
            urllib.request.urlopen(influxdb_server.url + "/ping")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- influxdb requests -*",
            "<influxlp.Server http://127.0.0.1:* flavor=v1 running>: 1 requests",
            "  <influxlp.Request POST /write?db=db&u=me&p=[[]REDACTED[]] -> 503 *fault=fail_next>",
            '    b\'{"error":"service unavailable"}\\n\'',
        ]
    )
    section = result.stdout.str().split("influxdb requests", 1)[1]
    assert "hunter2" not in section
    assert result.stdout.str().count("influxdb requests") == 1


def docs_example(name: str) -> str:
    """The code block under `<!-- example: name -->` in the README's testing section."""
    text = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    after = text.split(f"<!-- example: {name} -->", 1)[1]
    block = after.split("```", 2)[1]
    return block.split("\n", 1)[1]


def test_the_documented_example_passes(pytester) -> None:
    pytester.makefile(".ini", pytest=docs_example("pytest.ini"))
    pytester.makepyfile(test_sensors=docs_example("test_sensors.py"))
    result = pytester.runpytest("-p", "no:logging")
    result.assert_outcomes(passed=9)

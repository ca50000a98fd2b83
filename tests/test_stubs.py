"""The type stubs (`_influxlp.pyi`) name exactly what the extension module exports."""

from __future__ import annotations

import ast
import pathlib

import influxlp
import pytest
from influxlp import _influxlp

STUB = pathlib.Path(influxlp.__file__).with_name("_influxlp.pyi")


def _stub_names() -> dict[str, set[str] | None]:
    """Top-level names of the stub; for classes, the names defined in their bodies."""
    names: dict[str, set[str] | None] = {}
    for node in ast.parse(STUB.read_text()).body:
        if isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
            names[node.name] = members
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names[node.name] = None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = None
    return names


def _public(names) -> set[str]:
    return {n for n in names if not n.startswith("_")}


def test_every_export_is_in_the_stub_and_nothing_more():
    modules = type(ast)
    names = _public(dir(_influxlp))
    exported = {n for n in names if not isinstance(getattr(_influxlp, n), modules)}
    assert exported == _public(_stub_names())


def test_every_public_member_of_each_class_is_in_the_stub():
    stubs = _stub_names()
    for name, members in stubs.items():
        if members is None:
            continue
        cls = getattr(_influxlp, name)
        if issubclass(cls, BaseException):
            continue  # attributes are set on instances, not the class
        own = {m for m in vars(cls) if not m.startswith("_")}
        assert own <= members, f"{name} lacks stubs for {sorted(own - members)}"
        missing = {m for m in _public(members) if not hasattr(cls, m)}
        assert not missing, f"{name} stub names what the class lacks: {sorted(missing)}"


def test_package_exports_match_its_all():
    assert set(influxlp.__all__) <= set(dir(influxlp))
    assert _public(_stub_names()) <= set(influxlp.__all__)


def test_line_protocol_error_is_a_value_error_with_its_attributes():
    with pytest.raises(influxlp.LineProtocolError) as raised:
        influxlp.Store().write(b"m v=1 1\nm v= 2\n", db="db", atomic=True)
    error = raised.value
    assert isinstance(error, ValueError)
    assert (error.line, error.column, error.text, error.kind) == (2, 5, "m v= 2", "syntax")
    assert error.message == "missing field value"
    assert str(error) == error.args[0] == "unable to parse 'm v= 2': missing field value"
    assert [e.line for e in error.errors] == [2]
    assert error.errors[0].errors == []
    made = influxlp.LineProtocolError("bad", 3, 1, "m,time=1 v=1", "rejected")
    assert (str(made), made.line, made.kind) == ("bad", 3, "rejected")
    with pytest.raises(ValueError, match="kind must be"):
        influxlp.LineProtocolError("bad", 1, 1, "", "other")

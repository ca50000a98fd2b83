"""HTTP headers as the request log shows them: a case-insensitive, multi-valued mapping."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping


class Headers(Mapping[str, str]):
    """Header fields in the order received, looked up without regard to case, as ``requests``,
    ``httpx`` and ``werkzeug`` do: ``headers["Content-Encoding"]`` and
    ``headers.get("content-encoding")`` are the same field. A name sent several times reads as
    its values joined with ``", "`` (as HTTP allows); ``get_all`` lists them. Iterating gives
    each name once, in lower case."""

    __slots__ = ("_fields", "_joined")

    def __init__(self, fields: Iterable[tuple[str, str]] = ()) -> None:
        self._fields = [(name, value) for name, value in fields]
        joined: dict[str, str] = {}
        for name, value in self._fields:
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        self._joined = joined

    def __getitem__(self, name: str) -> str:
        return self._joined[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._joined

    def __iter__(self) -> Iterator[str]:
        return iter(self._joined)

    def __len__(self) -> int:
        return len(self._joined)

    def get_all(self, name: str) -> list[str]:
        """Every value sent for ``name``, in order (empty when it was not sent)."""
        key = name.lower()
        return [value for field, value in self._fields if field.lower() == key]

    def raw(self) -> list[tuple[str, str]]:
        """The fields as ``(name, value)`` pairs, names as received."""
        return list(self._fields)

    def __repr__(self) -> str:
        return f"Headers({self._fields!r})"

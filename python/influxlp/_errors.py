"""``LineProtocolError``, written in Python: the stable ABI of Python 3.10, which one wheel
serves every CPython with, cannot subclass ``ValueError`` from Rust. The extension raises it."""

from __future__ import annotations

from typing import Any, Literal

_KINDS = ("syntax", "rejected")


class LineProtocolError(ValueError):
    """A line InfluxDB would refuse; ``str()`` is InfluxDB's ``unable to parse '<line>':
    <message>`` (the message alone for a rejected point)."""

    __module__ = "influxlp"

    def __init__(
        self,
        message: str,
        line: int = 0,
        column: int = 0,
        text: str = "",
        kind: Literal["syntax", "rejected"] = "syntax",
        errors: list[LineProtocolError] | None = None,
        source: str | None = None,
    ) -> None:
        if kind not in _KINDS:
            raise ValueError('kind must be "syntax" or "rejected"')
        self._message = message
        self._line = line
        self._column = column
        self._text = text
        self._kind: Literal["syntax", "rejected"] = kind
        self._errors = [] if errors is None else errors
        self._source = source
        # `args` as `ValueError(str(error))` has them.
        super().__init__(self._render())

    def _render(self) -> str:
        if self._kind == "syntax" and (self._text or self._line > 0):
            return f"unable to parse '{self._text}': {self._message}"
        return self._message

    @property
    def line(self) -> int:
        """1-based line number."""
        return self._line

    @property
    def column(self) -> int:
        """1-based byte column within the line."""
        return self._column

    @property
    def text(self) -> str:
        """The line's text."""
        return self._text

    @property
    def message(self) -> str:
        """InfluxDB's own message, e.g. ``invalid boolean``."""
        return self._message

    @property
    def kind(self) -> Literal["syntax", "rejected"]:
        """``syntax``: not valid line protocol; ``rejected``: refused at write time."""
        return self._kind

    @property
    def errors(self) -> list[LineProtocolError]:
        """On a raised error of an atomic write: every bad line (else empty)."""
        return self._errors

    @property
    def source(self) -> str | None:
        """From ``convert``: the source the line is in (its path, or ``<bytes>``)."""
        return self._source

    def __str__(self) -> str:
        return self._render()

    def __repr__(self) -> str:
        return (
            f"LineProtocolError(line={self._line}, column={self._column}, "
            f"kind={self._kind!r}, message={self._message!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (
                self._message,
                self._line,
                self._column,
                self._text,
                self._kind,
                self._errors,
                self._source,
            ),
        )

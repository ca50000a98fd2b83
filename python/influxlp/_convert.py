"""Conversions of Python time values to nanoseconds since the epoch."""

from __future__ import annotations

import datetime as _dt
from typing import Any

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def to_nanoseconds(value: Any) -> int:
    """Nanoseconds since the epoch for an int, ``datetime`` (naive means UTC), ``date``,
    pandas ``Timestamp`` or numpy ``datetime64``."""
    if isinstance(value, int):
        return value
    nanos = getattr(value, "value", None)  # pandas Timestamp keeps exact nanoseconds here
    if isinstance(nanos, int) and hasattr(value, "tz_localize"):
        return nanos
    if type(value).__name__ == "datetime64":
        import numpy as np

        return int(value.astype("datetime64[ns]").astype(np.int64))
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        delta = value - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
    if isinstance(value, _dt.date):
        return to_nanoseconds(_dt.datetime(value.year, value.month, value.day))
    raise TypeError(
        "a time must be int nanoseconds, datetime, date, pandas.Timestamp or numpy.datetime64, "
        f"not {type(value).__name__}"
    )

//! Time values from Python (int nanoseconds, `datetime`, pandas `Timestamp`, numpy
//! `datetime64`) as nanoseconds since the epoch.

use pyo3::prelude::*;

/// Nanoseconds since the epoch for an optional Python time value; the conversion of anything
/// but an int is done by `influxlp._convert.to_nanoseconds`.
pub fn optional_nanoseconds(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<i64>> {
    let Some(value) = value else { return Ok(None) };
    if value.is_none() {
        return Ok(None);
    }
    if let Ok(nanos) = value.extract::<i64>() {
        return Ok(Some(nanos));
    }
    let convert = value
        .py()
        .import("influxlp._convert")?
        .getattr("to_nanoseconds")?;
    Ok(Some(convert.call1((value,))?.extract()?))
}

/// Now, in nanoseconds since the epoch.
pub fn now_nanoseconds() -> i64 {
    crate::text::now_ns()
}

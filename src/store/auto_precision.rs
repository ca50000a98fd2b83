//! InfluxDB 3's `auto` precision, applied to tables parsed as nanoseconds.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, TimestampNanosecondArray};

use crate::columnar::MeasurementTable;

/// InfluxDB 3's `auto` precision: a timestamp below 5e9 is seconds, below 5e12 milliseconds,
/// below 5e15 microseconds, otherwise nanoseconds (by absolute value). Lines are parsed as
/// nanoseconds, so each time is scaled by its own guess.
pub(crate) fn rescale_auto(table: &mut MeasurementTable) {
    let Some(times) = table
        .batch
        .column(0)
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
    else {
        return;
    };
    let scaled: TimestampNanosecondArray = times
        .unary::<_, arrow_array::types::TimestampNanosecondType>(auto_scale)
        .with_data_type(times.data_type().clone());
    let mut columns: Vec<ArrayRef> = table.batch.columns().to_vec();
    columns[0] = Arc::new(scaled);
    if let Ok(batch) = RecordBatch::try_new(table.batch.schema(), columns) {
        table.batch = batch;
    }
}

fn auto_scale(t: i64) -> i64 {
    let magnitude = t.unsigned_abs() / 1_000_000_000;
    let multiplier = if magnitude < 5 {
        1_000_000_000
    } else if magnitude < 5_000 {
        1_000_000
    } else if magnitude < 5_000_000 {
        1_000
    } else {
        1
    };
    t.saturating_mul(multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_precision_guesses_by_magnitude() {
        assert_eq!(auto_scale(1_700_000_000), 1_700_000_000_000_000_000);
        assert_eq!(auto_scale(1_700_000_000_000), 1_700_000_000_000_000_000);
        assert_eq!(auto_scale(1_700_000_000_000_000), 1_700_000_000_000_000_000);
        assert_eq!(
            auto_scale(1_700_000_000_000_000_000),
            1_700_000_000_000_000_000
        );
        assert_eq!(auto_scale(-1_700_000_000), -1_700_000_000_000_000_000);
        assert_eq!(auto_scale(0), 0);
    }
}

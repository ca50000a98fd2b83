//! Flux's column types and the values a table cell holds, with Flux's ordering and the text
//! the annotated-CSV encoder writes for each.

use std::cmp::Ordering;

use crate::text::format_rfc3339_nano;

/// A column type, named as the `#datatype` annotation names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Bool,
    Int,
    UInt,
    Float,
    String,
    Time,
}

impl ColType {
    pub fn annotation(self) -> &'static str {
        match self {
            ColType::Bool => "boolean",
            ColType::Int => "long",
            ColType::UInt => "unsignedLong",
            ColType::Float => "double",
            ColType::String => "string",
            ColType::Time => "dateTime:RFC3339",
        }
    }

    /// Flux's name of the type, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            ColType::Bool => "bool",
            ColType::Int => "int",
            ColType::UInt => "uint",
            ColType::Float => "float",
            ColType::String => "string",
            ColType::Time => "time",
        }
    }
}

/// One cell; `Null` is a missing value of the column's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Time(i64),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn col_type(&self) -> Option<ColType> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => ColType::Bool,
            Value::Int(_) => ColType::Int,
            Value::UInt(_) => ColType::UInt,
            Value::Float(_) => ColType::Float,
            Value::Str(_) => ColType::String,
            Value::Time(_) => ColType::Time,
        })
    }

    /// The value as a float, for numeric comparison and aggregation.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::UInt(u) => Some(*u as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The cell as the annotated-CSV encoder writes it (Go's `FormatFloat(f, 'f', -1, 64)`,
    /// `time.RFC3339Nano`); null is the empty string.
    pub fn csv_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(f) => go_float(*f),
            Value::Str(s) => s.clone(),
            Value::Time(t) => format_rfc3339_nano(*t),
        }
    }
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)`: shortest round-trip digits, never an exponent.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        format!("{f}")
    }
}

/// Flux's order of two values of one column: nulls first, numbers by value, strings bytewise.
pub fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::UInt(x), Value::UInt(y)) => x.cmp(y),
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        (Value::Time(x), Value::Time(y)) => x.cmp(y),
        (x, y) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => Ordering::Equal,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_written_as_go_writes_them() {
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(0.1), "0.1");
        assert_eq!(go_float(1e21), "1000000000000000000000");
        assert_eq!(go_float(1e-7), "0.0000001");
        assert_eq!(go_float(f64::NAN), "NaN");
        assert_eq!(go_float(f64::NEG_INFINITY), "-Inf");
    }

    #[test]
    fn times_are_rfc3339_nano_trimmed() {
        assert_eq!(Value::Time(0).csv_text(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Value::Time(1_500_000_000_000_000_001).csv_text(),
            "2017-07-14T02:40:00.000000001Z"
        );
        assert_eq!(Value::Null.csv_text(), "");
    }

    #[test]
    fn nulls_sort_first_and_numbers_compare_across_types() {
        assert_eq!(compare(&Value::Null, &Value::Int(1)), Ordering::Less);
        assert_eq!(
            compare(&Value::Int(2), &Value::Float(1.5)),
            Ordering::Greater
        );
        assert_eq!(
            compare(&Value::Str("a".into()), &Value::Str("b".into())),
            Ordering::Less
        );
    }
}

//! What can go wrong turning columns into line protocol, with the column and row it concerns.

use std::fmt;

/// A wrong type (Python `TypeError`) or a wrong value or option (Python `ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerializeErrorKind {
    Type,
    Value,
}

/// One error, naming the column and the (0-based, over the whole input) row where it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerializeError {
    pub kind: SerializeErrorKind,
    pub column: Option<String>,
    pub row: Option<usize>,
    pub message: String,
}

impl SerializeError {
    /// An option that cannot be followed (no column, no row).
    pub fn invalid(message: impl Into<String>) -> Self {
        SerializeError {
            kind: SerializeErrorKind::Value,
            column: None,
            row: None,
            message: message.into(),
        }
    }

    /// A column whose type has no line protocol form in its role.
    pub fn column_type(column: &str, message: impl Into<String>) -> Self {
        SerializeError {
            kind: SerializeErrorKind::Type,
            column: Some(column.to_string()),
            row: None,
            message: message.into(),
        }
    }

    /// A column that cannot be used as asked (its name, its role).
    pub fn column(column: &str, message: impl Into<String>) -> Self {
        SerializeError {
            kind: SerializeErrorKind::Value,
            column: Some(column.to_string()),
            row: None,
            message: message.into(),
        }
    }

    /// A value of one row that has no line protocol form.
    pub fn value(row: usize, column: &str, message: impl Into<String>) -> Self {
        SerializeError {
            kind: SerializeErrorKind::Value,
            column: Some(column.to_string()),
            row: Some(row),
            message: message.into(),
        }
    }

    /// The same error, with its row counted from `offset` rows earlier.
    pub(super) fn shifted(mut self, offset: usize) -> Self {
        if let Some(row) = &mut self.row {
            *row += offset;
        }
        self
    }
}

impl fmt::Display for SerializeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.row, &self.column) {
            (Some(row), Some(column)) => write!(f, "row {row}, column {column:?}: ")?,
            (None, Some(column)) => write!(f, "column {column:?}: ")?,
            (Some(row), None) => write!(f, "row {row}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for SerializeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_row_and_column() {
        assert_eq!(
            SerializeError::value(3, "load", "inf").to_string(),
            "row 3, column \"load\": inf"
        );
        assert_eq!(
            SerializeError::column_type("x", "binary").to_string(),
            "column \"x\": binary"
        );
        assert_eq!(SerializeError::invalid("no").to_string(), "no");
        assert_eq!(SerializeError::value(1, "c", "m").shifted(10).row, Some(11));
    }
}

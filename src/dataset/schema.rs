//! The schema of a part file: the `Table` layout over every column seen so far for a
//! measurement, so that columns appearing later widen later files, and batches lacking a column
//! get nulls in it.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{new_null_array, Array, ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, Schema, SchemaRef};

use crate::columnar::{
    field_column_names, field_field, field_key_of, tag_field, time_field, ColumnRole,
};
use crate::line_protocol::FieldType;

/// The tag keys and typed field keys of a measurement's files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    pub tags: BTreeMap<String, ()>,
    pub fields: BTreeMap<String, FieldType>,
}

impl Columns {
    /// The columns of `batch`; field columns with no value at all are left out (they are what a
    /// dropped point leaves behind).
    pub fn of(batch: &RecordBatch) -> Columns {
        let mut columns = Columns::default();
        for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
            match ColumnRole::of(field) {
                ColumnRole::Time => {}
                ColumnRole::Tag => {
                    columns.tags.insert(field.name().clone(), ());
                }
                ColumnRole::Field(field_type) => {
                    if column.null_count() < column.len() {
                        columns
                            .fields
                            .insert(field_key_of(field).to_string(), field_type);
                    }
                }
            }
        }
        columns
    }

    /// Whether every column of `other` is here, with the same type.
    pub fn covers(&self, other: &Columns) -> bool {
        other.tags.keys().all(|key| self.tags.contains_key(key))
            && other
                .fields
                .iter()
                .all(|(key, field_type)| self.fields.get(key) == Some(field_type))
    }

    /// Adds the columns of `other` (a field keeps the type it has here).
    pub fn widen(&mut self, other: &Columns) {
        for key in other.tags.keys() {
            self.tags.entry(key.clone()).or_default();
        }
        for (key, field_type) in &other.fields {
            self.fields.entry(key.clone()).or_insert(*field_type);
        }
    }

    /// The Arrow schema: `time`, tags sorted by key, fields sorted by key.
    pub fn schema(&self) -> SchemaRef {
        let tag_keys: Vec<&str> = self.tags.keys().map(String::as_str).collect();
        let field_keys: Vec<&str> = self.fields.keys().map(String::as_str).collect();
        let names = field_column_names(&tag_keys, &field_keys);
        let mut fields = vec![time_field()];
        fields.extend(tag_keys.iter().map(|key| tag_field(key)));
        fields.extend(
            self.fields
                .iter()
                .zip(&names)
                .map(|((key, field_type), name)| field_field(name, key, *field_type)),
        );
        Arc::new(Schema::new(fields))
    }
}

/// `batch` with the columns of `schema`, in its order: columns it lacks are null. The batch must
/// hold no column that `schema` lacks (beyond empty field columns).
pub fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    let source = batch.schema();
    let find = |role: ColumnRole, key: &str| -> Option<&ArrayRef> {
        source
            .fields()
            .iter()
            .position(|field| {
                let same_role = match (ColumnRole::of(field), role) {
                    (ColumnRole::Time, ColumnRole::Time) => true,
                    (ColumnRole::Tag, ColumnRole::Tag) => field.name() == key,
                    (ColumnRole::Field(a), ColumnRole::Field(b)) => {
                        a == b && field_key_of(field) == key
                    }
                    _ => false,
                };
                same_role
            })
            .map(|index| batch.column(index))
    };
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|field| {
            let role = ColumnRole::of(field);
            let key = match role {
                ColumnRole::Field(_) => field_key_of(field),
                _ => field.name(),
            };
            find(role, key)
                .cloned()
                .unwrap_or_else(|| new_null_array(field.data_type(), batch.num_rows()))
        })
        .collect();
    RecordBatch::try_new(schema.clone(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columnar::{parse_batch, ParseOptions};

    fn table(data: &str) -> RecordBatch {
        let parsed = parse_batch(data.as_bytes(), &ParseOptions::default());
        parsed.tables.into_iter().next().unwrap().batch
    }

    #[test]
    fn later_columns_widen_and_missing_ones_are_null() {
        let first = table("m,a=x v=1 1\n");
        let second = table("m,b=y w=2i,v=3 2\n");
        let mut columns = Columns::of(&first);
        assert!(!columns.covers(&Columns::of(&second)));
        columns.widen(&Columns::of(&second));
        assert!(columns.covers(&Columns::of(&second)));
        assert!(columns.covers(&Columns::of(&first)));
        let schema = columns.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["time", "a", "b", "v", "w"]);
        let conformed = conform(&first, &schema).unwrap();
        assert_eq!(conformed.num_columns(), 5);
        assert_eq!(conformed.column(2).null_count(), 1);
        assert_eq!(conformed.column(4).null_count(), 1);
        assert_eq!(conform(&second, &schema).unwrap().column(1).null_count(), 1);
    }

    #[test]
    fn a_type_change_is_not_covered_and_a_tag_clash_renames_the_field() {
        let columns = Columns::of(&table("m v=1 1\n"));
        assert!(!columns.covers(&Columns::of(&table("m v=1i 1\n"))));
        let mut columns = columns;
        columns.widen(&Columns::of(&table("m,v=t x=1 1\n")));
        let schema = columns.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["time", "v", "v_1", "x"]);
        let conformed = conform(&table("m v=2 5\n"), &schema).unwrap();
        assert_eq!(conformed.column(2).null_count(), 0);
        assert_eq!(conformed.column(1).null_count(), 1);
    }
}

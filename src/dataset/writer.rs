//! The dataset writer: tables tagged with their database and retention policy in, a Hive-
//! partitioned dataset out. It holds InfluxDB's type rule across everything it is given (a
//! field's first point fixes its type; later conflicting points are dropped with InfluxDB's
//! message), widens later files with columns that appear later, and bounds its memory: files
//! roll over at a row count, buffered row groups are flushed past a byte budget and the least
//! recently used file is closed past a count of open files.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use arrow_array::{BooleanArray, RecordBatch};
use arrow_schema::SchemaRef;
use arrow_select::filter::filter_record_batch;

use super::destination::prepare_destination;
use super::file::PartFile;
use super::partition::{hive_segment, measurement_dir, split_by_day, Context, PartitionBy};
use super::schema::{conform, Columns};
use super::{Compression, DatasetError, Format};
use crate::columnar::MeasurementTable;
use crate::line_protocol::{FieldType, ParseError};
use crate::store::field_type_conflicts;

/// How a dataset is written.
#[derive(Debug, Clone)]
pub struct DatasetOptions {
    pub format: Format,
    pub compression: Compression,
    pub partition_by: PartitionBy,
    /// Replace a dataset already in the destination instead of refusing it.
    pub overwrite: bool,
    /// A part file is closed once it holds this many rows.
    pub max_rows_per_file: usize,
    /// Files open at once; past it the least recently written one is closed.
    pub max_open_files: usize,
    /// Bytes of row groups buffered over all open files; past it the largest is flushed.
    pub max_buffered_bytes: usize,
}

impl Default for DatasetOptions {
    fn default() -> Self {
        DatasetOptions {
            format: Format::Parquet,
            compression: Compression::Zstd,
            partition_by: PartitionBy::default(),
            overwrite: false,
            max_rows_per_file: 8 * 1024 * 1024,
            max_open_files: 64,
            max_buffered_bytes: 128 * 1024 * 1024,
        }
    }
}

/// What one `write` did with its table.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TableOutcome {
    pub points_written: usize,
    /// Points dropped for a field type conflict with an earlier point.
    pub points_dropped: usize,
    pub errors: Vec<ParseError>,
}

/// A measurement in a context: the scope of a field's type, as a shard's is in InfluxDB.
type MeasurementKey = (Context, String);

struct OpenPart {
    file: PartFile,
    columns: Columns,
    schema: SchemaRef,
    last_write: u64,
}

impl OpenPart {
    /// `batch` with this file's columns, in its order (nulls for the columns it lacks).
    fn conform(&self, batch: &RecordBatch) -> Result<RecordBatch, DatasetError> {
        conform(batch, &self.schema).map_err(|e| DatasetError::Write {
            path: self.file.path().to_path_buf(),
            message: e.to_string(),
        })
    }
}

/// Writes a dataset; call `finish` to complete it (dropping the writer deletes the files still
/// being written, which never had their final names).
///
/// Its two halves can work on two threads: [`TypeRule::admit`] decides what of a table goes in
/// (cheap), [`PartFiles::write`] encodes it into the files (the costly part), so a conversion
/// can admit and parse the next batch while the files take the previous one.
pub struct DatasetWriter {
    rule: TypeRule,
    files: PartFiles,
}

/// InfluxDB's type rule over everything written so far, and the columns each measurement has.
#[derive(Default)]
pub struct TypeRule {
    types: HashMap<MeasurementKey, HashMap<String, FieldType>>,
    columns: HashMap<MeasurementKey, Columns>,
}

/// The rows of a table that keep the type rule, ready for the files.
pub struct Admitted {
    context: Context,
    table: MeasurementTable,
    /// Every column the measurement has had so far: the layout of a new part file.
    seen: Columns,
    points: usize,
}

/// The dataset's part files.
pub struct PartFiles {
    root: PathBuf,
    options: DatasetOptions,
    open: HashMap<PathBuf, OpenPart>,
    next_part: HashMap<PathBuf, usize>,
    finished: Vec<PathBuf>,
    /// Directories this writer created, to remove again when it is abandoned.
    created_dirs: Vec<PathBuf>,
    points_written: usize,
    writes: u64,
}

impl DatasetWriter {
    /// Prepares `root` (see `prepare_destination`) for a new dataset.
    pub fn create(root: &Path, options: DatasetOptions) -> Result<DatasetWriter, DatasetError> {
        prepare_destination(root, options.overwrite)?;
        Ok(DatasetWriter {
            rule: TypeRule::default(),
            files: PartFiles {
                root: root.to_path_buf(),
                options,
                open: HashMap::new(),
                next_part: HashMap::new(),
                finished: Vec::new(),
                created_dirs: Vec::new(),
                points_written: 0,
                writes: 0,
            },
        })
    }

    /// Writes the rows of `table` that keep the field types fixed so far.
    pub fn write(
        &mut self,
        context: &Context,
        table: MeasurementTable,
    ) -> Result<TableOutcome, DatasetError> {
        let (admitted, outcome) = self.rule.admit(context, table)?;
        if let Some(admitted) = admitted {
            self.files.write(admitted)?;
        }
        Ok(outcome)
    }

    /// The type rule and the files, to use on two threads.
    pub fn halves(&mut self) -> (&mut TypeRule, &mut PartFiles) {
        (&mut self.rule, &mut self.files)
    }

    /// Gives up on the dataset: the files being written and those already completed are
    /// removed, then the directories this writer created, so that nothing of it is left.
    pub fn abandon(self) {
        self.files.abandon();
    }

    /// Completes every open file; returns every file of the dataset, sorted.
    pub fn finish(self) -> Result<DatasetSummary, DatasetError> {
        self.files.finish()
    }
}

impl TypeRule {
    /// The contexts written so far.
    pub fn contexts(&self) -> Vec<Context> {
        let mut contexts: Vec<Context> = self.types.keys().map(|(c, _)| c.clone()).collect();
        contexts.sort();
        contexts.dedup();
        contexts
    }

    /// Every field type fixed so far in `context`, as `(measurement, field, type)`: what the
    /// parser of later batches of that context must hold lines to.
    pub fn field_types(&self, context: &Context) -> Vec<(String, String, FieldType)> {
        self.types
            .iter()
            .filter(|((c, _), _)| c == context)
            .flat_map(|((_, measurement), types)| {
                types
                    .iter()
                    .map(|(field, t)| (measurement.clone(), field.clone(), *t))
            })
            .collect()
    }

    /// Takes the rows of `table` that keep the field types fixed so far (`None` when none do)
    /// and fixes the types of its new fields; says what it dropped.
    pub fn admit(
        &mut self,
        context: &Context,
        table: MeasurementTable,
    ) -> Result<(Option<Admitted>, TableOutcome), DatasetError> {
        if table.batch.num_rows() == 0 {
            return Ok((None, TableOutcome::default()));
        }
        let key = (context.clone(), table.name.clone());
        let (table, outcome) = self.keep_types(&key, table)?;
        if table.batch.num_rows() == 0 {
            return Ok((None, outcome));
        }
        let columns = Columns::of(&table.batch);
        let types = self.types.entry(key.clone()).or_default();
        for (field, field_type) in &columns.fields {
            types.entry(field.clone()).or_insert(*field_type);
        }
        let seen = self.columns.entry(key).or_default();
        seen.widen(&columns);
        let admitted = Admitted {
            context: context.clone(),
            table,
            seen: seen.clone(),
            points: outcome.points_written,
        };
        Ok((Some(admitted), outcome))
    }

    /// Drops the rows of `table` that conflict with the field types fixed so far.
    fn keep_types(
        &self,
        key: &MeasurementKey,
        table: MeasurementTable,
    ) -> Result<(MeasurementTable, TableOutcome), DatasetError> {
        let rows = table.batch.num_rows();
        let Some(types) = self.types.get(key) else {
            let outcome = TableOutcome {
                points_written: rows,
                ..TableOutcome::default()
            };
            return Ok((table, outcome));
        };
        let known = |field: &str| types.get(field).copied();
        let conflicts = field_type_conflicts(&table, &[], &known, None)
            .map_err(|e| DatasetError::Invalid(e.to_string()))?;
        let dropped = conflicts.errors.len();
        let outcome = TableOutcome {
            points_written: rows - dropped,
            points_dropped: dropped,
            errors: conflicts.errors,
        };
        if dropped == 0 {
            return Ok((table, outcome));
        }
        let keep = BooleanArray::from_iter(conflicts.drop.iter().map(|&drop| Some(!drop)));
        let batch = filter_record_batch(&table.batch, &keep)
            .map_err(|e| DatasetError::Invalid(e.to_string()))?;
        let line_numbers = if table.line_numbers.is_empty() {
            Vec::new()
        } else {
            table
                .line_numbers
                .iter()
                .zip(&conflicts.drop)
                .filter(|(_, &drop)| !drop)
                .map(|(&line, _)| line)
                .collect()
        };
        let kept = MeasurementTable {
            name: table.name,
            batch,
            line_numbers,
        };
        Ok((kept, outcome))
    }
}

impl PartFiles {
    /// Encodes admitted rows into their part files.
    pub fn write(&mut self, admitted: Admitted) -> Result<(), DatasetError> {
        let Admitted {
            context,
            table,
            seen,
            points,
        } = admitted;
        let dir = measurement_dir(&context, &table.name);
        let parts = if self.options.partition_by.day {
            split_by_day(table)
                .into_iter()
                .map(|(day, part)| (dir.join(hive_segment("day", &day)), part))
                .collect()
        } else {
            vec![(dir, table)]
        };
        for (dir, part) in parts {
            self.write_part(dir, &part.batch, &seen)?;
        }
        self.bound_memory()?;
        self.points_written += points;
        Ok(())
    }

    fn write_part(
        &mut self,
        dir: PathBuf,
        batch: &RecordBatch,
        seen: &Columns,
    ) -> Result<(), DatasetError> {
        self.writes += 1;
        let columns = Columns::of(batch);
        if let Some(open) = self.open.get_mut(&dir) {
            if open.columns.covers(&columns) && open.file.rows() < self.options.max_rows_per_file {
                let conformed = open.conform(batch)?;
                // An IPC file's dictionaries are closed: new tag values start the next part file.
                if open.file.accepts(&conformed) {
                    open.last_write = self.writes;
                    return open.file.write(&conformed);
                }
            }
        }
        if let Some(open) = self.open.remove(&dir) {
            self.finished.push(open.file.finish()?);
        }
        if self.open.len() >= self.options.max_open_files {
            self.close_least_recent()?;
        }
        let part = self.create_part(&dir, seen)?;
        let open = self.open.entry(dir).or_insert(part);
        let conformed = open.conform(batch)?;
        open.file.write(&conformed)
    }

    fn create_part(&mut self, dir: &Path, columns: &Columns) -> Result<OpenPart, DatasetError> {
        let full_dir = self.root.join(dir);
        if !full_dir.is_dir() {
            fs::create_dir_all(&full_dir).map_err(|e| DatasetError::io(&full_dir, e))?;
            self.created_dirs.push(full_dir.clone());
        }
        let number = self.next_part.entry(dir.to_path_buf()).or_insert(0);
        let path = full_dir.join(format!(
            "part-{:05}.{}",
            *number,
            self.options.format.extension()
        ));
        *number += 1;
        let schema = columns.schema();
        let file = PartFile::create(path, &schema, self.options.format, self.options.compression)?;
        Ok(OpenPart {
            file,
            columns: columns.clone(),
            schema,
            last_write: self.writes,
        })
    }

    fn close_least_recent(&mut self) -> Result<(), DatasetError> {
        let oldest = self
            .open
            .iter()
            .min_by_key(|(_, open)| open.last_write)
            .map(|(dir, _)| dir.clone());
        if let Some(open) = oldest.and_then(|dir| self.open.remove(&dir)) {
            self.finished.push(open.file.finish()?);
        }
        Ok(())
    }

    /// Flushes the largest buffered row groups until the total is within the budget.
    fn bound_memory(&mut self) -> Result<(), DatasetError> {
        loop {
            let total: usize = self.open.values().map(|o| o.file.buffered_bytes()).sum();
            if total <= self.options.max_buffered_bytes {
                return Ok(());
            }
            let largest = self
                .open
                .values_mut()
                .max_by_key(|open| open.file.buffered_bytes())
                .expect("something is buffered");
            if largest.file.buffered_bytes() == 0 {
                return Ok(());
            }
            largest.file.flush()?;
        }
    }

    fn abandon(mut self) {
        self.open.clear(); // dropping a part file deletes its temporary file
        for file in self.finished.drain(..) {
            let _ = fs::remove_file(file);
        }
        for dir in self.created_dirs.drain(..).rev() {
            for empty in dir.ancestors().take_while(|d| *d != self.root) {
                if fs::remove_dir(empty).is_err() {
                    break;
                }
            }
        }
    }

    fn finish(mut self) -> Result<DatasetSummary, DatasetError> {
        let open: Vec<OpenPart> = self.open.drain().map(|(_, open)| open).collect();
        for part in open {
            self.finished.push(part.file.finish()?);
        }
        let mut files = std::mem::take(&mut self.finished);
        files.sort();
        Ok(DatasetSummary {
            files,
            points_written: self.points_written,
        })
    }
}

/// A completed dataset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatasetSummary {
    pub files: Vec<PathBuf>,
    pub points_written: usize,
}

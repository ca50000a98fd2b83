//! One part file being written: under a hidden temporary name (which dataset readers skip and
//! no glob for `*.parquet` matches) until it is complete, then renamed to its final name. A part
//! file dropped before `finish` is deleted, so an interrupted run never leaves a file that looks
//! whole.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, TimestampNanosecondType};
use arrow_array::{Array, ArrayRef, DictionaryArray, Int32Array, RecordBatch, StringArray};
use arrow_ipc::writer::FileWriter;
use arrow_schema::{DataType, FieldRef, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as ParquetCompression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::{Compression, DatasetError, Format};

/// Rows per Parquet row group: big enough for good compression, small enough that the row
/// group a writer buffers stays a few MiB per open file.
pub const ROW_GROUP_ROWS: usize = 256 * 1024;

/// RFC 3339 with nanoseconds, as InfluxDB prints times.
const CSV_TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.9fZ";

/// `batch` with its UTC time column labelled `+00:00`: the CSV encoder knows offsets, not zone
/// names (that would take a time zone database for one zone).
fn utc_as_offset(batch: &RecordBatch) -> RecordBatch {
    let time = batch
        .column(0)
        .as_primitive::<TimestampNanosecondType>()
        .clone()
        .with_timezone("+00:00");
    let mut fields: Vec<FieldRef> = batch.schema().fields().iter().cloned().collect();
    fields[0] = Arc::new(
        fields[0]
            .as_ref()
            .clone()
            .with_data_type(time.data_type().clone()),
    );
    let mut columns = batch.columns().to_vec();
    columns[0] = Arc::new(time);
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("same shape")
}

/// An open part file.
pub struct PartFile {
    temporary: PathBuf,
    path: PathBuf,
    sink: Option<Sink>,
    rows: usize,
}

enum Sink {
    Parquet(ArrowWriter<File>),
    Ipc(FileWriter<BufWriter<File>>, Dictionaries),
    Csv(arrow_csv::Writer<BufWriter<File>>),
}

impl PartFile {
    /// Creates `path`'s temporary file, ready for batches of `schema`.
    pub fn create(
        path: PathBuf,
        schema: &SchemaRef,
        format: Format,
        compression: Compression,
    ) -> Result<PartFile, DatasetError> {
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temporary = path.with_file_name(format!(".{name}.inprogress"));
        let file = File::create(&temporary).map_err(|e| DatasetError::io(&temporary, e))?;
        let failed = |e: &dyn std::fmt::Display| DatasetError::Write {
            path: temporary.clone(),
            message: e.to_string(),
        };
        let sink = match format {
            Format::Parquet => {
                let properties = WriterProperties::builder()
                    .set_compression(match compression {
                        Compression::Zstd => ParquetCompression::ZSTD(ZstdLevel::default()),
                        Compression::Snappy => ParquetCompression::SNAPPY,
                        Compression::None => ParquetCompression::UNCOMPRESSED,
                    })
                    .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                    .build();
                let writer = ArrowWriter::try_new(file, schema.clone(), Some(properties))
                    .map_err(|e| failed(&e))?;
                Sink::Parquet(writer)
            }
            Format::Ipc => {
                // The default options replace no dictionary and send no delta: a batch that
                // would need either is refused by the writer, never written half-readable.
                let writer =
                    FileWriter::try_new(BufWriter::new(file), schema).map_err(|e| failed(&e))?;
                Sink::Ipc(writer, Dictionaries::default())
            }
            Format::Csv => Sink::Csv(
                arrow_csv::WriterBuilder::new()
                    .with_timestamp_tz_format(CSV_TIME_FORMAT.to_string())
                    .build(BufWriter::new(file)),
            ),
        };
        Ok(PartFile {
            temporary,
            path,
            sink: Some(sink),
            rows: 0,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Bytes the writer holds in memory for the part not yet on disk (a Parquet row group).
    pub fn buffered_bytes(&self) -> usize {
        match &self.sink {
            Some(Sink::Parquet(writer)) => writer.memory_size(),
            _ => 0,
        }
    }

    /// Writes the buffered row group out now, to give its memory back.
    pub fn flush(&mut self) -> Result<(), DatasetError> {
        if let Some(Sink::Parquet(writer)) = &mut self.sink {
            writer.flush().map_err(|e| DatasetError::Write {
                path: self.temporary.clone(),
                message: e.to_string(),
            })?;
        }
        Ok(())
    }

    fn failed(&self, error: &dyn std::fmt::Display) -> DatasetError {
        DatasetError::Write {
            path: self.temporary.clone(),
            message: error.to_string(),
        }
    }

    /// Whether `batch` (of the file's schema) can go into this file. An IPC file's tag
    /// dictionaries are fixed by its first batch: polars and other readers refuse the delta
    /// dictionaries that would extend them, so a batch with a tag value the file has not seen
    /// goes to a new part file instead.
    pub fn accepts(&self, batch: &RecordBatch) -> bool {
        match &self.sink {
            Some(Sink::Ipc(_, dictionaries)) => self.rows == 0 || dictionaries.covers(batch),
            _ => true,
        }
    }

    /// Appends `batch`, which has the file's schema (and, for IPC, which the file `accepts`).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), DatasetError> {
        let result = match self.sink.as_mut().expect("an open part file") {
            Sink::Parquet(writer) => writer.write(batch).map_err(|e| e.to_string()),
            Sink::Ipc(writer, dictionaries) => {
                let batch = dictionaries.unify(batch);
                writer.write(&batch).map_err(|e| e.to_string())
            }
            Sink::Csv(writer) => writer
                .write(&utc_as_offset(batch))
                .map_err(|e| e.to_string()),
        };
        result.map_err(|e| self.failed(&e))?;
        self.rows += batch.num_rows();
        Ok(())
    }

    /// Completes the file and gives it its final name.
    pub fn finish(mut self) -> Result<PathBuf, DatasetError> {
        let result = match self.sink.take().expect("an open part file") {
            Sink::Parquet(writer) => writer.close().map(drop).map_err(|e| e.to_string()),
            Sink::Ipc(mut writer, _) => writer
                .finish()
                .map_err(|e| e.to_string())
                .and_then(|()| writer.get_mut().flush().map_err(|e| e.to_string())),
            Sink::Csv(writer) => writer.into_inner().flush().map_err(|e| e.to_string()),
        };
        result.map_err(|e| self.failed(&e))?;
        std::fs::rename(&self.temporary, &self.path)
            .map_err(|e| DatasetError::io(&self.path, e))?;
        Ok(std::mem::take(&mut self.path))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if self.sink.take().is_some() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// An IPC file holds one dictionary per tag column, the values of its first batch; each later
/// batch's keys are renumbered into it (`PartFile::accepts` keeps batches with other values out).
#[derive(Default)]
struct Dictionaries {
    /// By column index.
    columns: HashMap<usize, Dictionary>,
}

#[derive(Default)]
struct Dictionary {
    ids: HashMap<String, i32>,
    values: Vec<String>,
    /// The values as last handed to the writer, reused while nothing was added.
    array: Option<ArrayRef>,
}

impl Dictionaries {
    /// Whether every tag value of `batch` is in the file's dictionaries.
    fn covers(&self, batch: &RecordBatch) -> bool {
        batch
            .columns()
            .iter()
            .enumerate()
            .all(|(index, column)| match column.data_type() {
                DataType::Dictionary(_, _) => {
                    let values = column
                        .as_dictionary::<Int32Type>()
                        .values()
                        .as_string::<i32>();
                    let known = self.columns.get(&index);
                    values.iter().all(|value| {
                        known.is_some_and(|d| d.ids.contains_key(value.unwrap_or_default()))
                    })
                }
                _ => true,
            })
    }

    fn unify(&mut self, batch: &RecordBatch) -> RecordBatch {
        let columns: Vec<ArrayRef> = batch
            .columns()
            .iter()
            .enumerate()
            .map(|(index, column)| match column.data_type() {
                DataType::Dictionary(_, _) => {
                    let entry = self.columns.entry(index).or_default();
                    entry.renumber(column.as_dictionary::<Int32Type>())
                }
                _ => column.clone(),
            })
            .collect();
        RecordBatch::try_new(batch.schema(), columns).expect("same schema, same lengths")
    }
}

impl Dictionary {
    fn renumber(&mut self, column: &DictionaryArray<Int32Type>) -> ArrayRef {
        let local = column.values().as_string::<i32>();
        let before = self.values.len();
        let ids: Vec<i32> = local
            .iter()
            .map(|value| {
                let value = value.unwrap_or_default();
                match self.ids.get(value) {
                    Some(&id) => id,
                    None => {
                        let id = self.values.len() as i32;
                        self.ids.insert(value.to_string(), id);
                        self.values.push(value.to_string());
                        id
                    }
                }
            })
            .collect();
        if self.array.is_none() || self.values.len() != before {
            self.array = Some(Arc::new(StringArray::from_iter_values(&self.values)));
        }
        let keys: Int32Array = column
            .keys()
            .iter()
            .map(|key| key.map(|key| ids[key as usize]))
            .collect();
        let values = self.array.clone().expect("built above");
        Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values).expect("keys in range"))
    }
}

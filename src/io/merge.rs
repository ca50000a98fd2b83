//! Joins batches parsed from consecutive pieces of one input into the batch one pass over the
//! whole input gives: tables of a measurement concatenated in order, the union of their columns
//! in the table layout's order, tag dictionaries in order of first appearance, line numbers of
//! the whole input. Field types must already agree (see `parallel`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{builder::StringBuilder, StringArray};
use arrow_array::{new_null_array, Array, ArrayRef, DictionaryArray, Int32Array, RecordBatch};
use arrow_buffer::{NullBufferBuilder, ScalarBuffer};
use arrow_schema::{Field, Schema};
use hashbrown::HashMap;

use crate::columnar::{
    arrow_type_of, field_column_names, field_field, field_key_of, tag_field, time_field,
    ColumnRole, MeasurementTable, ParsedBatch,
};
use crate::line_protocol::FieldType;

/// The most bytes an Arrow `Utf8` column (32-bit offsets) holds.
const MAX_COLUMN_BYTES: usize = i32::MAX as usize;

/// Merges with fewer rows than this stay on the calling thread: a thread costs more.
const MIN_ROWS_PER_THREAD: usize = 1 << 16;

/// One piece's batch and the number of physical lines before the piece.
pub struct Piece {
    pub parsed: ParsedBatch,
    pub lines_before: usize,
}

/// The batch of all `pieces` in order, its columns built on up to `threads` threads (the
/// calling one included), or `None` when a column would outgrow Arrow's 32-bit offsets (one pass
/// would have refused lines there; the caller then parses in one pass).
pub fn merge(pieces: Vec<Piece>, threads: usize) -> Option<ParsedBatch> {
    merge_with(pieces, threads, MIN_ROWS_PER_THREAD)
}

/// [`merge`] with a thread for every `min_rows` rows rather than 65,536, so that tests
/// exercise the threads on small inputs.
pub fn merge_with(pieces: Vec<Piece>, threads: usize, min_rows: usize) -> Option<ParsedBatch> {
    let mut errors = Vec::new();
    let mut num_points = 0;
    let mut by_name: Vec<(String, Vec<(MeasurementTable, usize)>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for piece in pieces {
        num_points += piece.parsed.num_points;
        errors.extend(piece.parsed.errors.into_iter().map(|mut error| {
            error.line += piece.lines_before;
            error
        }));
        for table in piece.parsed.tables {
            let at = *index.entry(table.name.clone()).or_insert_with(|| {
                by_name.push((table.name.clone(), Vec::new()));
                by_name.len() - 1
            });
            by_name[at].1.push((table, piece.lines_before));
        }
    }
    let mut tables: Vec<Option<MeasurementTable>> = Vec::with_capacity(by_name.len());
    let mut plans = Vec::new();
    for (name, parts) in by_name {
        if parts.len() == 1 {
            // A measurement of one piece is kept as it is.
            let (table, by) = parts.into_iter().next().expect("one part");
            tables.push(Some(MeasurementTable {
                line_numbers: shifted(table.line_numbers, by),
                ..table
            }));
        } else {
            plans.push((tables.len(), Plan::new(name, parts)));
            tables.push(None);
        }
    }
    // Every column of every measurement is a job of its own, the largest first.
    let mut jobs: Vec<(usize, Job<'_>)> = plans
        .iter()
        .enumerate()
        .flat_map(|(at, (_, plan))| plan.jobs().map(move |job| (at, job)))
        .collect();
    jobs.sort_by_key(|(at, _)| std::cmp::Reverse(plans[*at].1.rows));
    let rows: usize = plans.iter().map(|(_, plan)| plan.rows).sum();
    let threads = threads.min(rows / min_rows.max(1)).max(1);
    let outputs = run_jobs(jobs.len(), threads, |k| {
        let (at, job) = jobs[k];
        plans[at].1.run(job)
    });
    let mut columns: Vec<Vec<Option<Output>>> = plans
        .iter()
        .map(|(_, plan)| (0..=plan.schema.fields().len()).map(|_| None).collect())
        .collect();
    for ((at, job), output) in jobs.iter().zip(outputs) {
        columns[*at][job.slot()] = Some(output);
    }
    for ((slot, plan), outputs) in plans.into_iter().zip(columns) {
        tables[slot] = Some(plan.finish(outputs)?);
    }
    Some(ParsedBatch {
        tables: tables
            .into_iter()
            .map(|t| t.expect("every table built"))
            .collect(),
        errors,
        num_points,
    })
}

/// Runs jobs `0..count` on up to `threads` scoped threads (the calling one included), each
/// taking the next job when done with one; the outputs in job order.
fn run_jobs<T: Send>(count: usize, threads: usize, job: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = threads.min(count).max(1);
    if threads == 1 {
        return (0..count).map(job).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= count {
                return done;
            }
            done.push((k, job(k)));
        }
    };
    let mut outputs: Vec<Option<T>> = (0..count).map(|_| None).collect();
    thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mine = work();
        for (k, output) in mine
            .into_iter()
            .chain(others.into_iter().flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }))
        {
            outputs[k] = Some(output);
        }
    });
    outputs
        .into_iter()
        .map(|output| output.expect("every job ran"))
        .collect()
}

/// The batch with its line numbers counted after `by` more lines.
pub fn shift_lines(mut parsed: ParsedBatch, by: usize) -> ParsedBatch {
    if by == 0 {
        return parsed;
    }
    for error in &mut parsed.errors {
        error.line += by;
    }
    for table in &mut parsed.tables {
        table.line_numbers = shifted(std::mem::take(&mut table.line_numbers), by);
    }
    parsed
}

fn shifted(mut line_numbers: Vec<u32>, by: usize) -> Vec<u32> {
    if by != 0 {
        line_numbers.iter_mut().for_each(|n| *n = shift(*n, by));
    }
    line_numbers
}

fn shift(line: u32, by: usize) -> u32 {
    u32::try_from(line as usize + by).unwrap_or(u32::MAX)
}

/// One column of a merged table to build.
#[derive(Clone, Copy)]
enum Job<'a> {
    Time,
    Tag(usize, &'a str),
    Field(usize, &'a str, FieldType),
    LineNumbers(usize),
}

impl Job<'_> {
    /// Where its output goes: the column's index; the line numbers come after the columns.
    fn slot(&self) -> usize {
        match self {
            Job::Time => 0,
            Job::Tag(at, _) | Job::Field(at, _, _) | Job::LineNumbers(at) => *at,
        }
    }
}

enum Output {
    /// `None`: the column would outgrow Arrow's offsets.
    Column(Option<ArrayRef>),
    LineNumbers(Vec<u32>),
}

/// The tables of one measurement to put one after the other, and the merged table's layout.
struct Plan {
    name: String,
    parts: Vec<(MeasurementTable, usize)>,
    tag_keys: Vec<String>,
    field_keys: Vec<(String, FieldType)>,
    schema: Schema,
    rows: usize,
}

impl Plan {
    fn new(name: String, parts: Vec<(MeasurementTable, usize)>) -> Plan {
        let mut tag_keys = BTreeSet::new();
        let mut field_keys: BTreeMap<String, FieldType> = BTreeMap::new();
        for (table, _) in &parts {
            for field in table.batch.schema().fields() {
                match ColumnRole::of(field) {
                    ColumnRole::Time => {}
                    ColumnRole::Tag => {
                        tag_keys.insert(field.name().clone());
                    }
                    ColumnRole::Field(field_type) => {
                        field_keys.insert(field_key_of(field).to_string(), field_type);
                    }
                }
            }
        }
        let tag_list: Vec<&str> = tag_keys.iter().map(String::as_str).collect();
        let field_list: Vec<&str> = field_keys.keys().map(String::as_str).collect();
        let field_names = field_column_names(&tag_list, &field_list);
        let mut schema: Vec<Field> = vec![time_field()];
        schema.extend(tag_list.iter().map(|key| tag_field(key)));
        schema.extend(
            field_list
                .iter()
                .zip(&field_names)
                .map(|(key, name)| field_field(name, key, field_keys[*key])),
        );
        let rows = parts.iter().map(|(t, _)| t.batch.num_rows()).sum();
        Plan {
            name,
            parts,
            tag_keys: tag_keys.into_iter().collect(),
            field_keys: field_keys.into_iter().collect(),
            schema: Schema::new(schema),
            rows,
        }
    }

    fn jobs(&self) -> impl Iterator<Item = Job<'_>> {
        let tags = self.tag_keys.len();
        let columns = self.schema.fields().len();
        std::iter::once(Job::Time)
            .chain(
                self.tag_keys
                    .iter()
                    .enumerate()
                    .map(|(k, key)| Job::Tag(1 + k, key.as_str())),
            )
            .chain(
                self.field_keys
                    .iter()
                    .enumerate()
                    .map(move |(k, (key, field_type))| {
                        Job::Field(1 + tags + k, key.as_str(), *field_type)
                    }),
            )
            .chain(std::iter::once(Job::LineNumbers(columns)))
    }

    fn run(&self, job: Job<'_>) -> Output {
        let parts = &self.parts;
        match job {
            Job::Time => {
                let times: Vec<&dyn Array> = parts
                    .iter()
                    .map(|(t, _)| t.batch.column(0).as_ref())
                    .collect();
                Output::Column(arrow_select::concat::concat(&times).ok())
            }
            Job::Tag(_, key) => {
                let pieces: Vec<(Option<&ArrayRef>, usize)> = parts
                    .iter()
                    .map(|(t, _)| (tag_column(t, key), t.batch.num_rows()))
                    .collect();
                Output::Column(concat_tags(&pieces))
            }
            Job::Field(_, key, field_type) => {
                let data_type = arrow_type_of(field_type);
                let arrays: Vec<ArrayRef> = parts
                    .iter()
                    .map(|(t, _)| {
                        field_column(t, key)
                            .cloned()
                            .unwrap_or_else(|| new_null_array(&data_type, t.batch.num_rows()))
                    })
                    .collect();
                let arrays: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
                // `concat` refuses a string column past its 32-bit offsets.
                Output::Column(arrow_select::concat::concat(&arrays).ok())
            }
            Job::LineNumbers(_) => {
                let mut line_numbers = Vec::with_capacity(self.rows);
                for (table, by) in parts {
                    line_numbers.extend(table.line_numbers.iter().map(|&n| shift(n, *by)));
                }
                Output::LineNumbers(line_numbers)
            }
        }
    }

    /// The merged table from its jobs' outputs, by slot.
    fn finish(self, outputs: Vec<Option<Output>>) -> Option<MeasurementTable> {
        let mut columns = Vec::with_capacity(self.schema.fields().len());
        let mut line_numbers = Vec::new();
        for output in outputs {
            match output.expect("every job ran") {
                Output::Column(column) => columns.push(column?),
                Output::LineNumbers(lines) => line_numbers = lines,
            }
        }
        let batch = RecordBatch::try_new(Arc::new(self.schema), columns)
            .expect("every column has one value per row, of its schema type");
        Some(MeasurementTable {
            name: self.name,
            batch,
            line_numbers,
        })
    }
}

fn tag_column<'a>(table: &'a MeasurementTable, key: &str) -> Option<&'a ArrayRef> {
    let schema = table.batch.schema_ref();
    let (at, field) = schema.column_with_name(key)?;
    (ColumnRole::of(field) == ColumnRole::Tag).then(|| table.batch.column(at))
}

fn field_column<'a>(table: &'a MeasurementTable, key: &str) -> Option<&'a ArrayRef> {
    let schema = table.batch.schema_ref();
    let at = schema.fields().iter().position(|field| {
        matches!(ColumnRole::of(field), ColumnRole::Field(_)) && field_key_of(field) == key
    })?;
    Some(table.batch.column(at))
}

/// One tag column from the pieces' columns (`None`: the piece has no such tag, all null), with
/// one dictionary holding each value once, in order of first appearance as one pass builds it.
fn concat_tags(pieces: &[(Option<&ArrayRef>, usize)]) -> Option<ArrayRef> {
    let rows: usize = pieces.iter().map(|(_, n)| n).sum();
    let mut keys: Vec<i32> = Vec::with_capacity(rows);
    // Allocates nothing while every row has a value.
    let mut nulls = NullBufferBuilder::new(rows);
    let mut values = StringBuilder::new();
    let mut value_bytes = 0usize;
    let mut seen: HashMap<String, i32> = HashMap::new();
    for (column, n) in pieces {
        let Some(column) = column else {
            keys.resize(keys.len() + n, 0);
            nulls.append_n_nulls(*n);
            continue;
        };
        let dictionary: &DictionaryArray<Int32Type> = column.as_dictionary();
        let dictionary_values: &StringArray = dictionary.values().as_string();
        let remap: Vec<i32> = dictionary_values
            .iter()
            .map(|value| {
                let value = value.unwrap_or_default();
                if let Some(&key) = seen.get(value) {
                    return Some(key);
                }
                value_bytes += value.len();
                if value_bytes > MAX_COLUMN_BYTES {
                    return None;
                }
                let key = i32::try_from(seen.len()).ok()?;
                seen.insert(value.to_string(), key);
                values.append_value(value);
                Some(key)
            })
            .collect::<Option<_>>()?;
        let piece_keys = dictionary.keys();
        match piece_keys
            .nulls()
            .filter(|piece_nulls| piece_nulls.null_count() > 0)
        {
            None => {
                keys.extend(piece_keys.values().iter().map(|&key| remap[key as usize]));
                nulls.append_n_non_nulls(*n);
            }
            Some(piece_nulls) => {
                // A null row's key is 0, whatever the piece held under it.
                keys.extend(
                    piece_keys
                        .values()
                        .iter()
                        .zip(piece_nulls.iter())
                        .map(|(&key, valid)| if valid { remap[key as usize] } else { 0 }),
                );
                nulls.append_buffer(piece_nulls);
            }
        }
    }
    let keys = Int32Array::new(ScalarBuffer::from(keys), nulls.finish());
    let values = values.finish();
    let dictionary = DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values))
        .expect("dictionary keys index their values");
    Some(Arc::new(dictionary))
}

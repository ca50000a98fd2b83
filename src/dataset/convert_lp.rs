//! `convert(..., format="lp")`: line protocol, InfluxDB exports and datasets written by
//! influxlp turned back into one line protocol file, an export when a source has databases.
//! Line protocol goes through the one reader (`crate::io`), a dataset's part files are read
//! batch by batch; both are written through the one serializer, so memory stays bounded.
//! A saved store's catalog becomes the `# DDL` section, its partitions the contexts.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::Instant;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::catalog::decode;
use super::convert::{ConvertProgress, ConvertResult};
use super::partition::parse_segment;
use super::tally::Tally;
use super::{ConvertError, DatasetError, CATALOG_FILE};
use crate::io::{
    read_batches, write_points, ExportWriter, PointsError, ReadItem, ReadOptions, Source,
};
use crate::line_protocol::ErrorKind;
use crate::store::database_ddl;

/// Rows per batch read from a part file.
const READ_BATCH_ROWS: usize = 64 * 1024;

fn points_error(path: &Path, error: PointsError) -> ConvertError {
    let message = match error {
        PointsError::Io(error) => return DatasetError::io(path, error).into(),
        PointsError::Serialize(error) => error.to_string(),
        PointsError::Arrow(error) => error.to_string(),
    };
    DatasetError::Write {
        path: path.to_path_buf(),
        message,
    }
    .into()
}

/// Converts `sources` into line protocol at `destination` (gzip when it ends in `.gz`). A
/// source that is a directory is a dataset; anything else is read as line protocol. The file
/// appears only when complete; `observe` sees the progress after every batch.
pub fn convert_to_line_protocol(
    sources: Vec<Source>,
    destination: &Path,
    read: &ReadOptions,
    overwrite: bool,
    observe: &mut dyn FnMut(&ConvertProgress) -> Result<(), String>,
) -> Result<ConvertResult, ConvertError> {
    let started = Instant::now();
    if !overwrite && destination.exists() {
        return Err(DatasetError::Destination(format!(
            "destination {} exists (overwrite to replace it)",
            destination.display()
        ))
        .into());
    }
    let mut writer =
        ExportWriter::create(destination).map_err(|e| DatasetError::io(destination, e))?;
    let mut run = Run {
        destination: destination.to_path_buf(),
        tally: Tally::default(),
        started,
    };
    for source in sources {
        match &source {
            Source::Path(path) if path.is_dir() => {
                run.dataset(path, &mut writer, observe)?;
            }
            _ => run.line_protocol(source, &mut writer, read, observe)?,
        }
    }
    writer
        .finish()
        .map_err(|e| DatasetError::io(destination, e))?;
    Ok(run
        .tally
        .finish(vec![destination.to_path_buf()], started, observe))
}

struct Run {
    destination: PathBuf,
    tally: Tally,
    started: Instant,
}

impl Run {
    fn line_protocol(
        &mut self,
        source: Source,
        writer: &mut ExportWriter,
        read: &ReadOptions,
        observe: &mut dyn FnMut(&ConvertProgress) -> Result<(), String>,
    ) -> Result<(), ConvertError> {
        let mut reader = read_batches(source, read)?;
        let name = reader.source_name().to_string();
        let before = self.tally.before();
        while let Some(item) = reader.next() {
            let batch = match item? {
                ReadItem::Ddl(statement) => {
                    writer
                        .ddl(&statement)
                        .map_err(|e| DatasetError::io(&self.destination, e))?;
                    continue;
                }
                ReadItem::Batch(batch) => batch,
            };
            let bad = batch.parsed.errors;
            self.tally.progress.points_dropped +=
                bad.iter().filter(|e| e.kind == ErrorKind::Rejected).count();
            self.tally
                .bad_lines(&name, bad, read.parse.stop_at_first_error)?;
            match &batch.database {
                Some(db) => writer
                    .context(db, batch.retention_policy.as_deref())
                    .map_err(|e| DatasetError::io(&self.destination, e))?,
                None if writer.has_context() => {
                    return Err(DatasetError::Invalid(format!(
                        "{name}: line protocol without a database after an export's context \
                         would be written into that context; convert it separately"
                    ))
                    .into())
                }
                None => {}
            }
            for table in batch.parsed.tables {
                let batches = std::iter::once(Ok(table.batch));
                self.tally.progress.points_written += write_points(writer, &table.name, batches)
                    .map_err(|e| points_error(&self.destination, e))?;
            }
            self.tally.read_so_far(&reader, before, self.started);
            self.tally.report(observe)?;
        }
        self.tally.read_so_far(&reader, before, self.started);
        Ok(())
    }

    fn dataset(
        &mut self,
        root: &Path,
        writer: &mut ExportWriter,
        observe: &mut dyn FnMut(&ConvertProgress) -> Result<(), String>,
    ) -> Result<(), ConvertError> {
        let catalog = root.join(CATALOG_FILE);
        if catalog.is_file() {
            let text = fs::read(&catalog).map_err(|e| DatasetError::io(&catalog, e))?;
            for database in decode(&text)? {
                for statement in database_ddl(&database.name, &database.policies) {
                    writer
                        .ddl(&statement)
                        .map_err(|e| DatasetError::io(&self.destination, e))?;
                }
            }
        }
        let mut parts = Vec::new();
        collect_parts(root, Segments::default(), &mut parts)?;
        if parts.is_empty() && !catalog.is_file() {
            return Err(DatasetError::Invalid(format!(
                "{} holds no Parquet dataset written by influxlp (no measurement=<m>/part-N.parquet)",
                root.display()
            ))
            .into());
        }
        for (path, segments) in parts {
            let Some(measurement) = &segments.measurement else {
                continue;
            };
            match &segments.database {
                Some(db) => writer
                    .context(db, segments.retention_policy.as_deref())
                    .map_err(|e| DatasetError::io(&self.destination, e))?,
                None if writer.has_context() => {
                    return Err(DatasetError::Invalid(format!(
                        "{}: a dataset without database partitions after an export's context \
                         would be written into that context; convert it separately",
                        path.display()
                    ))
                    .into())
                }
                None => {}
            }
            let failed = |e: &dyn std::fmt::Display| DatasetError::Write {
                path: path.clone(),
                message: e.to_string(),
            };
            let file = File::open(&path).map_err(|e| DatasetError::io(&path, e))?;
            self.tally.progress.bytes_read += file.metadata().map_or(0, |m| m.len());
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| failed(&e))?
                .with_batch_size(READ_BATCH_ROWS)
                .build()
                .map_err(|e| failed(&e))?;
            let written =
                write_points(writer, measurement, reader).map_err(|e| points_error(&path, e))?;
            self.tally.progress.points_written += written;
            self.tally.progress.lines += written as u64;
            self.tally.progress.elapsed = self.started.elapsed();
            self.tally.report(observe)?;
        }
        Ok(())
    }
}

/// The Hive partition values above a part file.
#[derive(Debug, Clone, Default)]
struct Segments {
    database: Option<String>,
    retention_policy: Option<String>,
    measurement: Option<String>,
}

/// Every complete Parquet part file under `dir`, depth first in sorted order, with its
/// partition values.
fn collect_parts(
    dir: &Path,
    segments: Segments,
    parts: &mut Vec<(PathBuf, Segments)>,
) -> Result<(), DatasetError> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| DatasetError::io(dir, e))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| DatasetError::io(dir, e))?;
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if path.is_dir() {
            let mut inner = segments.clone();
            if let Some(value) = parse_segment(&name, "database") {
                inner.database = Some(value);
            } else if let Some(value) = parse_segment(&name, "retention_policy") {
                inner.retention_policy = Some(value);
            } else if let Some(value) = parse_segment(&name, "measurement") {
                inner.measurement = Some(value);
            } else if !name.contains('=') {
                continue;
            }
            collect_parts(&path, inner, parts)?;
        } else if name.starts_with("part-") && name.ends_with(".parquet") {
            parts.push((path, segments.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::convert::{convert, ConvertOptions};
    use super::*;
    use crate::columnar::{parse_batch, ParseOptions};

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("influxlp-convert-lp-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn bytes(data: &[u8]) -> Source {
        Source::Bytes(bytes::Bytes::copy_from_slice(data))
    }

    fn to_lp(sources: Vec<Source>, destination: &Path) -> Result<ConvertResult, ConvertError> {
        convert_to_line_protocol(
            sources,
            destination,
            &ReadOptions::default(),
            false,
            &mut |_| Ok(()),
        )
    }

    const LINES: &[u8] = b"we\\ ird\\,m,t\\=k=v\\ 1,host=a f\\=1=1.25,n=3i,u=5u,ok=false,s=\"a \\\"b\\\" \\\\\" 10\n\
we\\ ird\\,m,host=b n=4i 20\n\
cpu usage=0.1 30\n";

    #[test]
    fn a_dataset_back_to_line_protocol_parses_to_the_same_tables() {
        let dir = scratch("dataset");
        let dataset = dir.join("ds");
        convert(
            vec![bytes(LINES)],
            &dataset,
            &ConvertOptions::default(),
            &mut |_| Ok(()),
        )
        .unwrap();
        let out = dir.join("back.lp");
        let result = to_lp(vec![Source::Path(dataset)], &out).unwrap();
        assert_eq!(
            (result.points_written, result.files),
            (3, vec![out.clone()])
        );
        let options = ParseOptions::default();
        let ours = parse_batch(&fs::read(&out).unwrap(), &options);
        let theirs = parse_batch(LINES, &options);
        assert!(ours.errors.is_empty(), "{:?}", ours.errors);
        let mut ours = ours.tables;
        let mut theirs = theirs.tables;
        ours.sort_by(|a, b| a.name.cmp(&b.name));
        theirs.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(ours.len(), theirs.len());
        for (ours, theirs) in ours.iter().zip(&theirs) {
            assert_eq!(ours.name, theirs.name);
            assert_eq!(ours.batch, theirs.batch);
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_export_keeps_its_ddl_and_contexts() {
        let dir = scratch("export");
        let out = dir.join("again.lp.gz");
        let export = b"# DDL\nCREATE DATABASE db WITH NAME rp\n# DML\n# CONTEXT-DATABASE:db\n\
# CONTEXT-RETENTION-POLICY:rp\nm v=1i 1\n";
        to_lp(vec![bytes(export)], &out).unwrap();
        let mut text = String::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(File::open(&out).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(
            text,
            "# DDL\nCREATE DATABASE db WITH NAME rp\n# DML\n# CONTEXT-DATABASE:db\n\
             # CONTEXT-RETENTION-POLICY:rp\nm v=1i 1\n"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refusals_leave_nothing() {
        let dir = scratch("refused");
        let out = dir.join("out.lp");
        let export = b"# DML\n# CONTEXT-DATABASE:db\nm v=1 1\n";
        let error = to_lp(vec![bytes(export), bytes(b"m v=2 2\n")], &out).unwrap_err();
        assert!(error.to_string().contains("without a database"), "{error}");
        let mut raise = ReadOptions::default();
        raise.parse.stop_at_first_error = true;
        let error = convert_to_line_protocol(
            vec![bytes(b"m v=1 1\nbad\n")],
            &out,
            &raise,
            false,
            &mut |_| Ok(()),
        )
        .unwrap_err();
        assert!(matches!(error, ConvertError::Line(_)), "{error}");
        let error = to_lp(vec![Source::Path(dir.clone())], &out).unwrap_err();
        assert!(
            error.to_string().contains("holds no Parquet dataset"),
            "{error}"
        );
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::write(&out, b"keep").unwrap();
        let error = to_lp(vec![bytes(b"m v=1 1\n")], &out).unwrap_err();
        assert!(error.to_string().contains("exists"), "{error}");
        assert_eq!(fs::read(&out).unwrap(), b"keep");
        fs::remove_dir_all(&dir).unwrap();
    }
}

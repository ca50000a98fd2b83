//! Writing InfluxDB's export format, the reverse of `export.rs`: a `# DDL` section of InfluxQL
//! statements, then `# DML` with `# CONTEXT-DATABASE:` / `# CONTEXT-RETENTION-POLICY:` before
//! the points of each context, as `influx -import` reads it. The file is gzip when its name ends
//! in `.gz`, and is written under a temporary name and renamed when complete, so that nothing
//! half-written looks like an export.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::export::DdlStatement;
use crate::serialize::{MeasurementSource, Plan, SerializeError, SerializeOptions, Serializer};
use crate::server::{quote_ident, PolicySpec};

/// Where the writer is in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Start,
    Ddl,
    Dml,
}

enum Output {
    Plain(BufWriter<File>),
    // Boxed: zlib-rs keeps its stream state inline, which would make every `Output` large.
    Gzip(Box<GzEncoder<BufWriter<File>>>),
}

impl Output {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Plain(out) => out,
            Output::Gzip(out) => out,
        }
    }
}

/// An export being written; dropped without `finish`, it removes its temporary file.
pub struct ExportWriter {
    output: Option<Output>,
    temporary: PathBuf,
    path: PathBuf,
    section: Section,
    /// The database and policy of the last context written.
    context: Option<(String, Option<String>)>,
}

/// Whether a database or policy name survives a context line: the importer reads the rest of
/// the line, trimmed.
fn context_name_error(what: &str, name: &str) -> Option<String> {
    if name.is_empty() || name.trim() != name || name.contains(['\n', '\r']) {
        return Some(format!(
            "the {what} name {name:?} cannot be written in an export (empty, a line break, or \
             spaces at either end)"
        ));
    }
    None
}

impl ExportWriter {
    /// Starts an export at `path` (gzip when the name ends in `.gz`).
    pub fn create(path: &Path) -> io::Result<ExportWriter> {
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
        let temporary = path.with_file_name(format!(".{name}.inprogress"));
        let file = BufWriter::with_capacity(1 << 20, File::create(&temporary)?);
        let output = if name.ends_with(".gz") {
            Output::Gzip(Box::new(GzEncoder::new(file, Compression::default())))
        } else {
            Output::Plain(file)
        };
        Ok(ExportWriter {
            output: Some(output),
            temporary,
            path: path.to_path_buf(),
            section: Section::Start,
            context: None,
        })
    }

    fn out(&mut self) -> &mut dyn Write {
        self.output
            .as_mut()
            .expect("the output is present until finished")
            .writer()
    }

    /// Writes a DDL statement, opening the `# DDL` section when needed.
    pub fn ddl(&mut self, statement: &DdlStatement) -> io::Result<()> {
        if self.section != Section::Ddl {
            self.out().write_all(b"# DDL\n")?;
            self.section = Section::Ddl;
        }
        let text = ddl_text(statement);
        let out = self.out();
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")
    }

    /// Makes the following lines belong to `database` (and `retention_policy`, else the
    /// database's default), opening the `# DML` section when needed; nothing is written when
    /// the context is the current one.
    pub fn context(&mut self, database: &str, retention_policy: Option<&str>) -> io::Result<()> {
        let names = [
            ("database", Some(database)),
            ("retention policy", retention_policy),
        ];
        for (what, name) in names {
            if let Some(message) = name.and_then(|name| context_name_error(what, name)) {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
            }
        }
        self.open_dml()?;
        let wanted = (database.to_string(), retention_policy.map(str::to_string));
        if self.context.as_ref() == Some(&wanted) {
            return Ok(());
        }
        let mut text = format!("# CONTEXT-DATABASE:{database}\n");
        if let Some(rp) = retention_policy {
            text.push_str(&format!("# CONTEXT-RETENTION-POLICY:{rp}\n"));
        }
        self.out().write_all(text.as_bytes())?;
        self.context = Some(wanted);
        Ok(())
    }

    /// Whether a context has been written: lines without one would fall into it.
    pub fn has_context(&self) -> bool {
        self.context.is_some()
    }

    fn open_dml(&mut self) -> io::Result<()> {
        if self.section == Section::Dml {
            return Ok(());
        }
        self.out().write_all(b"# DML\n")?;
        self.section = Section::Dml;
        Ok(())
    }

    /// Writes whole lines of line protocol (each ending in `\n`) in the current context. With
    /// no DDL and no context before them, the file is plain line protocol.
    pub fn lines(&mut self, text: &[u8]) -> io::Result<()> {
        if self.section == Section::Ddl {
            self.open_dml()?;
        }
        self.out().write_all(text)
    }

    /// Completes the file and gives it its name.
    pub fn finish(mut self) -> io::Result<PathBuf> {
        let file = match self.output.take().expect("finished once") {
            Output::Plain(out) => out,
            Output::Gzip(out) => out.finish()?,
        };
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        fs::rename(&self.temporary, &self.path)?;
        Ok(self.path.clone())
    }
}

/// Why points could not be written.
#[derive(Debug)]
pub enum PointsError {
    Io(io::Error),
    Serialize(SerializeError),
    /// A batch could not be read from its source.
    Arrow(ArrowError),
}

/// Lines formatted and written at a time, so that the text in memory stays bounded.
const CHUNK_ROWS: usize = 100_000;

/// Writes the rows of `batches` (influxlp tables of `measurement`, any schema each) as line
/// protocol through the serializer, a chunk at a time; the number of lines written.
pub fn write_points(
    writer: &mut ExportWriter,
    measurement: &str,
    batches: impl Iterator<Item = Result<RecordBatch, ArrowError>>,
) -> Result<usize, PointsError> {
    let options = SerializeOptions::new(MeasurementSource::Name(measurement.to_string()));
    let mut lines = 0;
    for batch in batches {
        let batch = batch.map_err(PointsError::Arrow)?;
        if batch.num_rows() == 0 {
            continue;
        }
        let plan = Plan::new(batch.schema().as_ref(), &options).map_err(PointsError::Serialize)?;
        let mut serializer = Serializer::new(
            plan,
            std::iter::once(Ok(batch)),
            NonZeroUsize::new(CHUNK_ROWS),
            None,
        );
        while let Some(chunk) = serializer.next_chunk() {
            let chunk = chunk.map_err(PointsError::Serialize)?;
            lines += chunk.counts.lines;
            for part in &chunk.parts {
                writer.lines(part).map_err(PointsError::Io)?;
            }
        }
    }
    Ok(lines)
}

impl Drop for ExportWriter {
    fn drop(&mut self) {
        if self.output.take().is_some() {
            let _ = fs::remove_file(&self.temporary);
        }
    }
}

/// A duration as an InfluxQL literal in the largest unit that holds it exactly; 0 is `INF`.
pub fn duration_literal(nanoseconds: i64) -> String {
    if nanoseconds == 0 {
        return "INF".to_string();
    }
    const UNITS: [(i64, &str); 7] = [
        (7 * 24 * 3_600_000_000_000, "w"),
        (24 * 3_600_000_000_000, "d"),
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "u"),
    ];
    for (size, unit) in UNITS {
        if nanoseconds % size == 0 {
            return format!("{}{unit}", nanoseconds / size);
        }
    }
    format!("{nanoseconds}ns")
}

/// The `DURATION`, `REPLICATION` and `SHARD DURATION` clauses of a policy, each when given.
fn policy_clauses(spec: &PolicySpec) -> String {
    let mut text = String::new();
    if let Some(duration) = spec.duration {
        text.push_str(&format!(" DURATION {}", duration_literal(duration)));
    }
    if let Some(replication) = spec.replication {
        text.push_str(&format!(" REPLICATION {replication}"));
    }
    if let Some(shard) = spec.shard_duration {
        text.push_str(&format!(" SHARD DURATION {}", duration_literal(shard)));
    }
    text
}

/// The InfluxQL text of a statement, which `export::ddl_statements` reads back.
pub fn ddl_text(statement: &DdlStatement) -> String {
    match statement {
        DdlStatement::CreateDatabase { name, policy } => {
            let mut text = format!("CREATE DATABASE {}", quote_ident(name));
            if let Some(spec) = policy {
                text.push_str(" WITH");
                text.push_str(&policy_clauses(spec));
                if let Some(rp) = &spec.name {
                    text.push_str(&format!(" NAME {}", quote_ident(rp)));
                }
            }
            text
        }
        DdlStatement::CreateRetentionPolicy {
            name,
            database,
            spec,
            default,
        } => {
            // InfluxQL requires both DURATION and REPLICATION here.
            let spec = PolicySpec {
                duration: Some(spec.duration.unwrap_or(0)),
                replication: Some(spec.replication.unwrap_or(1)),
                ..spec.clone()
            };
            let mut text = format!(
                "CREATE RETENTION POLICY {} ON {}{}",
                quote_ident(name),
                quote_ident(database),
                policy_clauses(&spec)
            );
            if *default {
                text.push_str(" DEFAULT");
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::export::{ddl_statements, directive, Directive};
    use super::*;
    use std::io::Read;

    fn scratch(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "influxlp-export-writer-{}-{name}",
            std::process::id()
        ))
    }

    #[test]
    fn statements_read_back_as_written() {
        let statements = [
            DdlStatement::CreateDatabase {
                name: "my \"db\"".into(),
                policy: Some(PolicySpec {
                    duration: Some(7 * 24 * 3_600_000_000_000),
                    replication: Some(1),
                    name: Some("week, or so".into()),
                    ..PolicySpec::default()
                }),
            },
            DdlStatement::CreateDatabase {
                name: "plain".into(),
                policy: None,
            },
            DdlStatement::CreateRetentionPolicy {
                name: "select".into(),
                database: "d\\b".into(),
                spec: PolicySpec {
                    duration: Some(0),
                    replication: Some(1),
                    shard_duration: Some(90 * 60_000_000_000),
                    name: None,
                },
                default: true,
            },
        ];
        for statement in statements {
            let text = ddl_text(&statement);
            assert_eq!(
                ddl_statements(text.as_bytes()).unwrap(),
                [statement],
                "{text}"
            );
        }
    }

    #[test]
    fn durations_in_the_largest_exact_unit() {
        assert_eq!(duration_literal(0), "INF");
        assert_eq!(duration_literal(14 * 24 * 3_600_000_000_000), "2w");
        assert_eq!(duration_literal(25 * 3_600_000_000_000), "25h");
        assert_eq!(duration_literal(1_500_000_000), "1500ms");
        assert_eq!(duration_literal(1_001), "1001ns");
    }

    #[test]
    fn sections_and_contexts_in_order_gzip_by_name() {
        for name in ["plain.lp", "packed.lp.gz"] {
            let path = scratch(name);
            let mut writer = ExportWriter::create(&path).unwrap();
            writer
                .ddl(&DdlStatement::CreateDatabase {
                    name: "db".into(),
                    policy: None,
                })
                .unwrap();
            writer.context("db", Some("autogen")).unwrap();
            writer.lines(b"m v=1 1\n").unwrap();
            writer.context("db", Some("autogen")).unwrap();
            writer.lines(b"m v=2 2\n").unwrap();
            writer.context("db", Some("week")).unwrap();
            writer.lines(b"m v=3 3\n").unwrap();
            assert!(!path.exists(), "renamed only when complete");
            writer.finish().unwrap();
            let mut text = String::new();
            let file = File::open(&path).unwrap();
            if name.ends_with(".gz") {
                flate2::read::GzDecoder::new(file)
                    .read_to_string(&mut text)
                    .unwrap();
            } else {
                std::io::BufReader::new(file)
                    .read_to_string(&mut text)
                    .unwrap();
            }
            assert_eq!(
                text,
                "# DDL\nCREATE DATABASE db\n# DML\n# CONTEXT-DATABASE:db\n\
                 # CONTEXT-RETENTION-POLICY:autogen\nm v=1 1\nm v=2 2\n\
                 # CONTEXT-DATABASE:db\n# CONTEXT-RETENTION-POLICY:week\nm v=3 3\n"
            );
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(directive(lines[2].as_bytes()), Some(Ok(Directive::Dml)));
            fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn an_unfinished_export_leaves_nothing() {
        let path = scratch("dropped.lp");
        let mut writer = ExportWriter::create(&path).unwrap();
        writer.lines(b"m v=1 1\n").unwrap();
        let temporary = writer.temporary.clone();
        assert!(temporary.exists());
        drop(writer);
        assert!(!temporary.exists() && !path.exists());
    }

    #[test]
    fn names_a_context_line_cannot_hold_are_refused() {
        let path = scratch("names.lp");
        let mut writer = ExportWriter::create(&path).unwrap();
        for (db, rp) in [("a\nb", Some("rp")), ("db", Some(" rp")), ("", None)] {
            let error = writer.context(db, rp).unwrap_err();
            assert!(error.to_string().contains("cannot be written"), "{error}");
        }
    }
}

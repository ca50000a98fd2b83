//! Directory → `Store`: the catalog's databases and policies recreated exactly, then every
//! measurement's part files written into the policy they were saved from.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::catalog::decode;
use super::partition::parse_segment;
use super::{DatasetError, CATALOG_FILE};
use crate::columnar::MeasurementTable;
use crate::line_protocol::Rejection;
use crate::store::{Store, WriteOptions};

/// Rows per batch read from a part file.
const READ_BATCH_ROWS: usize = 64 * 1024;

/// The subdirectories of `dir` named `key=<value>`, with their decoded values, sorted.
fn partitions(dir: &Path, key: &str) -> Result<Vec<(String, PathBuf)>, DatasetError> {
    let mut found = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(error) => return Err(DatasetError::io(dir, error)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| DatasetError::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(value) = parse_segment(&name, key) {
            if entry.path().is_dir() {
                found.push((value, entry.path()));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The complete Parquet part files in `dir`, sorted.
fn part_files(dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| DatasetError::io(dir, e))? {
        let path = entry.map_err(|e| DatasetError::io(dir, e))?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with("part-") && name.ends_with(".parquet") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_part(path: &Path, measurement: &str) -> Result<Vec<MeasurementTable>, DatasetError> {
    let failed = |e: &dyn std::fmt::Display| DatasetError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let file = File::open(path).map_err(|e| DatasetError::io(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| failed(&e))?
        .with_batch_size(READ_BATCH_ROWS)
        .build()
        .map_err(|e| failed(&e))?;
    reader
        .map(|batch| {
            Ok(MeasurementTable {
                name: measurement.to_string(),
                batch: batch.map_err(|e| failed(&e))?,
                line_numbers: Vec::new(),
            })
        })
        .collect()
}

/// A store with what `save_store` wrote into `root`.
pub fn load_store(root: &Path, store: Store) -> Result<Store, DatasetError> {
    let catalog_path = root.join(CATALOG_FILE);
    let text = fs::read(&catalog_path).map_err(|e| DatasetError::io(&catalog_path, e))?;
    let databases = decode(&text)?;
    let invalid = |e: crate::store::StoreError| DatasetError::Invalid(e.to_string());
    for database in &databases {
        store
            .restore_database(&database.name, &database.policies)
            .map_err(invalid)?;
    }
    for (db, db_dir) in partitions(root, "database")? {
        for (rp, rp_dir) in partitions(&db_dir, "retention_policy")? {
            for (measurement, dir) in partitions(&rp_dir, "measurement")? {
                let options = WriteOptions {
                    db: db.clone(),
                    rp: Some(rp.clone()),
                    create_database: false,
                    ..WriteOptions::default()
                };
                for file in part_files(&dir)? {
                    let tables = read_part(&file, &measurement)?;
                    let result = store
                        .write_tables(tables, &options)
                        .map_err(|e| DatasetError::Invalid(format!("{}: {e}", file.display())))?;
                    if let Some(error) = result.errors.iter().find(|e| {
                        !matches!(
                            e.rejection.as_deref(),
                            Some(Rejection::BeyondRetention { .. })
                        )
                    }) {
                        return Err(DatasetError::Invalid(format!(
                            "{}: {}",
                            file.display(),
                            error.message
                        )));
                    }
                }
            }
        }
    }
    Ok(store)
}

//! `Store` → directory: every measurement of every retention policy as a Parquet dataset
//! (`database=/retention_policy=/measurement=` partitions) plus the catalog file. The new copy
//! is written beside the directory and swapped in when complete, so a save that fails or is
//! interrupted leaves the previous one as it was.

use std::fs;
use std::path::{Path, PathBuf};

use super::catalog::{encode, SavedDatabase};
use super::{Context, DatasetError, DatasetOptions, DatasetSummary, DatasetWriter, CATALOG_FILE};
use crate::store::{Store, TableQuery};

/// A sibling of `root` named after it, hidden: `.<name>.<suffix>`.
fn sibling(root: &Path, suffix: &str) -> PathBuf {
    let name = root
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "store".into());
    root.with_file_name(format!(".{name}.{suffix}"))
}

/// Refuses to replace a directory that holds something other than a saved store.
fn check_replaceable(root: &Path) -> Result<bool, DatasetError> {
    match fs::metadata(root) {
        Ok(metadata) if !metadata.is_dir() => Err(DatasetError::Destination(format!(
            "{} exists and is not a directory",
            root.display()
        ))),
        Ok(_) => {
            let empty = fs::read_dir(root)
                .map_err(|e| DatasetError::io(root, e))?
                .next()
                .is_none();
            if !empty && !root.join(CATALOG_FILE).is_file() {
                return Err(DatasetError::Destination(format!(
                    "{} is not empty and holds no saved store ({CATALOG_FILE})",
                    root.display()
                )));
            }
            Ok(true)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(DatasetError::io(root, error)),
    }
}

/// Saves `store` into `root`, replacing a store saved there before.
pub fn save_store(store: &Store, root: &Path) -> Result<DatasetSummary, DatasetError> {
    let exists = check_replaceable(root)?;
    if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| DatasetError::io(parent, e))?;
    }
    let staging = sibling(root, "saving");
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| DatasetError::io(&staging, e))?;
    }
    let summary = write_store(store, &staging).inspect_err(|_| {
        let _ = fs::remove_dir_all(&staging);
    })?;
    let previous = sibling(root, "previous");
    if exists {
        if previous.exists() {
            fs::remove_dir_all(&previous).map_err(|e| DatasetError::io(&previous, e))?;
        }
        fs::rename(root, &previous).map_err(|e| DatasetError::io(root, e))?;
    }
    fs::rename(&staging, root).map_err(|e| DatasetError::io(root, e))?;
    if exists {
        fs::remove_dir_all(&previous).map_err(|e| DatasetError::io(&previous, e))?;
    }
    let files = summary
        .files
        .iter()
        .map(|file| root.join(file.strip_prefix(&staging).unwrap_or(file)))
        .collect();
    Ok(DatasetSummary { files, ..summary })
}

fn store_error(error: crate::store::StoreError) -> DatasetError {
    DatasetError::Invalid(error.to_string())
}

fn write_store(store: &Store, root: &Path) -> Result<DatasetSummary, DatasetError> {
    let mut writer = DatasetWriter::create(root, DatasetOptions::default())?;
    let mut databases = Vec::new();
    for db in store.databases() {
        let policies = store.retention_policies(&db).map_err(store_error)?;
        for policy in &policies {
            let context = Context {
                database: Some(db.clone()),
                retention_policy: Some(policy.name.clone()),
            };
            let names = store
                .measurements(&db, Some(&policy.name))
                .map_err(store_error)?;
            for measurement in names {
                let query = TableQuery {
                    measurement,
                    db: db.clone(),
                    rp: Some(policy.name.clone()),
                    ..TableQuery::default()
                };
                if let Some(table) = store.table(&query).map_err(store_error)? {
                    writer.write(&context, table)?;
                }
            }
        }
        databases.push(SavedDatabase { name: db, policies });
    }
    let summary = writer.finish()?;
    let catalog = root.join(CATALOG_FILE);
    fs::write(&catalog, encode(&databases)).map_err(|e| DatasetError::io(&catalog, e))?;
    Ok(summary)
}

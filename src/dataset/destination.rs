//! The directory a dataset is written into: created when missing, refused when it is a file or
//! holds anything unless overwriting, and emptied of an earlier dataset when overwriting.

use std::fs;
use std::path::Path;

use super::DatasetError;

/// Whether a directory entry is part of a dataset written here: a `key=value` partition
/// directory, the catalog file, or a part file left half-written by an interrupted run.
fn is_dataset_entry(name: &str) -> bool {
    name.contains('=') || name == super::CATALOG_FILE || name.ends_with(".inprogress")
}

/// Makes `root` ready for a new dataset. With `overwrite`, an earlier dataset there (partition
/// directories, catalog) is removed; other files are left alone.
pub fn prepare_destination(root: &Path, overwrite: bool) -> Result<(), DatasetError> {
    match fs::metadata(root) {
        Ok(metadata) if !metadata.is_dir() => {
            return Err(DatasetError::Destination(format!(
                "destination {} exists and is not a directory",
                root.display()
            )));
        }
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return fs::create_dir_all(root).map_err(|e| DatasetError::io(root, e));
        }
        Err(error) => return Err(DatasetError::io(root, error)),
    }
    let entries: Vec<fs::DirEntry> = fs::read_dir(root)
        .map_err(|e| DatasetError::io(root, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| DatasetError::io(root, e))?;
    if entries.is_empty() {
        return Ok(());
    }
    if !overwrite {
        return Err(DatasetError::Destination(format!(
            "destination {} is not empty (overwrite to replace the dataset in it)",
            root.display()
        )));
    }
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_dataset_entry(&name) {
            continue;
        }
        let path = entry.path();
        let removed = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(|e| DatasetError::io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "influxlp-destination-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn missing_is_created_empty_is_fine() {
        let root = scratch("missing").join("nested");
        prepare_destination(&root, false).unwrap();
        assert!(root.is_dir());
        prepare_destination(&root, false).unwrap();
        fs::remove_dir_all(root.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_file_is_refused_even_with_overwrite() {
        let root = scratch("file");
        fs::write(&root, b"x").unwrap();
        for overwrite in [false, true] {
            let error = prepare_destination(&root, overwrite)
                .unwrap_err()
                .to_string();
            assert!(error.contains("is not a directory"), "{error}");
        }
        fs::remove_file(&root).unwrap();
    }

    #[test]
    fn not_empty_is_refused_unless_overwriting_which_removes_only_the_dataset() {
        let root = scratch("full");
        fs::create_dir_all(root.join("measurement=cpu")).unwrap();
        fs::write(root.join("measurement=cpu/part-00000.parquet"), b"x").unwrap();
        fs::write(root.join("notes.txt"), b"keep").unwrap();
        let error = prepare_destination(&root, false).unwrap_err().to_string();
        assert!(error.contains("is not empty"), "{error}");
        prepare_destination(&root, true).unwrap();
        assert!(!root.join("measurement=cpu").exists());
        assert!(root.join("notes.txt").exists());
        fs::remove_dir_all(&root).unwrap();
    }
}

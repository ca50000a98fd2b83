//! The file formats a dataset can be written in, and their compression.

use std::fmt;
use std::str::FromStr;

/// A dataset's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Parquet,
    /// Arrow IPC file format (Feather v2).
    Ipc,
    Csv,
}

impl Format {
    /// The file name extension of a part file.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Ipc => "arrow",
            Format::Csv => "csv",
        }
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "parquet" => Ok(Format::Parquet),
            "ipc" | "arrow" | "feather" => Ok(Format::Ipc),
            "csv" => Ok(Format::Csv),
            _ => Err(format!("unknown format {name:?} (use parquet, ipc or csv)")),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Parquet => "parquet",
            Format::Ipc => "ipc",
            Format::Csv => "csv",
        })
    }
}

/// How Parquet pages are compressed (IPC and CSV files are written uncompressed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    #[default]
    Zstd,
    Snappy,
    None,
}

impl FromStr for Compression {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "zstd" => Ok(Compression::Zstd),
            "snappy" => Ok(Compression::Snappy),
            "none" | "uncompressed" => Ok(Compression::None),
            _ => Err(format!(
                "unknown compression {name:?} (use zstd, snappy or none)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for format in [Format::Parquet, Format::Ipc, Format::Csv] {
            assert_eq!(format.to_string().parse::<Format>(), Ok(format));
        }
        assert_eq!("feather".parse::<Format>(), Ok(Format::Ipc));
        assert!("orc"
            .parse::<Format>()
            .unwrap_err()
            .contains("parquet, ipc or csv"));
        assert_eq!("snappy".parse::<Compression>(), Ok(Compression::Snappy));
        assert_eq!("none".parse::<Compression>(), Ok(Compression::None));
        assert!("lz4".parse::<Compression>().is_err());
    }
}

//! Which InfluxDB product the server imitates: statuses, headers and bodies follow the flavor.

use std::fmt;
use std::str::FromStr;

pub mod headers;
pub mod routes;

/// The InfluxDB product a server reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Flavor {
    /// InfluxDB OSS 1.10/1.11 (`{"error": ...}` bodies, partial writes, no auto-create).
    #[default]
    V1,
    /// InfluxDB OSS 2.x (`{"code","message"}` bodies, whole-body rejection on a bad line).
    V2,
    /// InfluxDB 3 Core (`/api/v3/write_lp`, databases created on first write).
    V3,
    /// InfluxDB Cloud (TSM) / Cloud Serverless as their API documents them.
    Cloud,
}

impl Flavor {
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::V1 => "v1",
            Flavor::V2 => "v2",
            Flavor::V3 => "v3",
            Flavor::Cloud => "cloud",
        }
    }

    /// The version the flavor reports when none is configured.
    pub fn default_version(self) -> &'static str {
        match self {
            Flavor::V1 => "1.11.8",
            Flavor::V2 => "v2.7.12",
            Flavor::V3 => "3.0.0",
            Flavor::Cloud => "cloud2",
        }
    }

    /// `X-Influxdb-Build`.
    pub fn build(self) -> &'static str {
        match self {
            Flavor::V1 | Flavor::V2 => "OSS",
            Flavor::V3 => "Core",
            Flavor::Cloud => "Cloud",
        }
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Flavor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "v1" | "1" | "1.x" => Ok(Flavor::V1),
            "v2" | "2" | "2.x" => Ok(Flavor::V2),
            "v3" | "3" | "3.x" => Ok(Flavor::V3),
            "cloud" => Ok(Flavor::Cloud),
            _ => Err(format!("unknown flavor {s:?} (use v1, v2, v3 or cloud)")),
        }
    }
}

//! The catalog file of a saved store: its databases with their retention policies, durations
//! and defaults, as JSON (`CATALOG_FILE`), so that a load recreates them exactly (empty ones
//! included, which the data files alone cannot show).

use serde_json::{json, Value};

use super::DatasetError;
use crate::store::RetentionPolicyInfo;

/// What the `format` key of the file holds.
const FORMAT_NAME: &str = "influxlp-store";
const VERSION: u64 = 1;

/// A database and its policies, in creation order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedDatabase {
    pub name: String,
    pub policies: Vec<RetentionPolicyInfo>,
}

pub fn encode(databases: &[SavedDatabase]) -> String {
    let databases: Vec<Value> = databases
        .iter()
        .map(|database| {
            let policies: Vec<Value> = database
                .policies
                .iter()
                .map(|policy| {
                    json!({
                        "name": policy.name,
                        "duration_ns": policy.duration_ns,
                        "default": policy.default,
                    })
                })
                .collect();
            json!({"name": database.name, "retention_policies": policies})
        })
        .collect();
    let catalog = json!({"format": FORMAT_NAME, "version": VERSION, "databases": databases});
    serde_json::to_string_pretty(&catalog).expect("JSON values serialize")
}

fn invalid(message: impl std::fmt::Display) -> DatasetError {
    DatasetError::Invalid(format!("store catalog: {message}"))
}

pub fn decode(text: &[u8]) -> Result<Vec<SavedDatabase>, DatasetError> {
    let catalog: Value = serde_json::from_slice(text).map_err(invalid)?;
    if catalog.get("format").and_then(Value::as_str) != Some(FORMAT_NAME) {
        return Err(invalid(format!("not an {FORMAT_NAME} catalog")));
    }
    if catalog.get("version").and_then(Value::as_u64) != Some(VERSION) {
        return Err(invalid(format!("only version {VERSION} is understood")));
    }
    let databases = catalog
        .get("databases")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("no list of databases"))?;
    databases.iter().map(decode_database).collect()
}

fn decode_database(database: &Value) -> Result<SavedDatabase, DatasetError> {
    let name = database
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("a database without a name"))?;
    let policies = database
        .get("retention_policies")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid(format!("database {name:?} lists no retention policies")))?;
    let policies = policies
        .iter()
        .map(|policy| {
            let bad = || invalid(format!("database {name:?}: a malformed retention policy"));
            let duration_ns = match policy.get("duration_ns") {
                None | Some(Value::Null) => None,
                Some(value) => Some(value.as_i64().ok_or_else(bad)?),
            };
            Ok(RetentionPolicyInfo {
                name: policy
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(bad)?
                    .to_string(),
                duration_ns,
                default: policy
                    .get("default")
                    .and_then(Value::as_bool)
                    .ok_or_else(bad)?,
            })
        })
        .collect::<Result<Vec<_>, DatasetError>>()?;
    Ok(SavedDatabase {
        name: name.to_string(),
        policies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let databases = vec![SavedDatabase {
            name: "db \"x\"".into(),
            policies: vec![
                RetentionPolicyInfo {
                    name: "autogen".into(),
                    duration_ns: None,
                    default: false,
                },
                RetentionPolicyInfo {
                    name: "week".into(),
                    duration_ns: Some(604_800_000_000_000),
                    default: true,
                },
            ],
        }];
        assert_eq!(decode(encode(&databases).as_bytes()).unwrap(), databases);
    }

    #[test]
    fn malformed_catalogs_are_refused_with_a_reason() {
        for (text, reason) in [
            ("", "EOF"),
            ("[]", "not an influxlp-store catalog"),
            (r#"{"format":"influxlp-store","version":2}"#, "version 1"),
            (
                r#"{"format":"influxlp-store","version":1}"#,
                "no list of databases",
            ),
            (
                r#"{"format":"influxlp-store","version":1,"databases":[{"name":"d","retention_policies":[{"name":"a","duration_ns":"1h","default":true}]}]}"#,
                "malformed retention policy",
            ),
        ] {
            let error = decode(text.as_bytes()).unwrap_err().to_string();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }
}

//! The request's `extern`: a Flux AST in JSON (`File` → `body`), which influxdb-client fills
//! with `option name = <literal>` statements for a query's `params` (and the profiler option).
//! Its variable assignments become statements run before the script.

use serde_json::Value as Json;

use super::ast::{Expr, Statement, UnaryOp};
use super::error::{FluxError, FluxResult};
use crate::server::query::parse_time_string;

const NS_PER_UNIT: &[(&str, i64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
    ("w", 604_800_000_000_000),
];

pub fn statements(file: &Json) -> FluxResult<Vec<Statement>> {
    let Some(body) = file.get("body").and_then(Json::as_array) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for statement in body {
        let assignment = match kind(statement) {
            "OptionStatement" => statement.get("assignment").unwrap_or(&Json::Null),
            "VariableAssignment" => statement,
            other => return Err(FluxError::unsupported(format!("an extern {other}"))),
        };
        // `option profiler.enabledProfilers = […]` asks for profiler tables, which are not made.
        if kind(assignment) != "VariableAssignment" {
            continue;
        }
        let name = assignment
            .get("id")
            .and_then(|id| id.get("name"))
            .and_then(Json::as_str)
            .ok_or_else(|| FluxError::Request("extern assignment without a name".into()))?;
        let value = expression(assignment.get("init").unwrap_or(&Json::Null), 0)?;
        out.push(Statement::Assign {
            name: name.to_string(),
            value,
        });
    }
    Ok(out)
}

fn kind(node: &Json) -> &str {
    node.get("type").and_then(Json::as_str).unwrap_or("")
}

fn expression(node: &Json, depth: usize) -> FluxResult<Expr> {
    if depth > 32 {
        return Err(FluxError::Request("extern is nested too deeply".into()));
    }
    let bad = |what: &str| FluxError::Request(format!("invalid extern {what}"));
    let value = node.get("value");
    Ok(match kind(node) {
        "StringLiteral" => Expr::Str(
            value
                .and_then(Json::as_str)
                .ok_or_else(|| bad("string"))?
                .into(),
        ),
        "BooleanLiteral" => Expr::Ident(
            if value
                .and_then(Json::as_bool)
                .ok_or_else(|| bad("boolean"))?
            {
                "true"
            } else {
                "false"
            }
            .into(),
        ),
        "IntegerLiteral" => Expr::Int(match value {
            Some(Json::String(text)) => text.parse().map_err(|_| bad("integer"))?,
            Some(number) => number.as_i64().ok_or_else(|| bad("integer"))?,
            None => return Err(bad("integer")),
        }),
        "FloatLiteral" => Expr::Float(value.and_then(Json::as_f64).ok_or_else(|| bad("float"))?),
        "DateTimeLiteral" => Expr::Time(
            value
                .and_then(Json::as_str)
                .and_then(parse_time_string)
                .ok_or_else(|| bad("date-time"))?,
        ),
        "DurationLiteral" => duration(node)?,
        "UnaryExpression" => {
            let operand = expression(node.get("argument").unwrap_or(&Json::Null), depth + 1)?;
            match node.get("operator").and_then(Json::as_str) {
                Some("-") => match operand {
                    Expr::Duration(d) => Expr::Duration(-d),
                    Expr::Months(m) => Expr::Months(-m),
                    Expr::Int(i) => Expr::Int(-i),
                    Expr::Float(f) => Expr::Float(-f),
                    other => Expr::Unary(UnaryOp::Neg, Box::new(other)),
                },
                Some("+") => operand,
                _ => return Err(bad("unary operator")),
            }
        }
        "CallExpression" => {
            let callee = expression(node.get("callee").unwrap_or(&Json::Null), depth + 1)?;
            Expr::Call(Box::new(callee), Vec::new())
        }
        "Identifier" => Expr::Ident(
            node.get("name")
                .and_then(Json::as_str)
                .ok_or_else(|| bad("identifier"))?
                .into(),
        ),
        "ArrayExpression" => Expr::Array(
            node.get("elements")
                .and_then(Json::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|e| expression(e, depth + 1))
                .collect::<FluxResult<_>>()?,
        ),
        other => return Err(FluxError::unsupported(format!("an extern {other}"))),
    })
}

/// `{"values": [{"magnitude": 1, "unit": "d"}, …]}`
fn duration(node: &Json) -> FluxResult<Expr> {
    let bad = || FluxError::Request("invalid extern duration".into());
    let mut total: i64 = 0;
    let mut months: i64 = 0;
    for part in node
        .get("values")
        .and_then(Json::as_array)
        .ok_or_else(bad)?
    {
        let magnitude = part
            .get("magnitude")
            .and_then(Json::as_i64)
            .ok_or_else(bad)?;
        let unit = part.get("unit").and_then(Json::as_str).ok_or_else(bad)?;
        match unit {
            "mo" | "y" => {
                let per = if unit == "y" { 12 } else { 1 };
                months = magnitude
                    .checked_mul(per)
                    .and_then(|m| months.checked_add(m))
                    .ok_or_else(bad)?;
            }
            _ => {
                let scale = NS_PER_UNIT
                    .iter()
                    .find(|(name, _)| *name == unit)
                    .map(|(_, scale)| *scale)
                    .ok_or_else(bad)?;
                total = magnitude
                    .checked_mul(scale)
                    .and_then(|d| total.checked_add(d))
                    .ok_or_else(bad)?;
            }
        }
    }
    match (months, total) {
        (0, total) => Ok(Expr::Duration(total)),
        (months, 0) => Ok(Expr::Months(months)),
        _ => Err(FluxError::unsupported(
            "a duration mixing calendar (mo, y) and fixed units",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_as_influxdb_client_sends_them() {
        let extern_file: Json = serde_json::from_str(
            r#"{"type":"File","imports":[{"type":"ImportDeclaration","path":{"type":"StringLiteral","value":"profiler"}}],
            "body":[
              {"type":"OptionStatement","assignment":{"type":"MemberAssignment","member":{"type":"MemberExpression","object":{"type":"Identifier","name":"profiler"},"property":{"type":"Identifier","name":"enabledProfilers"}},"init":{"type":"ArrayExpression","elements":[]}}},
              {"type":"OptionStatement","assignment":{"type":"VariableAssignment","id":{"type":"Identifier","name":"bucketParam"},"init":{"type":"StringLiteral","value":"my-bucket"}}},
              {"type":"OptionStatement","assignment":{"type":"VariableAssignment","id":{"type":"Identifier","name":"n"},"init":{"type":"IntegerLiteral","value":"2"}}},
              {"type":"OptionStatement","assignment":{"type":"VariableAssignment","id":{"type":"Identifier","name":"start"},"init":{"type":"UnaryExpression","operator":"-","argument":{"type":"DurationLiteral","values":[{"magnitude":30,"unit":"d"}]}}}},
              {"type":"OptionStatement","assignment":{"type":"VariableAssignment","id":{"type":"Identifier","name":"stop"},"init":{"type":"CallExpression","callee":{"type":"Identifier","name":"now"}}}},
              {"type":"OptionStatement","assignment":{"type":"VariableAssignment","id":{"type":"Identifier","name":"at"},"init":{"type":"DateTimeLiteral","value":"2021-03-20T15:59:10.607352000Z"}}}
            ]}"#,
        )
        .unwrap();
        let parsed = statements(&extern_file).unwrap();
        assert_eq!(parsed.len(), 5);
        assert_eq!(
            parsed[0],
            Statement::Assign {
                name: "bucketParam".into(),
                value: Expr::Str("my-bucket".into())
            }
        );
        assert!(
            matches!(&parsed[2], Statement::Assign { value: Expr::Duration(d), .. } if *d == -30 * 86_400_000_000_000)
        );
        let bad: Json =
            serde_json::from_str(r#"{"body":[{"type":"ExpressionStatement"}]}"#).unwrap();
        assert!(statements(&bad).is_err());
    }
}

//! InfluxDB 2.x's delete predicate (`predicate/parser.go`): tag comparisons `key = value` or
//! `key != value` joined by `AND`, with parentheses, read with InfluxQL's scanner — so a
//! double-quoted `"value"` is an identifier, the form the docs use, and a single-quoted one is a
//! string, which 2.x refuses as a tag value. `OR`, regular expressions and other operators are
//! refused with 2.x's messages and positions (0-based characters). The parser keeps 2.x's
//! quirks where they decide what is deleted: two comparisons without `AND` are refused when the
//! predicate is built, and a third comparison after `a AND b` replaces `b`.
//!
//! `_measurement` compares the measurement name; `_field` is refused by the handler (2.x OSS
//! does not delete by field).

use crate::columnar::{MeasurementTable, Role, TableView, Value};
use crate::server::query::is_keyword;

/// A tag comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRule {
    pub key: String,
    pub value: String,
    /// `=` when true, `!=` when false.
    pub equal: bool,
}

/// A parsed predicate: the rules that must all hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeletePredicate {
    pub rules: Vec<TagRule>,
}

const MEASUREMENT_KEY: &str = "_measurement";
pub const FIELD_KEY: &str = "_field";

impl DeletePredicate {
    /// Whether measurement `name` can hold points the predicate selects.
    pub fn selects_measurement(&self, name: &str) -> bool {
        self.rules
            .iter()
            .filter(|rule| rule.key == MEASUREMENT_KEY)
            .all(|rule| (rule.value == name) == rule.equal)
    }

    /// Whether the predicate names `_field`.
    pub fn mentions_field(&self) -> bool {
        self.rules.iter().any(|rule| rule.key == FIELD_KEY)
    }

    /// The rows of `table` the tag rules select (a tag a row lacks reads as empty).
    pub fn rows(&self, table: &MeasurementTable) -> Result<Vec<bool>, String> {
        let view = TableView::new(table)?;
        let rules: Vec<(Option<usize>, &TagRule)> = self
            .rules
            .iter()
            .filter(|rule| rule.key != MEASUREMENT_KEY)
            .map(|rule| {
                let column = view
                    .columns
                    .iter()
                    .position(|c| c.role == Role::Tag && c.key == rule.key);
                (column, rule)
            })
            .collect();
        Ok((0..view.num_rows())
            .map(|row| {
                rules.iter().all(|(column, rule)| {
                    let value = match column.map(|c| view.columns[c].value(row)) {
                        Some(Value::Str(value)) => value,
                        _ => "",
                    };
                    (value == rule.value) == rule.equal
                })
            })
            .collect())
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// A keyword, upper-cased.
    Keyword(String),
    Str(String),
    BadString,
    Number(String),
    Integer(String),
    Duration(String),
    Op(&'static str),
    Illegal(char),
    Eof,
}

impl Tok {
    /// The token as InfluxQL's `Token.String()` names it.
    fn name(&self) -> String {
        match self {
            Tok::Ident(_) => "IDENT".into(),
            Tok::Keyword(word) => word.clone(),
            Tok::Str(_) => "STRING".into(),
            Tok::BadString => "BADSTRING".into(),
            Tok::Number(_) => "NUMBER".into(),
            Tok::Integer(_) => "INTEGER".into(),
            Tok::Duration(_) => "DURATIONVAL".into(),
            Tok::Op(op) => (*op).into(),
            Tok::Illegal(_) => "ILLEGAL".into(),
            Tok::Eof => "EOF".into(),
        }
    }

    /// The literal InfluxQL's scanner returns with the token.
    fn literal(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Str(s) | Tok::Number(s) | Tok::Integer(s) | Tok::Duration(s) => {
                s.clone()
            }
            Tok::Keyword(word) => word.clone(),
            Tok::Illegal(c) => c.to_string(),
            _ => String::new(),
        }
    }
}

/// InfluxQL's scanner, for the tokens a predicate can hold; positions are 0-based characters.
struct Scanner {
    chars: Vec<char>,
    at: usize,
}

impl Scanner {
    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.at + offset).copied()
    }

    fn scan(&mut self) -> (Tok, usize) {
        while self.peek_at(0).is_some_and(char::is_whitespace) {
            self.at += 1;
        }
        let pos = self.at;
        let Some(c) = self.peek_at(0) else {
            return (Tok::Eof, pos);
        };
        self.at += 1;
        let two = |s: &mut Scanner, next: char, long: &'static str, short: Tok| {
            if s.peek_at(0) == Some(next) {
                s.at += 1;
                Tok::Op(long)
            } else {
                short
            }
        };
        let tok = match c {
            c if c.is_alphabetic() || c == '_' => {
                let mut word = String::from(c);
                while let Some(c) = self.peek_at(0).filter(|c| c.is_alphanumeric() || *c == '_') {
                    word.push(c);
                    self.at += 1;
                }
                if is_keyword(&word) {
                    Tok::Keyword(word.to_ascii_uppercase())
                } else {
                    Tok::Ident(word)
                }
            }
            '"' => match self.quoted('"') {
                Some(text) => Tok::Ident(text),
                None => Tok::BadString,
            },
            '\'' => match self.quoted('\'') {
                Some(text) => Tok::Str(text),
                None => Tok::BadString,
            },
            '0'..='9' => self.number(c),
            '.' if self.peek_at(0).is_some_and(|c| c.is_ascii_digit()) => self.number(c),
            '=' => two(self, '~', "=~", Tok::Op("=")),
            '!' => match self.peek_at(0) {
                Some('=') => {
                    self.at += 1;
                    Tok::Op("!=")
                }
                Some('~') => {
                    self.at += 1;
                    Tok::Op("!~")
                }
                _ => Tok::Illegal('!'),
            },
            '<' => match self.peek_at(0) {
                Some('=') => {
                    self.at += 1;
                    Tok::Op("<=")
                }
                Some('>') => {
                    self.at += 1;
                    Tok::Op("!=")
                }
                _ => Tok::Op("<"),
            },
            '>' => two(self, '=', ">=", Tok::Op(">")),
            '(' => Tok::Op("("),
            ')' => Tok::Op(")"),
            '-' => Tok::Op("-"),
            '+' => Tok::Op("+"),
            '*' => Tok::Op("*"),
            '/' => Tok::Op("/"),
            ',' => Tok::Op(","),
            ';' => Tok::Op(";"),
            other => Tok::Illegal(other),
        };
        (tok, pos)
    }

    /// The rest of a quoted identifier or string (`\"`, `\\`, `\n`, `\'` unescaped); `None`
    /// when it does not close on its line or holds a bad escape.
    fn quoted(&mut self, quote: char) -> Option<String> {
        let mut text = String::new();
        loop {
            let c = self.peek_at(0)?;
            self.at += 1;
            match c {
                c if c == quote => return Some(text),
                '\n' => return None,
                '\\' => {
                    let escaped = self.peek_at(0)?;
                    self.at += 1;
                    match escaped {
                        'n' => text.push('\n'),
                        '\\' => text.push('\\'),
                        '"' => text.push('"'),
                        '\'' if quote == '\'' => text.push('\''),
                        _ => return None,
                    }
                }
                c => text.push(c),
            }
        }
    }

    /// A number, integer or duration literal starting with `first`.
    fn number(&mut self, first: char) -> Tok {
        let mut text = String::from(first);
        let mut fraction = first == '.';
        while let Some(c) = self.peek_at(0) {
            if c.is_ascii_digit() || (c == '.' && !fraction) {
                fraction |= c == '.';
                text.push(c);
                self.at += 1;
            } else {
                break;
            }
        }
        if !fraction {
            let units = ["ns", "us", "µs", "ms", "s", "m", "h", "d", "w", "u"];
            let rest: String = self.chars[self.at..].iter().take(2).collect();
            if let Some(unit) = units.iter().find(|unit| rest.starts_with(**unit)) {
                let after = self.peek_at(unit.chars().count());
                if !after.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    self.at += unit.chars().count();
                    text.push_str(unit);
                    return Tok::Duration(text);
                }
            }
            return Tok::Integer(text);
        }
        Tok::Number(text)
    }
}

/// A predicate error with 2.x's message.
pub type PredicateError = String;

#[derive(Debug, Clone)]
enum Node {
    Rule(TagRule),
    Logical {
        /// 0 until an `AND` is read (2.x's zero `LogicalOperator`).
        and: bool,
        children: [Option<Box<Node>>; 2],
    },
}

struct Parser {
    scanner: Scanner,
    peeked: Option<(Tok, usize)>,
    open_parens: i64,
}

impl Parser {
    fn scan(&mut self) -> (Tok, usize) {
        self.peeked.take().unwrap_or_else(|| self.scanner.scan())
    }

    fn unscan(&mut self, token: (Tok, usize)) {
        self.peeked = Some(token);
    }

    fn logical(&mut self) -> Result<Option<Node>, PredicateError> {
        let mut and = false;
        let mut children: [Option<Box<Node>>; 2] = [None, None];
        let put = |children: &mut [Option<Box<Node>>; 2], node: Node| {
            let slot = if children[0].is_none() { 0 } else { 1 };
            children[slot] = Some(Box::new(node));
        };
        loop {
            let token = self.scan();
            match &token.0 {
                Tok::Number(_) | Tok::Integer(_) | Tok::Ident(_) => {
                    self.unscan(token);
                    let rule = self.tag_rule()?;
                    put(&mut children, Node::Rule(rule));
                }
                Tok::Keyword(word) if word == "NAME" => {
                    self.unscan(token);
                    let rule = self.tag_rule()?;
                    put(&mut children, Node::Rule(rule));
                }
                Tok::Keyword(word) if word == "AND" => {
                    and = true;
                    if children[1].is_none() {
                        continue;
                    }
                    let next = self.scan();
                    let is_paren = next.0 == Tok::Op("(");
                    self.unscan(next);
                    let right = if is_paren {
                        self.logical()?
                    } else {
                        Some(Node::Rule(self.tag_rule()?))
                    };
                    let left = Node::Logical { and, children };
                    children = [Some(Box::new(left)), right.map(Box::new)];
                }
                Tok::Keyword(word) if word == "OR" => {
                    return Err(format!(
                        "the logical operator OR is not supported yet at position {}",
                        token.1
                    ));
                }
                Tok::Op("(") => {
                    self.open_parens += 1;
                    let current = self.open_parens;
                    let inner = self.logical()?;
                    if self.open_parens != current - 1 {
                        return Err("extra ( seen".into());
                    }
                    if let Some(inner) = inner {
                        put(&mut children, inner);
                    }
                }
                Tok::Op(")") | Tok::Eof => {
                    if token.0 == Tok::Op(")") {
                        self.open_parens -= 1;
                    }
                    if self.open_parens < 0 {
                        return Err("extra ) seen".into());
                    }
                    return Ok(match children {
                        [first, None] => first.map(|node| *node),
                        children => Some(Node::Logical { and, children }),
                    });
                }
                _ => {
                    return Err(format!("bad logical expression, at position {}", token.1));
                }
            }
        }
    }

    fn tag_rule(&mut self) -> Result<TagRule, PredicateError> {
        let (token, pos) = self.scan();
        let key = match token {
            Tok::Ident(key) => key,
            Tok::Keyword(word) if word == "NAME" => "name".to_string(),
            _ => return Err(format!("bad tag key, at position {pos}")),
        };
        let (token, pos) = self.scan();
        let equal = match token {
            Tok::Op("=") => true,
            Tok::Op("!=") => false,
            Tok::Op(op @ ("=~" | "!~")) => {
                return Err(format!(
                    "operator: \"{op}\" at position: {pos} is not supported yet"
                ))
            }
            other => {
                return Err(format!(
                    "invalid operator \"{}\" at position: {pos}",
                    other.name()
                ))
            }
        };
        let mut value = String::new();
        loop {
            let (token, pos) = self.scan();
            match token {
                Tok::Op("-") => {
                    value = "-".into();
                }
                Tok::Ident(text) | Tok::Duration(text) | Tok::Number(text) | Tok::Integer(text) => {
                    value.push_str(&text);
                    return Ok(TagRule { key, value, equal });
                }
                Tok::Keyword(word) if word == "TRUE" || word == "FALSE" => {
                    return Ok(TagRule {
                        key,
                        value: word.to_ascii_lowercase(),
                        equal,
                    });
                }
                other => {
                    return Err(format!(
                        "bad tag value: {}, at position {pos}",
                        crate::text::go_quote(&other.literal())
                    ))
                }
            }
        }
    }
}

/// Flattens a parsed tree into its rules; a node of two children joined without `AND` is the
/// error 2.x reports when it turns the tree into its storage predicate.
fn flatten(node: Node, rules: &mut Vec<TagRule>) -> Result<(), PredicateError> {
    match node {
        Node::Rule(rule) => rules.push(rule),
        Node::Logical { and, children } => {
            if !and {
                return Err("the logical operator '\\x00' is invalid".into());
            }
            for child in children.into_iter().flatten() {
                flatten(*child, rules)?;
            }
        }
    }
    Ok(())
}

/// Parses a delete predicate; an empty one selects everything.
pub fn parse_delete_predicate(text: &str) -> Result<DeletePredicate, PredicateError> {
    if text.is_empty() {
        return Ok(DeletePredicate::default());
    }
    let mut parser = Parser {
        scanner: Scanner {
            chars: text.chars().collect(),
            at: 0,
        },
        peeked: None,
        open_parens: 0,
    };
    let mut rules = Vec::new();
    if let Some(root) = parser.logical()? {
        flatten(root, &mut rules)?;
    }
    Ok(DeletePredicate { rules })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<(String, String, bool)> {
        parse_delete_predicate(text)
            .unwrap()
            .rules
            .into_iter()
            .map(|r| (r.key, r.value, r.equal))
            .collect()
    }

    fn error(text: &str) -> String {
        parse_delete_predicate(text).unwrap_err()
    }

    fn rule(key: &str, value: &str, equal: bool) -> (String, String, bool) {
        (key.into(), value.into(), equal)
    }

    #[test]
    fn the_documented_forms_parse() {
        assert_eq!(
            rules(r#"_measurement="cpu" AND host="server01""#),
            [
                rule("_measurement", "cpu", true),
                rule("host", "server01", true)
            ]
        );
        assert_eq!(rules(r#"tag1 != "x""#), [rule("tag1", "x", false)]);
        assert_eq!(
            rules("host=a and region=eu"),
            [rule("host", "a", true), rule("region", "eu", true)]
        );
        assert_eq!(
            rules(r#"(a="1" AND b="2") AND (c = "3")"#),
            [
                rule("a", "1", true),
                rule("b", "2", true),
                rule("c", "3", true)
            ]
        );
        assert_eq!(
            rules("n = -12 AND d = 5m AND t = true AND f = 1.5"),
            [
                rule("n", "-12", true),
                rule("d", "5m", true),
                rule("t", "true", true),
                rule("f", "1.5", true)
            ]
        );
        assert_eq!(rules(r#"name = "x""#), [rule("name", "x", true)]);
        assert_eq!(
            rules(r#""my key" = "a \"q\"""#),
            [rule("my key", "a \"q\"", true)]
        );
        assert!(rules("").is_empty());
        assert!(rules("  ").is_empty());
    }

    #[test]
    fn refusals_read_as_2x_writes_them() {
        assert_eq!(
            error(r#"a="1" OR b="2""#),
            "the logical operator OR is not supported yet at position 6"
        );
        assert_eq!(
            error(r#"host =~ /a/"#),
            "operator: \"=~\" at position: 5 is not supported yet"
        );
        assert_eq!(
            error(r#"host !~ /a/"#),
            "operator: \"!~\" at position: 5 is not supported yet"
        );
        assert_eq!(error("host < 5"), "invalid operator \"<\" at position: 5");
        assert_eq!(error("host"), "invalid operator \"EOF\" at position: 4");
        assert_eq!(error("host = 'a'"), "bad tag value: \"a\", at position 7");
        assert_eq!(error("host ="), "bad tag value: \"\", at position 6");
        assert_eq!(
            error("'a' = \"b\""),
            "bad logical expression, at position 0"
        );
        assert_eq!(
            error("select = \"b\""),
            "bad logical expression, at position 0"
        );
        assert_eq!(error("(a = \"b\""), "extra ( seen");
        assert_eq!(error("a = \"b\")"), "extra ) seen");
        assert_eq!(
            error("a = \"b\" c = \"d\""),
            "the logical operator '\\x00' is invalid"
        );
        assert_eq!(error("a = \"b\" AND 5"), "bad tag key, at position 12");
    }

    #[test]
    fn a_third_rule_after_and_replaces_the_second_as_in_2x() {
        assert_eq!(
            rules(r#"a="1" AND b="2" c="3""#),
            [rule("a", "1", true), rule("c", "3", true)]
        );
    }

    #[test]
    fn measurement_rules_select_measurements() {
        let predicate = parse_delete_predicate(r#"_measurement="cpu" AND host="a""#).unwrap();
        assert!(predicate.selects_measurement("cpu"));
        assert!(!predicate.selects_measurement("mem"));
        let not = parse_delete_predicate(r#"_measurement!="cpu""#).unwrap();
        assert!(!not.selects_measurement("cpu"));
        assert!(not.selects_measurement("mem"));
        assert!(parse_delete_predicate(r#"_field="v""#)
            .unwrap()
            .mentions_field());
    }
}

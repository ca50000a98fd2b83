//! Flux source text → tokens: identifiers, numbers, strings, durations, date-times, regexes
//! and operators, each with its line and column for error messages.

use super::error::{FluxError, FluxResult};
use crate::server::query::parse_time_string;

const NS: i64 = 1;
const US: i64 = 1_000;
const MS: i64 = 1_000_000;
const S: i64 = 1_000_000_000;
const M: i64 = 60 * S;
const H: i64 = 60 * M;
const D: i64 = 24 * H;
const W: i64 = 7 * D;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Int(i64),
    Float(f64),
    Str(String),
    /// Nanoseconds.
    Duration(i64),
    /// Calendar months (`1mo`, `2y`), which have no fixed length.
    Months(i64),
    /// Nanoseconds since the epoch.
    Time(i64),
    Regex(String),
    /// An operator or punctuation, as written.
    Op(&'static str),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub line: usize,
    pub col: usize,
}

/// Longest operators first, so `|>` is not read as `|`.
const OPS: &[&str] = &[
    "|>", "=>", "<-", "==", "!=", "<=", ">=", "=~", "!~", "(", ")", "[", "]", "{", "}", ",", ":",
    ".", "=", "<", ">", "+", "-", "*", "/", "%", "?",
];

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
    line_start: usize,
}

pub fn tokenize(src: &str) -> FluxResult<Vec<Token>> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        line: 1,
        line_start: 0,
    };
    let mut tokens: Vec<Token> = Vec::new();
    loop {
        lexer.skip_space_and_comments();
        let (line, col) = (lexer.line, lexer.pos - lexer.line_start + 1);
        let tok = match lexer.peek() {
            None => Tok::Eof,
            Some(c) => lexer.token(c, tokens.last().map(|t| &t.tok))?,
        };
        let eof = tok == Tok::Eof;
        tokens.push(Token { tok, line, col });
        if eof {
            return Ok(tokens);
        }
    }
}

/// Whether a `/` after this token divides (an operand came before) rather than opens a regex.
fn ends_operand(tok: Option<&Tok>) -> bool {
    match tok {
        Some(Tok::Op(op)) => matches!(*op, ")" | "]" | "}"),
        Some(Tok::Eof) | None => false,
        Some(_) => true,
    }
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn error(&self, message: &str) -> FluxError {
        let col = self.pos - self.line_start + 1;
        FluxError::Compile(format!("error @{}:{}: {message}", self.line, col))
    }

    fn bump(&mut self, c: char) {
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.line_start = self.pos;
        }
    }

    fn skip_space_and_comments(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.bump(c);
            } else if self.rest().starts_with("//") {
                while let Some(c) = self.peek() {
                    if c == '\n' {
                        break;
                    }
                    self.bump(c);
                }
            } else {
                break;
            }
        }
    }

    fn token(&mut self, c: char, previous: Option<&Tok>) -> FluxResult<Tok> {
        if c.is_alphabetic() || c == '_' {
            let start = self.pos;
            while let Some(c) = self.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
                self.bump(c);
            }
            return Ok(Tok::Ident(self.src[start..self.pos].to_string()));
        }
        if c.is_ascii_digit() {
            return self.number();
        }
        if c == '"' {
            return self.string();
        }
        if c == '/' && !ends_operand(previous) {
            return self.regex();
        }
        for op in OPS {
            if self.rest().starts_with(op) {
                self.pos += op.len();
                return Ok(Tok::Op(op));
            }
        }
        Err(self.error(&format!("invalid character {c:?}")))
    }

    /// An integer, a float, a duration (`1h30m`) or a date-time (`2021-01-01T00:00:00Z`).
    fn number(&mut self) -> FluxResult<Tok> {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        let digits_end = |from: usize| {
            let mut at = from;
            while at < bytes.len() && bytes[at].is_ascii_digit() {
                at += 1;
            }
            at
        };
        let end = digits_end(start);
        if end - start == 4 && bytes.get(end) == Some(&b'-') {
            let mut at = end;
            while at < bytes.len() && (bytes[at].is_ascii_digit() || b"-:.TZ+".contains(&bytes[at]))
            {
                at += 1;
            }
            let text = &self.src[start..at];
            let time = parse_time_string(text)
                .filter(|_| !text.contains(' '))
                .ok_or_else(|| self.error(&format!("invalid date time literal {text:?}")))?;
            self.pos = at;
            return Ok(Tok::Time(time));
        }
        if bytes.get(end) == Some(&b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
            let end = digits_end(end + 1);
            let text = &self.src[start..end];
            self.pos = end;
            return text
                .parse()
                .map(Tok::Float)
                .map_err(|_| self.error(&format!("invalid float literal {text:?}")));
        }
        if bytes
            .get(end)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == 0xc2)
        {
            return self.duration();
        }
        let text = &self.src[start..end];
        self.pos = end;
        text.parse()
            .map(Tok::Int)
            .map_err(|_| self.error(&format!("invalid integer literal {text:?}")))
    }

    /// A duration literal: magnitude and unit pairs, summed.
    fn duration(&mut self) -> FluxResult<Tok> {
        let mut total: i64 = 0;
        let mut months: i64 = 0;
        loop {
            let start = self.pos;
            while let Some(c) = self.peek().filter(char::is_ascii_digit) {
                self.bump(c);
            }
            if start == self.pos {
                break;
            }
            let magnitude: i64 = self.src[start..self.pos]
                .parse()
                .map_err(|_| self.error("duration magnitude is too large"))?;
            let unit_start = self.pos;
            while let Some(c) = self.peek().filter(|c| c.is_alphabetic()) {
                self.bump(c);
            }
            let unit = &self.src[unit_start..self.pos];
            let scale = match unit {
                "ns" => NS,
                "us" | "µs" => US,
                "ms" => MS,
                "s" => S,
                "m" => M,
                "h" => H,
                "d" => D,
                "w" => W,
                "mo" | "y" => {
                    let per = if unit == "y" { 12 } else { 1 };
                    months = magnitude
                        .checked_mul(per)
                        .and_then(|m| months.checked_add(m))
                        .ok_or_else(|| self.error("duration is too large"))?;
                    continue;
                }
                _ => return Err(self.error(&format!("invalid duration unit {unit:?}"))),
            };
            total = magnitude
                .checked_mul(scale)
                .and_then(|d| total.checked_add(d))
                .ok_or_else(|| self.error("duration is too large"))?;
        }
        match (months, total) {
            (0, total) => Ok(Tok::Duration(total)),
            (months, 0) => Ok(Tok::Months(months)),
            _ => Err(FluxError::unsupported(
                "a duration mixing calendar (mo, y) and fixed units",
            )),
        }
    }

    fn string(&mut self) -> FluxResult<Tok> {
        self.bump('"');
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated string literal"));
            };
            self.bump(c);
            match c {
                '"' => return Ok(Tok::Str(out)),
                '$' if self.peek() == Some('{') => {
                    return Err(FluxError::unsupported("string interpolation"))
                }
                '\\' => {
                    let Some(escaped) = self.peek() else {
                        return Err(self.error("unterminated string literal"));
                    };
                    self.bump(escaped);
                    out.push(match escaped {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        '"' | '\\' | '$' => escaped,
                        other => {
                            return Err(self.error(&format!("invalid escape sequence \\{other}")))
                        }
                    });
                }
                c => out.push(c),
            }
        }
    }

    /// `/…/` with `\/` for a slash; other escapes are the regex's own.
    fn regex(&mut self) -> FluxResult<Tok> {
        self.bump('/');
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated regex literal"));
            };
            self.bump(c);
            match c {
                '/' => return Ok(Tok::Regex(out)),
                '\n' => return Err(self.error("unterminated regex literal")),
                '\\' if self.peek() == Some('/') => {
                    self.bump('/');
                    out.push('/');
                }
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        tokenize(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn pipelines_and_literals() {
        assert_eq!(
            toks("from(bucket: \"b\") |> range(start: -1h30m)"),
            vec![
                Tok::Ident("from".into()),
                Tok::Op("("),
                Tok::Ident("bucket".into()),
                Tok::Op(":"),
                Tok::Str("b".into()),
                Tok::Op(")"),
                Tok::Op("|>"),
                Tok::Ident("range".into()),
                Tok::Op("("),
                Tok::Ident("start".into()),
                Tok::Op(":"),
                Tok::Op("-"),
                Tok::Duration(90 * M),
                Tok::Op(")"),
                Tok::Eof,
            ]
        );
        assert_eq!(
            toks("2021-01-01T00:00:01.5Z 1.25 42 \"a\\\"b\""),
            vec![
                Tok::Time(1_609_459_201_500_000_000),
                Tok::Float(1.25),
                Tok::Int(42),
                Tok::Str("a\"b".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn slash_is_a_regex_where_an_operand_starts() {
        assert_eq!(
            toks("r.host =~ /^a\\/b$/ // comment\n 4 / 2"),
            vec![
                Tok::Ident("r".into()),
                Tok::Op("."),
                Tok::Ident("host".into()),
                Tok::Op("=~"),
                Tok::Regex("^a/b$".into()),
                Tok::Int(4),
                Tok::Op("/"),
                Tok::Int(2),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn bad_input_is_an_error_with_a_position() {
        let error = tokenize("x = \"open").unwrap_err();
        assert!(error.message().contains("@1:"), "{error:?}");
        assert_eq!(toks("1y2mo"), vec![Tok::Months(14), Tok::Eof]);
        assert!(tokenize("1y1d").is_err());
        assert!(tokenize("#").is_err());
        assert!(tokenize("99999999999999999999").is_err());
        assert!(tokenize("2021-13-01T00:00:00Z").is_err());
    }
}

//! InfluxQL tokens, scanned as InfluxDB's scanner does: bare identifiers (ASCII letters, digits,
//! `_`; keywords among them), `"quoted"` identifiers, `'single-quoted'` strings with `\'`, `\"`,
//! `\\` and `\n` escapes, integers, decimals, duration literals (`10s`, `1h30m`, `5ms`, `2µs`),
//! operators, `--` and `/* */` comments. Regular expressions are scanned only on the parser's
//! request, since `/` is also division.

/// A 1-based line and character position, as InfluxQL errors print it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare identifier; keywords are bare identifiers the parser recognises.
    Ident,
    QuotedIdent,
    Str,
    Integer,
    Number,
    /// A duration literal; `text` is the literal, the value is computed by [`duration_ns`].
    Duration,
    Regex,
    /// Punctuation or an operator; `text` holds it.
    Op,
    Eof,
    /// A character InfluxQL has no use for.
    Illegal,
    /// A string or quoted identifier without its closing quote.
    BadString,
    /// A backslash followed by a character that is no escape.
    BadEscape,
    /// A bound parameter (`$name` or `$"name"`); `text` is the name.
    BoundParam,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    /// The identifier or string after unescaping; the literal text otherwise.
    pub text: String,
    pub pos: Pos,
    /// Byte range of the token in the source.
    pub start: usize,
    pub end: usize,
}

/// The reserved words of InfluxQL (`influxql/token.go`): bare identifiers spelled like these
/// are keywords and must be double-quoted to be used as names.
const KEYWORDS: &[&str] = &[
    "ALL",
    "ALTER",
    "ANALYZE",
    "AND",
    "ANY",
    "AS",
    "ASC",
    "BEGIN",
    "BY",
    "CARDINALITY",
    "CONTINUOUS",
    "CREATE",
    "DATABASE",
    "DATABASES",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DESTINATIONS",
    "DIAGNOSTICS",
    "DISTINCT",
    "DROP",
    "DURATION",
    "END",
    "EVERY",
    "EXACT",
    "EXPLAIN",
    "FALSE",
    "FIELD",
    "FOR",
    "FROM",
    "GRANT",
    "GRANTS",
    "GROUP",
    "GROUPS",
    "IN",
    "INF",
    "INSERT",
    "INTO",
    "KEY",
    "KEYS",
    "KILL",
    "LIMIT",
    "MEASUREMENT",
    "MEASUREMENTS",
    "NAME",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "PASSWORD",
    "POLICIES",
    "POLICY",
    "PRIVILEGES",
    "QUERIES",
    "QUERY",
    "READ",
    "REPLICATION",
    "RESAMPLE",
    "RETENTION",
    "REVOKE",
    "SELECT",
    "SERIES",
    "SET",
    "SHARD",
    "SHARDS",
    "SLIMIT",
    "SOFFSET",
    "STATS",
    "SUBSCRIPTION",
    "SUBSCRIPTIONS",
    "TAG",
    "TO",
    "TRUE",
    "USER",
    "USERS",
    "VALUES",
    "WHERE",
    "WITH",
    "WRITE",
];

/// Whether a bare word is an InfluxQL keyword (case-insensitive).
pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

impl Token {
    /// Whether this token is the keyword `word` (given in upper case).
    pub fn is_keyword(&self, word: &str) -> bool {
        self.kind == TokenKind::Ident && self.text.eq_ignore_ascii_case(word)
    }

    /// The word upper-cased when this token is a bare word, else empty: what a statement's
    /// keyword `match` reads.
    pub fn keyword(&self) -> String {
        if self.kind == TokenKind::Ident {
            self.text.to_ascii_uppercase()
        } else {
            String::new()
        }
    }

    pub fn is_op(&self, op: &str) -> bool {
        self.kind == TokenKind::Op && self.text == op
    }

    /// How InfluxQL names the token in `found X, expected Y`: keywords upper-cased, `EOF`, and
    /// the literal otherwise.
    pub fn describe(&self) -> String {
        match self.kind {
            TokenKind::Eof => "EOF".to_string(),
            TokenKind::Ident if is_keyword(&self.text) => self.text.to_ascii_uppercase(),
            TokenKind::Regex => format!("/{}/", self.text),
            TokenKind::BoundParam => format!("${}", self.text),
            _ => self.text.clone(),
        }
    }
}

pub struct Lexer<'a> {
    src: &'a str,
    at: usize,
    line: usize,
    column: usize,
    /// The last token was a bare word: InfluxQL's scanner consumed the end of input after it.
    after_bare_word: bool,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer {
            src,
            at: 0,
            line: 1,
            column: 1,
            after_bare_word: false,
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.src[self.at..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        let mut chars = self.src[self.at..].chars();
        chars.next();
        chars.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.at += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }

    fn skip_whitespace_and_comments(&mut self) {
        loop {
            match (self.peek_char(), self.peek_second()) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('-'), Some('-')) => {
                    while let Some(c) = self.bump() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                (Some('/'), Some('*')) => {
                    self.bump();
                    self.bump();
                    loop {
                        match self.bump() {
                            None => break,
                            Some('*') if self.peek_char() == Some('/') => {
                                self.bump();
                                break;
                            }
                            Some(_) => {}
                        }
                    }
                }
                _ => return,
            }
        }
    }

    /// The next token, whitespace and comments skipped.
    pub fn next_token(&mut self) -> Token {
        let before = self.at;
        self.skip_whitespace_and_comments();
        let mut pos = self.pos();
        let start = self.at;
        let (kind, text) = self.scan();
        if kind == TokenKind::Eof && (self.after_bare_word || self.at > before) {
            // InfluxQL's reader counts the end of input once as a character; a bare word or
            // whitespace consumes it, so EOF is then reported one character further
            // (influxd 1.6.7: `SHOW` fails at char 6, `... host =` at the character after `=`).
            pos.column += 1;
        }
        let quoted = self.src[start..].starts_with(['\'', '"']);
        if quoted
            && matches!(
                kind,
                TokenKind::Str | TokenKind::BadString | TokenKind::BadEscape
            )
        {
            // InfluxQL's string scanner takes its position from the character before the quote.
            pos.column = pos.column.saturating_sub(1).max(1);
        }
        self.after_bare_word = kind == TokenKind::Ident;
        Token {
            kind,
            text,
            pos,
            start,
            end: self.at,
        }
    }

    fn scan(&mut self) -> (TokenKind, String) {
        let token = |kind, text: String| (kind, text);
        let Some(c) = self.bump() else {
            return token(TokenKind::Eof, String::new());
        };
        match c {
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = self.at - 1;
                while matches!(self.peek_char(), Some(c) if c.is_ascii_alphanumeric() || c == '_') {
                    self.bump();
                }
                token(TokenKind::Ident, self.src[start..self.at].to_string())
            }
            '$' if self.peek_char() == Some('"') => {
                self.bump();
                match self.quoted('"', TokenKind::BoundParam) {
                    (TokenKind::BoundParam, name) => (TokenKind::BoundParam, name),
                    other => other,
                }
            }
            '$' if matches!(self.peek_char(), Some(c) if c.is_ascii_alphanumeric() || c == '_') => {
                let start = self.at;
                while matches!(self.peek_char(), Some(c) if c.is_ascii_alphanumeric() || c == '_') {
                    self.bump();
                }
                token(TokenKind::BoundParam, self.src[start..self.at].to_string())
            }
            '"' => self.quoted('"', TokenKind::QuotedIdent),
            '\'' => self.quoted('\'', TokenKind::Str),
            c if c.is_ascii_digit() => self.number(self.at - 1),
            '.' if matches!(self.peek_char(), Some(d) if d.is_ascii_digit()) => {
                self.number(self.at - 1)
            }
            _ => {
                let two = |lexer: &mut Self, next: char, text: &str| {
                    if lexer.peek_char() == Some(next) {
                        lexer.bump();
                        Some(text.to_string())
                    } else {
                        None
                    }
                };
                let op = match c {
                    '=' => two(self, '~', "=~").unwrap_or_else(|| "=".into()),
                    '!' => match self.peek_char() {
                        Some('=') => two(self, '=', "!=").unwrap_or_default(),
                        Some('~') => two(self, '~', "!~").unwrap_or_default(),
                        _ => return token(TokenKind::Illegal, "!".into()),
                    },
                    '<' => two(self, '=', "<=")
                        .or_else(|| two(self, '>', "<>"))
                        .unwrap_or_else(|| "<".into()),
                    '>' => two(self, '=', ">=").unwrap_or_else(|| ">".into()),
                    ':' => match two(self, ':', "::") {
                        Some(op) => op,
                        None => return token(TokenKind::Illegal, ":".into()),
                    },
                    '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '(' | ')' | ',' | ';' | '.' => {
                        c.to_string()
                    }
                    other => return token(TokenKind::Illegal, other.to_string()),
                };
                token(TokenKind::Op, op)
            }
        }
    }

    /// A quoted string or identifier after its opening quote.
    fn quoted(&mut self, quote: char, kind: TokenKind) -> (TokenKind, String) {
        let mut value = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => return (TokenKind::BadString, value),
                Some(c) if c == quote => return (kind, value),
                Some('\\') => match self.bump() {
                    Some('n') => value.push('\n'),
                    Some(c @ ('\\' | '"' | '\'')) => value.push(c),
                    other => {
                        let mut text = String::from('\\');
                        text.extend(other);
                        return (TokenKind::BadEscape, text);
                    }
                },
                Some(c) => value.push(c),
            }
        }
    }

    /// An integer, decimal or duration literal starting at byte `start`.
    fn number(&mut self, start: usize) -> (TokenKind, String) {
        while matches!(self.peek_char(), Some(c) if c.is_ascii_digit()) {
            self.bump();
        }
        let mut decimal = self.src[start..self.at].contains('.');
        if !decimal
            && self.peek_char() == Some('.')
            && matches!(self.peek_second(), Some(c) if c.is_ascii_digit())
        {
            self.bump();
            decimal = true;
            while matches!(self.peek_char(), Some(c) if c.is_ascii_digit()) {
                self.bump();
            }
        }
        if !decimal && matches!(self.peek_char(), Some(c) if c.is_ascii_alphabetic() || c == 'µ') {
            // InfluxQL's rule: digits then a letter make a duration token of the letters, digits
            // and letters that follow (`1h30m`, also `1x`, which then is an invalid duration).
            while matches!(self.peek_char(), Some(c) if c.is_ascii_alphabetic() || c == 'µ') {
                self.bump();
            }
            while matches!(self.peek_char(), Some(c) if c.is_ascii_alphanumeric() || c == 'µ') {
                self.bump();
            }
            return (TokenKind::Duration, self.src[start..self.at].to_string());
        }
        let kind = if decimal {
            TokenKind::Number
        } else {
            TokenKind::Integer
        };
        (kind, self.src[start..self.at].to_string())
    }

    /// The length in characters of a duration unit at the cursor, if one is there and is not
    /// the start of a longer word (so `5mb` stays a number followed by an identifier... as
    /// InfluxQL's scanner also only looks at the unit characters themselves).
    /// A regular expression after its opening `/`, given as the token the caller consumed.
    pub fn regex(&mut self, slash: &Token) -> Token {
        let mut value = String::new();
        let done = |lexer: &Self, kind, text| Token {
            kind,
            text,
            pos: slash.pos,
            start: slash.start,
            end: lexer.at,
        };
        loop {
            match self.bump() {
                None | Some('\n') => return done(self, TokenKind::BadString, value),
                Some('/') => return done(self, TokenKind::Regex, value),
                Some('\\') if self.peek_char() == Some('/') => {
                    self.bump();
                    value.push('/');
                }
                Some(c) => value.push(c),
            }
        }
    }
}

/// The value of a duration literal in nanoseconds (`None` when it overflows).
/// Why a duration literal has no value, in InfluxQL's words: units it does not know (or a
/// missing number) make it invalid, a value beyond 64 bits overflows.
pub fn duration_error(literal: &str) -> &'static str {
    let valid = duration_ns(&literal.replace(|c: char| c.is_ascii_digit(), "0")).is_some();
    if valid {
        "overflowed duration"
    } else {
        "invalid duration"
    }
}

pub fn duration_ns(literal: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut rest = literal;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let amount: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, scale) = [
            ("ns", 1i64),
            ("ms", 1_000_000),
            ("µ", 1_000),
            ("u", 1_000),
            ("s", 1_000_000_000),
            ("m", 60_000_000_000),
            ("h", 3_600_000_000_000),
            ("d", 86_400_000_000_000),
            ("w", 604_800_000_000_000),
        ]
        .into_iter()
        .find(|(unit, _)| rest.starts_with(unit))?;
        rest = &rest[unit.len()..];
        total = total.checked_add(amount.checked_mul(scale)?)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Vec<(TokenKind, String)> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token();
            if token.kind == TokenKind::Eof {
                return out;
            }
            out.push((token.kind, token.text));
        }
    }

    use TokenKind::*;

    #[test]
    fn scans_identifiers_strings_and_operators() {
        assert_eq!(
            tokens(r#"SELECT "my field",x_1 FROM "db"."rp".m WHERE t = 'it\'s' AND v>=1.5;"#),
            vec![
                (Ident, "SELECT".into()),
                (QuotedIdent, "my field".into()),
                (Op, ",".into()),
                (Ident, "x_1".into()),
                (Ident, "FROM".into()),
                (QuotedIdent, "db".into()),
                (Op, ".".into()),
                (QuotedIdent, "rp".into()),
                (Op, ".".into()),
                (Ident, "m".into()),
                (Ident, "WHERE".into()),
                (Ident, "t".into()),
                (Op, "=".into()),
                (Str, "it's".into()),
                (Ident, "AND".into()),
                (Ident, "v".into()),
                (Op, ">=".into()),
                (Number, "1.5".into()),
                (Op, ";".into()),
            ]
        );
        assert_eq!(
            tokens("a != b <> c <= d =~ e !~ f :: g"),
            vec![
                (Ident, "a".into()),
                (Op, "!=".into()),
                (Ident, "b".into()),
                (Op, "<>".into()),
                (Ident, "c".into()),
                (Op, "<=".into()),
                (Ident, "d".into()),
                (Op, "=~".into()),
                (Ident, "e".into()),
                (Op, "!~".into()),
                (Ident, "f".into()),
                (Op, "::".into()),
                (Ident, "g".into()),
            ]
        );
    }

    #[test]
    fn scans_escapes_in_quoted_text() {
        assert_eq!(
            tokens(r#""a\"b\\c\nd""#),
            vec![(QuotedIdent, "a\"b\\c\nd".into())]
        );
        assert_eq!(tokens(r"'x\q'")[0], (BadEscape, r"\q".into()));
        assert_eq!(tokens("'open"), vec![(BadString, "open".into())]);
        assert_eq!(
            tokens("\"open\nx"),
            vec![(BadString, "open".into()), (Ident, "x".into())]
        );
    }

    #[test]
    fn scans_numbers_and_durations() {
        assert_eq!(
            tokens("10 1.5 .5 10s 5ms 1h30m 2µ 3u 4ns 7d 1w 5x"),
            vec![
                (Integer, "10".into()),
                (Number, "1.5".into()),
                (Number, ".5".into()),
                (Duration, "10s".into()),
                (Duration, "5ms".into()),
                (Duration, "1h30m".into()),
                (Duration, "2µ".into()),
                (Duration, "3u".into()),
                (Duration, "4ns".into()),
                (Duration, "7d".into()),
                (Duration, "1w".into()),
                (Duration, "5x".into()),
            ]
        );
        assert_eq!(duration_ns("1h30m"), Some(5_400_000_000_000));
        assert_eq!(duration_ns("5ms"), Some(5_000_000));
        assert_eq!(duration_ns("2µ"), Some(2_000));
        assert_eq!(duration_ns("3u"), Some(3_000));
        assert_eq!(duration_ns("4ns"), Some(4));
        assert_eq!(duration_ns("1w"), Some(604_800_000_000_000));
        assert_eq!(duration_ns("99999999999999999999s"), None);
        assert_eq!(duration_ns("9999999999999w"), None);
    }

    #[test]
    fn skips_comments_and_tracks_positions() {
        let mut lexer = Lexer::new("-- note\n  /* x\n y */ SHOW");
        let token = lexer.next_token();
        assert!(token.is_keyword("show"));
        assert_eq!(token.pos, Pos { line: 3, column: 7 });
    }

    #[test]
    fn bound_parameters() {
        assert_eq!(
            tokens(r#"$host $"my param" $"#),
            vec![
                (BoundParam, "host".into()),
                (BoundParam, "my param".into()),
                (Illegal, "$".into())
            ]
        );
    }

    #[test]
    fn illegal_characters_and_keywords() {
        assert_eq!(tokens("#"), vec![(Illegal, "#".into())]);
        assert_eq!(
            tokens("a:b"),
            vec![
                (Ident, "a".into()),
                (Illegal, ":".into()),
                (Ident, "b".into())
            ]
        );
        assert!(is_keyword("select") && is_keyword("Database") && !is_keyword("time"));
        let token = Lexer::new("from").next_token();
        assert_eq!(token.describe(), "FROM");
    }

    #[test]
    fn scans_regexes_on_request() {
        let mut lexer = Lexer::new(r"/cp\/u.*/ x");
        let slash = lexer.next_token();
        assert!(slash.is_op("/"));
        let regex = lexer.regex(&slash);
        assert_eq!((regex.kind, regex.text.as_str()), (Regex, "cp/u.*"));
        assert_eq!(lexer.next_token().text, "x");
    }
}

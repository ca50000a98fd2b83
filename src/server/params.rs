//! Query-string (and urlencoded form) decoding as Go's `url.ParseQuery` does it: pairs split on
//! `&`, `+` is a space, `%XX` escapes; a pair with a bad escape or a `;` is skipped. `get` returns
//! the first value, as Go's `Values.Get`.

/// The first value of `key` among decoded pairs (Go's `Values.Get` and `FormValue`).
pub fn first<'p>(pairs: &'p [(String, String)], key: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The first value of `key` when it is not empty (the 2.x API treats `?org=` as no org).
pub fn first_set<'p>(pairs: &'p [(String, String)], key: &str) -> Option<&'p str> {
    first(pairs, key).filter(|v| !v.is_empty())
}

/// Decoded `key=value` pairs in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(query: &str) -> Params {
        let mut params = Params::default();
        params.extend_from(query);
        params
    }

    /// Appends the pairs of another query string or form body.
    pub fn extend_from(&mut self, query: &str) {
        for part in query.split('&') {
            if part.is_empty() || part.contains(';') {
                continue;
            }
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            if let (Some(key), Some(value)) = (unescape(key), unescape(value)) {
                self.pairs.push((key, value));
            }
        }
    }

    /// The first value of `key`, or `""` when absent (Go's `Values.Get`).
    pub fn get(&self, key: &str) -> &str {
        self.get_opt(key).unwrap_or("")
    }

    pub fn get_opt(&self, key: &str) -> Option<&str> {
        first(&self.pairs, key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.get_opt(key).is_some()
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

/// `url.QueryUnescape`: `None` on a malformed `%` escape. Bytes that do not form UTF-8 are
/// replaced by U+FFFD.
pub fn unescape(s: &str) -> Option<String> {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return Some(s.to_string());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16))?;
                let lo = bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16))?;
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_go() {
        let p = Params::parse("db=my+db&rp=a%2Fb&p=&u&db=second&bad=%zz&x=1;y=2");
        assert_eq!(p.get("db"), "my db");
        assert_eq!(p.get("rp"), "a/b");
        assert_eq!(p.get_opt("p"), Some(""));
        assert_eq!(p.get_opt("u"), Some(""));
        assert!(!p.has("bad"));
        assert!(!p.has("x"));
        assert_eq!(p.get("missing"), "");
        assert_eq!(p.pairs().len(), 5);
    }

    #[test]
    fn escapes_decode_to_utf8() {
        assert_eq!(unescape("%C2%B5").as_deref(), Some("µ"));
        assert_eq!(unescape("%").as_deref(), None);
        assert_eq!(unescape("%4").as_deref(), None);
        assert_eq!(unescape("%ff").as_deref(), Some("\u{fffd}"));
    }
}

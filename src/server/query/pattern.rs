//! InfluxQL regular expressions (`/.../`): Go's RE2 syntax, which the `regex` crate shares,
//! matched anywhere in the text as Go's `MatchString` does.

use std::fmt;

use regex::Regex;

#[derive(Clone)]
pub struct Pattern(Regex);

impl Pattern {
    /// Compiles a pattern; the error reads like Go's `error parsing regexp: ...`.
    pub fn new(source: &str) -> Result<Pattern, String> {
        Regex::new(source).map(Pattern).map_err(|error| {
            let detail = match error {
                regex::Error::Syntax(text) => {
                    text.lines().last().unwrap_or_default().trim().to_string()
                }
                other => other.to_string(),
            };
            format!("error parsing regexp: {detail}: `{source}`")
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_anywhere_like_go() {
        let pattern = Pattern::new("cp.").unwrap();
        assert!(pattern.is_match("xcpu"));
        assert!(!pattern.is_match("cp"));
        assert!(Pattern::new("^cpu$").unwrap().is_match("cpu"));
    }

    #[test]
    fn bad_patterns_are_reported() {
        let error = Pattern::new("(a").unwrap_err();
        assert!(error.starts_with("error parsing regexp: "), "{error}");
        assert!(error.ends_with(": `(a`"), "{error}");
    }
}

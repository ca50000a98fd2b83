//! What InfluxDB 3 says depends on its release: the messages below changed between 3.0 and 3.10,
//! and the server words its 3.x answers after the `version` it reports.

/// A 3.x release, read from the configured version (`3.0.0`, `v3.10.1`, `3.9.0-nightly`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct V3Release {
    minor: u32,
}

impl V3Release {
    /// A version that does not read as `3.<minor>` is taken as the newest release.
    pub fn of(version: &str) -> V3Release {
        let mut parts = version.trim_start_matches(['v', 'V']).split('.');
        let minor = match (parts.next(), parts.next()) {
            (Some("3"), Some(minor)) => minor
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|digits| digits.parse().ok()),
            _ => None,
        };
        V3Release {
            minor: minor.unwrap_or(u32::MAX),
        }
    }

    fn at_least(self, minor: u32) -> bool {
        self.minor >= minor
    }

    /// The `error` of a refused write (`accept_partial=false`, and the compatibility routes).
    pub fn parse_failed(self) -> &'static str {
        if self.at_least(10) {
            "line protocol parsing error"
        } else {
            "parsing failed for write_lp endpoint"
        }
    }

    /// Whether `/api/v2/write` answers in 2.x's `{"code","message"}` shape (3.5 on); before, its
    /// errors had the `/api/v3/write_lp` shape.
    pub fn v2_write_has_v2_errors(self) -> bool {
        self.at_least(5)
    }

    /// The write buffer's words for a refused line, as `/api/v2/write` quotes them after
    /// `write buffer error: `.
    pub fn write_buffer_parse_error(self, message: &str) -> String {
        if self.at_least(9) {
            format!("line protocol parse failed: {message}")
        } else {
            "parsing for line protocol failed".to_string()
        }
    }

    /// The body of the 400 for an `Authorization` header that is not `<scheme> <token>`.
    pub fn malformed_authorization(self) -> String {
        if self.at_least(1) {
            "{\"error\": \"Authorization header was malformed, the request was not in the form of \
             'Authorization: <auth-scheme> <token>', supported auth-schemes are Bearer, Token and \
             Basic\"}"
                .to_string()
        } else {
            "{\"error\":\"Authorization header was malformed and should be in the form \
             'Authorization: Bearer <token>'\"}"
                .to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_read_from_versions() {
        assert_eq!(V3Release::of("3.0.0"), V3Release { minor: 0 });
        assert_eq!(V3Release::of("v3.10.1"), V3Release { minor: 10 });
        assert_eq!(V3Release::of("3.9.0-nightly"), V3Release { minor: 9 });
        assert_eq!(V3Release::of("latest"), V3Release { minor: u32::MAX });
        assert!(V3Release::of("3.2.0") < V3Release::of("3.10.0"));
    }

    #[test]
    fn messages_follow_the_release() {
        let (first, current) = (V3Release::of("3.0.0"), V3Release::of("3.10.0"));
        assert_eq!(first.parse_failed(), "parsing failed for write_lp endpoint");
        assert_eq!(current.parse_failed(), "line protocol parsing error");
        assert_eq!(
            current.write_buffer_parse_error("missing field value"),
            "line protocol parse failed: missing field value"
        );
        assert_eq!(
            V3Release::of("3.5.0").write_buffer_parse_error("x"),
            "parsing for line protocol failed"
        );
        assert!(current
            .malformed_authorization()
            .contains("Bearer, Token and Basic"));
        assert!(first
            .malformed_authorization()
            .contains("'Authorization: Bearer <token>'"));
    }
}

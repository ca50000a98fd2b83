//! One record per request, handed to an optional hook (the command line prints it).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::text::civil_from_days;

/// What happened to one request.
#[derive(Debug, Clone)]
pub struct RequestLog {
    pub remote_addr: SocketAddr,
    pub method: String,
    /// Path and query string as sent, with the `p` (password) parameter's value hidden.
    pub uri: String,
    pub status: u16,
    /// Body bytes received (as sent, before decompression).
    pub bytes_in: usize,
    /// Response body bytes.
    pub bytes_out: usize,
    pub duration: Duration,
    /// The user named by the credentials, when authentication is on.
    pub user: Option<String>,
    pub request_id: Option<String>,
    pub user_agent: Option<String>,
    pub time: SystemTime,
}

/// The hook; it runs on the server's threads, so it should be quick (e.g. push to a channel).
pub type RequestLogger = Arc<dyn Fn(&RequestLog) + Send + Sync>;

impl RequestLog {
    /// An access-log line in the shape InfluxDB 1.x logs (Apache combined plus request id and
    /// duration): `127.0.0.1 - user [10/Oct/2000:13:55:36 +0000] "POST /write?db=x HTTP/1.1" 204 0 "-" "agent" id 1234`.
    pub fn line(&self) -> String {
        format!(
            "{} - {} [{}] \"{} {} HTTP/1.1\" {} {} \"-\" \"{}\" {} {}",
            self.remote_addr.ip(),
            self.user.as_deref().unwrap_or("-"),
            clf_time(self.time),
            self.method,
            self.uri,
            self.status,
            self.bytes_out,
            self.user_agent.as_deref().unwrap_or("-"),
            self.request_id.as_deref().unwrap_or("-"),
            self.duration.as_micros(),
        )
    }
}

/// Hides the value of every pair of a query string whose key decodes to `p` (so `%70=` too,
/// which the server reads as the password).
pub fn redact_password(uri: &str) -> String {
    let Some((path, query)) = uri.split_once('?') else {
        return uri.to_string();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| {
            let key = pair.split_once('=').map_or(pair, |(key, _)| key);
            if super::params::unescape(key).as_deref() == Some("p") {
                "p=[REDACTED]".to_string()
            } else {
                pair.to_string()
            }
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// `10/Oct/2000:13:55:36 +0000` (UTC).
fn clf_time(time: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1).clamp(0, 11) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_password_keys_are_redacted() {
        assert_eq!(
            redact_password("/write?db=d&%70=secret&u=a&p&P=x"),
            "/write?db=d&p=[REDACTED]&u=a&p=[REDACTED]&P=x"
        );
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact_password("/write?db=x&u=a&p=secret"),
            "/write?db=x&u=a&p=[REDACTED]"
        );
        assert_eq!(redact_password("/ping"), "/ping");
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_675), (2023, 11, 14));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        let line = RequestLog {
            remote_addr: "127.0.0.1:5000".parse().unwrap(),
            method: "POST".into(),
            uri: "/write?db=x".into(),
            status: 204,
            bytes_in: 10,
            bytes_out: 0,
            duration: Duration::from_micros(1500),
            user: None,
            request_id: Some("abc".into()),
            user_agent: None,
            time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        }
        .line();
        assert_eq!(
            line,
            "127.0.0.1 - - [14/Nov/2023:22:13:20 +0000] \"POST /write?db=x HTTP/1.1\" 204 0 \"-\" \"-\" abc 1500"
        );
    }
}

//! `/api/v2/signin` and `/api/v2/signout` (session/http_server.go): Basic credentials of a
//! user buy a session cookie that then authenticates API calls, until signed out.

use super::caller::Caller;
use crate::server::auth::SESSION_COOKIE;
use crate::server::query::QueryContext;
use crate::server::reply::{v2_error, HttpReply};

/// How long a session lasts (2.x's default `--session-length`, 60 minutes).
const SESSION_SECONDS: u64 = 60 * 60;

pub fn serve(ctx: &QueryContext, caller: &Caller, method: &str, path: &str) -> HttpReply {
    if method != "POST" {
        return v2_error("method not allowed", "allow: POST");
    }
    match path {
        "/api/v2/signin" => {
            let key = caller
                .basic
                .as_ref()
                .and_then(|(user, password)| ctx.identity.sign_in(user, password));
            match key {
                Some(key) => HttpReply::no_content().header("Set-Cookie", cookie(&key)),
                None => v2_error("unauthorized", "unauthorized access"),
            }
        }
        _ => match &caller.session {
            Some(key) if ctx.identity.sign_out(key) => HttpReply::no_content(),
            _ => v2_error("unauthorized", "unauthorized access"),
        },
    }
}

fn cookie(key: &str) -> String {
    let expires = std::time::SystemTime::now() + std::time::Duration::from_secs(SESSION_SECONDS);
    format!(
        "{SESSION_COOKIE}={key}; Path=/api/; Expires={}; HttpOnly; SameSite=Strict",
        http_date(expires)
    )
}

/// An HTTP date (`Mon, 02 Jan 2006 15:04:05 GMT`).
fn http_date(time: std::time::SystemTime) -> String {
    let secs = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (hour, minute, second) = (rest / 3600, rest % 3600 / 60, rest % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {hour:02}:{minute:02}:{second:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_as_go_writes_them() {
        let at = |secs| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        assert_eq!(http_date(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            http_date(at(1_136_214_245)),
            "Mon, 02 Jan 2006 15:04:05 GMT"
        );
        assert_eq!(http_date(at(951_782_400)), "Tue, 29 Feb 2000 00:00:00 GMT");
    }
}

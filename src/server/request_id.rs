//! Request ids as InfluxDB sets them: 1.x echoes the client's `X-Request-Id` (or `Request-Id`)
//! or makes a time-based version-1 UUID; InfluxDB 3 makes a version-7 UUID for each answer.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::HeaderMap;

/// 1.x echoes `X-Request-Id` (or `Request-Id`), else makes a new time-based (v1) UUID.
pub fn echoed_or_v1(headers: &HeaderMap) -> String {
    for name in ["x-request-id", "request-id"] {
        if let Some(value) = headers.get(name).and_then(|v| v.to_str().ok()) {
            if !value.is_empty() {
                return value.to_string();
            }
        }
    }
    new_uuid_v1()
}

/// Distinct ids within one clock tick come from this count.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

fn since_epoch() -> std::time::Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// 64 unpredictable bits (std's randomly keyed hasher over the time and a count): ids need to
/// be unique, not secret.
fn random_bits() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(since_epoch().as_nanos());
    hasher.write_u64(SEQUENCE.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

fn hyphenated(high: u64, low: u64) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

/// A version-1 UUID: 60-bit count of 100 ns since 1582-10-15, a clock sequence and a random node.
pub fn new_uuid_v1() -> String {
    static NODE: OnceLock<u64> = OnceLock::new();
    // Multicast bit set: a random node, not a MAC address (RFC 4122 §4.5).
    let node = *NODE.get_or_init(|| (random_bits() & 0xffff_ffff_ffff) | 0x0100_0000_0000);
    const GREGORIAN_OFFSET: u64 = 0x01b2_1dd2_1381_4000;
    let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let ticks = (since_epoch().as_nanos() / 100) as u64 + GREGORIAN_OFFSET + (sequence & 0xff);
    let clock_seq = ((sequence >> 8) & 0x3fff) | 0x8000;
    let high = ((ticks & 0xffff_ffff) << 32)
        | (((ticks >> 32) & 0xffff) << 16)
        | (((ticks >> 48) & 0x0fff) | 0x1000);
    hyphenated(high, (clock_seq << 48) | node)
}

/// A version-7 UUID (RFC 9562): 48-bit Unix milliseconds, then random bits.
pub fn new_uuid_v7() -> String {
    let millis = since_epoch().as_millis() as u64 & 0xffff_ffff_ffff;
    let random = random_bits();
    let high = (millis << 16) | 0x7000 | (random & 0x0fff);
    let low = (random_bits() & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    hyphenated(high, low)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_carry_their_version_and_differ() {
        for make in [new_uuid_v1, new_uuid_v7] {
            let (a, b) = (make(), make());
            assert_ne!(a, b);
            assert_eq!(a.len(), 36);
            assert_eq!(a.matches('-').count(), 4);
            assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        }
        assert_eq!(&new_uuid_v1()[14..15], "1");
        assert_eq!(&new_uuid_v7()[14..15], "7");
    }

    #[test]
    fn v7_ids_start_with_the_time() {
        let millis = since_epoch().as_millis() as u64;
        let id = new_uuid_v7().replace('-', "");
        let stamped = u64::from_str_radix(&id[..12], 16).unwrap();
        assert!(stamped.abs_diff(millis) < 10_000);
    }

    #[test]
    fn clients_ids_are_echoed() {
        let mut headers = HeaderMap::new();
        headers.insert("request-id", "abc".parse().unwrap());
        assert_eq!(echoed_or_v1(&headers), "abc");
        headers.insert("x-request-id", "xyz".parse().unwrap());
        assert_eq!(echoed_or_v1(&headers), "xyz");
    }
}

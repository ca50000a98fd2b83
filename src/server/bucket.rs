//! InfluxDB 2.x names a database + retention policy pair a "bucket" and refers to it by a
//! 16-hex-digit ID. influxlp keeps no separate bucket catalog: a bucket is `db/rp` (or `db` for
//! the default policy), and its ID is derived from that name so it is stable across requests,
//! restarts and servers sharing one store.

/// The bucket ID of `db/rp`, 16 lowercase hex digits, never all zero (2.x refuses ID 0).
pub fn bucket_id(db: &str, rp: &str) -> String {
    id_of(&[b"bucket", db.as_bytes(), rp.as_bytes()])
}

/// The organization ID of an organization name, 16 lowercase hex digits.
pub fn org_id(name: &str) -> String {
    id_of(&[b"org", name.as_bytes()])
}

/// Whether `s` has the form of a 2.x ID (16 hex digits, not all zero).
pub fn is_id(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit()) && s.bytes().any(|b| b != b'0')
}

/// Splits a bucket name into database and retention policy (`None` = the default policy):
/// `db/rp`, `db/` and `db`, as 2.x's virtual DBRP mappings and 1.x's `/api/v2/write` read them.
pub fn split_bucket(bucket: &str) -> (&str, Option<&str>) {
    match bucket.split_once('/') {
        Some((db, "")) => (db, None),
        Some((db, rp)) => (db, Some(rp)),
        None => (bucket, None),
    }
}

/// 64-bit FNV-1a over the parts (with a separator), forced non-zero.
fn id_of(parts: &[&[u8]]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &byte in part.iter().chain(std::iter::once(&0xffu8)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{:016x}", hash.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_distinct_and_well_formed() {
        let a = bucket_id("telegraf", "autogen");
        assert_eq!(a, bucket_id("telegraf", "autogen"));
        assert_ne!(a, bucket_id("telegraf", "weekly"));
        assert_ne!(a, bucket_id("telegra", "fautogen"));
        assert!(is_id(&a));
        assert!(is_id(&org_id("my-org")));
        assert!(!is_id("000000000000000000"));
        assert!(!is_id("0000000000000000"));
        assert!(!is_id("xyz"));
    }

    #[test]
    fn bucket_names_split_like_dbrp_mappings() {
        assert_eq!(split_bucket("db/rp"), ("db", Some("rp")));
        assert_eq!(split_bucket("db/"), ("db", None));
        assert_eq!(split_bucket("db"), ("db", None));
        assert_eq!(split_bucket("db/rp/x"), ("db", Some("rp/x")));
    }
}

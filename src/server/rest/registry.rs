//! The little that 2.x stores about buckets and influxlp can only observe: when a bucket was
//! first seen (its `createdAt`). Shared by every server of the process, like the IDs themselves.

use std::collections::HashMap;
use std::sync::OnceLock;

use parking_lot::Mutex;

#[derive(Default)]
struct Registry {
    first_seen: HashMap<String, i64>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

/// When the bucket `id` was first seen (nanoseconds); `now` the first time.
pub fn first_seen(id: &str, now: i64) -> i64 {
    *registry()
        .lock()
        .first_seen
        .entry(id.to_string())
        .or_insert(now)
}

/// Forgets a deleted bucket, so a new bucket of the same name gets a new creation time.
pub fn forget(id: &str) {
    registry().lock().first_seen.remove(id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_seen_sticks_until_forgotten() {
        assert_eq!(first_seen("registry-test-bucket", 5), 5);
        assert_eq!(first_seen("registry-test-bucket", 9), 5);
        forget("registry-test-bucket");
        assert_eq!(first_seen("registry-test-bucket", 9), 9);
    }
}

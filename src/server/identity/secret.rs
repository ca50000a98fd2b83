//! Random IDs and API tokens, from the operating system's generator (`getrandom`): a token is
//! a credential, so it must not be guessable from the time or from other tokens.

use base64::Engine;

/// As 2.x makes them: 64 random bytes in URL-safe base64 (88 characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 64];
    fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE.encode(bytes)
}

/// A 2.x resource ID: 16 lowercase hex digits, never all zero.
pub fn new_id() -> String {
    let mut bytes = [0u8; 8];
    fill(&mut bytes);
    format!("{:016x}", u64::from_be_bytes(bytes).max(1))
}

/// A sign-in session key.
pub fn new_session_key() -> String {
    let mut bytes = [0u8; 32];
    fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn fill(bytes: &mut [u8]) {
    // The OS generator does not fail on the platforms influxlp builds for; should it, a
    // process-local fallback still gives distinct values rather than a panic.
    if getrandom::fill(bytes).is_err() {
        use std::hash::{BuildHasher, Hasher};
        for chunk in bytes.chunks_mut(8) {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            let word = hasher.finish().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::bucket::is_id;

    #[test]
    fn tokens_and_ids_are_well_formed_and_distinct() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 88);
        assert!(a.ends_with("=="));
        let id = new_id();
        assert!(is_id(&id), "{id}");
        assert_ne!(new_id(), new_id());
        assert_ne!(new_session_key(), new_session_key());
    }
}

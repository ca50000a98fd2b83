//! Arbitrary bytes as the catalog of a saved store (what `Store.load` reads first): decoding
//! never panics, a decoded catalog encodes and decodes to itself, and restoring its databases
//! into a store either refuses cleanly or gives back exactly the policies it lists.
#![no_main]

use influxlp::dataset::{decode_catalog, encode_catalog};
use influxlp::store::Store;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(databases) = decode_catalog(data) else {
        return;
    };
    let again = decode_catalog(encode_catalog(&databases).as_bytes()).expect("own encoding");
    assert_eq!(again, databases);
    let store = Store::new();
    for database in &databases {
        if store
            .restore_database(&database.name, &database.policies)
            .is_ok()
        {
            let restored = store.retention_policies(&database.name).unwrap();
            assert_eq!(restored.len(), database.policies.len());
            for (restored, given) in restored.iter().zip(&database.policies) {
                assert_eq!(restored.name, given.name);
                assert_eq!(restored.default, given.default);
                assert_eq!(restored.duration_ns, given.duration_ns.filter(|&d| d != 0));
            }
        }
    }
});

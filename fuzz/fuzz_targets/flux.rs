//! Arbitrary bytes as a Flux script run against a small store: parsing and running never
//! panic and never hang; a script either answers annotated CSV or an error message.
#![no_main]

use influxlp::server::{parse_flux, query_flux};
use influxlp::store::{Store, WriteOptions};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_700_000_100_000_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(script) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_flux(script);
    let store = Store::new();
    store.create_database("db").unwrap();
    let options = WriteOptions {
        db: "db".into(),
        ..WriteOptions::default()
    };
    store
        .write(
            b"cpu,host=a usage=1,n=1i 1700000000000000000\ncpu,host=b usage=2 1700000030000000000\nmem ok=true,s=\"x\",u=3u 1700000060000000000\n",
            &options,
        )
        .unwrap();
    match query_flux(&store, script, NOW) {
        Ok(csv) => {
            assert!(parsed.is_ok());
            assert!(csv.ends_with("\r\n"));
        }
        Err(message) => assert!(!message.is_empty()),
    }
});

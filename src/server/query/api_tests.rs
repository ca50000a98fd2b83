//! End-to-end tests of `/query`, `/api/v2/buckets` and `/api/v2/orgs` against a real store.
//! Expected 1.x bodies are the answers influxd 1.6.7 gave to the same requests
//! (`tests/oracle/http_cases.json`).

use super::{handle_query, Flavor, HttpReply, QueryContext, User};
use crate::server::bucket::{bucket_id, org_id};
use crate::server::rest::{handle_buckets, handle_collection, Orgs};
use crate::store::{Store, WriteOptions};

fn store_with(db: &str, lines: &str) -> Store {
    let store = Store::new();
    store.create_database(db).unwrap();
    if !lines.is_empty() {
        let options = WriteOptions {
            db: db.into(),
            ..Default::default()
        };
        let result = store.write(lines.as_bytes(), &options).unwrap();
        assert!(result.errors.is_empty(), "{:?}", result.errors);
    }
    store
}

fn pairs(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn ctx(store: &Store, flavor: Flavor) -> QueryContext<'_> {
    QueryContext {
        store,
        flavor,
        user: None,
        auth_enabled: false,
        identity: fresh_identity(),
    }
}

/// A fresh server's identity state (leaked: tests are short-lived).
fn fresh_identity() -> &'static crate::server::identity::Identity {
    Box::leak(Box::default())
}

fn body(reply: &HttpReply) -> String {
    String::from_utf8(reply.body.clone()).unwrap()
}

fn query_as(store: &Store, flavor: Flavor, method: &str, params: &[(&str, &str)]) -> (u16, String) {
    let reply = handle_query(&ctx(store, flavor), method, &pairs(params), b"");
    (reply.status, body(&reply))
}

fn get(store: &Store, params: &[(&str, &str)]) -> (u16, String) {
    query_as(store, Flavor::V1, "GET", params)
}

fn post(store: &Store, params: &[(&str, &str)]) -> (u16, String) {
    query_as(store, Flavor::V1, "POST", params)
}

const TWO_POINTS: &str = "m,t=a v=1 1000\nm,t=b v=2,w=3i 2000\n";

fn ok(json: &str) -> (u16, String) {
    (200, format!("{json}\n"))
}

#[test]
fn create_show_and_drop_databases() {
    let store = Store::new();
    assert_eq!(
        get(&store, &[("q", "CREATE DATABASE \"created_by_get\"")]),
        ok(
            r#"{"results":[{"statement_id":0,"messages":[{"level":"warning","text":"deprecated use of 'CREATE DATABASE created_by_get' in a read only context, please use a POST request instead"}]}]}"#
        )
    );
    assert_eq!(
        post(&store, &[("q", "CREATE DATABASE \"created_by_post\"")]),
        ok(r#"{"results":[{"statement_id":0}]}"#)
    );
    // Creating again is fine.
    assert_eq!(
        post(&store, &[("q", "CREATE DATABASE created_by_post")]),
        ok(r#"{"results":[{"statement_id":0}]}"#)
    );
    assert_eq!(
        get(&store, &[("q", "SHOW DATABASES")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["created_by_get"],["created_by_post"]]}]}]}"#
        )
    );
    assert_eq!(
        post(&store, &[("q", "DROP DATABASE created_by_get")]),
        ok(r#"{"results":[{"statement_id":0}]}"#)
    );
    assert_eq!(
        post(&store, &[("q", "DROP DATABASE never_was")]),
        ok(r#"{"results":[{"statement_id":0}]}"#)
    );
    assert_eq!(store.databases(), vec!["created_by_post".to_string()]);
    post(&store, &[("q", "DROP DATABASE created_by_post")]);
    assert_eq!(
        get(&store, &[("q", "SHOW DATABASES")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"]}]}]}"#
        )
    );
}

#[test]
fn select_star_in_each_epoch() {
    let store = store_with("db", TWO_POINTS);
    assert_eq!(
        get(
            &store,
            &[("db", "db"), ("q", "SELECT * FROM m"), ("epoch", "ns")]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","t","v","w"],"values":[[1000,"a",1,null],[2000,"b",2,3]]}]}]}"#
        )
    );
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SELECT * FROM m")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","t","v","w"],"values":[["1970-01-01T00:00:00.000001Z","a",1,null],["1970-01-01T00:00:00.000002Z","b",2,3]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SELECT * FROM m GROUP BY *"),
                ("epoch", "ms")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","tags":{"t":"a"},"columns":["time","v","w"],"values":[[0,1,null]]},{"name":"m","tags":{"t":"b"},"columns":["time","v","w"],"values":[[0,2,3]]}]}]}"#
        )
    );
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SELECT * FROM m"), ("epoch", "u")]).1,
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"m\",\"columns\":[\"time\",\"t\",\"v\",\"w\"],\"values\":[[1,\"a\",1,null],[2,\"b\",2,3]]}]}]}\n"
    );
}

#[test]
fn select_where_limit_and_qualified_names() {
    let store = store_with("db", TWO_POINTS);
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SELECT v FROM m WHERE t = 'b' AND time >= 1500"),
                ("epoch", "ns")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[[2000,2]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SELECT * FROM m LIMIT 1"),
                ("epoch", "ns")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","t","v","w"],"values":[[1000,"a",1,null]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("q", "SELECT * FROM \"db\".\"autogen\".\"m\""),
                ("epoch", "ns")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","t","v","w"],"values":[[1000,"a",1,null],[2000,"b",2,3]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                (
                    "q",
                    "SELECT w FROM m WHERE v > 1.5 OR t = 'a' ORDER BY time DESC"
                ),
                ("epoch", "ns")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","w"],"values":[[2000,3]]}]}]}"#
        )
    );
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SELECT * FROM m WHERE time > '1970-01-01T00:00:00.000001Z'"), ("epoch", "ns")]).1,
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"m\",\"columns\":[\"time\",\"t\",\"v\",\"w\"],\"values\":[[2000,\"b\",2,3]]}]}]}\n"
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SELECT * FROM m WHERE time > now() - 1h")
            ]
        ),
        ok(r#"{"results":[{"statement_id":0}]}"#)
    );
}

#[test]
fn select_tag_and_field_of_the_same_name() {
    let store = store_with("db", "m,host=a host=1i,v=2 1000");
    assert_eq!(
        get(
            &store,
            &[("db", "db"), ("q", "SELECT * FROM m"), ("epoch", "ns")]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","host","host_1","v"],"values":[[1000,1,"a",2]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SELECT \"host\"::tag, \"host\"::field FROM m"),
                ("epoch", "ns")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","host","host_1"],"values":[[1000,"a",1]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SELECT * FROM m GROUP BY *"),
                ("epoch", "ns")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","tags":{"host":"a"},"columns":["time","host","v"],"values":[[1000,1,2]]}]}]}"#
        )
    );
}

#[test]
fn select_errors_and_empty_answers() {
    let store = store_with("db", TWO_POINTS);
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SELECT * FROM nope")]),
        ok(r#"{"results":[{"statement_id":0}]}"#)
    );
    assert_eq!(
        get(&store, &[("db", "nope"), ("q", "SELECT * FROM m")]),
        ok(r#"{"results":[{"statement_id":0,"error":"database not found: nope"}]}"#)
    );
    assert_eq!(
        get(&store, &[("q", "SELECT * FROM m")]),
        ok(r#"{"results":[{"statement_id":0,"error":"database name required"}]}"#)
    );
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SELECT * FROM nosuch.m")]),
        ok(r#"{"results":[{"statement_id":0,"error":"retention policy not found: nosuch"}]}"#)
    );
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SELECT mean(v) FROM m")]),
        ok(
            r#"{"results":[{"statement_id":0,"error":"mean() in SELECT is not supported by influxlp"}]}"#
        )
    );
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "DELETE FROM m")]),
        ok(
            r#"{"results":[{"statement_id":0,"messages":[{"level":"warning","text":"deprecated use of 'DELETE FROM m' in a read only context, please use a POST request instead"}]}]}"#
        )
    );
}

#[test]
fn request_errors() {
    let store = Store::new();
    let reply = handle_query(&ctx(&store, Flavor::V1), "GET", &[], b"");
    assert_eq!(
        (reply.status, body(&reply)),
        (
            400,
            "{\"error\":\"missing required parameter \\\"q\\\"\"}\n".to_string()
        )
    );
    assert!(reply.headers.iter().any(|(k, _)| k == "X-Influxdb-Error"));
    assert_eq!(
        get(&store, &[("q", "SELEKT 1")]),
        (400, "{\"error\":\"error parsing query: found SELEKT, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1\"}\n".to_string())
    );
    assert_eq!(get(&store, &[("q", "  ")]).0, 400);
}

#[test]
fn show_statements() {
    let store = store_with("db", "m v=1 1\nn,t=x w=1i 1");
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SHOW MEASUREMENTS")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["m"],["n"]]}]}]}"#
        )
    );
    let store = store_with("db", "m v=1,s=\"x\",b=true,i=1i 1");
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SHOW FIELD KEYS")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["fieldKey","fieldType"],"values":[["b","boolean"],["i","integer"],["s","string"],["v","float"]]}]}]}"#
        )
    );
    let store = store_with("db", "m,b=1,a=2 v=1 1\nn,c=3 v=1 1");
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SHOW TAG KEYS")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["tagKey"],"values":[["a"],["b"]]},{"name":"n","columns":["tagKey"],"values":[["c"]]}]}]}"#
        )
    );
    assert_eq!(
        get(&store, &[("q", "SHOW TAG KEYS ON db FROM n")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"n","columns":["tagKey"],"values":[["c"]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[("db", "db"), ("q", "SHOW TAG VALUES WITH KEY IN (a, b)")]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["key","value"],"values":[["a","2"],["b","1"]]}]}]}"#
        )
    );
    let store = store_with("db", "m\\ x,a\\ b=c\\,d,e=f\\=g v=1 1\nm,t=\"q\" v=1 1");
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SHOW SERIES")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"columns":["key"],"values":[["m,t=\"q\""],["m\\ x,a\\ b=c\\,d,e=f\\=g"]]}]}]}"#
        )
    );
    assert_eq!(
        get(&store, &[("q", "SHOW MEASUREMENTS")]),
        ok(r#"{"results":[{"statement_id":0,"error":"database name required"}]}"#)
    );
    assert_eq!(
        get(&store, &[("q", "SHOW MEASUREMENTS ON nope")]),
        ok(r#"{"results":[{"statement_id":0,"error":"database not found: nope"}]}"#)
    );
}

#[test]
fn retention_policies() {
    let store = store_with("db", "");
    assert_eq!(
        get(&store, &[("q", "SHOW RETENTION POLICIES ON \"db\"")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"columns":["name","duration","shardGroupDuration","replicaN","default"],"values":[["autogen","0s","168h0m0s",1,true]]}]}]}"#
        )
    );
    assert_eq!(
        post(
            &store,
            &[(
                "q",
                "CREATE RETENTION POLICY \"short\" ON \"db\" DURATION 1h REPLICATION 1"
            )]
        ),
        ok(r#"{"results":[{"statement_id":0}]}"#)
    );
    assert_eq!(
        post(
            &store,
            &[(
                "q",
                "CREATE RETENTION POLICY week ON db DURATION 1w REPLICATION 1 DEFAULT"
            )]
        ),
        ok(r#"{"results":[{"statement_id":0}]}"#)
    );
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SHOW RETENTION POLICIES")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"columns":["name","duration","shardGroupDuration","replicaN","default"],"values":[["autogen","0s","168h0m0s",1,false],["short","1h0m0s","1h0m0s",1,false],["week","168h0m0s","24h0m0s",1,true]]}]}]}"#
        )
    );
    assert_eq!(
        post(
            &store,
            &[(
                "q",
                "CREATE RETENTION POLICY tiny ON db DURATION 1m REPLICATION 1"
            )]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"error":"retention policy duration must be at least 1h0m0s"}]}"#
        )
    );
    assert_eq!(
        post(
            &store,
            &[(
                "q",
                "CREATE RETENTION POLICY r ON nope DURATION 1h REPLICATION 1"
            )]
        ),
        ok(r#"{"results":[{"statement_id":0,"error":"database not found: nope"}]}"#)
    );
    // Writes go to the new default policy; the qualified name reads the other one.
    let options = WriteOptions {
        db: "db".into(),
        rp: Some("short".into()),
        ..Default::default()
    };
    store
        .write(
            format!("m v=5 {}", crate::text::now_ns()).as_bytes(),
            &options,
        )
        .unwrap();
    assert!(get(&store, &[("db", "db"), ("q", "SELECT * FROM short.m")])
        .1
        .contains("\"values\":[["));
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SELECT * FROM m")]),
        ok(r#"{"results":[{"statement_id":0}]}"#)
    );
    assert!(get(
        &store,
        &[("db", "db"), ("rp", "short"), ("q", "SELECT * FROM m")]
    )
    .1
    .contains("\"values\":[["));
}

#[test]
fn create_database_with_a_named_policy() {
    let store = Store::new();
    assert_eq!(
        post(
            &store,
            &[("q", "CREATE DATABASE x WITH DURATION 2d NAME two_days")]
        ),
        ok(r#"{"results":[{"statement_id":0}]}"#)
    );
    assert_eq!(
        post(&store, &[("q", "CREATE DATABASE y WITH DURATION 2d")]),
        ok(
            r#"{"results":[{"statement_id":0,"error":"a finite DURATION for the autogen policy (give the policy a NAME) is not supported by influxlp"}]}"#
        )
    );
    assert!(!store.databases().contains(&"y".to_string()));
    let policies = store.retention_policies("x").unwrap();
    let two_days = policies.iter().find(|p| p.name == "two_days").unwrap();
    assert_eq!(
        (two_days.duration_ns, two_days.default),
        (Some(2 * 86_400_000_000_000), true)
    );
}

#[test]
fn show_databases_lists_them_in_creation_order() {
    let store = Store::new();
    for name in ["zeta", "alpha", "mid"] {
        post(&store, &[("q", &format!("CREATE DATABASE {name}"))]);
    }
    // influxd 1.6.7 answers the same statements with zeta, alpha, mid.
    assert_eq!(
        get(&store, &[("q", "SHOW DATABASES")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["zeta"],["alpha"],["mid"]]}]}]}"#
        )
    );
    post(&store, &[("q", "DROP DATABASE alpha")]);
    post(&store, &[("q", "CREATE DATABASE alpha")]);
    assert_eq!(store.databases_by_creation(), ["zeta", "mid", "alpha"]);
}

#[test]
fn create_database_with_a_conflicting_policy_changes_nothing() {
    const CONFLICT: &str = r#"{"results":[{"statement_id":0,"error":"retention policy conflicts with an existing policy"}]}"#;
    const DONE: &str = r#"{"results":[{"statement_id":0}]}"#;
    let store = Store::new();
    post(&store, &[("q", "CREATE DATABASE db")]);
    post(&store, &[("q", "CREATE DATABASE two WITH NAME one")]);
    post(
        &store,
        &[(
            "q",
            "CREATE RETENTION POLICY other ON two DURATION 2h REPLICATION 1",
        )],
    );
    // The answers influxd 1.6.7 gives to the same statements.
    for (statement, answer) in [
        ("CREATE DATABASE db WITH NAME rp", CONFLICT),
        ("CREATE DATABASE db WITH NAME autogen", DONE),
        ("CREATE DATABASE db WITH DURATION 2h NAME autogen", CONFLICT),
        ("CREATE DATABASE two WITH NAME one", DONE),
        ("CREATE DATABASE two WITH DURATION 3h NAME one", CONFLICT),
        ("CREATE DATABASE two WITH NAME other", CONFLICT),
    ] {
        assert_eq!(post(&store, &[("q", statement)]), ok(answer), "{statement}");
    }
    let names = |db: &str| -> Vec<(String, bool)> {
        let policies = store.retention_policies(db).unwrap();
        policies.into_iter().map(|p| (p.name, p.default)).collect()
    };
    assert_eq!(names("db"), [("autogen".to_string(), true)]);
    assert!(names("two").contains(&("one".to_string(), true)));
    assert!(names("two").contains(&("other".to_string(), false)));
}

#[test]
fn several_statements_and_the_first_error() {
    let store = store_with("db", TWO_POINTS);
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SHOW MEASUREMENTS; SELECT * FROM m"),
                ("epoch", "ns")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["m"]]}]},{"statement_id":1,"series":[{"name":"m","columns":["time","t","v","w"],"values":[[1000,"a",1,null],[2000,"b",2,3]]}]}]}"#
        )
    );
    // InfluxDB stops at the first error; its HTTP handler then shows "not executed".
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                (
                    "q",
                    "SELECT * FROM nosuch.m; SHOW MEASUREMENTS; SHOW DATABASES"
                )
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"error":"not executed"},{"statement_id":1,"error":"not executed"}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SHOW MEASUREMENTS; SELECT * FROM nosuch.m")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["m"]]}]},{"statement_id":1,"error":"retention policy not found: nosuch"}]}"#
        )
    );
}

#[test]
fn pretty_output_is_indented_like_go() {
    let store = Store::new();
    let (status, text) = get(&store, &[("q", "SHOW DATABASES"), ("pretty", "true")]);
    assert_eq!(status, 200);
    assert_eq!(
        text,
        "{\n    \"results\": [\n        {\n            \"statement_id\": 0,\n            \"series\": [\n                {\n                    \"name\": \"databases\",\n                    \"columns\": [\n                        \"name\"\n                    ]\n                }\n            ]\n        }\n    ]\n}\n"
    );
}

#[test]
fn authorization_in_1x() {
    let store = store_with("authdb", "a v=1 1000");
    store.create_database("otherdb").unwrap();
    let reader = User {
        name: "reader".into(),
        password: "p".into(),
        admin: false,
        read: vec!["authdb".into()],
        write: vec![],
    };
    let writer = User {
        name: "writer".into(),
        password: "p".into(),
        admin: false,
        read: vec![],
        write: vec!["authdb".into()],
    };
    let as_user = |user: &User, method: &str, params: &[(&str, &str)]| {
        let ctx = QueryContext {
            store: &store,
            flavor: Flavor::V1,
            user: Some(user),
            auth_enabled: true,
            identity: fresh_identity(),
        };
        let reply = handle_query(&ctx, method, &pairs(params), b"");
        (reply.status, body(&reply))
    };
    assert_eq!(
        as_user(
            &reader,
            "GET",
            &[("db", "authdb"), ("q", "SELECT * FROM a"), ("epoch", "ns")]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"a","columns":["time","v"],"values":[[1000,1]]}]}]}"#
        )
    );
    assert_eq!(
        as_user(&writer, "GET", &[("db", "authdb"), ("q", "SELECT * FROM a"), ("epoch", "ns")]),
        (403, "{\"error\":\"error authorizing query: writer not authorized to execute statement 'SELECT * FROM a', requires READ on authdb\"}\n".to_string())
    );
    assert_eq!(
        as_user(&reader, "POST", &[("q", "CREATE DATABASE x")]),
        (403, "{\"error\":\"error authorizing query: reader not authorized to execute statement 'CREATE DATABASE x', requires admin privilege\"}\n".to_string())
    );
    // SHOW DATABASES lists what the user may read or write.
    assert_eq!(
        as_user(&writer, "GET", &[("q", "SHOW DATABASES")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["authdb"]]}]}]}"#
        )
    );
    let admin = User::admin("admin", "p");
    assert_eq!(
        as_user(&admin, "POST", &[("q", "CREATE DATABASE x")]),
        ok(r#"{"results":[{"statement_id":0}]}"#)
    );
}

#[test]
fn the_2x_flavor_answers_like_its_v1_compatible_api() {
    let store = store_with("db", TWO_POINTS);
    assert_eq!(
        query_as(&store, Flavor::V2, "POST", &[("q", "CREATE DATABASE x")]),
        ok(r#"{"results":[{"statement_id":0,"error":"not implemented: CREATE DATABASE"}]}"#)
    );
    assert_eq!(
        query_as(
            &store,
            Flavor::V2,
            "GET",
            &[("db", "db"), ("q", "SELECT v FROM m"), ("epoch", "s")]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[[0,1],[0,2]]}]}]}"#
        )
    );
    let reply = handle_query(
        &ctx(&store, Flavor::V2),
        "GET",
        &pairs(&[("q", "SELEKT")]),
        b"",
    );
    assert_eq!(reply.status, 400);
    assert!(body(&reply)
        .starts_with(r#"{"code":"invalid","message":"failed to parse query: found SELEKT"#));
    let reply = handle_query(&ctx(&store, Flavor::V2), "GET", &[], b"");
    assert_eq!(
        (reply.status, body(&reply)),
        (
            400,
            r#"{"code":"invalid","message":"missing required parameter \"q\""}"#.to_string()
        )
    );
}

// ---- /api/v2/buckets and /api/v2/orgs ----

fn buckets(
    store: &Store,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    request: &str,
) -> (u16, serde_json::Value) {
    let reply = handle_buckets(
        &ctx(store, Flavor::V2),
        method,
        path,
        &pairs(params),
        request.as_bytes(),
    );
    let json = if reply.body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&reply.body).unwrap()
    };
    (reply.status, json)
}

#[test]
fn buckets_are_listed_found_created_and_deleted() {
    let store = store_with("telegraf", "");
    store
        .create_retention_policy("telegraf", "week", Some(604_800_000_000_000), false)
        .unwrap();
    let (status, list) = buckets(&store, "GET", "/api/v2/buckets", &[("org", "my-org")], "");
    assert_eq!(status, 200);
    let names: Vec<&str> = list["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["telegraf", "telegraf/week"]);
    let week = &list["buckets"][1];
    assert_eq!(week["id"], bucket_id("telegraf", "week"));
    assert_eq!(week["orgID"], org_id("my-org"));
    assert_eq!(week["type"], "user");
    assert_eq!(week["retentionRules"][0]["everySeconds"], 604_800);
    assert_eq!(
        week["retentionRules"][0]["shardGroupDurationSeconds"],
        86_400
    );
    assert_eq!(list["buckets"][0]["retentionRules"][0]["everySeconds"], 0);
    assert!(week["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        list["links"]["self"],
        "/api/v2/buckets?descending=false&limit=20&offset=0&org=my-org"
    );

    // find by name, as BucketsApi.find_bucket_by_name does
    let (_, found) = buckets(
        &store,
        "GET",
        "/api/v2/buckets",
        &[("name", "telegraf/week")],
        "",
    );
    assert_eq!(found["buckets"].as_array().unwrap().len(), 1);
    let (_, none) = buckets(&store, "GET", "/api/v2/buckets", &[("name", "nope")], "");
    assert_eq!(none["buckets"], serde_json::json!([]));

    // by ID
    let path = format!("/api/v2/buckets/{}", bucket_id("telegraf", "autogen"));
    let (status, one) = buckets(&store, "GET", &path, &[], "");
    assert_eq!((status, one["name"].as_str()), (200, Some("telegraf")));
    let (status, missing) = buckets(&store, "GET", "/api/v2/buckets/0000000000000001", &[], "");
    assert_eq!(
        (status, missing),
        (
            404,
            serde_json::json!({"code": "not found", "message": "bucket not found"})
        )
    );

    // create, as BucketsApi.create_bucket posts it; the organization must exist
    let unknown = format!(
        r#"{{"name":"new","orgID":"{}","retentionRules":[]}}"#,
        org_id("my-org")
    );
    let (status, missing_org) = buckets(&store, "POST", "/api/v2/buckets", &[], &unknown);
    assert_eq!(
        (status, missing_org["message"].as_str()),
        (404, Some("organization not found"))
    );
    assert!(!store.databases().contains(&"new".to_string()));
    let org = org_id(crate::server::rest::DEFAULT_ORG);
    let request = format!(r#"{{"name":"new","orgID":"{org}","retentionRules":[],"rp":"0"}}"#);
    let (status, created) = buckets(&store, "POST", "/api/v2/buckets", &[], &request);
    assert_eq!(status, 201);
    assert_eq!(
        (created["name"].as_str(), created["orgID"].as_str()),
        (Some("new"), Some(org.as_str()))
    );
    assert!(store.databases().contains(&"new".to_string()));
    let (status, conflict) = buckets(&store, "POST", "/api/v2/buckets", &[], &request);
    assert_eq!((status, conflict["code"].as_str()), (422, Some("conflict")));
    assert_eq!(conflict["message"], "bucket with name new already exists");
    let request =
        r#"{"name":"new/hourly","retentionRules":[{"type":"expire","everySeconds":7200}]}"#;
    let (status, created) = buckets(&store, "POST", "/api/v2/buckets", &[], request);
    assert_eq!(
        (
            status,
            created["retentionRules"][0]["everySeconds"].as_i64()
        ),
        (201, Some(7200))
    );
    // A database's default policy takes the retention too, its shard duration derived from it.
    let request = r#"{"name":"ret","retentionRules":[{"type":"expire","everySeconds":7200}]}"#;
    let (status, created) = buckets(&store, "POST", "/api/v2/buckets", &[], request);
    assert_eq!(
        (
            status,
            created["retentionRules"][0]["everySeconds"].as_i64(),
            created["retentionRules"][0]["shardGroupDurationSeconds"].as_i64()
        ),
        (201, Some(7200), Some(3600))
    );
    let request =
        r#"{"name":"other/short","retentionRules":[{"type":"expire","everySeconds":60}]}"#;
    assert_eq!(
        buckets(&store, "POST", "/api/v2/buckets", &[], request).0,
        422
    );
    assert_eq!(buckets(&store, "POST", "/api/v2/buckets", &[], "{}").0, 400);
    assert_eq!(
        buckets(&store, "POST", "/api/v2/buckets", &[], "not json").0,
        400
    );

    // delete
    let path = format!("/api/v2/buckets/{}", bucket_id("new", "autogen"));
    assert_eq!(buckets(&store, "DELETE", &path, &[], "").0, 204);
    assert!(!store.databases().contains(&"new".to_string()));
    assert_eq!(buckets(&store, "DELETE", &path, &[], "").0, 404);
}

#[test]
fn bucket_lists_are_paged() {
    let store = Store::new();
    for i in 0..25 {
        store.create_database(&format!("db{i:02}")).unwrap();
    }
    let (_, first) = buckets(&store, "GET", "/api/v2/buckets", &[], "");
    assert_eq!(first["buckets"].as_array().unwrap().len(), 20);
    assert_eq!(
        first["links"]["next"],
        "/api/v2/buckets?descending=false&limit=20&offset=20"
    );
    let (_, second) = buckets(&store, "GET", "/api/v2/buckets", &[("offset", "20")], "");
    assert_eq!(second["buckets"].as_array().unwrap().len(), 5);
    assert!(second["links"].get("next").is_none());
    let after = first["buckets"][19]["id"].as_str().unwrap().to_string();
    let (_, rest) = buckets(
        &store,
        "GET",
        "/api/v2/buckets",
        &[("after", &after), ("limit", "3")],
        "",
    );
    let names: Vec<&str> = rest["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["db20", "db21", "db22"]);
    assert_eq!(
        buckets(&store, "GET", "/api/v2/buckets", &[("limit", "101")], "").0,
        400
    );
}

#[test]
fn orgs_are_found_by_name_and_id() {
    let store = Store::new();
    let ctx = ctx(&store, Flavor::V2);
    let caller = crate::server::rest::Caller {
        principal: &crate::server::auth::Principal::Anonymous,
        basic: None,
        session: None,
    };
    let orgs = |params: &[(&str, &str)]| {
        let reply =
            handle_collection::<Orgs>(&ctx, &caller, "GET", "/api/v2/orgs", &pairs(params), b"");
        (
            reply.status,
            serde_json::from_slice::<serde_json::Value>(&reply.body).unwrap(),
        )
    };
    let (status, list) = orgs(&[]);
    assert_eq!(status, 200);
    assert_eq!(list["orgs"][0]["name"], crate::server::rest::DEFAULT_ORG);
    assert_eq!(list["links"]["self"], "/api/v2/orgs");
    // An unknown name is not found, as 2.x answers; no organization is invented.
    let (status, missing) = orgs(&[("org", "my-org")]);
    assert_eq!(status, 404);
    assert_eq!(missing["message"], "organization name \"my-org\" not found");
    let reply = handle_collection::<Orgs>(
        &ctx,
        &caller,
        "POST",
        "/api/v2/orgs",
        &[],
        br#"{"name":"my-org"}"#,
    );
    assert_eq!(reply.status, 201);
    let (_, mine) = orgs(&[("org", "my-org")]);
    assert_eq!(mine["orgs"][0]["id"], org_id("my-org"));
    let (_, by_id) = orgs(&[("orgID", &org_id("my-org"))]);
    assert_eq!(by_id["orgs"][0]["name"], "my-org");
    let (status, _) = orgs(&[("orgID", "00000000000000ff")]);
    assert_eq!(status, 404);
    let path = format!("/api/v2/orgs/{}", org_id("my-org"));
    let reply = handle_collection::<Orgs>(&ctx, &caller, "GET", &path, &[], b"");
    assert_eq!(reply.status, 200);
}

#[test]
fn regular_expressions() {
    let store = store_with(
        "db",
        "m,t=a v=1 1000\nm,t=b v=2 2000\nn,u=x w=1i 1500\nother x=1 1\n",
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SELECT * FROM /^[mn]$/"),
                ("epoch", "ns")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","t","u","v","w"],"values":[[1000,"a",null,1,null],[2000,"b",null,2,null]]},{"name":"n","columns":["time","t","u","v","w"],"values":[[1500,null,"x",null,1]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SELECT v FROM m WHERE t =~ /^b/"),
                ("epoch", "ns")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[[2000,2]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SELECT v FROM m WHERE t !~ /^b/ GROUP BY /t/"),
                ("epoch", "ns")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","tags":{"t":"a"},"columns":["time","v"],"values":[[1000,1]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SHOW MEASUREMENTS WITH MEASUREMENT =~ /^[mn]/")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["m"],["n"]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SHOW TAG VALUES FROM /./ WITH KEY =~ /t|u/")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["key","value"],"values":[["t","a"],["t","b"]]},{"name":"n","columns":["key","value"],"values":[["u","x"]]}]}]}"#
        )
    );
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SHOW FIELD KEYS FROM /^o/")]),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"other","columns":["fieldKey","fieldType"],"values":[["x","float"]]}]}]}"#
        )
    );
    assert_eq!(
        get(&store, &[("db", "db"), ("q", "SELECT * FROM /(/")]).0,
        400
    );
}

#[test]
fn show_statements_with_where() {
    let store = store_with(
        "db",
        "cpu,host=a,region=eu v=1 1\ncpu,host=b,region=us v=2 2\ncpu,host=c v=3 3\nmem,host=a free=1i 1\n",
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SHOW TAG VALUES WITH KEY = host WHERE region = 'eu'")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["key","value"],"values":[["host","a"]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                (
                    "q",
                    "SHOW TAG VALUES FROM cpu WITH KEY = \"host\" WHERE region != 'eu'"
                )
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["key","value"],"values":[["host","b"],["host","c"]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[("db", "db"), ("q", "SHOW MEASUREMENTS WHERE host = 'a'")]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["cpu"],["mem"]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[("db", "db"), ("q", "SHOW MEASUREMENTS WHERE region =~ /./")]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["cpu"]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[("db", "db"), ("q", "SHOW TAG KEYS WHERE host = 'c'")]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["tagKey"],"values":[["host"]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[("db", "db"), ("q", "SHOW SERIES WHERE host = 'a'")]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"columns":["key"],"values":[["cpu,host=a,region=eu"],["mem,host=a"]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SHOW SERIES FROM cpu WHERE host = 'nope'")
            ]
        ),
        ok(r#"{"results":[{"statement_id":0}]}"#)
    );
}

#[test]
fn bound_parameters() {
    let store = store_with("db", TWO_POINTS);
    assert_eq!(
        get(
            &store,
            &[
                ("db", "db"),
                ("q", "SELECT v FROM m WHERE t = $t AND time >= $start"),
                ("params", r#"{"t":"b","start":1500}"#),
                ("epoch", "ns")
            ]
        ),
        ok(
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[[2000,2]]}]}]}"#
        )
    );
    assert_eq!(
        get(
            &store,
            &[("db", "db"), ("q", "SELECT v FROM m WHERE t = $t")]
        ),
        (
            400,
            "{\"error\":\"error parsing query: missing parameter: t\"}\n".to_string()
        )
    );
    let (status, text) = get(
        &store,
        &[("db", "db"), ("q", "SELECT v FROM m"), ("params", "{")],
    );
    assert_eq!(status, 400);
    assert!(
        text.starts_with("{\"error\":\"error parsing query parameters: "),
        "{text}"
    );
}

#[test]
fn chunked_answers_stream_one_json_per_chunk() {
    let store = store_with("db", TWO_POINTS);
    let (status, text) = get(
        &store,
        &[
            ("db", "db"),
            ("q", "SELECT v FROM m; SHOW MEASUREMENTS"),
            ("chunked", "true"),
            ("chunk_size", "1"),
            ("epoch", "ns"),
        ],
    );
    assert_eq!(status, 200);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[[1000,1]],"partial":true}],"partial":true}]}"#,
            r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","v"],"values":[[2000,2]]}]}]}"#,
            r#"{"results":[{"statement_id":1,"series":[{"name":"measurements","columns":["name"],"values":[["m"]]}]}]}"#,
        ]
    );
}

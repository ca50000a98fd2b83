//! Scripts run end to end against a store: each function of the subset, the CSV they answer,
//! and the refusals.

use proptest::prelude::*;

use super::query_flux;
use crate::store::{Store, WriteOptions};

const NOW: i64 = 1_700_000_100_000_000_000;

fn store_with(lines: &str) -> Store {
    let store = Store::new();
    store.create_database("db").unwrap();
    let options = WriteOptions {
        db: "db".into(),
        ..WriteOptions::default()
    };
    store.write(lines.as_bytes(), &options).unwrap();
    store
}

fn sample() -> Store {
    store_with(
        "cpu,host=a usage=1,n=1i 1700000000000000000\n\
         cpu,host=a usage=3,n=2i 1700000010000000000\n\
         cpu,host=b usage=5,n=3i 1700000020000000000\n\
         mem,host=a free=7u,ok=true,s=\"x\" 1700000030000000000\n",
    )
}

fn run(store: &Store, script: &str) -> String {
    query_flux(store, script, NOW).unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// The data rows of an answer (annotations and headers left out), as cells.
fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(",result"))
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn headers(csv: &str) -> Vec<&str> {
    csv.split("\r\n")
        .filter(|l| l.starts_with(",result"))
        .collect()
}

const CPU: &str = "from(bucket: \"db\") |> range(start: 2023-11-14T22:00:00Z) |> filter(fn: (r) => r._measurement == \"cpu\")";

#[test]
fn a_read_answers_every_series_and_field_with_its_types() {
    let csv = run(&sample(), CPU);
    assert!(csv.starts_with(
        "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,long,string,string,string\r\n\
         #group,false,false,true,true,false,false,true,true,true\r\n\
         #default,_result,,,,,,,,\r\n\
         ,result,table,_start,_stop,_time,_value,_field,_measurement,host\r\n\
         ,,0,2023-11-14T22:00:00Z,2023-11-14T22:15:00Z,2023-11-14T22:13:20Z,1,n,cpu,a\r\n"
    ), "{csv}");
    assert_eq!(rows(&csv).len(), 6);
    assert!(csv.ends_with("\r\n\r\n"));
    let mem = run(
        &sample(),
        "from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => r._measurement == \"mem\")",
    );
    assert!(mem.contains(
        "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,unsignedLong,"
    ));
    assert!(mem.contains(",boolean,") && mem.contains(",string,string,string,string\r\n"));
}

#[test]
fn filters_combine_comparisons_regexes_and_logic() {
    let store = sample();
    let count = |predicate: &str| {
        rows(&run(
            &store,
            &format!("from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => {predicate})"),
        ))
        .len()
    };
    assert_eq!(
        count("r._measurement == \"cpu\" and r._field == \"usage\""),
        3
    );
    assert_eq!(count("r[\"host\"] =~ /^b/"), 2);
    assert_eq!(count("r.host !~ /a/ or r._measurement == \"mem\""), 5);
    assert_eq!(count("r._field == \"usage\" and r._value >= 3"), 2);
    assert_eq!(
        count("r._field == \"usage\" and not (r._value < 3 or r._value > 3)"),
        1
    );
    assert_eq!(count("r._field == \"n\" and r._value != 2"), 2);
    assert_eq!(
        count("r._time > 2023-11-14T22:13:30Z and r._measurement == \"cpu\""),
        2
    );
    assert_eq!(count("exists r.nope"), 0);
    assert_eq!(count("r._field == \"ok\" and r._value == true"), 1);
}

#[test]
fn range_takes_durations_integers_and_now() {
    let store = sample();
    // now is 22:15:00; -90s starts at 22:13:30.
    let recent = run(&store, "from(bucket: \"db\") |> range(start: -90s) |> filter(fn: (r) => r._measurement == \"cpu\")");
    assert_eq!(rows(&recent).len(), 4);
    let seconds = run(
        &store,
        "from(bucket: \"db\") |> range(start: 1700000010, stop: 1700000020)",
    );
    assert_eq!(rows(&seconds).len(), 2);
    let years = run(
        &store,
        "from(bucket: \"db\") |> range(start: -10y, stop: 1mo)",
    );
    assert_eq!(rows(&years).len(), 9);
    let month = run(
        &store,
        "option now = () => 2023-12-14T22:13:25Z\nfrom(bucket: \"db\") |> range(start: -1mo)",
    );
    assert!(
        month.contains(",2023-11-14T22:13:25Z,2023-12-14T22:13:25Z,"),
        "{month}"
    );
    let until_now = run(
        &store,
        "from(bucket: \"db\") |> range(start: 0, stop: now())",
    );
    assert_eq!(rows(&until_now).len(), 9);
}

#[test]
fn pivot_keep_drop_rename() {
    let store = sample();
    let pivoted = run(
        &store,
        &format!(
            "{CPU} |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")"
        ),
    );
    assert_eq!(
        headers(&pivoted),
        [",result,table,_start,_stop,_time,_measurement,host,n,usage"]
    );
    assert_eq!(rows(&pivoted)[2][8..], ["3".to_string(), "5".to_string()]);
    let kept = run(
        &store,
        &format!("{CPU} |> filter(fn: (r) => r._field == \"usage\") |> keep(columns: [\"_time\", \"_value\", \"host\"])"),
    );
    assert_eq!(headers(&kept)[0], ",result,table,_time,_value,host");
    let dropped = run(&store, &format!("{CPU} |> drop(columns: [\"_start\", \"_stop\"]) |> rename(columns: {{host: \"server\"}})"));
    assert_eq!(
        headers(&dropped)[0],
        ",result,table,_time,_value,_field,_measurement,server"
    );
}

#[test]
fn buckets_and_schema_fields_as_cols() {
    let store = sample();
    let listed = run(&store, "buckets()");
    assert_eq!(
        headers(&listed),
        [",result,table,name,id,organizationID,retentionPolicy,retentionPeriod"]
    );
    assert_eq!(rows(&listed)[0][3], "db");
    let pivoted = run(
        &store,
        &format!("import \"influxdata/influxdb/schema\"\n{CPU} |> schema.fieldsAsCols()"),
    );
    assert_eq!(
        headers(&pivoted),
        [",result,table,_start,_stop,_time,_measurement,host,n,usage"]
    );
}

#[test]
fn group_sort_limit_tail() {
    let store = sample();
    let grouped = run(&store, &format!("{CPU} |> filter(fn: (r) => r._field == \"usage\") |> group() |> sort(columns: [\"_value\"], desc: true)"));
    let values: Vec<String> = rows(&grouped).iter().map(|r| r[6].clone()).collect();
    assert_eq!(values, ["5", "3", "1"]);
    assert!(grouped.contains("#group,false,false,false,false,false,false,false,false,false"));
    let by_host = run(
        &store,
        &format!("{CPU} |> filter(fn: (r) => r._field == \"usage\") |> group(columns: [\"host\"]) |> limit(n: 1)"),
    );
    assert_eq!(rows(&by_host).len(), 2);
    let except = run(
        &store,
        &format!(
            "{CPU} |> group(columns: [\"_time\", \"_value\"], mode: \"except\") |> tail(n: 1)"
        ),
    );
    assert_eq!(rows(&except).len(), 4);
}

#[test]
fn aggregates_and_selectors() {
    let store = sample();
    let usage = format!("{CPU} |> filter(fn: (r) => r._field == \"usage\") |> group()");
    let value = |f: &str| {
        rows(&run(&store, &format!("{usage} |> {f}")))[0]
            .last()
            .unwrap()
            .clone()
    };
    assert_eq!(value("count()"), "3");
    assert_eq!(value("sum()"), "9");
    assert_eq!(value("mean()"), "3");
    assert_eq!(value("median()"), "3");
    let first = rows(&run(&store, &format!("{usage} |> first()")));
    assert_eq!(first[0][6], "1");
    assert_eq!(rows(&run(&store, &format!("{usage} |> last()")))[0][6], "5");
    assert_eq!(rows(&run(&store, &format!("{usage} |> min()")))[0][6], "1");
    assert_eq!(rows(&run(&store, &format!("{usage} |> max()")))[0][6], "5");
    let mean = run(&store, &format!("{CPU} |> mean()"));
    assert_eq!(
        headers(&mean)[0],
        ",result,table,_start,_stop,_field,_measurement,host,_value"
    );
    assert!(mean.contains(
        "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,string,string,string,double"
    ));
}

#[test]
fn aggregate_window_fills_empty_windows() {
    let store = sample();
    let csv = run(&store, &format!("{CPU} |> filter(fn: (r) => r._field == \"usage\" and r.host == \"a\") |> aggregateWindow(every: 10s, fn: mean)"));
    let windows = rows(&csv);
    // 22:00:00 .. 22:15:00 in 10 s windows: 90 of them, two with a value.
    assert_eq!(windows.len(), 90);
    assert_eq!(windows.iter().filter(|r| !r[6].is_empty()).count(), 2);
    assert_eq!(
        headers(&csv)[0],
        ",result,table,_start,_stop,_time,_value,_field,_measurement,host"
    );
    let sparse = run(&store, &format!("{CPU} |> aggregateWindow(every: 1m, fn: (column, tables=<-) => tables |> sum(column), createEmpty: false)"));
    assert_eq!(rows(&sparse).len(), 4);
    let last = run(
        &store,
        &format!("{CPU} |> aggregateWindow(every: 1m, fn: last, createEmpty: false)"),
    );
    assert_eq!(
        headers(&last)[0],
        ",result,table,_start,_stop,_time,_value,_field,_measurement,host"
    );
}

#[test]
fn yields_variables_imports_and_options() {
    let store = sample();
    let csv = run(
        &store,
        "import \"influxdata/influxdb/schema\"\noption task = {name: \"t\", every: 1h}\n\
         data = from(bucket: \"db\") |> range(start: 0)\n\
         data |> filter(fn: (r) => r._field == \"usage\") |> count() |> yield(name: \"counts\")\n\
         data |> filter(fn: (r) => r._field == \"free\") |> yield(name: \"free\")",
    );
    assert!(csv.contains("#default,counts,"));
    assert!(csv.contains("#default,free,"));
    let results: Vec<&str> = csv.split("\r\n\r\n").collect();
    assert!(results.len() >= 3, "{csv}");
    let at = run(&store, "option now = () => 2023-11-14T22:13:25Z\nfrom(bucket: \"db\") |> range(start: -1h) |> filter(fn: (r) => r._field == \"usage\")");
    assert_eq!(rows(&at).len(), 1);
}

#[test]
fn nothing_found_is_an_empty_result() {
    let csv = run(
        &sample(),
        "from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => r._measurement == \"none\")",
    );
    assert_eq!(csv, "\r\n");
}

#[test]
fn outside_the_subset_is_refused_by_name() {
    let store = sample();
    for (script, names) in [
        ("from(bucket: \"db\") |> range(start: 0) |> map(fn: (r) => r)", "map"),
        ("from(bucket: \"db\") |> range(start: 0) |> window(every: 1m)", "window"),
        ("import \"strings\"\nfrom(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => strings.hasPrefix(v: r.host, prefix: \"a\"))", "strings.hasPrefix"),
        ("from(bucket: \"db\") |> range(start: 0) |> aggregateWindow(every: 1mo, fn: mean)", "calendar"),
        ("from(bucket: \"db\") |> range(start: 0) |> aggregateWindow(every: 1m, fn: (column, tables=<-) => tables |> quantile(q: 0.9))", "quantile"),
        ("from(bucket: \"db\") |> range(start: 0, foo: 1)", "foo"),
    ] {
        let error = query_flux(&store, script, NOW).unwrap_err();
        assert!(error.contains(names) && error.contains("not supported"), "{script}: {error}");
    }
    let unbounded = query_flux(&store, "from(bucket: \"db\")", NOW).unwrap_err();
    assert!(
        unbounded.contains("cannot submit unbounded read"),
        "{unbounded}"
    );
    let missing = query_flux(&store, "from(bucket: \"nope\") |> range(start: 0)", NOW).unwrap_err();
    assert!(missing.contains("could not find bucket \"nope\""));
    let twice = query_flux(
        &store,
        "from(bucket: \"db\") |> range(start: 0)\nfrom(bucket: \"db\") |> range(start: 0)",
        NOW,
    )
    .unwrap_err();
    assert!(twice.contains("multiple yields"), "{twice}");
    let typed = query_flux(
        &store,
        "from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => r._field == \"s\") |> mean()",
        NOW,
    )
    .unwrap_err();
    assert!(
        typed.contains("unsupported input type for mean aggregate: string"),
        "{typed}"
    );
}

#[test]
fn an_error_after_a_result_is_an_error_table() {
    let csv = run(&sample(), "from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => r._field == \"usage\") |> yield(name: \"ok\")\n\
                              from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => r._field == \"s\") |> sum() |> yield(name: \"bad\")");
    assert!(csv.contains("#default,ok,"));
    assert!(csv.ends_with(",error,reference\r\n,runtime error: unsupported input type for sum aggregate: string,\r\n"), "{csv}");
}

#[test]
fn long_predicates_evaluate_within_the_stack() {
    let store = sample();
    let predicate = vec!["r.host == \"zz\""; 300].join(" or ");
    let script = format!("from(bucket: \"db\") |> range(start: 0) |> filter(fn: (r) => {predicate} or r.host == \"b\")");
    assert_eq!(rows(&run(&store, &script)).len(), 2);
    let steps = " |> sort()".repeat(95);
    let pipeline = format!("from(bucket: \"db\") |> range(start: 0){steps}");
    assert_eq!(rows(&run(&store, &pipeline)).len(), 9);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Windows partition the range: the counts of all windows add up to the whole count, and a
    /// filter pinned to a measurement (read narrowly) equals the whole read filtered.
    #[test]
    fn windows_add_up_to_the_whole(points in proptest::collection::vec((0u8..3, 0i64..600, -50i64..50), 1..40), every in 1i64..120) {
        let lines: String = points
            .iter()
            .map(|(m, t, v)| format!("m{m} v={v}i {}\n", 1_700_000_000_000_000_000i64 + t * 1_000_000_000))
            .collect();
        let store = store_with(&lines);
        let base = "from(bucket: \"db\") |> range(start: 2023-11-14T22:13:20Z, stop: 2023-11-14T22:23:20Z)";
        let whole = run(&store, &format!("{base} |> group() |> count()"));
        let windows = run(&store, &format!("{base} |> group() |> aggregateWindow(every: {every}s, fn: count, createEmpty: false)"));
        let total: i64 = rows(&windows).iter().map(|r| r[4].parse::<i64>().unwrap()).sum();
        prop_assert_eq!(total.to_string(), rows(&whole)[0][3].clone());
        let pinned = run(&store, &format!("{base} |> filter(fn: (r) => r._measurement == \"m1\")"));
        let filtered = run(&store, &format!("{base} |> filter(fn: (r) => r._value > -1000 and r._measurement == \"m1\")"));
        let unpinned = run(&store, &format!("{base} |> filter(fn: (r) => r._measurement == \"m1\" or false)"));
        prop_assert_eq!(&pinned, &filtered);
        prop_assert_eq!(&pinned, &unpinned);
    }
}

/// Pieces of Flux that scripts are made of, for scripts assembled at random.
const VOCABULARY: &[&str] = &[
    "from(bucket: \"db\")",
    "|>",
    "range(start: 0)",
    "range(start: -1h, stop: now())",
    "filter(fn: (r) => r._value > 1)",
    "filter(fn: (r) => r.host =~ /a/ or not exists r.x)",
    "pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")",
    "group()",
    "group(columns: [\"host\"])",
    "sort(desc: true)",
    "limit(n: 1)",
    "tail(n: 2, offset: 1)",
    "mean()",
    "count()",
    "sum()",
    "first()",
    "last()",
    "median()",
    "max()",
    "aggregateWindow(every: 10s, fn: mean)",
    "aggregateWindow(every: 1m, fn: last, createEmpty: false)",
    "keep(columns: [\"_value\"])",
    "drop(columns: [\"host\"])",
    "rename(columns: {host: \"h\"})",
    "yield(name: \"a\")",
    "yield()",
    "buckets()",
    "schema.fieldsAsCols()",
    "x = ",
    "x",
    "\n",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "=>",
    "-",
    "1",
    "1.5",
    "\"s\"",
    "2023-11-14T22:13:20Z",
    "5m",
    "-1y",
    "and",
    "or",
    "not",
    "==",
    "<",
    "if",
    "then",
    "else",
    "import \"x\"",
    "option",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any script assembled from Flux's pieces answers CSV or an error, never a panic.
    #[test]
    fn scripts_from_flux_pieces_never_panic(picks in proptest::collection::vec(0..VOCABULARY.len(), 0..24)) {
        let store = sample();
        let script: Vec<&str> = picks.iter().map(|&i| VOCABULARY[i]).collect();
        let script = script.join(" ");
        match query_flux(&store, &script, NOW) {
            Ok(csv) => prop_assert!(csv.ends_with("\r\n")),
            Err(message) => prop_assert!(!message.is_empty()),
        }
    }
}

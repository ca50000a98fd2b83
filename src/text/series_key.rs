//! Series keys as InfluxDB prints them: the escaped measurement, then `,key=value` for each tag
//! in key order (models.MakeKey: measurements escape `,` and space; tag keys and values also `=`).

/// The series key of `measurement` with `tags`, which must be sorted by key.
pub fn series_key(measurement: &str, tags: &[(&str, &str)]) -> String {
    let mut key = String::with_capacity(
        measurement.len()
            + tags
                .iter()
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>(),
    );
    escape_into(&mut key, measurement, false);
    for (tag, value) in tags {
        key.push(',');
        escape_into(&mut key, tag, true);
        key.push('=');
        escape_into(&mut key, value, true);
    }
    key
}

fn escape_into(out: &mut String, text: &str, escape_equals: bool) {
    if !text
        .bytes()
        .any(|b| b == b',' || b == b' ' || (escape_equals && b == b'='))
    {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        if c == ',' || c == ' ' || (escape_equals && c == '=') {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_key() {
        assert_eq!(
            series_key("cpu", &[("host", "a"), ("region", "b")]),
            "cpu,host=a,region=b"
        );
        assert_eq!(series_key("cpu", &[]), "cpu");
    }

    #[test]
    fn separators_are_escaped() {
        assert_eq!(
            series_key("my cpu,x=1", &[("a b", "c=d,e")]),
            r"my\ cpu\,x=1,a\ b=c\=d\,e"
        );
    }

    #[test]
    fn names_and_values_escape_as_show_series_prints_them() {
        assert_eq!(
            series_key("m x", &[("a b", "c,d"), ("e=f", "g=h")]),
            "m\\ x,a\\ b=c\\,d,e\\=f=g\\=h"
        );
        assert_eq!(series_key("m=z", &[("t", "u")]), "m=z,t=u");
        assert_eq!(series_key("c\"pu", &[]), "c\"pu");
    }
}

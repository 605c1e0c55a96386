//! A strict reader of the Prometheus text exposition format (0.0.4) for tests: every line is
//! a `# HELP`, a `# TYPE` or a sample of the family last typed; each family is described once;
//! label syntax and values are checked; histogram buckets are cumulative and end at `+Inf`
//! equal to `_count`. Any violation panics naming the line.

use std::collections::{BTreeMap, HashSet};

/// A sample's labels, in order.
pub type Labels = Vec<(String, String)>;

/// One sample: name, labels in order, value.
pub type Sample = (String, Labels, f64);

/// The parsed page: family name → type, and every sample.
pub struct Page {
    pub types: BTreeMap<String, String>,
    pub samples: Vec<Sample>,
}

impl Page {
    /// The value of the sample `name` with exactly `labels`; `None` when absent.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples.iter().find_map(|(n, l, v)| {
            let same = n == name
                && l.len() == labels.len()
                && l.iter().zip(labels).all(|(a, b)| a.0 == b.0 && a.1 == b.1);
            same.then_some(*v)
        })
    }

    /// The sum of the samples `name` whose labels include all of `labels`.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.iter().any(|(a, b)| a == k && b == v))
            })
            .map(|(_, _, v)| v)
            .sum()
    }
}

fn valid_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_' || f == ':')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == ':')
}

/// Parses `text` strictly.
pub fn parse(text: &str) -> Page {
    assert!(text.ends_with('\n'), "the page ends with a newline");
    let mut types = BTreeMap::new();
    let mut helped = HashSet::new();
    let mut current: Option<(String, String)> = None;
    let mut samples = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = format!("line {}: {line:?}", i + 1);
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, _) = rest
                .split_once(' ')
                .unwrap_or_else(|| panic!("{at}: no help text"));
            assert!(valid_name(name), "{at}: bad name");
            assert!(
                helped.insert(name.to_string()),
                "{at}: second HELP of {name}"
            );
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest
                .split_once(' ')
                .unwrap_or_else(|| panic!("{at}: no type"));
            assert!(valid_name(name), "{at}: bad name");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{at}: unknown type"
            );
            assert!(helped.contains(name), "{at}: TYPE before its HELP");
            let prev = types.insert(name.to_string(), kind.to_string());
            assert!(prev.is_none(), "{at}: second TYPE of {name}");
            current = Some((name.to_string(), kind.to_string()));
        } else {
            assert!(!line.starts_with('#'), "{at}: unknown comment");
            let (family, kind) = current
                .as_ref()
                .unwrap_or_else(|| panic!("{at}: sample before any TYPE"));
            let s = parse_sample(line, &at);
            let suffixes: &[&str] = match kind.as_str() {
                "histogram" => &["_bucket", "_sum", "_count"],
                _ => &[""],
            };
            assert!(
                suffixes.iter().any(|x| s.0 == format!("{family}{x}")),
                "{at}: sample outside its family {family}"
            );
            samples.push(s);
        }
    }
    let page = Page { types, samples };
    check_histograms(&page);
    page
}

fn parse_sample(line: &str, at: &str) -> Sample {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("{at}: no value"));
    let name = &line[..name_end];
    assert!(valid_name(name), "{at}: bad name");
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(r) = rest.strip_prefix('{') {
        rest = r;
        loop {
            if let Some(r) = rest.strip_prefix('}') {
                rest = r;
                break;
            }
            let (key, r) = rest
                .split_once("=\"")
                .unwrap_or_else(|| panic!("{at}: bad label"));
            assert!(
                valid_name(key) && !key.starts_with("__"),
                "{at}: bad label name {key}"
            );
            let mut value = String::new();
            let mut chars = r.char_indices();
            let end = loop {
                match chars.next() {
                    Some((j, '"')) => break j,
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, c @ ('\\' | '"'))) => value.push(c),
                        other => panic!("{at}: bad escape {other:?}"),
                    },
                    Some((_, c)) => value.push(c),
                    None => panic!("{at}: unterminated label value"),
                }
            };
            assert!(
                labels.iter().all(|(k, _): &(String, String)| k != key),
                "{at}: label {key} twice"
            );
            labels.push((key.to_string(), value));
            rest = &r[end + 1..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
    }
    let value = rest
        .strip_prefix(' ')
        .unwrap_or_else(|| panic!("{at}: no space before the value"));
    assert!(!value.contains(' '), "{at}: timestamps are not expected");
    let v = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().unwrap_or_else(|_| panic!("{at}: bad value")),
    };
    (name.to_string(), labels, v)
}

/// Each histogram series: buckets ascending by `le`, counts non-decreasing, `+Inf` last and
/// equal to `_count`.
fn check_histograms(page: &Page) {
    for (family, _) in page.types.iter().filter(|(_, k)| *k == "histogram") {
        let bucket = format!("{family}_bucket");
        let mut series: BTreeMap<Labels, Vec<(f64, f64)>> = BTreeMap::new();
        for (n, l, v) in page.samples.iter().filter(|s| s.0 == bucket) {
            let le = l
                .iter()
                .find(|(k, _)| k == "le")
                .unwrap_or_else(|| panic!("{n}: no le"));
            let le: f64 = if le.1 == "+Inf" {
                f64::INFINITY
            } else {
                le.1.parse().unwrap()
            };
            let rest: Vec<_> = l.iter().filter(|(k, _)| k != "le").cloned().collect();
            series.entry(rest).or_default().push((le, *v));
        }
        for (labels, buckets) in series {
            for w in buckets.windows(2) {
                assert!(
                    w[0].0 < w[1].0 && w[0].1 <= w[1].1,
                    "{family}{labels:?}: {buckets:?}"
                );
            }
            let last = buckets.last().unwrap();
            assert!(last.0.is_infinite(), "{family}{labels:?}: no +Inf bucket");
            let l: Vec<(&str, &str)> = labels
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            let count = page.value(&format!("{family}_count"), &l);
            assert_eq!(
                count,
                Some(last.1),
                "{family}{labels:?}: _count is the +Inf bucket"
            );
            assert!(
                page.value(&format!("{family}_sum"), &l).is_some(),
                "{family}{labels:?}: no _sum"
            );
        }
    }
}

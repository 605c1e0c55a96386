//! The Prometheus text exposition format (version 0.0.4): each family's `# HELP` and `# TYPE`
//! once, then its samples, label values escaped.

use super::histogram::Snapshot;
use std::collections::HashSet;
use std::fmt::{Display, Write};

/// A metric family's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A page of exposition text being written.
#[derive(Default)]
pub struct Exposition {
    out: String,
    families: HashSet<&'static str>,
}

impl Exposition {
    /// Starts the family `name`: its `# HELP` and `# TYPE` lines. A family is started once.
    pub fn family(&mut self, name: &'static str, kind: Kind, help: &str) {
        let fresh = self.families.insert(name);
        debug_assert!(fresh, "metric family {name} written twice");
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {}", kind.as_str());
    }

    /// One sample of the family just started (`name` may carry a `_bucket`-like suffix).
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"");
                escape_into(&mut self.out, v);
                self.out.push('"');
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    /// A family of one unlabelled sample.
    pub fn single(&mut self, name: &'static str, kind: Kind, help: &str, value: impl Display) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }

    /// The `_bucket`, `_sum` and `_count` samples of one histogram of the family `name`.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: &Snapshot) {
        let bucket = format!("{name}_bucket");
        let bounds: Vec<String> = h.bounds.iter().map(|b| h.format(*b)).collect();
        let mut cumulative = 0;
        for (le, n) in bounds.iter().zip(&h.buckets) {
            cumulative += n;
            let with_le: Vec<(&str, &str)> =
                labels.iter().copied().chain([("le", &**le)]).collect();
            self.sample(&bucket, &with_le, cumulative);
        }
        let with_le: Vec<(&str, &str)> = labels.iter().copied().chain([("le", "+Inf")]).collect();
        self.sample(&bucket, &with_le, h.count);
        self.sample(&format!("{name}_sum"), labels, h.format(h.sum));
        self.sample(&format!("{name}_count"), labels, h.count);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// A label value as the format wants it: `\`, `"` and newlines escaped.
fn escape_into(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::histogram::{Histogram, Unit};

    #[test]
    fn families_histograms_and_escaped_labels_render_in_the_text_format() {
        let mut e = Exposition::default();
        e.family("x_total", Kind::Counter, "Xs.");
        e.sample(
            "x_total",
            &[("route", "/a/{id}"), ("q", "say \"hi\"\\\n")],
            3,
        );
        static BOUNDS: &[u64] = &[1, 2];
        let h = Histogram::new(BOUNDS, Unit::Units);
        h.observe(1);
        h.observe(5);
        e.family("y", Kind::Histogram, "Ys.");
        e.histogram("y", &[("k", "v")], &h.snapshot());
        assert_eq!(
            e.finish(),
            "# HELP x_total Xs.\n# TYPE x_total counter\n\
             x_total{route=\"/a/{id}\",q=\"say \\\"hi\\\"\\\\\\n\"} 3\n\
             # HELP y Ys.\n# TYPE y histogram\n\
             y_bucket{k=\"v\",le=\"1\"} 1\ny_bucket{k=\"v\",le=\"2\"} 1\n\
             y_bucket{k=\"v\",le=\"+Inf\"} 2\ny_sum{k=\"v\"} 6\ny_count{k=\"v\"} 2\n"
        );
    }
}

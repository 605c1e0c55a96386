//! Korean and English: the [`Locale`] of a page, chosen by [`Locale::negotiate`]; the text
//! of each locale is in the message catalog ([`crate::catalog`], re-exported here as [`Msg`]).

pub use crate::catalog::Msg;

/// A language the pages are written in. Korean is the default (paygate's payers are mostly
/// in Korea).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Locale {
    Ko,
    En,
}

/// Most `Accept-Language` entries looked at (the header is untrusted and may be long).
const ACCEPT_LANGUAGE_ENTRIES_MAX: usize = 32;

impl Locale {
    /// The `lang` attribute and `Content-Language` value.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Ko => "ko",
            Locale::En => "en",
        }
    }

    /// `ko` or `en` (ASCII case ignored); anything else is `None`.
    pub fn parse(s: &str) -> Option<Locale> {
        [Locale::Ko, Locale::En]
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(s.trim()))
    }

    /// The page's locale: the `?locale=` query value when it names one, then the best
    /// `Accept-Language` entry by q-value (ties: the earlier entry), else Korean.
    pub fn negotiate(query: Option<&str>, accept_language: Option<&str>) -> Locale {
        query
            .and_then(Locale::parse)
            .or_else(|| accept_language.and_then(best_accepted))
            .unwrap_or(Locale::Ko)
    }
}

/// The supported locale with the highest q-value in an `Accept-Language` header. q-values
/// are read as thousandths (integers): `q=0.8` is 800, a missing q is 1000, `q=0` excludes.
fn best_accepted(header: &str) -> Option<Locale> {
    let mut best: Option<(u16, Locale)> = None;
    for entry in header.split(',').take(ACCEPT_LANGUAGE_ENTRIES_MAX) {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1000), parse_q);
        let Some(q) = q.filter(|q| *q > 0) else {
            continue;
        };
        let primary = tag.split('-').next().unwrap_or_default();
        let locale = if tag == "*" {
            Some(Locale::Ko)
        } else {
            Locale::parse(primary)
        };
        if let Some(l) = locale
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, l));
        }
    }
    best.map(|(_, l)| l)
}

/// `1`, `1.0`, `0.8`, `0.125` → thousandths; anything else (more than 3 decimals, > 1) → None.
fn parse_q(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let mut thousandths: u16 = 0;
    for (i, d) in frac.bytes().enumerate() {
        thousandths += u16::from(d - b'0') * [100, 10, 1][i];
    }
    let q = whole + thousandths;
    (q <= 1000).then_some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_wins_then_accept_language_by_q_value_then_korean() {
        let cases: &[(Option<&str>, Option<&str>, Locale)] = &[
            (Some("en"), Some("ko"), Locale::En),
            (Some("EN"), None, Locale::En),
            (Some("ko"), Some("en-US"), Locale::Ko),
            (Some("fr"), Some("en-US,en;q=0.9"), Locale::En),
            (None, Some("en-US,en;q=0.9,ko;q=0.8"), Locale::En),
            (None, Some("ko;q=0.5, en;q=0.7"), Locale::En),
            (None, Some("en;q=0.5, ko-KR;q=0.7"), Locale::Ko),
            (None, Some("fr-FR, de;q=0.9"), Locale::Ko),
            (None, Some("en;q=0, ko;q=0.1"), Locale::Ko),
            (None, Some("en;q=0"), Locale::Ko),
            (None, Some("fr, en;q=0.001"), Locale::En),
            (None, Some("en;q=1.5"), Locale::Ko),
            (None, Some("en;q=abc"), Locale::Ko),
            (None, Some("*;q=0.9, en;q=0.8"), Locale::Ko),
            (None, Some(""), Locale::Ko),
            (None, None, Locale::Ko),
        ];
        for (q, al, want) in cases {
            assert_eq!(
                Locale::negotiate(*q, *al),
                *want,
                "query {q:?}, header {al:?}"
            );
        }
    }

    #[test]
    fn q_values_are_read_as_thousandths() {
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("0.125"), Some(125));
        assert_eq!(parse_q("0.8"), Some(800));
        assert_eq!(parse_q("1.001"), None);
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q("-1"), None);
    }
}

//! `Secret<T>`: a value that cannot leak through formatting or serialisation by accident.

use std::fmt;

use zeroize::Zeroize;

/// A secret value (key, password, card data).
///
/// * `Debug` and `Display` print `[REDACTED]`, so a secret inside a struct that derives
///   `Debug` or inside a `tracing` field prints the mask, never the value.
/// * There is deliberately no `Serialize`: writing a secret anywhere must go through the
///   explicit, greppable [`Secret::expose_secret`].
/// * The value is zeroized when the `Secret` is dropped (`T: Zeroize` covers `String`,
///   `Vec<u8>`, byte arrays and integers). Why a bound rather than a best effort: a
///   `Drop` impl cannot be specialised per type, and a secret type that silently skips
///   zeroizing is worse than one that does not compile.
///
/// `Deserialize` is provided so configuration (API keys, passwords) can be read straight
/// into a `Secret`.
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    /// Wraps `value`; from here on it prints as `[REDACTED]`.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// Borrows the secret value. Every call site is a place where the secret leaves the
    /// protection of this type: keep them few and easy to find.
    pub fn expose_secret(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Secret(self.0.clone())
    }
}

impl<T: Zeroize> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl<T: Zeroize> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl<'de, T: Zeroize + serde::Deserialize<'de>> serde::Deserialize<'de> for Secret<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_print_the_mask_only() {
        let s = Secret::new(String::from("hunter2-password"));
        assert_eq!(format!("{s:?}"), "[REDACTED]");
        assert_eq!(format!("{s}"), "[REDACTED]");
        assert_eq!(format!("{:#?}", Some(&s)), "Some(\n    [REDACTED],\n)");
        assert_eq!(s.expose_secret(), "hunter2-password");
    }

    #[test]
    fn deserialize_reads_the_value_and_keeps_it_masked() {
        let s: Secret<String> = serde_json::from_str("\"sk_test_abc\"").unwrap();
        assert_eq!(s.expose_secret(), "sk_test_abc");
        assert_eq!(format!("{s:?}"), "[REDACTED]");
    }

    #[test]
    fn clone_is_an_independent_copy() {
        let a = Secret::new(vec![1u8, 2, 3]);
        let b = a.clone();
        drop(a);
        assert_eq!(b.expose_secret(), &vec![1u8, 2, 3]);
    }
}

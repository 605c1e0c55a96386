//! A merchant's look on its checkout page: a colour and a logo, both checked on the way in so
//! that nothing a merchant types can become markup, CSS or a script URL.
//!
//! - [`BrandColor`] is exactly `#RRGGBB` (hex digits only); it is written into the page's
//!   nonce'd stylesheet, so it can never close the rule or the element. The text drawn on it
//!   is black or white, whichever contrasts more (WCAG relative luminance), so a light
//!   colour does not make the pay button unreadable.
//! - [`LogoUrl`] is an absolute `https` URL; the page allows images from its origin only.

use crate::security::{FormOrigin, WebUrl};

/// A colour `#RRGGBB`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrandColor([u8; 3]);

impl BrandColor {
    /// `#RRGGBB` (either case); anything else (names, `#RGB`, `rgb()`, `;`…) is `None`.
    pub fn parse(s: &str) -> Option<BrandColor> {
        let hex = s.strip_prefix('#')?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(BrandColor([byte(0)?, byte(2)?, byte(4)?]))
    }

    /// `#rrggbb`.
    pub fn css(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0[0], self.0[1], self.0[2])
    }

    /// The text colour drawn on this colour: `#ffffff` or `#1a1a1a`, whichever has the larger
    /// contrast ratio against it.
    pub fn on_color(self) -> &'static str {
        let l = self.luminance();
        let white = 1.05 / (l + 0.05);
        let dark = (l + 0.05) / (luminance_of([0x1a, 0x1a, 0x1a]) + 0.05);
        if white >= dark { "#ffffff" } else { "#1a1a1a" }
    }

    fn luminance(self) -> f64 {
        luminance_of(self.0)
    }
}

/// WCAG 2 relative luminance of an sRGB colour (a colour, not money: floats are right here).
fn luminance_of(rgb: [u8; 3]) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])
}

/// An absolute `https` URL of the merchant's logo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoUrl(WebUrl);

impl LogoUrl {
    /// Only `https://host/…` (no other scheme, no credentials); else `None`.
    pub fn parse(s: &str) -> Option<LogoUrl> {
        let u = WebUrl::parse("logo_url", s).ok()?;
        let ok = u.url().scheme() == "https"
            && u.url().host_str().is_some()
            && u.url().username().is_empty()
            && u.url().password().is_none();
        ok.then_some(LogoUrl(u))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The origin the page's `img-src` allows.
    pub fn origin(&self) -> FormOrigin {
        FormOrigin::of(&self.0)
    }
}

/// What a checkout page shows of the merchant besides its name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Branding {
    pub color: Option<BrandColor>,
    pub logo: Option<LogoUrl>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_six_digit_hex_colours_are_taken() {
        assert_eq!(BrandColor::parse("#0B57D0").unwrap().css(), "#0b57d0");
        for bad in [
            "0b57d0",
            "#0b57d",
            "#0b57d0;",
            "#0b57dg",
            "red",
            "#fff",
            "#0b57d0}body{",
            "rgb(1,2,3)",
        ] {
            assert!(BrandColor::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn text_on_a_light_colour_is_dark_and_on_a_dark_one_white() {
        assert_eq!(BrandColor::parse("#ffeb3b").unwrap().on_color(), "#1a1a1a");
        assert_eq!(BrandColor::parse("#0b57d0").unwrap().on_color(), "#ffffff");
    }

    #[test]
    fn only_https_logos_are_taken() {
        assert!(LogoUrl::parse("https://cdn.shop.example/logo.png").is_some());
        for bad in [
            "http://cdn.shop.example/logo.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "/logo.png",
            "https://user:pw@cdn.shop.example/logo.png",
        ] {
            assert!(LogoUrl::parse(bad).is_none(), "{bad}");
        }
        let l = LogoUrl::parse("https://cdn.shop.example:8443/a.png").unwrap();
        assert_eq!(l.origin().as_str(), "https://cdn.shop.example:8443");
    }
}

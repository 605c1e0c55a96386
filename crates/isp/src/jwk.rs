//! P-256 public keys as JWKs (RFC 7517/7518 §6.2): `{"kty":"EC","crv":"P-256","x","y"}`,
//! with `kid`, `use` and `alg` when the ISP server publishes its encryption key.

use p256::PublicKey;
use p256::elliptic_curve::sec1::ToSec1Point;
use serde::{Deserialize, Serialize};

use crate::{IspError, b64};

/// Length of one coordinate, in bytes.
const COORD_BYTES: usize = 32;

/// A public P-256 JWK.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    /// Always `EC`.
    pub kty: String,
    /// Always `P-256`.
    pub crv: String,
    /// The x coordinate, base64url (32 bytes).
    pub x: String,
    /// The y coordinate, base64url (32 bytes).
    pub y: String,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Intended use (`enc`).
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Algorithm (`ECDH-ES`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

impl PublicJwk {
    /// The bare JWK (kty, crv, x, y) of a key.
    pub fn from_public_key(key: &PublicKey) -> PublicJwk {
        let point = key.to_sec1_point(false);
        let x = point.x().map(|x| b64::url_encode(x)).unwrap_or_default();
        let y = point.y().map(|y| b64::url_encode(y)).unwrap_or_default();
        PublicJwk {
            kty: "EC".to_owned(),
            crv: "P-256".to_owned(),
            x,
            y,
            kid: None,
            use_: None,
            alg: None,
        }
    }

    /// The JWK the ISP server publishes: `use: enc`, `alg: ECDH-ES` and `kid`.
    pub fn encryption_key(key: &PublicKey, kid: &str) -> PublicJwk {
        PublicJwk {
            kid: Some(kid.to_owned()),
            use_: Some("enc".to_owned()),
            alg: Some("ECDH-ES".to_owned()),
            ..PublicJwk::from_public_key(key)
        }
    }

    /// The key; refuses another curve or a point not on P-256.
    pub fn to_public_key(&self) -> Result<PublicKey, IspError> {
        if self.kty != "EC" || self.crv != "P-256" {
            return Err(IspError::new("jwk", "must be kty EC, crv P-256"));
        }
        let x = b64::url_decode(&self.x, "jwk.x")?;
        let y = b64::url_decode(&self.y, "jwk.y")?;
        if x.len() != COORD_BYTES || y.len() != COORD_BYTES {
            return Err(IspError::new("jwk", "x and y must be 32 bytes each"));
        }
        let mut sec1 = Vec::with_capacity(1 + 2 * COORD_BYTES);
        sec1.push(0x04);
        sec1.extend_from_slice(&x);
        sec1.extend_from_slice(&y);
        PublicKey::from_sec1_bytes(&sec1).map_err(|_| IspError::new("jwk", "not a point on P-256"))
    }
}

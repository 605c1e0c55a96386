//! The CLI's ISP wallet file: JSON holding the certificate and its serial in clear, and the
//! cardholder's PKCS#8 private key and card each sealed with AES-256-GCM under a key derived
//! from the ISP password with Argon2id (random salt; parameters stored). No PAN in clear
//! (last four digits only, to name the card).
//!
//! Wrong password → [`WalletError::WrongPassword`] and a failed-tries counter in the file;
//! the 5th wrong try in a row locks the wallet for 30 minutes (`locked_until`). The counter
//! lives in the file the attacker may hold, so it stops casual guessing through this
//! command, not an offline attack — that is what Argon2id's cost is for (docs/ISP.md).

use std::path::Path;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, aead};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use paygate_isp::CardPayload;
use paygate_isp::p256::ecdsa::SigningKey;
use paygate_isp::p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

/// Wrong passwords in a row that lock the wallet.
pub const MAX_FAILED_TRIES: u32 = 5;
/// How long a locked wallet refuses to open.
pub const LOCK_DURATION: time::Duration = time::Duration::minutes(30);
const FORMAT: &str = "paygate-isp-wallet-v1";
const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
const SALT_BYTES: usize = 16;

/// Why a wallet could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The password does not open the wallet (the try was counted).
    #[error(
        "wrong ISP password ({tries} of {MAX_FAILED_TRIES} tries; the wallet locks for 30 minutes after {MAX_FAILED_TRIES})"
    )]
    WrongPassword {
        /// Wrong tries in a row so far.
        tries: u32,
    },
    /// Too many wrong passwords.
    #[error("the wallet is locked until {until} after {MAX_FAILED_TRIES} wrong ISP passwords")]
    Locked {
        /// RFC 3339 time the lock ends.
        until: String,
    },
    /// The file cannot be read, written or parsed.
    #[error("wallet file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// Argon2id parameters, stored with the salt.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Kdf {
    /// Always `argon2id`.
    pub alg: String,
    /// Memory, KiB.
    pub m_cost: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
    /// Random salt, base64.
    pub salt: String,
}

/// One AES-256-GCM box: base64 of nonce ‖ ciphertext ‖ tag.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sealed(pub String);

/// The wallet file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WalletFile {
    /// `paygate-isp-wallet-v1`.
    pub format: String,
    /// ISP server the card was enrolled at.
    pub isp_url: String,
    /// The cardholder certificate (PEM).
    pub certificate: String,
    /// Its serial (lowercase hex).
    pub serial: String,
    /// Last four digits of the card.
    pub last4: String,
    /// How the sealing key is derived from the password.
    pub kdf: Kdf,
    /// The PKCS#8 DER private key, sealed.
    pub private_key: Sealed,
    /// The card JSON, sealed.
    pub card: Sealed,
    /// Wrong passwords in a row.
    pub failed_tries: u32,
    /// RFC 3339 end of a lock, when locked.
    pub locked_until: Option<String>,
}

/// An opened wallet.
pub struct Opened {
    /// The signing key.
    pub key: SigningKey,
    /// The card.
    pub card: CardPayload,
}

fn file_err(path: &Path, reason: impl ToString) -> WalletError {
    WalletError::File {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

fn derive(password: &str, kdf: &Kdf) -> Result<Zeroizing<[u8; 32]>, String> {
    let params = argon2::Params::new(kdf.m_cost, kdf.t_cost, kdf.p_cost, Some(32))
        .map_err(|e| format!("kdf parameters: {e}"))?;
    let salt = B64
        .decode(&kdf.salt)
        .map_err(|_| "kdf salt is not base64")?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(password.as_bytes(), &salt, key.as_mut())
        .map_err(|e| format!("argon2id: {e}"))?;
    Ok(key)
}

fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Result<Sealed, String> {
    let mut nonce = [0u8; NONCE_BYTES];
    getrandom::fill(&mut nonce).map_err(|e| format!("random: {e}"))?;
    let mut buf = Zeroizing::new(plaintext.to_vec());
    let tag = Aes256Gcm::new(key.into())
        .encrypt_inout_detached(
            &aead::Nonce::<Aes256Gcm>::from(nonce),
            aad,
            buf.as_mut_slice().into(),
        )
        .map_err(|_| "encryption failed")?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&buf);
    out.extend_from_slice(&tag);
    Ok(Sealed(B64.encode(out)))
}

/// `None` when the key (password) is wrong or the box was altered.
fn open(key: &[u8; 32], aad: &[u8], sealed: &Sealed) -> Option<Zeroizing<Vec<u8>>> {
    let blob = B64.decode(&sealed.0).ok()?;
    if blob.len() < NONCE_BYTES + TAG_BYTES {
        return None;
    }
    let (nonce, rest) = blob.split_at(NONCE_BYTES);
    let (ct, tag) = rest.split_at(rest.len() - TAG_BYTES);
    let nonce = <&aead::Nonce<Aes256Gcm>>::try_from(nonce).ok()?;
    let tag = <&aead::Tag<Aes256Gcm>>::try_from(tag).ok()?;
    let mut buf = Zeroizing::new(ct.to_vec());
    Aes256Gcm::new(key.into())
        .decrypt_inout_detached(nonce, aad, buf.as_mut_slice().into(), tag)
        .ok()?;
    Some(buf)
}

/// Associated data of each box: binds it to this wallet's certificate and its role.
fn aad(serial: &str, what: &str) -> Vec<u8> {
    format!("{FORMAT}|{serial}|{what}").into_bytes()
}

impl WalletFile {
    /// A new wallet sealing `key` and `card` under `password`.
    pub fn create(
        isp_url: &str,
        certificate: &str,
        serial: &str,
        key: &SigningKey,
        card: &CardPayload,
        password: &str,
    ) -> Result<WalletFile, String> {
        let mut salt = [0u8; SALT_BYTES];
        getrandom::fill(&mut salt).map_err(|e| format!("random: {e}"))?;
        let kdf = Kdf {
            alg: "argon2id".to_owned(),
            m_cost: argon2::Params::DEFAULT_M_COST,
            t_cost: argon2::Params::DEFAULT_T_COST,
            p_cost: argon2::Params::DEFAULT_P_COST,
            salt: B64.encode(salt),
        };
        let sealing = derive(password, &kdf)?;
        let pkcs8 = key.to_pkcs8_der().map_err(|e| format!("pkcs8: {e}"))?;
        let card_json = Zeroizing::new(card.to_json());
        Ok(WalletFile {
            format: FORMAT.to_owned(),
            isp_url: isp_url.to_owned(),
            certificate: certificate.to_owned(),
            serial: serial.to_owned(),
            last4: card.last4().to_owned(),
            private_key: seal(&sealing, &aad(serial, "private_key"), pkcs8.as_bytes())?,
            card: seal(&sealing, &aad(serial, "card"), &card_json)?,
            kdf,
            failed_tries: 0,
            locked_until: None,
        })
    }

    /// Reads a wallet file.
    pub fn load(path: &Path) -> Result<WalletFile, WalletError> {
        let text = std::fs::read_to_string(path).map_err(|e| file_err(path, e))?;
        let w: WalletFile = serde_json::from_str(&text).map_err(|e| file_err(path, e))?;
        if w.format != FORMAT || w.kdf.alg != "argon2id" {
            return Err(file_err(
                path,
                format!("not a {FORMAT} wallet with argon2id"),
            ));
        }
        Ok(w)
    }

    /// Writes the wallet (readable by its owner only), replacing the file atomically.
    pub fn save(&self, path: &Path) -> Result<(), WalletError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| file_err(path, e))?;
        let tmp = path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        paygate_gateway::write_private(&tmp, &text).map_err(|e| file_err(path, e))?;
        std::fs::rename(&tmp, path).map_err(|e| file_err(path, e))
    }

    /// Opens the wallet with `password` at `now`, counting a wrong try (and locking after the
    /// fifth) or clearing the counter, and saving the file either way.
    pub fn unlock(
        &mut self,
        path: &Path,
        password: &str,
        now: OffsetDateTime,
    ) -> Result<Opened, WalletError> {
        if let Some(until) = &self.locked_until {
            let end = OffsetDateTime::parse(until, &Rfc3339).map_err(|e| file_err(path, e))?;
            if now < end {
                return Err(WalletError::Locked {
                    until: until.clone(),
                });
            }
        }
        let sealing = derive(password, &self.kdf).map_err(|e| file_err(path, e))?;
        let key = open(
            &sealing,
            &aad(&self.serial, "private_key"),
            &self.private_key,
        );
        let card = open(&sealing, &aad(&self.serial, "card"), &self.card);
        let (Some(key), Some(card)) = (key, card) else {
            return Err(self.wrong_try(path, now));
        };
        let key = SigningKey::from_pkcs8_der(&key).map_err(|e| file_err(path, e))?;
        let card = CardPayload::from_json(&card).map_err(|e| file_err(path, e))?;
        if self.failed_tries != 0 || self.locked_until.is_some() {
            self.failed_tries = 0;
            self.locked_until = None;
            self.save(path)?;
        }
        Ok(Opened { key, card })
    }

    fn wrong_try(&mut self, path: &Path, now: OffsetDateTime) -> WalletError {
        self.failed_tries += 1;
        let tries = self.failed_tries;
        let err = if tries >= MAX_FAILED_TRIES {
            let until = (now + LOCK_DURATION)
                .replace_nanosecond(0)
                .unwrap_or(now + LOCK_DURATION);
            let until = until.format(&Rfc3339).unwrap_or_default();
            self.failed_tries = 0;
            self.locked_until = Some(until.clone());
            WalletError::Locked { until }
        } else {
            WalletError::WrongPassword { tries }
        };
        match self.save(path) {
            Ok(()) => err,
            Err(save) => save,
        }
    }
}

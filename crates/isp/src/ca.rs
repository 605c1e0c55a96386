//! Issuing certificates: the ISP server's root and issuing CAs and the cardholders' leaf
//! certificates (X.509 v3, ECDSA-SHA256). Lives beside the parsing helpers so tests on every
//! side can build a foreign CA (for `isp_certificate_untrusted`) the same way.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use der::flagset::FlagSet;
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::Certificate;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use crate::{IspError, fill_random};

/// Length of a serial, in bytes (positive: the top bit is clear).
pub const SERIAL_BYTES: usize = 16;

/// What a certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A CA: basicConstraints cA, keyCertSign + cRLSign.
    Ca,
    /// A cardholder: digitalSignature only.
    Cardholder,
}

/// The builder profile: fixed subject and issuer, the role's extensions.
struct Profile {
    subject: Name,
    issuer: Name,
    role: Role,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let (ca, usage): (bool, FlagSet<KeyUsages>) = match self.role {
            Role::Ca => (true, KeyUsages::KeyCertSign | KeyUsages::CRLSign),
            Role::Cardholder => (false, KeyUsages::DigitalSignature.into()),
        };
        let basic = BasicConstraints {
            ca,
            path_len_constraint: None,
        };
        let subject = tbs.subject();
        Ok(vec![
            (&basic).to_extension(subject, &[])?,
            (&KeyUsage(usage)).to_extension(subject, &[])?,
        ])
    }
}

/// A CA: its key and certificate.
pub struct Authority {
    /// The signing key.
    pub key: SigningKey,
    /// Its certificate.
    pub certificate: Certificate,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field(
                "subject",
                &self.certificate.tbs_certificate().subject().to_string(),
            )
            .finish_non_exhaustive()
    }
}

/// A fresh random serial: 16 bytes, positive, never starting with a zero byte.
pub fn random_serial() -> Result<[u8; SERIAL_BYTES], IspError> {
    let mut s = [0u8; SERIAL_BYTES];
    fill_random(&mut s)?;
    s[0] = (s[0] & 0x7f) | 0x40;
    Ok(s)
}

fn name(dn: &str) -> Result<Name, IspError> {
    Name::from_str(dn).map_err(|e| IspError::new("name", e.to_string()))
}

fn validity(not_before: SystemTime, lifetime: Duration) -> Result<Validity, IspError> {
    let t = |s: SystemTime| Time::try_from(s).map_err(|e| IspError::new("validity", e.to_string()));
    Ok(Validity::new(t(not_before)?, t(not_before + lifetime)?))
}

/// Signs a certificate for `subject_key`.
fn issue(
    signer: &SigningKey,
    profile: Profile,
    subject_key: &VerifyingKey,
    serial: &[u8],
    validity: Validity,
) -> Result<Certificate, IspError> {
    let err = |e: String| IspError::new("certificate", e);
    let spki = SubjectPublicKeyInfoOwned::from_key(subject_key).map_err(|e| err(e.to_string()))?;
    let serial = SerialNumber::new(serial).map_err(|e| err(e.to_string()))?;
    let builder =
        CertificateBuilder::new(profile, serial, validity, spki).map_err(|e| err(e.to_string()))?;
    builder
        .build::<_, DerSignature>(signer)
        .map_err(|e| err(e.to_string()))
}

impl Authority {
    /// A self-signed root CA named `dn` (e.g. `CN=Root,O=Example`), valid from `not_before`.
    pub fn root(
        dn: &str,
        key: SigningKey,
        not_before: SystemTime,
        lifetime: Duration,
    ) -> Result<Authority, IspError> {
        let subject = name(dn)?;
        let profile = Profile {
            issuer: subject.clone(),
            subject,
            role: Role::Ca,
        };
        let certificate = issue(
            &key,
            profile,
            key.verifying_key(),
            &random_serial()?,
            validity(not_before, lifetime)?,
        )?;
        Ok(Authority { key, certificate })
    }

    /// Certifies `subject_key` as `dn` in `role`; `serial` as [`random_serial`] makes them.
    pub fn certify(
        &self,
        dn: &str,
        role: Role,
        subject_key: &VerifyingKey,
        serial: &[u8],
        not_before: SystemTime,
        lifetime: Duration,
    ) -> Result<Certificate, IspError> {
        let profile = Profile {
            subject: name(dn)?,
            issuer: self.certificate.tbs_certificate().subject().clone(),
            role,
        };
        issue(
            &self.key,
            profile,
            subject_key,
            serial,
            validity(not_before, lifetime)?,
        )
    }

    /// A subordinate CA `dn` with the key `key`, certified by this one.
    pub fn subordinate(
        &self,
        dn: &str,
        key: SigningKey,
        not_before: SystemTime,
        lifetime: Duration,
    ) -> Result<Authority, IspError> {
        let certificate = self.certify(
            dn,
            Role::Ca,
            key.verifying_key(),
            &random_serial()?,
            not_before,
            lifetime,
        )?;
        Ok(Authority { key, certificate })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert;
    use p256::elliptic_curve::Generate;

    const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

    #[test]
    fn chain_verifies_and_a_foreign_ca_does_not() {
        let now = SystemTime::now();
        let root = Authority::root("CN=Test Root", SigningKey::generate(), now, 10 * YEAR).unwrap();
        let issuing = root
            .subordinate("CN=Test Issuing", SigningKey::generate(), now, 5 * YEAR)
            .unwrap();
        let holder = SigningKey::generate();
        let serial = random_serial().unwrap();
        let leaf = issuing
            .certify(
                "CN=ispc_abc",
                Role::Cardholder,
                holder.verifying_key(),
                &serial,
                now,
                YEAR,
            )
            .unwrap();
        let pem = cert::to_pem(&leaf).unwrap();
        let leaf = cert::parse_pem(&pem).unwrap();
        let chain = [issuing.certificate.clone(), root.certificate.clone()];
        cert::verify_chain(&leaf, &chain).unwrap();
        assert_eq!(cert::serial_hex(&leaf).len(), 32);
        assert_eq!(cert::subject_cn(&leaf).as_deref(), Some("ispc_abc"));
        assert_eq!(&cert::public_key(&leaf).unwrap(), holder.verifying_key());
        assert!(cert::is_valid_at(&leaf, now + YEAR / 2));
        assert!(!cert::is_valid_at(&leaf, now + 2 * YEAR));

        let foreign =
            Authority::root("CN=Test Issuing", SigningKey::generate(), now, YEAR).unwrap();
        let forged = foreign
            .certify(
                "CN=ispc_abc",
                Role::Cardholder,
                holder.verifying_key(),
                &serial,
                now,
                YEAR,
            )
            .unwrap();
        assert!(cert::verify_chain(&forged, &chain).is_err());
    }
}

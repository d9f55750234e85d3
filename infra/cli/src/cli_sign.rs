//! `edgegate sign-url`, `edgegate sign-cookies` and `edgegate keys new`.

use crate::audit::{AuditSink, Event, Minted};
use crate::cli::{HashArg, SignArgs};
use crate::local::dev_keys;
use crate::{CliError, IoAction, KeySource, UsageError};
use edgegate_keys::policy::CustomPolicy;
use edgegate_keys::sign::{self, SigningKey, SigningPolicy};
use edgegate_keys::{HashAlgorithm, Ipv4Cidr, KeyPairId, KeyType};
use std::path::Path;

/// Runs `sign-url` (`cookies == false`) or `sign-cookies`, returning what to print. With
/// `--private-key-secret` the PEM is read from AWS Secrets Manager first. The audit line
/// ([`crate::audit`]) is written before the credential is returned: one whose line cannot be
/// written is never printed.
pub async fn run(args: &SignArgs, cookies: bool, now: u64) -> Result<String, CliError> {
    let secret_pem = match &args.private_key_secret {
        Some(secret) if args.url.starts_with("https://") || args.url.starts_with("http://") => {
            Some(crate::publish_cmd::secret_pem(secret).await?)
        }
        _ => None,
    };
    let (text, minted) = sign(args, cookies, now, secret_pem)?;
    let event = if cookies {
        Event::SignedCookies(minted)
    } else {
        Event::SignedUrl(minted)
    };
    AuditSink::new(args.audit_log.clone()).write(&[event], now)?;
    Ok(text)
}

/// The signing itself; `secret_pem` is the key read from `--private-key-secret`, if any.
/// Returns what to print and what the audit line records.
fn sign(
    args: &SignArgs,
    cookies: bool,
    now: u64,
    secret_pem: Option<String>,
) -> Result<(String, Minted), CliError> {
    if !(args.url.starts_with("https://") || args.url.starts_with("http://")) {
        return Err(UsageError::UrlNotAbsolute.into());
    }
    let parse_id = |id: &str| -> Result<KeyPairId, CliError> {
        id.parse()
            .map_err(|e| CliError::Usage(UsageError::KeyPairId(e)))
    };
    // Refuse a URL the gate would refuse to serve (raw spaces, dot segments, encoded slashes...):
    // a signed link that can never work is worse than an error now.
    let after_scheme = args
        .url
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let path_start = after_scheme.find(['/', '?']).unwrap_or(after_scheme.len());
    let path_and_query = after_scheme.get(path_start..).unwrap_or_default();
    let path = path_and_query.split(['?', '#']).next().unwrap_or_default();
    let path = if path.is_empty() { "/" } else { path };
    edgegate_edge::path::check_canonical(path).map_err(UsageError::PathNotServed)?;
    let mut dev_key = false;
    let (key_pair_id, key) = match (&args.key_pair_id, &args.private_key, secret_pem) {
        (Some(id), Some(path), _) => {
            let id = parse_id(id)?;
            let pem =
                std::fs::read_to_string(path).map_err(|e| CliError::io(IoAction::Read, path, e))?;
            let key = SigningKey::from_pem(&pem).map_err(|source| CliError::UnusableKey {
                from: KeySource::File(path.clone()),
                source,
            })?;
            (id, key)
        }
        (Some(id), None, Some(pem)) => {
            let id = parse_id(id)?;
            let secret = args.private_key_secret.as_deref().unwrap_or("the secret");
            let key = SigningKey::from_pem(pem.trim()).map_err(|source| CliError::UnusableKey {
                from: KeySource::Secret(secret.to_string()),
                source,
            })?;
            (id, key)
        }
        _ => {
            eprintln!("edgegate: signing with the DEV key pair {} (dev only; pass --key-pair-id and --private-key for real keys)", dev_keys::DEV_KEY_PAIR_ID);
            dev_key = true;
            let id: KeyPairId = dev_keys::DEV_KEY_PAIR_ID.parse()?;
            (id, dev_keys::cloudfront_signing_key()?)
        }
    };
    let key_type = key.public_key()?.key_type();
    let hash = match (args.hash, key_type) {
        (Some(HashArg::Sha1), KeyType::EcP256) => return Err(UsageError::Sha1WithEcdsa.into()),
        (Some(HashArg::Sha1), _) => HashAlgorithm::Sha1,
        (Some(HashArg::Sha256), _) | (None, KeyType::EcP256) => HashAlgorithm::Sha256,
        (None, KeyType::Rsa) => HashAlgorithm::Sha1,
    };
    let hash_name = match hash {
        HashAlgorithm::Sha1 => "sha1",
        HashAlgorithm::Sha256 => "sha256",
    };
    let audited =
        |policy: &CustomPolicy| Minted::custom(key_pair_id.to_string(), dev_key, policy, hash_name);
    let (policy, minted) = if let Some(path) = &args.policy {
        let json =
            std::fs::read_to_string(path).map_err(|e| CliError::io(IoAction::Read, path, e))?;
        let parsed = CustomPolicy::parse(json.as_bytes()).map_err(|source| UsageError::Policy {
            path: path.clone(),
            source,
        })?;
        (SigningPolicy::Custom(json), audited(&parsed))
    } else {
        let expires = match (args.expires_at, args.expires_in) {
            (Some(at), None) => at,
            (None, Some(secs)) => now.saturating_add(secs),
            _ => return Err(UsageError::NoExpiry.into()),
        };
        if expires <= now {
            return Err(UsageError::ExpiryInPast.into());
        }
        if args.resource.is_some() || args.ip.is_some() {
            let source_ip = match &args.ip {
                Some(ip) => Some(Ipv4Cidr::parse(ip).map_err(|()| UsageError::IpCidr)?),
                None => None,
            };
            let policy = CustomPolicy {
                resource: args.resource.clone().unwrap_or_else(|| args.url.clone()),
                date_less_than: expires,
                date_greater_than: None,
                source_ip,
            };
            CustomPolicy::parse(policy.to_json().as_bytes()).map_err(UsageError::Resource)?;
            (SigningPolicy::custom(&policy), audited(&policy))
        } else {
            if expires > edgegate_keys::signed::MAX_EXPIRES {
                return Err(UsageError::CannedAfter2038.into());
            }
            let minted = Minted {
                key_pair_id: key_pair_id.to_string(),
                dev_key,
                policy: "canned",
                resource: args.url.clone(),
                expires,
                not_before: None,
                ip: None,
                hash: hash_name,
            };
            (SigningPolicy::Canned { expires }, minted)
        }
    };
    let rng = ring::rand::SystemRandom::new();
    if cookies {
        let pairs = sign::sign_cookies(&args.url, &policy, &key_pair_id, &key, hash, &rng)?;
        let header: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        Ok((format!("Cookie: {}", header.join("; ")), minted))
    } else {
        let url = sign::sign_url(&args.url, &policy, &key_pair_id, &key, hash, &rng)?;
        Ok((url, minted))
    }
}

/// `edgegate keys new`: writes `private-key.pem` (mode 0600) and `public-key.pem` into `out`.
pub fn keys_new(rsa: bool, out: &Path) -> Result<String, CliError> {
    let generated = if rsa {
        let mut rng = rand_core::OsRng;
        sign::generate_rsa_2048(&mut rng)
    } else {
        sign::generate_ecdsa_p256(&ring::rand::SystemRandom::new())
    }?;
    std::fs::create_dir_all(out).map_err(|e| CliError::io(IoAction::Create, out, e))?;
    let private_path = out.join("private-key.pem");
    let public_path = out.join("public-key.pem");
    for p in [&private_path, &public_path] {
        if p.exists() {
            return Err(CliError::KeyExists { path: p.clone() });
        }
    }
    write_private(&private_path, &generated.private_pem)?;
    let public_pem = generated.public_key.to_spki_pem();
    std::fs::write(&public_path, &public_pem)
        .map_err(|e| CliError::io(IoAction::Write, &public_path, e))?;
    Ok(format!(
        "wrote {} (secret) and {}\nkey type: {}\nfingerprint (sha256 of the public key DER): {}\n\nRegister the public key with CloudFront, then add its id to a key group and to edgegate.toml:\n  aws cloudfront create-public-key --public-key-config 'CallerReference=edgegate-{},Name=edgegate-{},EncodedKey=<contents of {}>'\n\n{}",
        private_path.display(),
        public_path.display(),
        if rsa { "RSA-2048" } else { "ECDSA P-256" },
        generated.public_key.fingerprint_hex(),
        &generated.public_key.fingerprint_hex()[..12],
        &generated.public_key.fingerprint_hex()[..12],
        public_path.display(),
        public_pem
    ))
}

#[cfg(unix)]
fn write_private(path: &Path, pem: &str) -> Result<(), CliError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| CliError::io(IoAction::Create, path, e))?;
    f.write_all(pem.as_bytes())
        .map_err(|e| CliError::io(IoAction::Write, path, e))
}

#[cfg(not(unix))]
fn write_private(path: &Path, pem: &str) -> Result<(), CliError> {
    std::fs::write(path, pem).map_err(|e| CliError::io(IoAction::Write, path, e))
}

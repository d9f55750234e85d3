//! What may be deployed: the one rule every packager and deployed function applies, so the
//! committed development material and local-only settings never reach AWS.
//!
//! Refused: the dev issuer and dev CloudFront keys (by SHA-256 fingerprint of the DER
//! SubjectPublicKeyInfo, [`edgegate_keys::dev`]) anywhere (trusted keys, the JWKS, key
//! slots); the dev user pool; `http` for the site or the Hosted UI; secret references that are
//! not Secrets Manager ARNs (`file:` and `dev:` are for `edgegate dev`). Applied by
//! `edgegate bundle`, `edgegate stack params` and the origin auth function's cold start.

use super::{ConfigDocument, ConfigError, GateConfig, Scheme, SecretRef};
use edgegate_keys::PublicKey;

/// Refuses a configuration that must not be deployed.
///
/// # Errors
/// [`ConfigError`] naming the first field at fault (`auth.secrets.state_key: ...`).
pub fn deployable(doc: &ConfigDocument, gate: &GateConfig) -> Result<(), ConfigError> {
    if gate.scheme() != Scheme::Https {
        return Err(ConfigError::new(
            "site.scheme",
            "only https can be deployed",
        ));
    }
    if let Some(auth) = &doc.auth {
        if !auth.hosted_ui.starts_with("https://") {
            return Err(ConfigError::new(
                "auth.hosted_ui",
                "only https can be deployed",
            ));
        }
        for (field, reference) in auth.secrets.references() {
            if !matches!(
                SecretRef::parse(reference),
                Ok(SecretRef::SecretsManager(_))
            ) {
                return Err(ConfigError::new(
                    field,
                    "the deployed function reads Secrets Manager ARNs only",
                ));
            }
        }
    }
    if doc
        .cognito
        .as_ref()
        .is_some_and(|c| c.user_pool_id == edgegate_keys::dev::DEV_USER_POOL_ID)
    {
        return Err(ConfigError::new(
            "cognito.user_pool_id",
            "the dev user pool cannot be deployed",
        ));
    }
    for (i, k) in gate.trusted_keys().iter().enumerate() {
        deployable_key(&format!("cloudfront.trusted_keys[{i}]"), &k.public_key)?;
    }
    let offset = usize::from(doc.cognito.is_some());
    for (i, issuer) in gate.issuers().iter().enumerate() {
        let jwks = issuer.jwks();
        if jwks
            .kids()
            .any(|kid| jwks.get(kid).is_some_and(edgegate_keys::dev::is_dev_key))
        {
            let field = match i.checked_sub(offset) {
                Some(k) => format!("issuers[{k}].jwks"),
                None => "cognito JWKS".to_string(),
            };
            return Err(ConfigError::new(field, "contains the dev issuer key"));
        }
    }
    for (i, d) in doc.issuers.iter().flatten().enumerate() {
        if d.issuer
            .ends_with(&format!("/{}", edgegate_keys::dev::DEV_USER_POOL_ID))
        {
            return Err(ConfigError::new(
                format!("issuers[{i}].issuer"),
                "the dev user pool cannot be deployed",
            ));
        }
        if d.jwks_url
            .as_deref()
            .is_some_and(|u| !u.starts_with("https://"))
        {
            return Err(ConfigError::new(
                format!("issuers[{i}].jwks_url"),
                "only https can be deployed",
            ));
        }
    }
    Ok(())
}

/// Refuses one of the committed development keys at `field`.
///
/// # Errors
/// [`ConfigError`] naming `field`.
pub fn deployable_key(field: &str, key: &PublicKey) -> Result<(), ConfigError> {
    if edgegate_keys::dev::is_dev_key(key) {
        return Err(ConfigError::new(
            field,
            "the dev key pair cannot be deployed",
        ));
    }
    Ok(())
}

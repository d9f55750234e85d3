//! The outputs of deployed stacks (`aws cloudformation describe-stacks` JSON given with
//! `--stack-outputs`), and the check of edgegate.toml against the identity stack's: what AWS
//! assigned (pool and client ids, public key ids, secret ARNs) must be what the configuration
//! says, and each difference names the setting to change.

use super::settings::SlotKey;
use crate::{CliError, UsageError};
use edgegate_edge::ConfigDocument;
use edgegate_keys::PublicKey;

/// Outputs of one deployed stack (`describe-stacks`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackOutputs {
    /// The stack's name.
    pub stack_name: String,
    /// OutputKey -> OutputValue.
    pub outputs: Vec<(String, String)>,
}

impl StackOutputs {
    /// Parses `aws cloudformation describe-stacks --output json` (every stack in it).
    pub fn parse_describe_stacks(text: &str, origin: &str) -> Result<Vec<Self>, CliError> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|source| UsageError::OutputsJson {
                origin: origin.to_string(),
                source,
            })?;
        let stacks = v.get("Stacks").and_then(|s| s.as_array()).ok_or_else(|| {
            UsageError::OutputsNoStacks {
                origin: origin.to_string(),
            }
        })?;
        let mut out = Vec::new();
        for s in stacks {
            let stack_name = s
                .get("StackName")
                .and_then(|n| n.as_str())
                .ok_or_else(|| UsageError::OutputsNoStackName {
                    origin: origin.to_string(),
                })?
                .to_string();
            let mut outputs = Vec::new();
            for o in s
                .get("Outputs")
                .and_then(|o| o.as_array())
                .into_iter()
                .flatten()
            {
                if let (Some(k), Some(val)) = (
                    o.get("OutputKey").and_then(|k| k.as_str()),
                    o.get("OutputValue").and_then(|v| v.as_str()),
                ) {
                    outputs.push((k.to_string(), val.to_string()));
                }
            }
            out.push(StackOutputs {
                stack_name,
                outputs,
            });
        }
        Ok(out)
    }

    /// One output's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.outputs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The outputs of the stack named `stack_name`, if given.
pub(super) fn find_outputs<'a>(
    outputs: &'a [StackOutputs],
    stack_name: &str,
) -> Option<&'a StackOutputs> {
    outputs.iter().find(|o| o.stack_name == stack_name)
}

/// Checks edgegate.toml against the identity stack's outputs; returns the settings to change.
pub(super) fn identity_mismatches(
    doc: &ConfigDocument,
    slots: &[SlotKey],
    out: &StackOutputs,
) -> Vec<String> {
    let mut fixes = Vec::new();
    fn want(fixes: &mut Vec<String>, field: &str, have: Option<&str>, value: &str) {
        if have != Some(value) {
            fixes.push(format!("{field} = \"{value}\""));
        }
    }
    if let Some(pool) = out.get("UserPoolId") {
        want(
            &mut fixes,
            "cognito.user_pool_id",
            doc.cognito.as_ref().map(|c| c.user_pool_id.as_str()),
            pool,
        );
    }
    if let Some(client) = out.get("AppClientId") {
        let listed = doc
            .cognito
            .as_ref()
            .is_some_and(|c| c.app_client_ids.iter().any(|id| id == client));
        if !listed {
            fixes.push(format!("cognito.app_client_ids = [\"{client}\"]"));
        }
        want(
            &mut fixes,
            "auth.client_id",
            doc.auth.as_ref().map(|a| a.client_id.as_str()),
            client,
        );
    }
    if let Some(base) = out.get("HostedUiBaseUrl") {
        want(
            &mut fixes,
            "auth.hosted_ui",
            doc.auth.as_ref().map(|a| a.hosted_ui.as_str()),
            base,
        );
    }
    let trusted = doc
        .cloudfront
        .as_ref()
        .map(|c| c.trusted_keys.as_slice())
        .unwrap_or_default();
    for s in slots {
        let Some(id) = out.get(&format!("PublicKeyId{}", s.slot)) else {
            fixes.push(format!(
                "(deploy the identity stack: slot {} has no PublicKeyId{} output yet)",
                s.slot, s.slot
            ));
            continue;
        };
        let entry = trusted.iter().find(|k| k.key_pair_id == id);
        let same_key = entry
            .and_then(|k| k.public_key.as_deref())
            .and_then(|pem| PublicKey::from_spki_pem(pem).ok())
            .is_some_and(|k| k.fingerprint() == s.key.fingerprint());
        if !same_key {
            fixes.push(format!(
                "[[cloudfront.trusted_keys]] key_pair_id = \"{id}\" with the public key of stack.cloudfront_keys.{}",
                s.slot.to_ascii_lowercase()
            ));
        }
    }
    if let Some(state) = out.get("StateKeySecretArn") {
        want(
            &mut fixes,
            "auth.secrets.state_key",
            doc.auth.as_ref().map(|a| a.secrets.state_key.as_str()),
            state,
        );
    }
    if let Some(client_secret) = out.get("ClientSecretArn") {
        want(
            &mut fixes,
            "auth.secrets.client_secret",
            doc.auth
                .as_ref()
                .and_then(|a| a.secrets.client_secret.as_deref()),
            client_secret,
        );
    }
    if let Some(auth) = &doc.auth {
        // The signing key's private half must be the secret of the same slot.
        let signing_slot = slots.iter().find(|s| {
            out.get(&format!("PublicKeyId{}", s.slot)) == Some(auth.key_pair_id.as_str())
        });
        match signing_slot {
            Some(s) => {
                if let Some(arn) = out.get(&format!("CloudFrontPrivateKeySecretArn{}", s.slot)) {
                    want(
                        &mut fixes,
                        "auth.secrets.cloudfront_private_key",
                        Some(auth.secrets.cloudfront_private_key.as_str()),
                        arn,
                    );
                }
            }
            None => {
                let ids: Vec<String> = slots
                    .iter()
                    .filter_map(|s| out.get(&format!("PublicKeyId{}", s.slot)))
                    .map(|id| format!("\"{id}\""))
                    .collect();
                fixes.push(format!(
                    "auth.key_pair_id = one of [{}] (a key of the identity stack's key group)",
                    ids.join(", ")
                ));
            }
        }
    }
    fixes
}

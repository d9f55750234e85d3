//! The parameter files themselves: one per template ([`StackKind`]), each a list of
//! `ParameterKey`/`ParameterValue` pairs in template order, rendered from the document, the key
//! slots, the bundles' SHA-256 and the deployed stacks' outputs ([`render`], pure), and the
//! `aws cloudformation deploy` commands that use them ([`deploy_commands`]).

use super::outputs::{find_outputs, identity_mismatches, StackOutputs};
use super::settings::{parse_stack, route_groups, site_domain, slot_keys, SlotKey};
use super::{StackError, EDGE_REGION};
use crate::{CliError, UsageError};
use edgegate_edge::ConfigDocument;
use edgegate_keys::PublicKey;
use std::fmt::Write as _;
use std::path::Path;

/// Which template a parameter file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackKind {
    /// `artifacts.yaml`.
    Artifacts,
    /// `identity.yaml`.
    Identity,
    /// `edge.yaml`.
    Edge,
    /// `origin.yaml`.
    Origin,
}

impl StackKind {
    /// The template's (and parameter file's) base name.
    pub fn name(self) -> &'static str {
        match self {
            StackKind::Artifacts => "artifacts",
            StackKind::Identity => "identity",
            StackKind::Edge => "edge",
            StackKind::Origin => "origin",
        }
    }
}

/// One parameter file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamFile {
    /// The template.
    pub kind: StackKind,
    /// `<name>-<kind>`.
    pub stack_name: String,
    /// Regions the stack is deployed in (artifacts: us-east-1 and the home region).
    pub regions: Vec<String>,
    /// Parameters in template order.
    pub params: Vec<(&'static str, String)>,
}

impl ParamFile {
    /// The value of one parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The JSON `aws cloudformation deploy --parameter-overrides file://...` reads.
    pub fn to_json(&self) -> String {
        let list: Vec<serde_json::Value> = self
            .params
            .iter()
            .map(|(k, v)| serde_json::json!({ "ParameterKey": k, "ParameterValue": v }))
            .collect();
        let mut s = serde_json::to_string_pretty(&serde_json::Value::Array(list))
            .unwrap_or_else(|_| "[]".into());
        s.push('\n');
        s
    }
}

/// Everything `render` needs besides the document.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// The key slots' PEM text, already read (slot A, slot B).
    pub slot_pems: (Option<String>, Option<String>),
    /// `--bundle-sha256`.
    pub bundle_sha256: Option<String>,
    /// `--origin-bundle-sha256`.
    pub origin_bundle_sha256: Option<String>,
    /// `--stack-outputs`, parsed.
    pub outputs: Vec<StackOutputs>,
    /// Whether the document was fully validated (as `edgegate bundle` does); edge.json and
    /// origin.json are only rendered from a validated document.
    pub validated: bool,
}

/// What `render` produced.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    /// Parameter files, in deploy order.
    pub files: Vec<ParamFile>,
    /// Why a stack's file was not written, or what to do next.
    pub notes: Vec<String>,
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Renders the parameter files. Pure: the caller reads the files and the outputs.
pub fn render(doc: &ConfigDocument, inputs: &Inputs) -> Result<Rendered, CliError> {
    let stack = parse_stack(doc)?;
    let s = &stack.doc;
    let domain = site_domain(doc)?;
    let groups = route_groups(doc)?;
    let slots = slot_keys(&inputs.slot_pems)?;
    let name = s.name.clone();
    let stack_name = |kind: StackKind| format!("{name}-{}", kind.name());
    let home = stack.home_region.clone();
    let retention = s.log_retention_days.unwrap_or(30).to_string();
    let mut rendered = Rendered::default();

    // artifacts: us-east-1 (the edge zip) and the home region (the origin zip).
    let mut artifact_regions = vec![EDGE_REGION.to_string()];
    if home != EDGE_REGION {
        artifact_regions.push(home.clone());
    }
    rendered.files.push(ParamFile {
        kind: StackKind::Artifacts,
        stack_name: stack_name(StackKind::Artifacts),
        regions: artifact_regions,
        params: vec![("SiteName", name.clone())],
    });

    // identity: only what is known before anything exists.
    let logout = doc
        .auth
        .as_ref()
        .and_then(|a| a.logout_return.clone())
        .unwrap_or_else(|| "/".into());
    let scopes = doc
        .auth
        .as_ref()
        .and_then(|a| a.scopes.clone())
        .unwrap_or_else(|| vec!["openid".into()]);
    if scopes.iter().any(|sc| sc.is_empty() || sc.contains(',')) {
        return Err(CliError::config(
            "auth.scopes",
            "scope names without commas",
        ));
    }
    let issuer_type = match doc.cognito.as_ref().map(|c| c.issuer_format) {
        Some(edgegate_keys::jwt::IssuerFormat::Updated) => "UPDATED",
        _ => "ORIGINAL",
    };
    let mfa = match s.mfa.as_deref() {
        Some("off") => "OFF",
        Some("on") => "ON",
        _ => "OPTIONAL",
    };
    let slot = |c: char| slots.iter().find(|k| k.slot == c);
    let pem_of = |c: char| slot(c).map(|k| k.key.to_spki_pem()).unwrap_or_default();
    let fp_of = |c: char| slot(c).map(SlotKey::short_fingerprint).unwrap_or_default();
    rendered.files.push(ParamFile {
        kind: StackKind::Identity,
        stack_name: stack_name(StackKind::Identity),
        regions: vec![home.clone()],
        params: vec![
            ("SiteName", name.clone()),
            ("SiteDomain", domain.clone()),
            ("LogoutReturnPath", logout),
            ("HostedUiDomainPrefix", s.hosted_ui_domain_prefix.clone()),
            ("IssuerType", issuer_type.into()),
            ("GroupNames", groups.join(",")),
            ("OAuthScopes", scopes.join(",")),
            (
                "GenerateClientSecret",
                s.client_secret.unwrap_or(true).to_string(),
            ),
            (
                "IdTokenValidityMinutes",
                s.id_token_validity_minutes.unwrap_or(60).to_string(),
            ),
            (
                "RefreshTokenValidityDays",
                s.refresh_token_validity_days.unwrap_or(30).to_string(),
            ),
            ("MfaConfiguration", mfa.into()),
            ("PublicKeyA", pem_of('A')),
            ("PublicKeyAFingerprint", fp_of('A')),
            ("PublicKeyB", pem_of('B')),
            ("PublicKeyBFingerprint", fp_of('B')),
        ],
    });

    let identity_outputs = find_outputs(&inputs.outputs, &stack_name(StackKind::Identity));
    if let Some(out) = identity_outputs {
        let fixes = identity_mismatches(doc, &slots, out);
        if !fixes.is_empty() {
            return Err(StackError::Mismatch {
                stack: out.stack_name.clone(),
                fixes,
            }
            .into());
        }
    }

    // Everything below runs the bundle's configuration: a complete, validated document whose
    // trusted keys are the key group's.
    if inputs.bundle_sha256.is_some() || inputs.origin_bundle_sha256.is_some() {
        if !inputs.validated {
            return Err(StackError::Incomplete.into());
        }
        let trusted = doc
            .cloudfront
            .as_ref()
            .map(|c| c.trusted_keys.as_slice())
            .unwrap_or_default();
        for (i, k) in trusted.iter().enumerate() {
            let in_slot = k
                .public_key
                .as_deref()
                .and_then(|pem| PublicKey::from_spki_pem(pem).ok())
                .is_some_and(|pk| {
                    slots
                        .iter()
                        .any(|s| s.key.fingerprint() == pk.fingerprint())
                });
            if !in_slot {
                return Err(CliError::config(
                    format!("cloudfront.trusted_keys[{i}]"),
                    "not in [stack.cloudfront_keys]: the key group (native validation) would not trust it",
                ));
            }
        }
        if identity_outputs.is_none() {
            rendered.notes.push(format!(
                "not checked against the identity stack: add --stack-outputs with `aws cloudformation describe-stacks --region {home} --stack-name {}`",
                stack_name(StackKind::Identity)
            ));
        }
    }

    if let Some(sha) = &inputs.bundle_sha256 {
        if !is_hex64(sha) {
            return Err(UsageError::BundleSha256.into());
        }
        let mut params = vec![
            ("SiteName", name.clone()),
            ("SiteDomain", domain.clone()),
            ("ArtifactsStackName", stack_name(StackKind::Artifacts)),
            ("BundleSha256", sha.clone()),
            (
                "CertificateArn",
                s.certificate_arn.clone().unwrap_or_default(),
            ),
            ("HostedZoneId", s.hosted_zone_id.clone().unwrap_or_default()),
            ("LogRetentionDays", retention.clone()),
        ];
        // The distribution alarms need the origin stack's DistributionId: filled from its
        // outputs once it exists; left out before (deploy keeps a value set earlier).
        let origin_name = stack_name(StackKind::Origin);
        match find_outputs(&inputs.outputs, &origin_name).and_then(|o| o.get("DistributionId")) {
            Some(id) => params.push(("DistributionId", id.to_string())),
            None => rendered.notes.push(format!(
                "edge.json: DistributionId left out (no distribution alarms yet): after the origin stack is deployed, add --stack-outputs with `aws cloudformation describe-stacks --region {home} --stack-name {origin_name}` and deploy the edge stack again"
            )),
        }
        let edge_topic = s.edge_alarm_topic_arn.clone().or_else(|| {
            (home == EDGE_REGION)
                .then(|| s.alarm_topic_arn.clone())
                .flatten()
        });
        params.push(("AlarmTopicArn", edge_topic.unwrap_or_default()));
        params.push((
            "AdditionalMetrics",
            s.additional_metrics.unwrap_or(false).to_string(),
        ));
        rendered.files.push(ParamFile {
            kind: StackKind::Edge,
            stack_name: stack_name(StackKind::Edge),
            regions: vec![EDGE_REGION.into()],
            params,
        });
    } else {
        rendered.notes.push(
            "edge.json: not written (pass --bundle-sha256 with the sha256 `edgegate bundle` printed)"
                .into(),
        );
    }

    let Some(origin_sha) = &inputs.origin_bundle_sha256 else {
        rendered.notes.push(
            "origin.json: not written (pass --origin-bundle-sha256 and the edge stack's --stack-outputs)"
                .into(),
        );
        return Ok(rendered);
    };
    if !is_hex64(origin_sha) {
        return Err(UsageError::OriginBundleSha256.into());
    }
    let edge_name = stack_name(StackKind::Edge);
    let Some(edge) = find_outputs(&inputs.outputs, &edge_name) else {
        rendered.notes.push(format!(
            "origin.json: not written: deploy the edge stack, then add --stack-outputs with `aws cloudformation describe-stacks --region {EDGE_REGION} --stack-name {edge_name}`"
        ));
        return Ok(rendered);
    };
    let edge_output = |key: &'static str| {
        edge.get(key)
            .map(str::to_string)
            .ok_or_else(|| StackError::MissingOutput {
                stack: edge_name.clone(),
                key,
            })
    };
    let version_arn = edge_output("EdgeFunctionVersionArn")?;
    let certificate_arn = edge_output("CertificateArn")?;
    if let (Some(sha), Some(running)) = (&inputs.bundle_sha256, edge.get("BundleSha256")) {
        if sha != running {
            return Err(StackError::OtherBundle {
                stack: edge_name,
                running: running.to_string(),
                wanted: sha.clone(),
            }
            .into());
        }
    }
    let auth = doc.auth.as_ref().ok_or_else(|| {
        CliError::config(
            "auth",
            "origin.json needs [auth] (the origin auth function's settings and [auth.secrets])",
        )
    })?;
    let secret_arn = |field: &str, v: &str| -> Result<String, CliError> {
        let ok = v.starts_with("arn:aws")
            && v.split(':').nth(2) == Some("secretsmanager")
            && v.split(':').nth(3) == Some(home.as_str());
        if ok {
            Ok(v.to_string())
        } else {
            Err(CliError::config(
                field,
                format!("the origin stack grants Secrets Manager ARNs in {home} (the identity stack's outputs); got {v:?}"),
            ))
        }
    };
    let private_key = secret_arn(
        "auth.secrets.cloudfront_private_key",
        &auth.secrets.cloudfront_private_key,
    )?;
    let state_key = secret_arn("auth.secrets.state_key", &auth.secrets.state_key)?;
    let client_secret = match &auth.secrets.client_secret {
        Some(v) => secret_arn("auth.secrets.client_secret", v)?,
        None => String::new(),
    };
    rendered.files.push(ParamFile {
        kind: StackKind::Origin,
        stack_name: stack_name(StackKind::Origin),
        regions: vec![home.clone()],
        params: vec![
            ("SiteName", name.clone()),
            ("SiteDomain", domain),
            ("ArtifactsStackName", stack_name(StackKind::Artifacts)),
            ("OriginBundleSha256", origin_sha.clone()),
            ("EdgeFunctionVersionArn", version_arn),
            ("CertificateArn", certificate_arn),
            ("CloudFrontPrivateKeySecretArn", private_key),
            ("StateKeySecretArn", state_key),
            ("ClientSecretArn", client_secret),
            (
                "PriceClass",
                s.price_class
                    .clone()
                    .unwrap_or_else(|| "PriceClass_100".into()),
            ),
            ("HostedZoneId", s.hosted_zone_id.clone().unwrap_or_default()),
            ("LogRetentionDays", retention),
            (
                "AccessLogRetentionDays",
                s.access_log_retention_days.unwrap_or(90).to_string(),
            ),
            (
                "AlarmTopicArn",
                s.alarm_topic_arn.clone().unwrap_or_default(),
            ),
            (
                "ExistingTrailName",
                s.existing_trail_name.clone().unwrap_or_default(),
            ),
        ],
    });
    Ok(rendered)
}

/// The deploy commands for the written files (relative to the output folder `out`).
pub fn deploy_commands(rendered: &Rendered, out: &Path) -> String {
    let mut s = String::new();
    for f in &rendered.files {
        for region in &f.regions {
            let caps = match f.kind {
                StackKind::Identity => " --capabilities CAPABILITY_AUTO_EXPAND",
                StackKind::Edge | StackKind::Origin => " --capabilities CAPABILITY_IAM",
                StackKind::Artifacts => "",
            };
            let _ = writeln!(
                s,
                "aws cloudformation deploy --region {region} --stack-name {} --template-file infra/cloudformation/{}.yaml --parameter-overrides file://{}{caps} --no-fail-on-empty-changeset",
                f.stack_name,
                f.kind.name(),
                out.join(format!("{}.json", f.kind.name())).display(),
            );
        }
    }
    s
}

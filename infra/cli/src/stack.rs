//! `edgegate stack params`: the CloudFormation parameter files of the four stacks in
//! `infra/cloudformation/`, derived from `edgegate.toml`, so that nothing is typed by hand at
//! deploy time.
//!
//! One file per stack, in the format `aws cloudformation deploy --parameter-overrides
//! file://<file>` accepts (AWS CLI v2): a JSON array of `{"ParameterKey", "ParameterValue"}`
//! objects and nothing else (the same format `create-stack --parameters file://` reads).
//!
//! | file | template | region | needs |
//! |---|---|---|---|
//! | `artifacts.json` | `artifacts.yaml` | us-east-1, and the home region | `[stack]` |
//! | `identity.json` | `identity.yaml` | home region | `[site]`, `[stack]`, the routes' groups, the key slots |
//! | `edge.json` | `edge.yaml` | us-east-1 | a complete config (validated as `edgegate bundle` does), `--bundle-sha256` |
//! | `origin.json` | `origin.yaml` | home region | a complete config with `[auth]`, `--origin-bundle-sha256`, the edge stack's outputs |
//!
//! The deploy-order cycle (user pool -> bundle with its JWKS -> edge function -> distribution ->
//! app client callback URLs) is broken by deriving the callback and logout URLs from
//! `[site].domain`, which is known before anything exists, instead of from the distribution.
//! What AWS assigns (pool and client ids, public key ids, secret ARNs, the edge version ARN)
//! flows back through `aws cloudformation describe-stacks` output files given with
//! `--stack-outputs`: the edge stack's outputs fill `origin.json`, and the identity stack's are
//! checked against edgegate.toml, naming each setting to change.
//!
//! ```toml
//! [stack]
//! name = "downloads"                     # stack names <name>-artifacts, -identity, -edge, -origin
//! region = "eu-west-1"                   # home region (identity + origin); = [cognito].region
//! hosted_ui_domain_prefix = "downloads-example"   # https://<prefix>.auth.<region>.amazoncognito.com
//! certificate_arn = "arn:aws:acm:us-east-1:..."   # optional: existing certificate; else the edge stack makes one
//! hosted_zone_id = "Z0123456789ABCDEFGHIJ"        # optional: Route 53 zone (DNS validation, alias records)
//! price_class = "PriceClass_100"         # optional
//! log_retention_days = 30                # optional, function log groups
//! access_log_retention_days = 90         # optional, CloudFront and S3 access logs
//! client_secret = true                   # optional, confidential app client (default true)
//! mfa = "optional"                       # optional: "off" | "optional" | "on" (TOTP)
//! id_token_validity_minutes = 60         # optional, 5..=1440: signed cookies expire with the ID token
//! refresh_token_validity_days = 30       # optional, 1..=3650
//!
//! [stack.cloudfront_keys]                # the two trusted-key slots (PEM files, relative to this file)
//! a = "keys/cloudfront-2025.pem"
//! # b = "keys/cloudfront-2026.pem"       # the next key, during a rotation
//! ```

use crate::load::{self, Source};
use crate::{bundle, CliError};
use edgegate_edge::config::{AccessKind, StackDoc};
use edgegate_edge::ConfigDocument;
use edgegate_keys::PublicKey;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The region of every Lambda@Edge function and of CloudFront's certificates.
pub const EDGE_REGION: &str = "us-east-1";

/// `edgegate stack ...`.
#[derive(clap::Subcommand)]
pub enum StackCommand {
    /// Write the CloudFormation parameter files (one per stack) derived from edgegate.toml.
    Params(ParamsArgs),
}

/// `edgegate stack params` options.
#[derive(clap::Args)]
pub struct ParamsArgs {
    /// edgegate.toml.
    #[arg(long)]
    pub config: PathBuf,
    /// SHA-256 of viewer-request.zip (printed by `edgegate bundle`): writes edge.json.
    #[arg(long)]
    pub bundle_sha256: Option<String>,
    /// SHA-256 of the origin auth function's zip: with the edge stack's outputs, writes origin.json.
    #[arg(long)]
    pub origin_bundle_sha256: Option<String>,
    /// `aws cloudformation describe-stacks` JSON of a deployed stack (repeatable): the edge
    /// stack's fill origin.json, the identity stack's are checked against edgegate.toml.
    #[arg(long = "stack-outputs")]
    pub stack_outputs: Vec<PathBuf>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

/// A public key in a slot, loaded.
#[derive(Clone, Debug)]
pub struct SlotKey {
    /// `A` or `B`.
    pub slot: char,
    /// The key.
    pub key: PublicKey,
}

impl SlotKey {
    /// The first 16 hex digits of the key's SHA-256 fingerprint (part of the resource names, so
    /// a new key in a slot is a new CloudFront public key).
    pub fn short_fingerprint(&self) -> String {
        self.key
            .fingerprint_hex()
            .chars()
            .take(16)
            .collect::<String>()
    }
}

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
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| CliError::Usage(format!("{origin}: not describe-stacks JSON: {e}")))?;
        let stacks = v.get("Stacks").and_then(|s| s.as_array()).ok_or_else(|| {
            CliError::Usage(format!(
                "{origin}: no \"Stacks\" array (describe-stacks output)"
            ))
        })?;
        let mut out = Vec::new();
        for s in stacks {
            let stack_name = s
                .get("StackName")
                .and_then(|n| n.as_str())
                .ok_or_else(|| CliError::Usage(format!("{origin}: a stack without StackName")))?
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

fn cfg(field: &str, reason: impl core::fmt::Display) -> CliError {
    CliError::Config(format!("{field}: {reason}"))
}

fn is_lower_alnum_dash(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_region(s: &str) -> bool {
    !s.is_empty() && is_lower_alnum_dash(s) && s.contains('-')
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// `[stack]`, validated.
#[derive(Clone, Debug)]
struct Stack {
    doc: StackDoc,
    home_region: String,
}

fn parse_stack(doc: &ConfigDocument) -> Result<Stack, CliError> {
    let s: StackDoc = doc.stack.clone().ok_or_else(|| {
        cfg(
            "stack",
            "missing: add a [stack] table (name, hosted_ui_domain_prefix, cloudfront_keys)",
        )
    })?;
    let n = &s.name;
    if n.len() < 3
        || n.len() > 40
        || !is_lower_alnum_dash(n)
        || !n.starts_with(|c: char| c.is_ascii_lowercase())
        || n.ends_with('-')
    {
        return Err(cfg(
            "stack.name",
            "3 to 40 of a-z 0-9 -, starting with a letter, not ending with -",
        ));
    }
    let home_region = match (&s.region, &doc.cognito) {
        (Some(r), Some(c)) if *r != c.region => {
            return Err(cfg(
                "stack.region",
                format!(
                    "must equal cognito.region ({}): the origin auth function reads the secrets the identity stack keeps beside the user pool",
                    c.region
                ),
            ))
        }
        (Some(r), _) => r.clone(),
        (None, Some(c)) => c.region.clone(),
        (None, None) => {
            return Err(cfg(
                "stack.region",
                "required while [cognito] is not filled in yet",
            ))
        }
    };
    if !is_region(&home_region) {
        return Err(cfg("stack.region", "must look like eu-west-1"));
    }
    let p = &s.hosted_ui_domain_prefix;
    if p.is_empty()
        || p.len() > 63
        || !is_lower_alnum_dash(p)
        || p.starts_with('-')
        || p.ends_with('-')
        || ["aws", "amazon", "cognito"].iter().any(|w| p.contains(w))
    {
        return Err(cfg(
            "stack.hosted_ui_domain_prefix",
            "1 to 63 of a-z 0-9 -, not starting or ending with -, without aws, amazon or cognito",
        ));
    }
    if let Some(arn) = &s.certificate_arn {
        let ok = arn
            .strip_prefix("arn:aws:acm:us-east-1:")
            .and_then(|rest| rest.split_once(":certificate/"))
            .is_some_and(|(acct, id)| {
                acct.len() == 12
                    && acct.bytes().all(|b| b.is_ascii_digit())
                    && id.len() == 36
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-')
            });
        if !ok {
            return Err(cfg(
                "stack.certificate_arn",
                "an ACM certificate ARN in us-east-1 (CloudFront only uses certificates there)",
            ));
        }
    }
    if let Some(z) = &s.hosted_zone_id {
        if !(z.starts_with('Z')
            && z.len() <= 32
            && z.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
        {
            return Err(cfg(
                "stack.hosted_zone_id",
                "a Route 53 hosted zone id (Z...)",
            ));
        }
    }
    if let Some(pc) = &s.price_class {
        if !["PriceClass_100", "PriceClass_200", "PriceClass_All"].contains(&pc.as_str()) {
            return Err(cfg(
                "stack.price_class",
                "PriceClass_100, PriceClass_200 or PriceClass_All",
            ));
        }
    }
    if let Some(d) = s.log_retention_days {
        if !RETENTION_DAYS.contains(&d) {
            return Err(cfg(
                "stack.log_retention_days",
                format!("one of CloudWatch's values {RETENTION_DAYS:?}"),
            ));
        }
    }
    if s.access_log_retention_days == Some(0) {
        return Err(cfg("stack.access_log_retention_days", "at least 1"));
    }
    if let Some(m) = &s.mfa {
        if !["off", "optional", "on"].contains(&m.as_str()) {
            return Err(cfg("stack.mfa", "\"off\", \"optional\" or \"on\""));
        }
    }
    if let Some(v) = s.id_token_validity_minutes {
        if !(5..=1440).contains(&v) {
            return Err(cfg("stack.id_token_validity_minutes", "5 to 1440"));
        }
    }
    if let Some(v) = s.refresh_token_validity_days {
        if !(1..=3650).contains(&v) {
            return Err(cfg("stack.refresh_token_validity_days", "1 to 3650"));
        }
    }
    if s.cloudfront_keys.a.is_none() && s.cloudfront_keys.b.is_none() {
        return Err(cfg(
            "stack.cloudfront_keys",
            "at least one slot (a or b): the key group needs a key",
        ));
    }
    Ok(Stack {
        doc: s,
        home_region,
    })
}

fn slot_keys(pems: &(Option<String>, Option<String>)) -> Result<Vec<SlotKey>, CliError> {
    let mut out = Vec::new();
    for (slot, pem) in [('A', &pems.0), ('B', &pems.1)] {
        let Some(pem) = pem else { continue };
        let field = format!("stack.cloudfront_keys.{}", slot.to_ascii_lowercase());
        let key = PublicKey::from_spki_pem(pem).map_err(|e| cfg(&field, e))?;
        edgegate_edge::config::deployable_key(&field, &key)
            .map_err(|e| CliError::Config(e.to_string()))?;
        out.push(SlotKey { slot, key });
    }
    if let [a, b] = out.as_slice() {
        if a.key.fingerprint() == b.key.fingerprint() {
            return Err(cfg(
                "stack.cloudfront_keys",
                "slots a and b hold the same key",
            ));
        }
    }
    Ok(out)
}

/// The groups named by the routes, sorted and deduplicated.
fn route_groups(doc: &ConfigDocument) -> Result<Vec<String>, CliError> {
    let mut groups = BTreeSet::new();
    for (i, r) in doc.routes.iter().enumerate() {
        if r.access != AccessKind::Groups {
            continue;
        }
        for g in r.groups.iter().flatten() {
            if g.is_empty() || g.len() > 128 || g.contains(',') || g.chars().any(char::is_control) {
                return Err(cfg(
                    &format!("routes[{i}].groups"),
                    format!("{g:?}: a Cognito group name of 1 to 128 characters without commas"),
                ));
            }
            groups.insert(g.clone());
        }
    }
    if groups.is_empty() {
        return Err(cfg(
            "routes",
            "no route names a group: the identity stack (Cognito sign-in) needs at least one access = \"groups\" route",
        ));
    }
    // identity.yaml names each group's resource Group<alphanumerics of the name>.
    let mut ids = BTreeSet::new();
    for g in &groups {
        let id: String = g.chars().filter(char::is_ascii_alphanumeric).collect();
        if id.is_empty() || !ids.insert(id) {
            return Err(cfg(
                "routes",
                format!("group {g:?}: its letters and digits must be non-empty and unlike every other group's"),
            ));
        }
    }
    Ok(groups.into_iter().collect())
}

fn site_domain(doc: &ConfigDocument) -> Result<String, CliError> {
    let d = &doc.site.domain;
    if doc.site.scheme.as_deref().is_some_and(|s| s != "https") {
        return Err(cfg("site.scheme", "only https can be deployed"));
    }
    if d.contains(':') || !d.contains('.') || d.starts_with(['.', '-']) || d.ends_with(['.', '-']) {
        return Err(cfg(
            "site.domain",
            "a deployed site is a DNS name without a port (it becomes the distribution's alias)",
        ));
    }
    Ok(d.clone())
}

fn find_outputs<'a>(outputs: &'a [StackOutputs], stack_name: &str) -> Option<&'a StackOutputs> {
    outputs.iter().find(|o| o.stack_name == stack_name)
}

/// Checks edgegate.toml against the identity stack's outputs; returns the settings to change.
fn identity_mismatches(doc: &ConfigDocument, slots: &[SlotKey], out: &StackOutputs) -> Vec<String> {
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
        return Err(cfg("auth.scopes", "scope names without commas"));
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
            return Err(CliError::Config(format!(
                "edgegate.toml does not match the outputs of stack {}: set {}",
                out.stack_name,
                fixes.join("; ")
            )));
        }
    }

    // Everything below runs the bundle's configuration: a complete, validated document whose
    // trusted keys are the key group's.
    if inputs.bundle_sha256.is_some() || inputs.origin_bundle_sha256.is_some() {
        if !inputs.validated {
            return Err(CliError::Config(
                "edge.json and origin.json need the complete configuration (as for edgegate bundle)".into(),
            ));
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
                return Err(cfg(
                    &format!("cloudfront.trusted_keys[{i}]"),
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
            return Err(CliError::Usage(
                "--bundle-sha256: 64 lowercase hex digits (edgegate bundle prints it)".into(),
            ));
        }
        rendered.files.push(ParamFile {
            kind: StackKind::Edge,
            stack_name: stack_name(StackKind::Edge),
            regions: vec![EDGE_REGION.into()],
            params: vec![
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
            ],
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
        return Err(CliError::Usage(
            "--origin-bundle-sha256: 64 lowercase hex digits".into(),
        ));
    }
    let edge_name = stack_name(StackKind::Edge);
    let Some(edge) = find_outputs(&inputs.outputs, &edge_name) else {
        rendered.notes.push(format!(
            "origin.json: not written: deploy the edge stack, then add --stack-outputs with `aws cloudformation describe-stacks --region {EDGE_REGION} --stack-name {edge_name}`"
        ));
        return Ok(rendered);
    };
    let edge_output = |key: &str| {
        edge.get(key).map(str::to_string).ok_or_else(|| {
            CliError::Usage(format!(
                "--stack-outputs: stack {edge_name} has no output {key}"
            ))
        })
    };
    let version_arn = edge_output("EdgeFunctionVersionArn")?;
    let certificate_arn = edge_output("CertificateArn")?;
    if let (Some(sha), Some(running)) = (&inputs.bundle_sha256, edge.get("BundleSha256")) {
        if sha != running {
            return Err(CliError::Usage(format!(
                "stack {edge_name} runs bundle {running}, not {sha}: deploy the edge stack with edge.json first"
            )));
        }
    }
    let auth = doc.auth.as_ref().ok_or_else(|| {
        cfg(
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
            Err(cfg(
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

/// Reads the document without loading the JWKS (the user pool may not exist yet), inlining
/// `public_key_file`s relative to the config file as the loader does.
fn read_doc(path: &Path) -> Result<ConfigDocument, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Config(format!("{}: {e}", path.display())))?;
    let mut doc: ConfigDocument = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text)
            .map_err(|e| CliError::Config(format!("{}: {e}", path.display())))?
    } else {
        load::parse_document(&text, &path.display().to_string())?
    };
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    for (i, k) in doc
        .cloudfront
        .iter_mut()
        .flat_map(|c| c.trusted_keys.iter_mut())
        .enumerate()
    {
        if let (None, Some(file)) = (&k.public_key, &k.public_key_file) {
            let p = base.join(file);
            let pem = std::fs::read_to_string(&p).map_err(|e| {
                cfg(
                    &format!("cloudfront.trusted_keys[{i}].public_key_file"),
                    format!("{}: {e}", p.display()),
                )
            })?;
            k.public_key = Some(pem);
            k.public_key_file = None;
        }
    }
    Ok(doc)
}

/// Runs `edgegate stack ...`, returning what to print.
pub async fn run(command: StackCommand) -> Result<String, CliError> {
    let StackCommand::Params(args) = command;
    let base = args
        .config
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let needs_complete = args.bundle_sha256.is_some() || args.origin_bundle_sha256.is_some();
    // The identity stack comes first, before the user pool and the public key ids exist: its
    // file renders from the document alone. The others run what the bundle runs, so they load
    // and validate the configuration exactly as `edgegate bundle` does.
    let (doc, validated) = if needs_complete {
        let loaded = load::load(&Source::File(args.config.clone()), None).await?;
        bundle::refuse_dev(&loaded)?;
        (loaded.document, true)
    } else {
        (read_doc(&args.config)?, false)
    };
    let stack = parse_stack(&doc)?;
    let read_slot = |slot: &str, file: &Option<String>| -> Result<Option<String>, CliError> {
        file.as_ref()
            .map(|f| {
                let p = base.join(f);
                std::fs::read_to_string(&p).map_err(|e| {
                    cfg(
                        &format!("stack.cloudfront_keys.{slot}"),
                        format!("{}: {e}", p.display()),
                    )
                })
            })
            .transpose()
    };
    let slot_pems = (
        read_slot("a", &stack.doc.cloudfront_keys.a)?,
        read_slot("b", &stack.doc.cloudfront_keys.b)?,
    );
    let mut outputs = Vec::new();
    for p in &args.stack_outputs {
        let text = std::fs::read_to_string(p)
            .map_err(|e| CliError::Io(format!("{}: {e}", p.display())))?;
        outputs.extend(StackOutputs::parse_describe_stacks(
            &text,
            &p.display().to_string(),
        )?);
    }
    let rendered = render(
        &doc,
        &Inputs {
            slot_pems,
            bundle_sha256: args.bundle_sha256,
            origin_bundle_sha256: args.origin_bundle_sha256,
            outputs,
            validated,
        },
    )?;
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::Io(format!("{}: {e}", args.out.display())))?;
    let mut report = String::new();
    for f in &rendered.files {
        let path = args.out.join(format!("{}.json", f.kind.name()));
        std::fs::write(&path, f.to_json())
            .map_err(|e| CliError::Io(format!("{}: {e}", path.display())))?;
        let _ = writeln!(
            report,
            "wrote {} (stack {}, region {})",
            path.display(),
            f.stack_name,
            f.regions.join(" and ")
        );
    }
    for n in &rendered.notes {
        let _ = writeln!(report, "{n}");
    }
    let _ = writeln!(report, "deploy (README: infra/cloudformation/README.md):");
    report.push_str(&deploy_commands(&rendered, &args.out));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA_EDGE: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const SHA_ORIGIN: &str = "2222222222222222222222222222222222222222222222222222222222222222";

    fn example_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../cloudformation/example")
    }

    fn example_doc() -> ConfigDocument {
        read_doc(&example_dir().join("edgegate.toml")).unwrap()
    }

    fn slot_pem(file: &str) -> String {
        std::fs::read_to_string(example_dir().join(file)).unwrap()
    }

    fn describe(stack: &str, outputs: &[(&str, &str)]) -> StackOutputs {
        let json = serde_json::json!({ "Stacks": [{
            "StackName": stack,
            "Outputs": outputs.iter().map(|(k, v)| serde_json::json!({"OutputKey": k, "OutputValue": v})).collect::<Vec<_>>(),
        }]});
        StackOutputs::parse_describe_stacks(&json.to_string(), "test")
            .unwrap()
            .remove(0)
    }

    fn identity_outputs() -> StackOutputs {
        describe(
            "downloads-identity",
            &[
                ("UserPoolId", "eu-west-1_AbCdEf123"),
                ("AppClientId", "1example23456789"),
                ("HostedUiBaseUrl", "https://downloads-example.auth.eu-west-1.amazoncognito.com"),
                ("PublicKeyIdA", "K2JCJMDEHXQW5F"),
                ("CloudFrontPrivateKeySecretArnA", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:downloads/cloudfront-private-key-a-AbCdEf"),
                ("StateKeySecretArn", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:downloads/state-hmac-key-GhIjKl"),
                ("ClientSecretArn", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:downloads/cognito-client-secret-MnOpQr"),
                ("KeyGroupId", "8a2a4a72-0000-0000-0000-000000000000"),
            ],
        )
    }

    fn edge_outputs(sha: &str) -> StackOutputs {
        describe(
            "downloads-edge",
            &[
                (
                    "EdgeFunctionVersionArn",
                    "arn:aws:lambda:us-east-1:111122223333:function:downloads-viewer-request:7",
                ),
                (
                    "CertificateArn",
                    "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-0000-4000-8000-000000000000",
                ),
                ("BundleSha256", sha),
            ],
        )
    }

    fn full_inputs() -> Inputs {
        Inputs {
            slot_pems: (Some(slot_pem("cloudfront-a.pem")), None),
            bundle_sha256: Some(SHA_EDGE.into()),
            origin_bundle_sha256: Some(SHA_ORIGIN.into()),
            outputs: vec![identity_outputs(), edge_outputs(SHA_EDGE)],
            validated: true,
        }
    }

    /// The parameters a template declares, and those without a Default (read from its text).
    fn template_parameters(kind: StackKind) -> (Vec<String>, Vec<String>) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../cloudformation")
            .join(format!("{}.yaml", kind.name()));
        let text = std::fs::read_to_string(path).unwrap();
        let mut all = Vec::new();
        let mut required = Vec::new();
        let mut in_params = false;
        let mut current: Option<(String, bool)> = None;
        for line in text.lines() {
            if !line.starts_with(' ') && !line.is_empty() && !line.starts_with('#') {
                in_params = line == "Parameters:";
                continue;
            }
            if !in_params {
                continue;
            }
            if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
                if !name.starts_with(' ') {
                    if let Some((n, has_default)) = current.take() {
                        if !has_default {
                            required.push(n);
                        }
                    }
                    all.push(name.to_string());
                    current = Some((name.to_string(), false));
                    continue;
                }
            }
            if line.trim_start().starts_with("Default:") {
                if let Some(c) = current.as_mut() {
                    c.1 = true;
                }
            }
        }
        if let Some((n, false)) = current {
            required.push(n);
        }
        (all, required)
    }

    #[test]
    fn example_config_renders_every_stack_with_derived_values_ok() {
        let r = render(&example_doc(), &full_inputs()).unwrap();
        let kinds: Vec<_> = r.files.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                StackKind::Artifacts,
                StackKind::Identity,
                StackKind::Edge,
                StackKind::Origin
            ]
        );
        let file = |k: StackKind| r.files.iter().find(|f| f.kind == k).unwrap();

        let artifacts = file(StackKind::Artifacts);
        assert_eq!(artifacts.stack_name, "downloads-artifacts");
        assert_eq!(artifacts.regions, ["us-east-1", "eu-west-1"]);

        let identity = file(StackKind::Identity);
        assert_eq!(identity.regions, ["eu-west-1"]);
        assert_eq!(identity.get("SiteDomain"), Some("downloads.example.com"));
        // Groups of every groups route, deduplicated and sorted; public/signed routes add none.
        assert_eq!(
            identity.get("GroupNames"),
            Some("downloaders,release-engineers")
        );
        assert_eq!(
            identity.get("HostedUiDomainPrefix"),
            Some("downloads-example")
        );
        assert_eq!(identity.get("IssuerType"), Some("ORIGINAL"));
        assert_eq!(identity.get("LogoutReturnPath"), Some("/"));
        assert_eq!(identity.get("OAuthScopes"), Some("openid,email"));
        assert_eq!(identity.get("GenerateClientSecret"), Some("true"));
        assert_eq!(identity.get("MfaConfiguration"), Some("OPTIONAL"));
        let pem = identity.get("PublicKeyA").unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        let key = PublicKey::from_spki_pem(pem).unwrap();
        assert_eq!(
            identity.get("PublicKeyAFingerprint").unwrap(),
            &key.fingerprint_hex()[..16]
        );
        assert_eq!(identity.get("PublicKeyB"), Some(""));
        assert_eq!(identity.get("PublicKeyBFingerprint"), Some(""));

        let edge = file(StackKind::Edge);
        assert_eq!(edge.regions, ["us-east-1"]);
        assert_eq!(edge.get("BundleSha256"), Some(SHA_EDGE));
        assert_eq!(edge.get("ArtifactsStackName"), Some("downloads-artifacts"));
        assert_eq!(edge.get("CertificateArn"), Some(""));
        assert_eq!(edge.get("HostedZoneId"), Some("Z0123456789ABCDEFGHIJ"));

        let origin = file(StackKind::Origin);
        assert_eq!(origin.regions, ["eu-west-1"]);
        assert_eq!(
            origin.get("EdgeFunctionVersionArn"),
            Some("arn:aws:lambda:us-east-1:111122223333:function:downloads-viewer-request:7")
        );
        assert!(origin
            .get("CertificateArn")
            .unwrap()
            .starts_with("arn:aws:acm:us-east-1:"));
        assert_eq!(origin.get("OriginBundleSha256"), Some(SHA_ORIGIN));
        assert_eq!(
            origin.get("CloudFrontPrivateKeySecretArn"),
            identity_outputs().get("CloudFrontPrivateKeySecretArnA")
        );
        assert_eq!(
            origin.get("StateKeySecretArn"),
            identity_outputs().get("StateKeySecretArn")
        );
        assert_eq!(
            origin.get("ClientSecretArn"),
            identity_outputs().get("ClientSecretArn")
        );
        assert_eq!(origin.get("PriceClass"), Some("PriceClass_100"));
        assert_eq!(origin.get("LogRetentionDays"), Some("30"));
        assert_eq!(origin.get("AccessLogRetentionDays"), Some("90"));
        assert!(r.notes.is_empty(), "{:?}", r.notes);
    }

    #[test]
    fn rendered_keys_match_each_template_parameters_ok() {
        let r = render(&example_doc(), &full_inputs()).unwrap();
        for f in &r.files {
            let (all, required) = template_parameters(f.kind);
            assert!(
                all.len() >= f.params.len() && !required.is_empty(),
                "{}",
                f.kind.name()
            );
            let keys: Vec<String> = f.params.iter().map(|(k, _)| k.to_string()).collect();
            // Every rendered key is a template parameter, in template order; the template's
            // other parameters have defaults (e.g. NoncurrentVersionDays).
            let in_template: Vec<String> =
                all.iter().filter(|p| keys.contains(p)).cloned().collect();
            assert_eq!(
                keys,
                in_template,
                "{} parameters (in template order)",
                f.kind.name()
            );
            for req in required {
                assert!(
                    !f.get(&req).unwrap().is_empty(),
                    "{}: {req} is empty",
                    f.kind.name()
                );
            }
        }
    }

    #[test]
    fn parameter_file_is_the_cloudformation_list_format_ok() {
        let r = render(&example_doc(), &full_inputs()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&r.files[1].to_json()).unwrap();
        let list = json.as_array().unwrap();
        for entry in list {
            let obj = entry.as_object().unwrap();
            let mut members: Vec<&str> = obj.keys().map(String::as_str).collect();
            members.sort_unstable();
            assert_eq!(members, ["ParameterKey", "ParameterValue"]);
            assert!(obj["ParameterValue"].is_string());
        }
        assert_eq!(list[0]["ParameterKey"], "SiteName");
        assert_eq!(list[0]["ParameterValue"], "downloads");
    }

    #[test]
    fn bootstrap_config_renders_identity_without_cognito_ok() {
        // Before the identity stack exists: no [cognito], [auth] or trusted keys yet.
        let text = std::fs::read_to_string(example_dir().join("edgegate.toml")).unwrap();
        let mut doc = example_doc();
        doc.cognito = None;
        doc.auth = None;
        doc.cloudfront = None;
        assert!(text.contains("region = \"eu-west-1\""));
        let r = render(
            &doc,
            &Inputs {
                slot_pems: (Some(slot_pem("cloudfront-a.pem")), None),
                ..Inputs::default()
            },
        )
        .unwrap();
        let kinds: Vec<_> = r.files.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [StackKind::Artifacts, StackKind::Identity]);
        assert_eq!(r.files[1].get("OAuthScopes"), Some("openid"));
        assert_eq!(r.notes.len(), 2, "{:?}", r.notes);
    }

    #[test]
    fn identity_outputs_mismatch_names_the_settings_fails() {
        let mut doc = example_doc();
        if let Some(c) = doc.cognito.as_mut() {
            c.user_pool_id = "eu-west-1_Other".into();
        }
        let err = render(&doc, &full_inputs()).unwrap_err().to_string();
        assert!(
            err.contains("cognito.user_pool_id = \"eu-west-1_AbCdEf123\""),
            "{err}"
        );
    }

    #[test]
    fn origin_waits_for_the_edge_stack_outputs_ok() {
        let mut inputs = full_inputs();
        inputs.outputs.retain(|o| o.stack_name != "downloads-edge");
        let r = render(&example_doc(), &inputs).unwrap();
        assert!(r.files.iter().all(|f| f.kind != StackKind::Origin));
        assert!(
            r.notes.iter().any(|n| n.contains("downloads-edge")),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn edge_stack_running_another_bundle_fails() {
        let mut inputs = full_inputs();
        inputs.outputs = vec![identity_outputs(), edge_outputs(SHA_ORIGIN)];
        let err = render(&example_doc(), &inputs).unwrap_err().to_string();
        assert!(err.contains("deploy the edge stack"), "{err}");
    }

    #[test]
    fn dev_key_in_a_slot_fails() {
        let mut inputs = full_inputs();
        inputs.slot_pems.0 = Some(crate::local::dev_keys::CLOUDFRONT_DEV_PUBLIC_PEM.to_string());
        let err = render(&example_doc(), &inputs).unwrap_err().to_string();
        assert!(err.contains("stack.cloudfront_keys.a"), "{err}");
    }

    #[test]
    fn groups_colliding_in_logical_ids_fail() {
        let mut doc = example_doc();
        doc.routes[0].groups = Some(vec!["release-engineers".into(), "releaseengineers".into()]);
        let err = render(&doc, &full_inputs()).unwrap_err().to_string();
        assert!(err.contains("unlike every other group"), "{err}");
    }

    #[test]
    fn site_with_port_or_http_fails() {
        let mut doc = example_doc();
        doc.site.domain = "127.0.0.1:8787".into();
        assert!(render(&doc, &full_inputs()).is_err());
        let mut doc = example_doc();
        doc.site.scheme = Some("http".into());
        assert!(render(&doc, &full_inputs()).is_err());
    }

    #[tokio::test]
    async fn example_config_loads_validates_and_writes_files_ok() {
        let out =
            std::env::temp_dir().join(format!("edgegate-stack-params-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let edge = out.join("edge-outputs.json");
        let identity = out.join("identity-outputs.json");
        let dump = |o: &StackOutputs| {
            serde_json::json!({"Stacks": [{"StackName": o.stack_name, "Outputs": o.outputs.iter().map(|(k, v)| serde_json::json!({"OutputKey": k, "OutputValue": v})).collect::<Vec<_>>()}]}).to_string()
        };
        std::fs::write(&edge, dump(&edge_outputs(SHA_EDGE))).unwrap();
        std::fs::write(&identity, dump(&identity_outputs())).unwrap();
        let report = run(StackCommand::Params(ParamsArgs {
            config: example_dir().join("edgegate.toml"),
            bundle_sha256: Some(SHA_EDGE.into()),
            origin_bundle_sha256: Some(SHA_ORIGIN.into()),
            stack_outputs: vec![identity, edge],
            out: out.clone(),
        }))
        .await
        .unwrap();
        for name in ["artifacts", "identity", "edge", "origin"] {
            let text = std::fs::read_to_string(out.join(format!("{name}.json"))).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(v.as_array().is_some_and(|a| !a.is_empty()), "{name}.json");
        }
        assert!(
            report.contains("--region us-east-1 --stack-name downloads-edge"),
            "{report}"
        );
        assert!(
            report.contains("--region eu-west-1 --stack-name downloads-origin"),
            "{report}"
        );
        let _ = std::fs::remove_dir_all(&out);
    }
}

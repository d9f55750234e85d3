//! The typed `[stack]` settings, validated: the stack name, home region, Hosted UI prefix and
//! the optional CloudFront and log settings, the key slots (`[stack.cloudfront_keys]`), the
//! groups the routes name and the site's domain. Every refusal names the setting to change.

use crate::CliError;
use edgegate_edge::config::{AccessKind, StackDoc};
use edgegate_edge::ConfigDocument;
use edgegate_keys::PublicKey;
use std::collections::BTreeSet;

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

fn is_lower_alnum_dash(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_region(s: &str) -> bool {
    !s.is_empty() && is_lower_alnum_dash(s) && s.contains('-')
}

const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// `[stack]`, validated.
#[derive(Clone, Debug)]
pub(super) struct Stack {
    /// The settings as written.
    pub(super) doc: StackDoc,
    /// The home region: `stack.region`, else `cognito.region`.
    pub(super) home_region: String,
}

/// Validates `[stack]` (each refusal names the setting).
pub(super) fn parse_stack(doc: &ConfigDocument) -> Result<Stack, CliError> {
    let s: StackDoc = doc.stack.clone().ok_or_else(|| {
        CliError::config(
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
        return Err(CliError::config(
            "stack.name",
            "3 to 40 of a-z 0-9 -, starting with a letter, not ending with -",
        ));
    }
    let home_region = match (&s.region, &doc.cognito) {
        (Some(r), Some(c)) if *r != c.region => {
            return Err(CliError::config(
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
            return Err(CliError::config(
                "stack.region",
                "required while [cognito] is not filled in yet",
            ))
        }
    };
    if !is_region(&home_region) {
        return Err(CliError::config("stack.region", "must look like eu-west-1"));
    }
    let p = &s.hosted_ui_domain_prefix;
    if p.is_empty()
        || p.len() > 63
        || !is_lower_alnum_dash(p)
        || p.starts_with('-')
        || p.ends_with('-')
        || ["aws", "amazon", "cognito"].iter().any(|w| p.contains(w))
    {
        return Err(CliError::config(
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
            return Err(CliError::config(
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
            return Err(CliError::config(
                "stack.hosted_zone_id",
                "a Route 53 hosted zone id (Z...)",
            ));
        }
    }
    if let Some(pc) = &s.price_class {
        if !["PriceClass_100", "PriceClass_200", "PriceClass_All"].contains(&pc.as_str()) {
            return Err(CliError::config(
                "stack.price_class",
                "PriceClass_100, PriceClass_200 or PriceClass_All",
            ));
        }
    }
    if let Some(d) = s.log_retention_days {
        if !RETENTION_DAYS.contains(&d) {
            return Err(CliError::config(
                "stack.log_retention_days",
                format!("one of CloudWatch's values {RETENTION_DAYS:?}"),
            ));
        }
    }
    if s.access_log_retention_days == Some(0) {
        return Err(CliError::config(
            "stack.access_log_retention_days",
            "at least 1",
        ));
    }
    for (field, arn, region) in [
        ("stack.alarm_topic_arn", &s.alarm_topic_arn, None),
        (
            "stack.edge_alarm_topic_arn",
            &s.edge_alarm_topic_arn,
            Some("us-east-1"),
        ),
    ] {
        if let Some(arn) = arn {
            if !is_sns_topic_arn(arn, region) {
                return Err(CliError::config(
                    field,
                    match region {
                        Some(r) => {
                            format!("an SNS topic ARN in {r} (arn:aws:sns:{r}:<account>:<name>)")
                        }
                        None => {
                            "an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)".to_string()
                        }
                    },
                ));
            }
        }
    }
    if let Some(t) = &s.existing_trail_name {
        let ok = (3..=128).contains(&t.len())
            && t.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !ok {
            return Err(CliError::config(
                "stack.existing_trail_name",
                "a CloudTrail trail name: 3 to 128 of A-Z a-z 0-9 . _ -, starting with a letter or digit",
            ));
        }
    }
    if let Some(m) = &s.mfa {
        if !["off", "optional", "on"].contains(&m.as_str()) {
            return Err(CliError::config(
                "stack.mfa",
                "\"off\", \"optional\" or \"on\"",
            ));
        }
    }
    if let Some(v) = s.id_token_validity_minutes {
        if !(5..=1440).contains(&v) {
            return Err(CliError::config(
                "stack.id_token_validity_minutes",
                "5 to 1440",
            ));
        }
    }
    if let Some(v) = s.refresh_token_validity_days {
        if !(1..=3650).contains(&v) {
            return Err(CliError::config(
                "stack.refresh_token_validity_days",
                "1 to 3650",
            ));
        }
    }
    if s.cloudfront_keys.a.is_none() && s.cloudfront_keys.b.is_none() {
        return Err(CliError::config(
            "stack.cloudfront_keys",
            "at least one slot (a or b): the key group needs a key",
        ));
    }
    Ok(Stack {
        doc: s,
        home_region,
    })
}

/// The public keys of the slots that hold one (PEM text already read), refusing the dev key
/// and the same key in both slots.
pub(super) fn slot_keys(pems: &(Option<String>, Option<String>)) -> Result<Vec<SlotKey>, CliError> {
    let mut out = Vec::new();
    for (slot, pem) in [('A', &pems.0), ('B', &pems.1)] {
        let Some(pem) = pem else { continue };
        let field = format!("stack.cloudfront_keys.{}", slot.to_ascii_lowercase());
        let key = PublicKey::from_spki_pem(pem).map_err(|source| CliError::SettingKey {
            field: field.clone(),
            source,
        })?;
        edgegate_edge::config::deployable_key(&field, &key)?;
        out.push(SlotKey { slot, key });
    }
    if let [a, b] = out.as_slice() {
        if a.key.fingerprint() == b.key.fingerprint() {
            return Err(CliError::config(
                "stack.cloudfront_keys",
                "slots a and b hold the same key",
            ));
        }
    }
    Ok(out)
}

/// The groups named by the routes, sorted and deduplicated: the identity stack's user pool
/// groups, which decide whose sign-in cookies cover which `access = "groups"` prefix (a groups
/// route's `scopes` name no group). `authenticated` routes need no group (every signed-in user
/// gets their cookies) and `scopes` routes none either (no sign-in covers them; machine
/// clients present access tokens), so neither adds one.
pub(super) fn route_groups(doc: &ConfigDocument) -> Result<Vec<String>, CliError> {
    let mut groups = BTreeSet::new();
    for (i, r) in doc.routes.iter().enumerate() {
        if r.access != AccessKind::Groups {
            continue;
        }
        for g in r.groups.iter().flatten() {
            if g.is_empty() || g.len() > 128 || g.contains(',') || g.chars().any(char::is_control) {
                return Err(CliError::config(
                    format!("routes[{i}].groups"),
                    format!("{g:?}: a Cognito group name of 1 to 128 characters without commas"),
                ));
            }
            groups.insert(g.clone());
        }
    }
    if groups.is_empty() {
        return Err(CliError::config(
            "routes",
            "no route names a group: the identity stack (Cognito sign-in) needs at least one access = \"groups\" route",
        ));
    }
    // identity.yaml names each group's resource Group<alphanumerics of the name>.
    let mut ids = BTreeSet::new();
    for g in &groups {
        let id: String = g.chars().filter(char::is_ascii_alphanumeric).collect();
        if id.is_empty() || !ids.insert(id) {
            return Err(CliError::config(
                "routes",
                format!("group {g:?}: its letters and digits must be non-empty and unlike every other group's"),
            ));
        }
    }
    Ok(groups.into_iter().collect())
}

/// `[site].domain`, which must be a DNS name served over https (it becomes the distribution's
/// alias and the base of the callback URLs).
pub(super) fn site_domain(doc: &ConfigDocument) -> Result<String, CliError> {
    let d = &doc.site.domain;
    if doc.site.scheme.as_deref().is_some_and(|s| s != "https") {
        return Err(CliError::config(
            "site.scheme",
            "only https can be deployed",
        ));
    }
    if d.contains(':') || !d.contains('.') || d.starts_with(['.', '-']) || d.ends_with(['.', '-']) {
        return Err(CliError::config(
            "site.domain",
            "a deployed site is a DNS name without a port (it becomes the distribution's alias)",
        ));
    }
    Ok(d.clone())
}

/// `arn:aws[-partition]:sns:<region>:<12 digits>:<1 to 256 of A-Za-z0-9_->`, in `region` when
/// given (the templates' AllowedPattern for AlarmTopicArn).
pub(super) fn is_sns_topic_arn(arn: &str, region: Option<&str>) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let [arn_, partition, service, r, account, name] = parts.as_slice() else {
        return false;
    };
    *arn_ == "arn"
        && partition.starts_with("aws")
        && partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-')
        && *service == "sns"
        && !r.is_empty()
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && region.is_none_or(|want| *r == want)
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && (1..=256).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

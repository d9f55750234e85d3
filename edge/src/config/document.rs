//! The configuration document as written: the serde shape of `edgegate.toml` (or its JSON
//! form), every section of it, for every deployable. This is the one schema: the gate
//! validates its sections into [`super::GateConfig`], the auth function reads `[auth]`, the
//! publisher validates `[publish]` into its settings, `edgegate stack params` validates
//! `[stack]`. Unknown members are refused everywhere (`deny_unknown_fields`), so a misspelt key
//! is an error naming it, never a silently ignored setting.

use edgegate_keys::jwt::{cognito_issuer, IssuerFormat, TokenUse};
use serde::{Deserialize, Serialize};

/// The configuration document as written (TOML or JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigDocument {
    /// Must be 1.
    pub version: u32,
    /// The site.
    pub site: SiteDoc,
    /// Cognito user pool settings (the issuer with id `cognito`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cognito: Option<CognitoDoc>,
    /// More token issuers: other user pools and generic OIDC issuers (`[[issuers]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuers: Option<Vec<IssuerDoc>>,
    /// CloudFront trusted keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudfront: Option<CloudFrontDoc>,
    /// Routes (path prefix → access).
    pub routes: Vec<RouteDoc>,
    /// Browser sign-in (Cognito Hosted UI to CloudFront signed cookies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthDoc>,
    /// The HTML pages browsers are shown for a 401, 403 or 404 (`[pages]`; built-in ones
    /// otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<PagesDoc>,
    /// The publisher's settings (`edgegate publish`, `channel set`, `releases list`). Not
    /// part of the wasm build: `edgegate bundle` bakes the document without it (5.6 KB of
    /// deserializer the viewer function would never use).
    #[cfg(not(target_arch = "wasm32"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish: Option<PublishDoc>,
    /// Deployment settings for the CloudFormation stacks (`edgegate stack params`). Not part
    /// of the wasm build, like `publish`.
    #[cfg(not(target_arch = "wasm32"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<StackDoc>,
}

#[cfg(not(target_arch = "wasm32"))]
impl ConfigDocument {
    /// The document a deployed function is baked with: this one without the operator-side
    /// sections (`[publish]`, `[stack]`), which the functions never read (and the wasm build
    /// of this type does not know).
    pub fn baked(&self) -> ConfigDocument {
        ConfigDocument {
            publish: None,
            stack: None,
            ..self.clone()
        }
    }
}

/// `[pages]`: the operator's HTML for browser navigations, each optional (the built-in page
/// otherwise). Each page is given inline or as a file (`*_file`, relative to the config file)
/// that the loader reads into the inline member before baking. Placeholders `{{status}}` and
/// `{{reason}}` are replaced, HTML-escaped; nothing from the request is ever inserted.
///
/// ```toml
/// [pages]
/// forbidden_file = "pages/403.html"
/// not_found = "<!doctype html><title>Not here</title><p>{{status}} {{reason}}</p>"
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagesDoc {
    /// The 401 page (no or invalid credential), HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unauthorized: Option<String>,
    /// A file holding the 401 page.
    #[cfg(not(target_arch = "wasm32"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unauthorized_file: Option<String>,
    /// The 403 page (valid credential without access, no route), HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbidden: Option<String>,
    /// A file holding the 403 page.
    #[cfg(not(target_arch = "wasm32"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbidden_file: Option<String>,
    /// The 404 page (the origin has no such object), HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_found: Option<String>,
    /// A file holding the 404 page.
    #[cfg(not(target_arch = "wasm32"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_found_file: Option<String>,
}

/// `[site]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteDoc {
    /// The host name viewers use, e.g. `downloads.example.com` (a port is allowed for local use).
    pub domain: String,
    /// `https` (default) or `http` (local development only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
}

/// `[cognito]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CognitoDoc {
    /// The pool's region (for the updated format: its primary region).
    pub region: String,
    /// e.g. `eu-west-1_AbCdEf123`.
    pub user_pool_id: String,
    /// `original` or `updated`.
    pub issuer_format: IssuerFormat,
    /// Accepted app client ids.
    pub app_client_ids: Vec<String>,
    /// Accepted `token_use` values.
    pub token_use: Vec<TokenUse>,
    /// Clock-skew allowance, seconds (default 0, max 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leeway_seconds: Option<u64>,
    /// Where the JWKS is fetched from at build/start time (default `<issuer>/.well-known/jwks.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// A local JWKS file, read instead of fetching (relative to the config file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_file: Option<String>,
}

impl CognitoDoc {
    /// The issuer string tokens must carry.
    pub fn issuer(&self) -> String {
        cognito_issuer(self.issuer_format, &self.region, &self.user_pool_id)
    }

    /// The JWKS URL: `jwks_url`, else `<issuer>/.well-known/jwks.json`.
    pub fn jwks_url(&self) -> String {
        self.jwks_url
            .clone()
            .unwrap_or_else(|| format!("{}/.well-known/jwks.json", self.issuer()))
    }
}

/// What kind of token issuer an `[[issuers]]` entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssuerKind {
    /// An Amazon Cognito user pool: the fields and rules of `[cognito]`.
    Cognito,
    /// A generic OpenID Connect issuer with RS256 keys (e.g. GitHub Actions), checked by
    /// `iss`, `aud`, `sub`, `exp`, `iat` and `nbf`.
    Oidc,
}

/// One `[[issuers]]`: a token issuer besides `[cognito]`, referred to by routes by `id`.
///
/// ```toml
/// [[issuers]]
/// id = "ci"                                       # 1 to 32 of a-z 0-9 -; not "cognito"
/// kind = "oidc"
/// issuer = "https://token.actions.githubusercontent.com"   # exact `iss`, https
/// audiences = ["https://github.com/example-org"]  # 1 to 16, any of against `aud`
/// jwks_url = "https://token.actions.githubusercontent.com/.well-known/jwks"   # or jwks_file
/// leeway_seconds = 30                             # optional, default 0, at most 300
///
/// [[issuers]]
/// id = "partners"                                 # a second Cognito user pool
/// kind = "cognito"
/// issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Partners1"
/// audiences = ["2example34567890"]                # its app client ids (aud / client_id)
/// token_use = ["access"]                          # required for cognito, refused for oidc
/// ```
///
/// Both kinds have the same fields (`token_use` is Cognito's only). A `cognito` issuer is the
/// pool's issuer URL in either format (`cognito-idp.<region>...` or
/// `issuer-cognito-idp.<region>...`), and its JWKS defaults to `<issuer>/.well-known/jwks.json`.
/// The loader bakes the key set into `jwks` (JWKS JSON text) from `jwks_file` or `jwks_url`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerDoc {
    /// The name routes use in `routes[N].issuers`.
    pub id: String,
    /// `cognito` or `oidc`.
    pub kind: IssuerKind,
    /// The exact `iss` of its tokens.
    pub issuer: String,
    /// Accepted audiences: for `oidc` against `aud`; for `cognito` the app client ids (an
    /// ID token's `aud`, an access token's `client_id`).
    pub audiences: Vec<String>,
    /// `cognito` only: accepted `token_use` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_use: Option<Vec<TokenUse>>,
    /// Clock-skew allowance, seconds (default 0, max 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leeway_seconds: Option<u64>,
    /// Where the JWKS is fetched from (build time, and on an unknown `kid` at the edge).
    /// Required for `oidc` unless `jwks_file` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_url: Option<String>,
    /// A local JWKS file, read instead of fetching (relative to the config file). The
    /// loader reads it into `jwks`, so a baked document (and the wasm build) has none.
    #[cfg(not(target_arch = "wasm32"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_file: Option<String>,
    /// The JWKS document itself, as JSON text: what the loader bakes in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,
}

impl IssuerDoc {
    /// The JWKS URL: `jwks_url`, else for `cognito` `<issuer>/.well-known/jwks.json`
    /// (`None` for an `oidc` issuer without one).
    pub fn jwks_url(&self) -> Option<String> {
        match (&self.jwks_url, self.kind) {
            (Some(url), _) => Some(url.clone()),
            (None, IssuerKind::Cognito) => Some(format!("{}/.well-known/jwks.json", self.issuer)),
            (None, IssuerKind::Oidc) => None,
        }
    }
}

/// `routes[N].claims` values: one exact string, or one of a list (TOML `"acme"` or
/// `["acme", "acme-labs"]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimValues(pub Vec<String>);

impl Serialize for ClaimValues {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ClaimValues {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ClaimValues;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ClaimValues, E> {
                Ok(ClaimValues(vec![v.to_string()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ClaimValues, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<String>()? {
                    out.push(v);
                }
                Ok(ClaimValues(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `routes[N].claims` as written: `(claim name, values)` in document order. A name given
/// twice is refused (JSON allows it, and a last-wins reading would hide the first rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRulesDoc(pub Vec<(String, ClaimValues)>);

impl Serialize for ClaimRulesDoc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, values) in &self.0 {
            map.serialize_entry(name, values)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ClaimRulesDoc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ClaimRulesDoc;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a table of claim name to value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ClaimRulesDoc, A::Error> {
                let mut out: Vec<(String, ClaimValues)> = Vec::new();
                while let Some((name, values)) = map.next_entry::<String, ClaimValues>()? {
                    if out.iter().any(|(n, _)| *n == name) {
                        return Err(serde::de::Error::custom("duplicate claim name"));
                    }
                    out.push((name, values));
                }
                Ok(ClaimRulesDoc(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// `[auth]`: browser sign-in through the Cognito Hosted UI (managed login), turned into
/// CloudFront signed cookies by the origin auth function at `/auth/*`.
///
/// ```toml
/// [auth]
/// hosted_ui = "https://auth.example.com"   # Hosted UI base URL (custom or <prefix>.auth.<region>.amazoncognito.com)
/// client_id = "1example23456789"           # the app client used for sign-in (one of cognito.app_client_ids)
/// key_pair_id = "K2JCJMDEHXQW5F"           # the trusted key the auth function signs cookies with
/// scopes = ["openid", "email"]             # optional, default ["openid"]
/// identity_provider = "Google"             # optional: skip the Hosted UI's provider choice
/// logout_return = "/"                      # optional path after sign-out, default "/"
/// amplify_cookies = false                  # optional: also accept Amplify SPA token cookies at the edge
/// state_max_age_seconds = 600              # optional, default 600 (60..=3600)
///
/// [auth.secrets]                           # read once at cold start, never from source or env values
/// cloudfront_private_key = "arn:aws:secretsmanager:us-east-1:111122223333:secret:edgegate/cf-key"
/// state_key = "arn:aws:secretsmanager:us-east-1:111122223333:secret:edgegate/state-key"
///                                          # Secrets Manager ARNs (file:<path> for local runs only)
/// client_secret = "arn:aws:secretsmanager:...:secret:edgegate/client-secret"   # optional
/// ```
///
/// With `[auth]`, `/auth/` is a public route of the gate (no route may cover it), browser
/// navigations without a usable credential on a groups or authenticated route are redirected
/// to `/auth/login` (a scopes route answers 401: no sign-in satisfies it), and gated routes may
/// only nest when the inner route admits everyone the outer one gives sign-in cookies to (one
/// cookie set per outer prefix covers the inner paths; see `config::sign_in_cookie_rule`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthDoc {
    /// Hosted UI base URL, `https://...` (`http://127.0.0.1...`/`http://localhost...` for local use).
    pub hosted_ui: String,
    /// The sign-in app client id.
    pub client_id: String,
    /// The trusted CloudFront key pair id the auth function signs cookies with.
    pub key_pair_id: String,
    /// OAuth scopes (default `["openid"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Optional `identity_provider` for `/oauth2/authorize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_provider: Option<String>,
    /// Path to land on after sign-out (default `/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_return: Option<String>,
    /// Accept Amplify's `CognitoIdentityServiceProvider.<clientId>.<user>.idToken` cookies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amplify_cookies: Option<bool>,
    /// How long a sign-in flow's `state` stays valid, seconds (default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_max_age_seconds: Option<u64>,
    /// Where the auth function's secrets live.
    pub secrets: AuthSecretsDoc,
}

/// `[auth.secrets]`: secret references (never the secrets themselves).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSecretsDoc {
    /// The CloudFront private key (PEM).
    pub cloudfront_private_key: String,
    /// The state/nonce HMAC key (at least 32 bytes).
    pub state_key: String,
    /// The app client secret, when the app client has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// `[cloudfront]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudFrontDoc {
    /// The trusted key group.
    #[serde(default)]
    pub trusted_keys: Vec<TrustedKeyDoc>,
}

/// One `[[cloudfront.trusted_keys]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedKeyDoc {
    /// The CloudFront public key id.
    pub key_pair_id: String,
    /// PEM `PUBLIC KEY` inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// PEM file (relative to the config file); the loader inlines it into `public_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_file: Option<String>,
}

/// What a route requires (`routes[N].access`). Every route states one; none has a default.
///
/// | kind | admits |
/// |---|---|
/// | `public` | everyone; any credential is ignored and stripped |
/// | `groups` | a Cognito token in one of `groups`, or (with `scopes`) an access token with one of `scopes`; or a signed URL/cookies covering the request |
/// | `authenticated` | any valid Cognito token of the pool's accepted app clients, no group needed; or a signed URL/cookies |
/// | `scopes` | a Cognito access token (`token_use = "access"`, e.g. client credentials) with one of `scopes`; or a signed URL/cookies |
/// | `signed` | only a signed URL or signed cookies |
/// | `network` | a viewer whose address is inside the route's `networks`, without a credential (any present is ignored and stripped) |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessKind {
    /// No credential; any present is ignored and stripped.
    Public,
    /// A Cognito token in one of `groups` (or, with `scopes`, an access token with one of
    /// them), or a signed URL/cookies covering the request.
    Groups,
    /// Any valid Cognito token (same signature and claim checks as `groups`), no group
    /// needed, or a signed URL/cookies covering the request.
    Authenticated,
    /// A Cognito access token with one of `scopes` (machine clients), or a signed URL/cookies
    /// covering the request.
    Scopes,
    /// Only a signed URL or signed cookies.
    Signed,
    /// A viewer address inside `networks` (required), without a credential: the explicit
    /// opt-in to admit a network; any credential present is ignored and stripped.
    Network,
}

/// One `[[routes]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteDoc {
    /// Path prefix, matched on whole segments (`/releases`).
    pub prefix: String,
    /// The access rule.
    pub access: AccessKind,
    /// For `access = "groups"` (required there, and only there): the Cognito groups admitted
    /// (any of, against `cognito:groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// For `access = "scopes"` (required) or `access = "groups"` (optional, any of with
    /// `groups`): the OAuth scopes admitted (any of, against an access token's
    /// space-separated `scope` claim; RFC 6749 §3.3 scope-tokens, e.g. `artifacts/read`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// IPv4 and IPv6 networks (`192.0.2.0/24`, `2001:db8::/32`, a bare address for /32 or
    /// /128; 1 to 64). On any route but `public`, the viewer address must be inside one of
    /// them in addition to the route's credential rule; required for `access = "network"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networks: Option<Vec<String>>,
    /// A directory index file name (`index.html`; one path segment of `A-Za-z0-9-._~`). After
    /// an allow on this route, a path ending in `/` is served `<path><index>` and a path whose
    /// last segment has no `.` is redirected to `<path>/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// With `index`: single-page-app fallback. Every path whose last segment has no `.` (a
    /// trailing `/` included) is served the route's own index, `<prefix>/<index>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spa: Option<bool>,
    /// On a token route: the issuer ids whose tokens it trusts (`"cognito"` is `[cognito]`;
    /// the ids of `[[issuers]]`); default `["cognito"]`. `oidc` issuers only on
    /// `access = "authenticated"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuers: Option<Vec<String>>,
    /// On a token route: claims the token must carry with exactly this string value (or one
    /// of a list), all of them: `claims = { repository_owner = "example-org" }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<ClaimRulesDoc>,
}

/// `[publish]`: where `edgegate publish` puts releases. Values are checked by the publisher
/// (bucket naming rules, prefix shape, distribution id), with errors naming `publish.<field>`.
///
/// ```toml
/// [publish]
/// bucket = "example-artifacts"        # the private origin bucket
/// prefix = "releases/"                # optional, default "releases/"; "" for the bucket root
/// distribution_id = "E2EXAMPLE123"    # optional: without it nothing is invalidated
/// region = "eu-west-1"                # optional: default from the AWS chain (AWS_REGION, profile)
/// ```
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishDoc {
    /// The S3 bucket (flag: `--bucket`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// The key prefix releases live under (flag: `--prefix`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The distribution to invalidate (flag: `--distribution-id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_id: Option<String>,
    /// The bucket's region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// `[stack]`: deployment settings of the four CloudFormation stacks, read by
/// `edgegate stack params` (see `infra/cloudformation/README.md`), which validates the values.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackDoc {
    /// Name prefix of the stacks and of the named resources.
    pub name: String,
    /// The home region (identity and origin stacks); defaults to `[cognito].region`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Cognito prefix domain of the Hosted UI.
    pub hosted_ui_domain_prefix: String,
    /// An existing ACM certificate in us-east-1 (else the edge stack creates one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    /// The Route 53 hosted zone of the site's domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted_zone_id: Option<String>,
    /// CloudFront price class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_class: Option<String>,
    /// Retention of the function log groups, days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_retention_days: Option<u32>,
    /// Retention of the access logs, days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log_retention_days: Option<u32>,
    /// Confidential app client (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<bool>,
    /// `off`, `optional` (default) or `on`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<String>,
    /// ID and access token lifetime, minutes (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_validity_minutes: Option<u32>,
    /// Refresh token lifetime, days (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_validity_days: Option<u32>,
    /// The SNS topic (home region) the origin stack's alarms notify (auth function errors,
    /// throttles, token endpoint failures). Absent: alarms without actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_topic_arn: Option<String>,
    /// The SNS topic (us-east-1) the edge stack's distribution alarms notify; defaults to
    /// `alarm_topic_arn` when the home region is us-east-1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_alarm_topic_arn: Option<String>,
    /// Turn on CloudFront's additional metrics (billed per metric) and the 503 alarm (edge
    /// stack `AdditionalMetrics`; default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_metrics: Option<bool>,
    /// An existing CloudTrail trail for the content bucket's S3 data events (else the origin
    /// stack creates one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_trail_name: Option<String>,
    /// The trusted-key slots.
    pub cloudfront_keys: KeySlotsDoc,
}

/// `[stack.cloudfront_keys]`: PEM files (relative to the config file) of the CloudFront public
/// keys in the key group's two rotation slots.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySlotsDoc {
    /// Slot A.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<String>,
    /// Slot B.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<String>,
}

/// Where a secret of `[auth.secrets]` lives. The document holds references, never values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretRef<'a> {
    /// `arn:<partition>:secretsmanager:...`: read from AWS Secrets Manager. The only kind that
    /// deploys.
    SecretsManager(&'a str),
    /// `file:<path>` (relative to the config file): local runs only.
    File(&'a str),
    /// `dev:<name>`: the committed development material of `edgegate dev`: local runs only.
    Dev(&'a str),
}

impl<'a> SecretRef<'a> {
    /// Classifies a reference.
    ///
    /// # Errors
    /// The reason, when `reference` is none of the three forms (e.g. a secret pasted inline).
    pub fn parse(reference: &'a str) -> Result<SecretRef<'a>, &'static str> {
        let mut arn = reference.split(':');
        if arn.next() == Some("arn")
            && arn
                .next()
                .is_some_and(|partition| partition.starts_with("aws"))
            && arn.next() == Some("secretsmanager")
        {
            Ok(SecretRef::SecretsManager(reference))
        } else if let Some(path) = reference.strip_prefix("file:") {
            Ok(SecretRef::File(path))
        } else if let Some(name) = reference.strip_prefix("dev:") {
            Ok(SecretRef::Dev(name))
        } else {
            Err("must be a Secrets Manager ARN (arn:aws:secretsmanager:...), or for local use file:<path>")
        }
    }
}

impl AuthSecretsDoc {
    /// Every reference with its field name (`auth.secrets.state_key`), in document order.
    pub fn references(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            (
                "auth.secrets.cloudfront_private_key",
                Some(self.cloudfront_private_key.as_str()),
            ),
            ("auth.secrets.state_key", Some(self.state_key.as_str())),
            ("auth.secrets.client_secret", self.client_secret.as_deref()),
        ]
        .into_iter()
        .filter_map(|(field, value)| value.map(|v| (field, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_ref_kinds_ok_and_inline_value_fails() {
        assert_eq!(
            SecretRef::parse("arn:aws:secretsmanager:us-east-1:1:secret:x"),
            Ok(SecretRef::SecretsManager(
                "arn:aws:secretsmanager:us-east-1:1:secret:x"
            ))
        );
        assert_eq!(
            SecretRef::parse("arn:aws-us-gov:secretsmanager:us-gov-west-1:1:secret:x"),
            Ok(SecretRef::SecretsManager(
                "arn:aws-us-gov:secretsmanager:us-gov-west-1:1:secret:x"
            ))
        );
        assert_eq!(SecretRef::parse("file:k.pem"), Ok(SecretRef::File("k.pem")));
        assert_eq!(
            SecretRef::parse("dev:state-key"),
            Ok(SecretRef::Dev("state-key"))
        );
        for bad in [
            "-----BEGIN PRIVATE KEY-----",
            "arn:aws:ssm:us-east-1:1:parameter/x",
            "arn:x:secretsmanager:r:1:secret:x",
            "",
        ] {
            assert!(SecretRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn baked_document_drops_operator_sections_ok() {
        let doc: ConfigDocument = serde_json::from_value(serde_json::json!({
            "version": 1,
            "site": {"domain": "d.example.com"},
            "routes": [{"prefix": "/p", "access": "public"}],
            "publish": {"bucket": "b"},
            "stack": {"name": "n", "hosted_ui_domain_prefix": "p", "cloudfront_keys": {}}
        }))
        .unwrap();
        let baked = doc.baked();
        assert_eq!((baked.publish.as_ref(), baked.stack.as_ref()), (None, None));
        let text = serde_json::to_string(&baked).unwrap();
        assert!(
            !text.contains("publish") && !text.contains("stack"),
            "{text}"
        );
        assert_eq!(
            ConfigDocument {
                publish: doc.publish.clone(),
                stack: doc.stack.clone(),
                ..baked
            },
            doc
        );
    }
}

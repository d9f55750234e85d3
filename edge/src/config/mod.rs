//! The configuration: the version-1 document (`edgegate.toml`) and the validated [`GateConfig`].
//!
//! One document configures the gate, and later the auth function, the bundle and the stack.
//! [`ConfigDocument`] is the serde shape (unknown members refused everywhere); the shell that
//! reads the file resolves file references (`public_key_file`, `jwks_file`) and loads the JWKS,
//! then [`GateConfig::from_document`] validates everything once, with errors that name the
//! field (`routes[2].groups: ...`). Security settings have no defaults that widen access:
//! every route states its access, app client ids and trusted keys are explicit, and leeway
//! defaults to 0 seconds.
//!
//! ```toml
//! version = 1
//!
//! [site]
//! domain = "downloads.example.com"   # the host viewers use (Aliases)
//! scheme = "https"                   # optional, default "https"; signed-URL resources use it
//!
//! [cognito]                          # optional: without it only signed URLs/cookies admit
//! region = "eu-west-1"
//! user_pool_id = "eu-west-1_AbCdEf123"
//! issuer_format = "original"         # or "updated" (issuer-cognito-idp.<region>...)
//! app_client_ids = ["1example23456789"]
//! token_use = ["access", "id"]       # accepted token_use values
//! leeway_seconds = 30                # optional, default 0, at most 300
//! jwks_url = "https://..."           # optional, default <issuer>/.well-known/jwks.json
//! jwks_file = "jwks.json"            # optional, read instead of fetching
//!
//! [[cloudfront.trusted_keys]]
//! key_pair_id = "K2JCJMDEHXQW5F"
//! public_key_file = "keys/cloudfront-public.pem"   # or public_key = "-----BEGIN PUBLIC KEY-----..."
//!
//! [[routes]]
//! prefix = "/releases"
//! access = "groups"                  # "public" | "groups" | "authenticated" | "scopes" | "signed"
//! groups = ["downloaders"]
//! scopes = ["releases/read"]         # optional: or an access token with one of these scopes
//!
//! [[routes]]
//! prefix = "/members"
//! access = "authenticated"           # any valid token of the pool
//!
//! [[routes]]
//! prefix = "/artifacts"
//! access = "scopes"                  # an access token with one of these (RFC 6749 §3.3)
//! scopes = ["artifacts/read"]
//!
//! [[routes]]
//! prefix = "/shared"
//! access = "signed"
//! networks = ["192.0.2.0/24", "2001:db8::/32"]   # optional: the viewer address must also be in one
//!
//! [[routes]]
//! prefix = "/mirror"
//! access = "network"                 # explicit: admits these networks without a credential
//! networks = ["198.51.100.0/24"]
//! ```
//!
//! `[auth]` configures browser sign-in (see [`AuthDoc`]); `[publish]` ([`PublishDoc`]) and
//! `[stack]` ([`StackDoc`]) are typed here and validated by their readers. The one check of
//! what may be deployed (no dev material, https only, secrets in Secrets Manager) is
//! [`deployable`].
//!
//! Modules: [`document`] (the serde shape of the whole file), [`deploy`] (the deployability
//! rule); this module validates the gate's sections into [`GateConfig`].

pub mod deploy;
pub mod document;

pub use deploy::{deployable, deployable_key};
pub use document::{
    AccessKind, AuthDoc, AuthSecretsDoc, ClaimRulesDoc, ClaimValues, CloudFrontDoc, CognitoDoc,
    ConfigDocument, IssuerDoc, IssuerKind, PagesDoc, RouteDoc, SecretRef, SiteDoc, TrustedKeyDoc,
};
#[cfg(not(target_arch = "wasm32"))]
pub use document::{KeySlotsDoc, PublishDoc, StackDoc};

use crate::pages::Pages;
use edgegate_keys::jwt::{JwtValidation, OidcValidation, TokenUse};
use edgegate_keys::{IpCidr, Jwks, KeyPairId, PublicKey, TrustedKey, TrustedKeys};

/// The only supported document version.
pub const CONFIG_VERSION: u32 = 1;
/// Largest accepted leeway, in seconds.
pub const MAX_LEEWAY_SECS: u64 = 300;

/// The prefix of the auth function's endpoints.
pub const AUTH_PREFIX: &str = "/auth";

/// What the gate needs to know about sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateAuth {
    /// Accept Amplify token cookies for these app client ids.
    pub amplify_client_ids: Vec<String>,
}

/// A configuration error naming the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// e.g. `routes[1].groups`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl ConfigError {
    /// An error for `field` (`routes[1].groups`).
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// A route's access rule, validated (from `routes[N].access`, `.groups`, `.scopes`).
///
/// Every kind but `Public` and `Network` also admits a signed URL or signed cookies covering the request;
/// the token kinds differ only in which verified Cognito token they admit (a token has always
/// passed the pool's signature, `iss`, app client, `token_use` and time checks first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// No credential needed.
    Public,
    /// A Cognito token in any of `groups` (`cognito:groups`), or an access token
    /// (`token_use = "access"`) whose `scope` claim holds any of `scopes` (empty: none
    /// listed); or signed URL/cookies.
    Groups {
        /// The admitted groups (non-empty).
        groups: Vec<String>,
        /// The admitted OAuth scopes (maybe empty).
        scopes: Vec<String>,
    },
    /// Any verified Cognito token, no group needed; or signed URL/cookies.
    Authenticated,
    /// A Cognito access token whose `scope` claim holds any of these scopes (non-empty); ID
    /// tokens never qualify (Cognito puts no `scope` in them); or signed URL/cookies.
    Scopes(Vec<String>),
    /// Signed URL/cookies only.
    Signed,
    /// A viewer address inside the route's [`Route::networks`] (non-empty), no credential
    /// needed (any is stripped).
    Network,
}

impl Access {
    /// The `routes[N].access` word of this rule (`public`, `groups`, `authenticated`,
    /// `scopes`, `signed`), as `edgegate explain` shows it.
    pub fn kind(&self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Groups { .. } => "groups",
            Access::Authenticated => "authenticated",
            Access::Scopes(_) => "scopes",
            Access::Signed => "signed",
            Access::Network => "network",
        }
    }

    /// Whether a verified Cognito token can decide on this route (`groups`, `authenticated`,
    /// `scopes`); on `signed` a token is refused and on `public` ignored.
    pub fn admits_tokens(&self) -> bool {
        matches!(
            self,
            Access::Groups { .. } | Access::Authenticated | Access::Scopes(_)
        )
    }
}

/// Most scopes one route may list (`routes[N].scopes`).
pub const MAX_ROUTE_SCOPES: usize = 32;
/// Longest scope name, in bytes.
pub const MAX_SCOPE_BYTES: usize = 128;

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )` (printable ASCII but space,
/// `"` and `\`); here also at most [`MAX_SCOPE_BYTES`].
pub fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SCOPE_BYTES
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

/// Validates `routes[N].scopes` (`field`): 1 to [`MAX_ROUTE_SCOPES`] scope-tokens
/// ([`is_scope_token`]), no duplicates.
fn validate_scopes(field: &str, scopes: &[String]) -> Result<Vec<String>, ConfigError> {
    if scopes.is_empty() {
        return Err(ConfigError::new(field, "must list at least one scope"));
    }
    if scopes.len() > MAX_ROUTE_SCOPES {
        return Err(ConfigError::new(field, "at most 32 scopes"));
    }
    for (i, s) in scopes.iter().enumerate() {
        if !is_scope_token(s) {
            return Err(ConfigError::new(
                field,
                format!("scope {i} is not an RFC 6749 scope-token of 1 to 128 bytes (printable ASCII except space, \" and \\)"),
            ));
        }
        if scopes.get(..i).is_some_and(|before| before.contains(s)) {
            return Err(ConfigError::new(
                field,
                format!("scope {i} is listed twice"),
            ));
        }
    }
    Ok(scopes.to_vec())
}

/// Most networks one route may list (`routes[N].networks`).
pub const MAX_ROUTE_NETWORKS: usize = 64;

/// Validates `routes[N].networks` (`field`): 1 to [`MAX_ROUTE_NETWORKS`] networks
/// ([`IpCidr::parse`]), no duplicates.
fn validate_networks(field: &str, networks: &[String]) -> Result<Vec<IpCidr>, ConfigError> {
    if networks.is_empty() {
        return Err(ConfigError::new(field, "must list at least one network"));
    }
    if networks.len() > MAX_ROUTE_NETWORKS {
        return Err(ConfigError::new(field, "at most 64 networks"));
    }
    let mut out: Vec<IpCidr> = Vec::with_capacity(networks.len());
    for (i, text) in networks.iter().enumerate() {
        let cidr = IpCidr::parse(text).map_err(|e| {
            ConfigError::new(
                field,
                format!("network {i} ({text:?}) is not an IPv4 or IPv6 CIDR: {e}"),
            )
        })?;
        if out.contains(&cidr) {
            return Err(ConfigError::new(
                field,
                format!("network {i} ({text:?}) is listed twice"),
            ));
        }
        out.push(cidr);
    }
    Ok(out)
}

/// A validated route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Canonical prefix.
    pub prefix: String,
    /// Access rule.
    pub access: Access,
    /// The networks the viewer address must be inside (`routes[N].networks`); empty: no
    /// network condition. Never empty for [`Access::Network`]; always empty for
    /// [`Access::Public`].
    pub networks: Vec<IpCidr>,
    /// The directory index rule (`routes[N].index`, `.spa`); `None`: paths are served as
    /// they are.
    pub index: Option<DirectoryIndex>,
    /// The issuers whose tokens this route trusts (`routes[N].issuers`, default `[cognito]`);
    /// empty on routes that admit no token.
    pub issuers: Vec<IssuerIndex>,
    /// Claims a token must carry (`routes[N].claims`), all of them; empty: none required.
    pub claims: Vec<ClaimRule>,
}

/// One `routes[N].claims` entry: the token's claim `name` must be a JSON string equal to one
/// of `values`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimRule {
    /// The claim name (`repository_owner`).
    pub name: String,
    /// The accepted values (1 to [`MAX_CLAIM_VALUES`]).
    pub values: Vec<String>,
}

/// Most values one claim rule may list.
pub const MAX_CLAIM_VALUES: usize = 16;
/// Most claim rules one route may have.
pub const MAX_CLAIM_RULES: usize = 8;
/// Longest claim name or value, in bytes.
pub const MAX_CLAIM_BYTES: usize = 256;
/// Most issuers, `[cognito]` included.
pub const MAX_ISSUERS: usize = 8;
/// Claims a route may not compare: the ones the issuer rules and access kinds already check.
pub const RESERVED_CLAIMS: [&str; 9] = [
    "iss",
    "aud",
    "exp",
    "nbf",
    "iat",
    "token_use",
    "client_id",
    "cognito:groups",
    "scope",
];

impl Route {
    /// Whether the route trusts tokens of `issuer`.
    pub fn trusts(&self, issuer: IssuerIndex) -> bool {
        self.issuers.contains(&issuer)
    }

    /// The first claim rule `claims` (a verified token's kept `(name, value)` pairs) does not
    /// satisfy, if any.
    pub fn unmet_claim<'a>(&'a self, claims: &[(String, String)]) -> Option<&'a ClaimRule> {
        self.claims.iter().find(|rule| {
            !claims
                .iter()
                .any(|(n, v)| *n == rule.name && rule.values.contains(v))
        })
    }
}

/// A route's directory index (`routes[N].index` and `routes[N].spa`), applied after the gate
/// allowed a request (see [`crate::gate`]'s directory step).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryIndex {
    /// The index file name, one path segment (`index.html`).
    pub document: String,
    /// Single-page-app fallback: a path whose last segment has no `.` is served the
    /// route's own index instead of being redirected to `<path>/`.
    pub spa: bool,
}

/// Longest index file name, in bytes (an S3 key segment; NAME_MAX on the dev server).
pub const MAX_INDEX_BYTES: usize = 255;

/// `routes[N].index` and `.spa`: the index a file name of 1 to [`MAX_INDEX_BYTES`] bytes of
/// `A-Za-z0-9-._~` (one canonical path segment, so the rewritten path stays canonical; see
/// [`crate::path`]), not `.` or `..`; `spa` only with an index.
fn validate_index(
    field: &str,
    index: Option<&str>,
    spa: Option<bool>,
) -> Result<Option<DirectoryIndex>, ConfigError> {
    let Some(document) = index else {
        return match spa {
            Some(_) => Err(ConfigError::new(
                format!("{field}.spa"),
                "only allowed with index (the file the fallback serves)",
            )),
            None => Ok(None),
        };
    };
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    if document.is_empty()
        || document.len() > MAX_INDEX_BYTES
        || document == "."
        || document == ".."
        || !document.bytes().all(unreserved)
    {
        return Err(ConfigError::new(
            format!("{field}.index"),
            "must be a file name of 1 to 255 characters A-Za-z0-9-._~ (not . or ..), e.g. \"index.html\"",
        ));
    }
    Ok(Some(DirectoryIndex {
        document: document.to_string(),
        spa: spa.unwrap_or(false),
    }))
}

impl Route {
    /// Whether a decision on this route reads the viewer address (it lists networks, or is
    /// `access = "network"`).
    pub fn reads_address(&self) -> bool {
        !self.networks.is_empty() || self.access == Access::Network
    }

    /// The first of the route's networks that holds the viewer address `client_ip`
    /// (`clientIp` text; an IPv4-mapped IPv6 address as IPv4); `None` when none does or the
    /// text is no address.
    pub fn network_of(&self, client_ip: &str) -> Option<&IpCidr> {
        let ip = edgegate_keys::cidr::viewer_address(client_ip)?;
        self.networks.iter().find(|n| n.contains(ip))
    }
}

/// Validated Cognito settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CognitoConfig {
    /// The claim rules.
    pub validation: JwtValidation,
    /// The user pool's keys.
    pub jwks: Jwks,
}

/// A token issuer's position in [`GateConfig::issuers`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IssuerIndex(pub usize);

/// A validated token issuer: `[cognito]` (id `cognito`) or one `[[issuers]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issuer {
    /// The id routes name it by.
    pub id: String,
    /// How its tokens are verified.
    pub rules: IssuerRules,
}

/// How an issuer's tokens are verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerRules {
    /// A Cognito user pool ([`edgegate_keys::jwt::verify`]).
    Cognito(CognitoConfig),
    /// A generic OIDC issuer ([`edgegate_keys::jwt::verify_oidc`]).
    Oidc(OidcConfig),
}

/// Validated settings of a generic OIDC issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcConfig {
    /// The claim rules.
    pub validation: OidcValidation,
    /// The issuer's keys.
    pub jwks: Jwks,
}

impl Issuer {
    /// The exact `iss` its tokens carry.
    pub fn iss(&self) -> &str {
        match &self.rules {
            IssuerRules::Cognito(c) => &c.validation.issuer,
            IssuerRules::Oidc(o) => &o.validation.issuer,
        }
    }

    /// Its keys.
    pub fn jwks(&self) -> &Jwks {
        match &self.rules {
            IssuerRules::Cognito(c) => &c.jwks,
            IssuerRules::Oidc(o) => &o.jwks,
        }
    }

    /// Its leeway, seconds.
    pub fn leeway_secs(&self) -> u64 {
        match &self.rules {
            IssuerRules::Cognito(c) => c.validation.leeway_secs,
            IssuerRules::Oidc(o) => o.validation.leeway_secs,
        }
    }
}

/// The site's URL scheme (`site.scheme`): what viewers use, and so the scheme of the
/// resource URL a signed URL or cookie policy is matched against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `https` (the default; the only scheme that may be deployed, see [`deployable`]).
    Https,
    /// `http`: a local run (`edgegate dev`), where browsers refuse `__Secure-` cookies.
    Http,
}

impl Scheme {
    /// `"https"` or `"http"`, as written in `site.scheme`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

/// The validated gate configuration.
///
/// Built only by [`GateConfig::from_document`], so holding one means every rule there held
/// (canonical route prefixes, explicit access, keys that parse, `[auth]` consistent with the
/// routes); the fields are read through accessors and cannot be changed afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateConfig {
    site_domain: String,
    scheme: Scheme,
    /// Every token issuer: `[cognito]` first (id `cognito`) when present, then `[[issuers]]`.
    issuers: Vec<Issuer>,
    /// Whether `issuers[0]` is `[cognito]`.
    cognito_section: bool,
    trusted_keys: TrustedKeys,
    routes: Vec<Route>,
    auth: Option<GateAuth>,
    pages: Pages,
}

impl GateConfig {
    /// The site host name viewers use (`site.domain`: 1 to 253 bytes of lowercase letters,
    /// digits, `.`, `-` and `:`).
    pub fn site_domain(&self) -> &str {
        &self.site_domain
    }

    /// The site's scheme (`site.scheme`, default [`Scheme::Https`]).
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The Cognito settings and JWKS, when `[cognito]` is configured.
    pub fn cognito(&self) -> Option<&CognitoConfig> {
        match self.issuers.first() {
            Some(Issuer {
                rules: IssuerRules::Cognito(c),
                ..
            }) if self.cognito_section => Some(c),
            _ => None,
        }
    }

    /// Every token issuer, as [`IssuerIndex`] numbers them: `[cognito]` first when present,
    /// then `[[issuers]]` in document order.
    pub fn issuers(&self) -> &[Issuer] {
        &self.issuers
    }

    /// The issuer whose `iss` is exactly `iss`.
    pub fn issuer_for(&self, iss: &str) -> Option<IssuerIndex> {
        self.issuers
            .iter()
            .position(|i| i.iss() == iss)
            .map(IssuerIndex)
    }

    /// The issuer at `index`.
    pub fn issuer(&self, index: IssuerIndex) -> Option<&Issuer> {
        self.issuers.get(index.0)
    }

    /// Replaces the keys of the issuer at `index` (a JWKS refetch merged with the keys in
    /// force: see [`Jwks::merged_with`]). Returns false when there is no such issuer.
    pub fn replace_jwks(&mut self, index: IssuerIndex, jwks: Jwks) -> bool {
        match self.issuers.get_mut(index.0).map(|i| &mut i.rules) {
            Some(IssuerRules::Cognito(c)) => c.jwks = jwks,
            Some(IssuerRules::Oidc(o)) => o.jwks = jwks,
            None => return false,
        }
        true
    }

    /// The trusted CloudFront public keys (`[[cloudfront.trusted_keys]]`, maybe none).
    pub fn trusted_keys(&self) -> &TrustedKeys {
        &self.trusted_keys
    }

    /// The routes, longest prefix first (so the first that covers a path is the longest).
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// What the gate needs of sign-in, when `[auth]` is configured.
    pub fn auth(&self) -> Option<&GateAuth> {
        self.auth.as_ref()
    }
}

fn is_host(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-' || b == b':'
        })
}

fn is_prefix(s: &str) -> bool {
    if s == "/" {
        return true;
    }
    s.starts_with('/')
        && !s.ends_with('/')
        && s.get(1..).unwrap_or_default().split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' || b == b'~'
                })
        })
}

impl GateConfig {
    /// Validates a document. `jwks` is the user pool's key set, required when `[cognito]` is
    /// present (the shell loads it from `jwks_file` or `jwks_url`).
    ///
    /// # Errors
    /// [`ConfigError`] naming the first field at fault.
    pub fn from_document(doc: &ConfigDocument, jwks: Option<Jwks>) -> Result<Self, ConfigError> {
        if doc.version != CONFIG_VERSION {
            return Err(ConfigError::new("version", "must be 1"));
        }
        if !is_host(&doc.site.domain) {
            return Err(ConfigError::new(
                "site.domain",
                "must be a lowercase host name",
            ));
        }
        let scheme = match doc.site.scheme.as_deref() {
            None | Some("https") => Scheme::Https,
            Some("http") => Scheme::Http,
            Some(_) => {
                return Err(ConfigError::new(
                    "site.scheme",
                    "must be \"https\" or \"http\"",
                ))
            }
        };
        let mut issuers: Vec<Issuer> = Vec::new();
        if let Some(c) = &doc.cognito {
            issuers.push(Issuer {
                id: COGNITO_ISSUER_ID.to_string(),
                rules: IssuerRules::Cognito(validate_cognito(c, jwks)?),
            });
        }
        let cognito_section = !issuers.is_empty();
        for (i, d) in doc.issuers.iter().flatten().enumerate() {
            let issuer = validate_issuer(&format!("issuers[{i}]"), d)?;
            if issuers.iter().any(|o| o.id == issuer.id) {
                return Err(ConfigError::new(
                    format!("issuers[{i}].id"),
                    "duplicate id (\"cognito\" is [cognito])",
                ));
            }
            if issuers.iter().any(|o| o.iss() == issuer.iss()) {
                return Err(ConfigError::new(
                    format!("issuers[{i}]"),
                    "another issuer has the same iss",
                ));
            }
            issuers.push(issuer);
        }
        if issuers.len() > MAX_ISSUERS {
            return Err(ConfigError::new(
                "issuers",
                "at most 8 issuers, [cognito] included",
            ));
        }
        let mut keys = Vec::new();
        if let Some(cf) = &doc.cloudfront {
            for (i, k) in cf.trusted_keys.iter().enumerate() {
                let field = format!("cloudfront.trusted_keys[{i}]");
                let key_pair_id: KeyPairId =
                    k.key_pair_id
                        .parse()
                        .map_err(|e: edgegate_keys::KeyError| {
                            ConfigError::new(format!("{field}.key_pair_id"), e.reason)
                        })?;
                let pem = k.public_key.as_deref().ok_or_else(|| {
                    ConfigError::new(
                        format!("{field}.public_key"),
                        if k.public_key_file.is_some() {
                            "public_key_file was not loaded"
                        } else {
                            "missing (give public_key or public_key_file)"
                        },
                    )
                })?;
                let public_key = PublicKey::from_spki_pem(pem)
                    .map_err(|e| ConfigError::new(format!("{field}.public_key"), e.to_string()))?;
                keys.push(TrustedKey {
                    key_pair_id,
                    public_key,
                });
            }
        }
        let trusted_keys = TrustedKeys::new(keys)
            .map_err(|e| ConfigError::new(format!("cloudfront.trusted_{}", e.field), e.reason))?;
        if doc.routes.is_empty() {
            return Err(ConfigError::new("routes", "at least one route is required"));
        }
        let mut routes: Vec<Route> = Vec::with_capacity(doc.routes.len());
        for (i, r) in doc.routes.iter().enumerate() {
            let field = format!("routes[{i}]");
            if !is_prefix(&r.prefix) {
                return Err(ConfigError::new(
                    format!("{field}.prefix"),
                    "must be \"/\" or /segment[/segment...] of A-Za-z0-9-._~ without a trailing slash",
                ));
            }
            if routes.iter().any(|o| o.prefix == r.prefix) {
                return Err(ConfigError::new(
                    format!("{field}.prefix"),
                    "duplicate prefix",
                ));
            }
            let scopes_field = format!("{field}.scopes");
            let access = match (r.access, &r.groups, &r.scopes) {
                (AccessKind::Groups, Some(groups), scopes) if !groups.is_empty() => {
                    if groups.iter().any(|g| g.is_empty()) {
                        return Err(ConfigError::new(
                            format!("{field}.groups"),
                            "empty group name",
                        ));
                    }
                    let scopes = match scopes {
                        Some(list) => validate_scopes(&scopes_field, list)?,
                        None => Vec::new(),
                    };
                    Access::Groups {
                        groups: groups.clone(),
                        scopes,
                    }
                }
                (AccessKind::Groups, _, _) => {
                    return Err(ConfigError::new(
                        format!("{field}.groups"),
                        "required and non-empty for access = \"groups\"",
                    ))
                }
                (_, Some(_), _) => {
                    return Err(ConfigError::new(
                        format!("{field}.groups"),
                        "only allowed with access = \"groups\"",
                    ))
                }
                (AccessKind::Scopes, None, Some(list)) => {
                    Access::Scopes(validate_scopes(&scopes_field, list)?)
                }
                (AccessKind::Scopes, None, None) => {
                    return Err(ConfigError::new(
                        scopes_field,
                        "required and non-empty for access = \"scopes\"",
                    ))
                }
                (_, None, Some(_)) => {
                    return Err(ConfigError::new(
                        scopes_field,
                        "only allowed with access = \"scopes\" or \"groups\"",
                    ))
                }
                (AccessKind::Authenticated, None, None) => Access::Authenticated,
                (AccessKind::Public, None, None) => Access::Public,
                (AccessKind::Signed, None, None) => Access::Signed,
                (AccessKind::Network, None, None) => Access::Network,
            };
            let networks_field = format!("{field}.networks");
            let networks = match (&access, &r.networks) {
                (Access::Public, Some(_)) => {
                    return Err(ConfigError::new(
                        networks_field,
                        "not allowed with access = \"public\" (use access = \"network\" to admit a network without a credential)",
                    ))
                }
                (Access::Network, None) => {
                    return Err(ConfigError::new(
                        networks_field,
                        "required and non-empty for access = \"network\"",
                    ))
                }
                (_, Some(list)) => validate_networks(&networks_field, list)?,
                (_, None) => Vec::new(),
            };
            let trusted = validate_route_issuers(&field, r, &access, &issuers)?;
            match &access {
                Access::Signed if trusted_keys.is_empty() => {
                    return Err(ConfigError::new(
                        format!("{field}.access"),
                        "\"signed\" needs at least one [[cloudfront.trusted_keys]]",
                    ))
                }
                Access::Groups { .. } if trusted.is_empty() && trusted_keys.is_empty() => {
                    return Err(ConfigError::new(
                        format!("{field}.access"),
                        "\"groups\" needs [cognito] or [[cloudfront.trusted_keys]]",
                    ))
                }
                Access::Authenticated | Access::Scopes(_) if trusted.is_empty() => {
                    return Err(ConfigError::new(
                        format!("{field}.access"),
                        format!(
                            "\"{}\" needs [cognito] (or routes[N].issuers)",
                            access.kind()
                        ),
                    ))
                }
                _ => {}
            }
            let lists_scopes = match &access {
                Access::Groups { scopes, .. } => !scopes.is_empty(),
                Access::Scopes(_) => true,
                _ => false,
            };
            // Only access tokens carry scopes: a scope rule no trusted pool can ever satisfy
            // is a mistake, not a silent "nobody".
            let takes_access_tokens = trusted.iter().any(|i| {
                matches!(issuers.get(i.0), Some(Issuer { rules: IssuerRules::Cognito(c), .. })
                    if c.validation.token_uses.contains(&TokenUse::Access))
            });
            if lists_scopes && !takes_access_tokens {
                return Err(ConfigError::new(
                    scopes_field,
                    "scopes are matched against access tokens: needs [cognito] with \"access\" in cognito.token_use",
                ));
            }
            let claims = validate_claims(&field, r, &trusted)?;
            let index = validate_index(&field, r.index.as_deref(), r.spa)?;
            routes.push(Route {
                prefix: r.prefix.clone(),
                access,
                networks,
                index,
                issuers: trusted,
                claims,
            });
        }
        // Each issuer keeps, of a verified token, the claims the routes trusting it compare.
        for (i, issuer) in issuers.iter_mut().enumerate() {
            let mut names: Vec<String> = Vec::new();
            for rule in routes
                .iter()
                .filter(|r| r.trusts(IssuerIndex(i)))
                .flat_map(|r| &r.claims)
            {
                if !names.contains(&rule.name) {
                    names.push(rule.name.clone());
                }
            }
            match &mut issuer.rules {
                IssuerRules::Cognito(c) => c.validation.claims = names,
                IssuerRules::Oidc(o) => o.validation.claims = names,
            }
        }
        routes.sort_by_key(|r| core::cmp::Reverse(r.prefix.len()));
        let auth = match &doc.auth {
            None => None,
            Some(a) => Some(validate_auth(a, doc, &trusted_keys, &routes)?),
        };
        Ok(GateConfig {
            site_domain: doc.site.domain.clone(),
            scheme,
            issuers,
            cognito_section,
            trusted_keys,
            routes,
            auth,
            pages: Pages::from_doc(doc.pages.as_ref())?,
        })
    }

    /// The pages browser navigations are shown for a 401, 403 or 404 (`[pages]`, else the
    /// built-in ones).
    pub fn pages(&self) -> &Pages {
        &self.pages
    }

    /// The route covering `path` (longest whole-segment prefix), if any.
    pub fn route_for(&self, path: &str) -> Option<&Route> {
        self.routes
            .iter()
            .find(|r| crate::path::covers(&r.prefix, path))
    }
}

fn validate_cognito(c: &CognitoDoc, jwks: Option<Jwks>) -> Result<CognitoConfig, ConfigError> {
    if c.region.is_empty()
        || !c
            .region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ConfigError::new(
            "cognito.region",
            "must look like eu-west-1",
        ));
    }
    let pool_ok = c
        .user_pool_id
        .strip_prefix(&c.region)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !pool_ok {
        return Err(ConfigError::new(
            "cognito.user_pool_id",
            "must be <region>_<alphanumeric id> for the configured region",
        ));
    }
    if c.app_client_ids.is_empty() {
        return Err(ConfigError::new(
            "cognito.app_client_ids",
            "at least one app client id is required",
        ));
    }
    if c.app_client_ids
        .iter()
        .any(|id| id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(ConfigError::new(
            "cognito.app_client_ids",
            "ids must be non-empty and alphanumeric",
        ));
    }
    if c.token_use.is_empty() {
        return Err(ConfigError::new(
            "cognito.token_use",
            "list at least one of \"id\", \"access\"",
        ));
    }
    let leeway = c.leeway_seconds.unwrap_or(0);
    if leeway > MAX_LEEWAY_SECS {
        return Err(ConfigError::new("cognito.leeway_seconds", "at most 300"));
    }
    let jwks =
        jwks.ok_or_else(|| ConfigError::new("cognito.jwks_url", "the JWKS was not loaded"))?;
    Ok(CognitoConfig {
        validation: JwtValidation {
            issuer: c.issuer(),
            client_ids: c.app_client_ids.clone(),
            token_uses: c.token_use.clone(),
            leeway_secs: leeway,
            claims: Vec::new(),
        },
        jwks,
    })
}

/// The issuer id of `[cognito]` (what `routes[N].issuers` defaults to).
pub const COGNITO_ISSUER_ID: &str = "cognito";
/// Most audiences an `oidc` issuer may list.
pub const MAX_AUDIENCES: usize = 16;

/// One `[[issuers]]` entry (see [`IssuerDoc`]): `field` is `issuers[N]`.
fn validate_issuer(field: &str, d: &IssuerDoc) -> Result<Issuer, ConfigError> {
    let id_ok = !d.id.is_empty()
        && d.id.len() <= 32
        && d.id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        return Err(ConfigError::new(
            format!("{field}.id"),
            "must be 1 to 32 characters a-z 0-9 -",
        ));
    }
    let leeway = d.leeway_seconds.unwrap_or(0);
    if leeway > MAX_LEEWAY_SECS {
        return Err(ConfigError::new(
            format!("{field}.leeway_seconds"),
            "at most 300",
        ));
    }
    let jwks = match &d.jwks {
        Some(text) => Jwks::parse(text.as_bytes())
            .map_err(|e| ConfigError::new(format!("{field}.jwks"), e.to_string()))?,
        None => {
            return Err(ConfigError::new(
                format!("{field}.jwks_url"),
                "the JWKS was not loaded",
            ))
        }
    };
    let audiences = &d.audiences;
    if audiences.is_empty()
        || audiences.len() > MAX_AUDIENCES
        || audiences
            .iter()
            .any(|a| a.is_empty() || a.len() > MAX_CLAIM_BYTES)
    {
        return Err(ConfigError::new(
            format!("{field}.audiences"),
            "1 to 16 non-empty audiences",
        ));
    }
    let rules = match d.kind {
        IssuerKind::Cognito => {
            if !is_cognito_issuer(&d.issuer) {
                return Err(ConfigError::new(
                    format!("{field}.issuer"),
                    "must be a user pool issuer, https://cognito-idp.<region>.amazonaws.com/<region>_<id> (or issuer-cognito-idp.)",
                ));
            }
            if audiences
                .iter()
                .any(|id| !id.bytes().all(|b| b.is_ascii_alphanumeric()))
            {
                return Err(ConfigError::new(
                    format!("{field}.audiences"),
                    "app client ids are alphanumeric",
                ));
            }
            let token_uses = d.token_use.clone().unwrap_or_default();
            if token_uses.is_empty() {
                return Err(ConfigError::new(
                    format!("{field}.token_use"),
                    "required for kind = \"cognito\": list at least one of \"id\", \"access\"",
                ));
            }
            IssuerRules::Cognito(CognitoConfig {
                validation: JwtValidation {
                    issuer: d.issuer.clone(),
                    client_ids: audiences.clone(),
                    token_uses,
                    leeway_secs: leeway,
                    claims: Vec::new(),
                },
                jwks,
            })
        }
        IssuerKind::Oidc => {
            if d.token_use.is_some() {
                return Err(ConfigError::new(
                    format!("{field}.token_use"),
                    "only for kind = \"cognito\"",
                ));
            }
            let https_url = d.issuer.strip_prefix("https://").is_some_and(|rest| {
                !rest.is_empty()
                    && rest.len() <= 512
                    && !rest.starts_with('/')
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
            });
            if !https_url {
                return Err(ConfigError::new(
                    format!("{field}.issuer"),
                    "the exact iss of the tokens, an https:// URL",
                ));
            }
            IssuerRules::Oidc(OidcConfig {
                validation: OidcValidation {
                    issuer: d.issuer.clone(),
                    audiences: audiences.clone(),
                    leeway_secs: leeway,
                    claims: Vec::new(),
                },
                jwks,
            })
        }
    };
    Ok(Issuer {
        id: d.id.clone(),
        rules,
    })
}

/// A Cognito user pool issuer URL in either format (Amazon Cognito Developer Guide,
/// "Verifying a JSON Web Token"): `https://cognito-idp.<region>.amazonaws.com/<region>_<id>`
/// or `https://issuer-cognito-idp.<region>.amazonaws.com/<region>_<id>`.
fn is_cognito_issuer(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://cognito-idp.")
        .or_else(|| url.strip_prefix("https://issuer-cognito-idp."))
    else {
        return false;
    };
    let Some((region, pool)) = rest.split_once(".amazonaws.com/") else {
        return false;
    };
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && pool
            .strip_prefix(region)
            .and_then(|p| p.strip_prefix('_'))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// `routes[N].issuers`: the issuers a token route trusts (default `[cognito]` when present);
/// only on routes that admit tokens; `oidc` issuers only on `authenticated` (their tokens
/// carry no Cognito groups or scopes).
fn validate_route_issuers(
    field: &str,
    r: &RouteDoc,
    access: &Access,
    issuers: &[Issuer],
) -> Result<Vec<IssuerIndex>, ConfigError> {
    let field = format!("{field}.issuers");
    let Some(ids) = &r.issuers else {
        return Ok(match issuers.first() {
            Some(first) if access.admits_tokens() && first.id == COGNITO_ISSUER_ID => {
                vec![IssuerIndex(0)]
            }
            _ => Vec::new(),
        });
    };
    if !access.admits_tokens() {
        return Err(ConfigError::new(
            field,
            "only allowed with access = \"groups\", \"authenticated\" or \"scopes\"",
        ));
    }
    if ids.is_empty() {
        return Err(ConfigError::new(field, "list at least one issuer id"));
    }
    let mut out: Vec<IssuerIndex> = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(index) = issuers.iter().position(|i| i.id == *id).map(IssuerIndex) else {
            return Err(ConfigError::new(
                field,
                "names an issuer that is not configured (\"cognito\" or an [[issuers]] id)",
            ));
        };
        if out.contains(&index) {
            return Err(ConfigError::new(field, "lists an issuer twice"));
        }
        let oidc = matches!(
            issuers.get(index.0),
            Some(Issuer {
                rules: IssuerRules::Oidc(_),
                ..
            })
        );
        if oidc && *access != Access::Authenticated {
            return Err(ConfigError::new(
                field,
                "oidc issuers are only allowed with access = \"authenticated\" (their tokens carry no groups or scopes)",
            ));
        }
        out.push(index);
    }
    Ok(out)
}

/// `routes[N].claims`: 1 to [`MAX_CLAIM_RULES`] rules, each a claim name that is not
/// [`RESERVED_CLAIMS`] and 1 to [`MAX_CLAIM_VALUES`] non-empty values, names and values of
/// at most [`MAX_CLAIM_BYTES`] bytes; only on a route that trusts an issuer.
fn validate_claims(
    field: &str,
    r: &RouteDoc,
    trusted: &[IssuerIndex],
) -> Result<Vec<ClaimRule>, ConfigError> {
    let Some(ClaimRulesDoc(rules)) = &r.claims else {
        return Ok(Vec::new());
    };
    let field = format!("{field}.claims");
    if trusted.is_empty() {
        return Err(ConfigError::new(
            field,
            "only allowed on a route that admits tokens of an issuer",
        ));
    }
    if rules.is_empty() || rules.len() > MAX_CLAIM_RULES {
        return Err(ConfigError::new(field, "1 to 8 claim rules"));
    }
    let mut out = Vec::with_capacity(rules.len());
    for (name, ClaimValues(values)) in rules {
        if name.is_empty() || name.len() > MAX_CLAIM_BYTES {
            return Err(ConfigError::new(field, "claim names are 1 to 256 bytes"));
        }
        if RESERVED_CLAIMS.contains(&name.as_str()) {
            return Err(ConfigError::new(
                format!("{field}.{name}"),
                "checked by the issuer or the access rule; not comparable here",
            ));
        }
        if values.is_empty()
            || values.len() > MAX_CLAIM_VALUES
            || values
                .iter()
                .any(|v| v.is_empty() || v.len() > MAX_CLAIM_BYTES)
        {
            return Err(ConfigError::new(
                format!("{field}.{name}"),
                "a non-empty string, or a list of 1 to 16 of them",
            ));
        }
        out.push(ClaimRule {
            name: name.clone(),
            values: values.clone(),
        });
    }
    Ok(out)
}

/// Which signed-in browser users get CloudFront cookies for a route's prefix from the auth
/// function (sign-in verifies ID tokens, which carry groups but never scopes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInCookies<'a> {
    /// Users in any of these groups (`access = "groups"`; its `scopes` play no part).
    Groups(&'a [String]),
    /// Every signed-in user (`access = "authenticated"`).
    Everyone,
}

/// The sign-in cookie rule of a route: `None` for routes no sign-in gets cookies for
/// (`public`, `signed`, `network`, and `scopes`, which only machine access tokens satisfy),
/// and for token routes that do not trust `[cognito]` (sign-in verifies its tokens only) or
/// that have `claims` rules (a cookie set carries no claims to compare).
pub fn sign_in_cookie_rule(route: &Route) -> Option<SignInCookies<'_>> {
    // `[cognito]` is always issuer 0 when `[auth]` exists (validate_auth requires it).
    if !route.claims.is_empty() || !route.trusts(IssuerIndex(0)) {
        return None;
    }
    match &route.access {
        Access::Groups { groups, .. } => Some(SignInCookies::Groups(groups)),
        Access::Authenticated => Some(SignInCookies::Everyone),
        Access::Public | Access::Signed | Access::Scopes(_) | Access::Network => None,
    }
}

fn is_local_http(url: &str) -> bool {
    ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| {
            url.strip_prefix(p).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with(':') || rest.starts_with('/')
            })
        })
}

fn validate_auth(
    a: &AuthDoc,
    doc: &ConfigDocument,
    trusted_keys: &TrustedKeys,
    routes: &[Route],
) -> Result<GateAuth, ConfigError> {
    let cognito = doc
        .cognito
        .as_ref()
        .ok_or_else(|| ConfigError::new("auth", "[auth] needs [cognito]"))?;
    let base_ok = (a.hosted_ui.starts_with("https://") || is_local_http(&a.hosted_ui))
        && !a.hosted_ui.ends_with('/')
        && !a.hosted_ui.contains(['?', '#', ' ', '"', '<', '>', '\\']);
    if !base_ok {
        return Err(ConfigError::new(
            "auth.hosted_ui",
            "must be an https:// base URL without a trailing slash (http:// only for 127.0.0.1/localhost)",
        ));
    }
    if !cognito.app_client_ids.contains(&a.client_id) {
        return Err(ConfigError::new(
            "auth.client_id",
            "must be one of cognito.app_client_ids",
        ));
    }
    if !cognito.token_use.contains(&TokenUse::Id) {
        return Err(ConfigError::new(
            "cognito.token_use",
            "sign-in verifies ID tokens: include \"id\"",
        ));
    }
    if trusted_keys.get(&a.key_pair_id).is_none() {
        return Err(ConfigError::new(
            "auth.key_pair_id",
            "must be one of cloudfront.trusted_keys",
        ));
    }
    if let Some(scopes) = &a.scopes {
        if scopes.is_empty()
            || scopes.iter().any(|s| {
                s.is_empty()
                    || !s
                        .bytes()
                        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
            })
        {
            return Err(ConfigError::new(
                "auth.scopes",
                "non-empty list of scope names",
            ));
        }
    }
    if let Some(idp) = &a.identity_provider {
        if idp.is_empty()
            || !idp
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(ConfigError::new(
                "auth.identity_provider",
                "letters, digits, - _ . only",
            ));
        }
    }
    if let Some(ret) = &a.logout_return {
        let plain =
            is_prefix(ret) || (ret.starts_with('/') && is_prefix(ret.trim_end_matches('/')));
        if !plain {
            return Err(ConfigError::new(
                "auth.logout_return",
                "must be a plain path like / or /welcome",
            ));
        }
    }
    let max_age = a.state_max_age_seconds.unwrap_or(600);
    if !(60..=3600).contains(&max_age) {
        return Err(ConfigError::new(
            "auth.state_max_age_seconds",
            "must be 60 to 3600",
        ));
    }
    for (field, reference) in a.secrets.references() {
        SecretRef::parse(reference).map_err(|reason| ConfigError::new(field, reason))?;
    }
    for (i, r) in doc.routes.iter().enumerate() {
        if r.prefix == AUTH_PREFIX || r.prefix.starts_with("/auth/") {
            return Err(ConfigError::new(
                format!("routes[{i}].prefix"),
                "/auth is reserved for sign-in",
            ));
        }
    }
    // One cookie set per outer prefix covers the nested paths: a nested gated route must admit
    // every signed-in user the outer route gives cookies to (see `sign_in_cookie_rule`).
    for outer in routes {
        let Some(outer_rule) = sign_in_cookie_rule(outer) else {
            continue;
        };
        for inner in routes {
            if inner.prefix == outer.prefix || !crate::path::covers(&outer.prefix, &inner.prefix) {
                continue;
            }
            // A route that sign-in gives no cookies for must not sit inside one it does.
            let inner_cookies = sign_in_cookie_rule(inner).is_some();
            let ok = match (&inner.access, outer_rule) {
                // A network route ignores credentials: the outer cookies widen nothing there.
                (Access::Public | Access::Network, _) => true,
                (Access::Authenticated, _) => inner_cookies,
                (Access::Signed | Access::Scopes(_), _) => false,
                (
                    Access::Groups {
                        groups: inner_groups,
                        ..
                    },
                    SignInCookies::Groups(outer_groups),
                ) => inner_cookies && outer_groups.iter().all(|g| inner_groups.contains(g)),
                (Access::Groups { .. }, SignInCookies::Everyone) => false,
            };
            if !ok {
                return Err(ConfigError::new(
                    "routes",
                    format!(
                        "with [auth], {} is nested in {} but admits fewer users (sign-in cookies for {} would cover it)",
                        inner.prefix, outer.prefix, outer.prefix
                    ),
                ));
            }
        }
    }
    let amplify_client_ids = if a.amplify_cookies.unwrap_or(false) {
        cognito.app_client_ids.clone()
    } else {
        Vec::new()
    };
    Ok(GateAuth { amplify_client_ids })
}

//! The gate: [`decide`] turns one viewer request into a [`Decision`].
//!
//! Order of checks (design.md, "Decisions" and "Routes and credentials"):
//!
//! 1. size caps before any decoding: URI + query 8 KiB, `Cookie` 16 KiB, `Authorization`
//!    `Bearer ` + 16 KiB (the token cap, whatever the route) → 400 `too_large`;
//! 2. a canonical raw path ([`crate::path`]) and a `Host` header → else 400 `bad_request`;
//! 3. the route: longest whole-segment prefix → none: 403 `no_route`;
//! 4. `public` routes: allow, with every credential stripped;
//! 5. gated routes accept only GET and HEAD → 405;
//!    then, on a route with `networks` (or `access = "network"`), the viewer address
//!    (`clientIp`, an IPv4-mapped IPv6 address as IPv4) must be inside one of them, else 403
//!    `forbidden` (`network_not_allowed`) before any credential is examined; an
//!    `access = "network"` route then admits, every credential stripped;
//! 6. exactly one credential decides, with no fallback past a present-but-invalid one: any
//!    reserved CloudFront query parameter → the signed URL alone decides (as CloudFront does);
//!    else an `Authorization` header; else the `CloudFront-*` cookies; else no credential.
//!    - signed URL / cookies invalid → 403 `invalid_credential` (CloudFront's behaviour);
//!    - bearer token invalid → 401 `invalid_credential` with `WWW-Authenticate: Bearer
//!      error="invalid_token"` (RFC 6750 §3);
//!    - a valid token the route's rule does not admit → 403 `forbidden`: on a `groups` route
//!      one in none of its groups (`not_in_group`), or, when it also lists scopes, not an access
//!      token with one of them either (`not_in_group_or_scope`); on a `scopes` route anything
//!      but an access token with one of its scopes (`missing_scope`; an ID token never has
//!      one); an `authenticated` route admits every valid token; a token on a signed-only
//!      route → 403 `forbidden` too;
//!    - none on a groups, authenticated or scopes route → 401 `missing_credential`
//!      (`WWW-Authenticate: Bearer`); none on a signed-only route → 403 `missing_credential`
//!      (CloudFront answers 403 there).
//!
//! 7. on a route with an index (`routes[N].index`), an allow is then served the directory
//!    index, the single-page-app fallback or a 302 to the path with its trailing slash
//!    (`directory.rs`; never widening what step 4 to 6 admitted).
//!
//! Every generated response is `Cache-Control: no-store` with a one-word reason code; the
//! detail (`expired`, `bad_signature`, `unknown_kid`, ...) is only in the [`Decision`] for logs
//! and `edgegate explain`. An allowed request goes on with `Authorization`, the `CloudFront-*`
//! cookies, edgegate's and Amplify's cookies and the signing query parameters removed.
//!
//! Split along its seams: `decide.rs` (the check order above), `credential.rs` (token, signed
//! URL and cookie verification), `response.rs` (deny responses, the sign-in redirect and loop
//! page), `forward.rs` (what the origin receives) and `decision.rs` (the [`Decision`] types and
//! their log / `explain` view). Everything public is re-exported here, at `gate::`.

mod credential;
mod decide;
mod decision;
mod detail;
mod directory;
mod forward;
mod response;

pub use credential::refetch_issuer;
pub use decide::{decide, decide_cached, MAX_COOKIE_BYTES};
pub use decision::{
    Decision, Denial, ForwardRequest, FromVerified, Identity, Page, Reason, Redirect, RedirectTo,
    RuleMatch, Stability,
};
pub use detail::Detail;
pub use forward::{AMPLIFY_COOKIE_PREFIX, DEV_COOKIE_PREFIX, EDGEGATE_COOKIE_PREFIX};
pub use response::{DEV_LOOP_MARKER_COOKIE, LOOP_MARKER_COOKIE, MAX_RETURN_TO_BYTES};

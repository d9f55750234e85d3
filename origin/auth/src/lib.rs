//! # edgegate-auth: the origin auth function at `/auth/*`
//!
//! Cognito Hosted UI sign-in turned into CloudFront signed cookies (design.md, "Browser session
//! lifecycle"; issue "Browser sign-in"). One deployable: the `edgegate-auth` binary
//! (`bootstrap` on `provided.al2023`, feature `lambda`); `edgegate dev` mounts the same core
//! and [`shell`] natively, without the Lambda runtime.
//!
//! Pure core: [`Auth::handle`] turns one `/auth/*` request into a [`Step`] — a response, or an
//! HTTP call to Cognito's token/revoke endpoint described as a value ([`TokenCall`]) that the
//! shell ([`crate::lambda`], `edgegate dev`) sends, feeding the outcome back to
//! [`Auth::finish`]. No I/O, no clock (`now` is an argument), randomness passed in.
//!
//! The core, by what each part owns (private modules, their items re-exported here): `flow`
//! (the state machine: endpoints, flow cookies, `state` round trip, restarts, error pages),
//! `session` (cookie issuance after a verified ID token, the sign-out sweep), `token`
//! ([`TokenCall`], [`TokenOutcome`]), `message` ([`AuthRequest`], [`Response`], the query
//! codec) and `config` ([`AuthSettings`], [`Secrets`], [`AuthError`]). Public helpers:
//! [`cookies`] (names and attributes), [`state`] (signed `state`, `nonce`, PKCE), [`return_to`]
//! (the open-redirect rules), [`shell`] (the reqwest shell).
//!
//! Endpoints (all GET; HEAD is treated alike; anything else is 405):
//!
//! - `/auth/login?return_to=`: with a refresh cookie, the refresh grant first; otherwise a new
//!   flow: per-flow cookie with the PKCE verifier, signed time-limited `state`, OIDC `nonce`,
//!   302 to `/oauth2/authorize` (code flow, PKCE S256, configured scopes, optional
//!   `identity_provider`).
//! - `/auth/callback?code&state`: Cognito `error=` shown escaped with a retry link; a missing,
//!   stale, forged or foreign state (or a missing flow cookie) restarts sign-in once, then shows
//!   a page (never a loop); the code is exchanged with the flow's `code_verifier`; the ID token is
//!   verified with `keys` (issuer, app client, `token_use: id`, expiry, `nonce` when present);
//!   CloudFront signed cookies are set for every allowed route prefix, stale sets expired at
//!   every other prefix, the refresh cookie and the loop marker set; 302 to `return_to`.
//! - `/auth/refresh?return_to=`: the refresh grant; on `invalid_grant` the refresh cookie is
//!   expired and a new Hosted UI flow starts.
//! - `/auth/logout`: every cookie edgegate sets is expired (same `Path`, no `Domain`), the refresh
//!   token revoked, then Cognito's `/logout?client_id&logout_uri`.
//!
//! Every response is `Cache-Control: no-store`. Locations are built from the configured site
//! origin, never from `Host`. No token, code, verifier or state is ever logged or reflected.
//!
//! Logs ([`log`], pure): one JSON line per request (endpoint, status, the token call's
//! outcome) carrying CloudWatch Embedded Metric Format metrics, and one audit line per
//! sign-in that issued signed cookies (subject, prefixes, expiry, key pair id).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![warn(missing_docs)]

pub mod cookies;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod log;
mod pages;
pub mod return_to;
pub mod shell;
pub mod state;

mod config;
mod flow;
mod message;
mod session;
mod token;

pub use config::{AuthError, AuthSettings, Secrets};
pub use flow::{Auth, Pending, Step, MAX_CODE_BYTES, MAX_FLOWS};
pub use message::{form_encode, parse_query, AuthRequest, Issued, Response};
pub use session::{LOOP_MARKER_MAX_AGE, REFRESH_COOKIE_MAX_AGE};
pub use token::{TokenCall, TokenOutcome};

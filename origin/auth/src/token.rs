//! The back-channel to Cognito's token and revoke endpoints, as values: [`TokenCall`] describes
//! one `POST` for the shell to send, [`TokenOutcome`] is what the shell read back.
//!
//! The core never performs the call itself (no I/O here); the shell ([`crate::shell`]) sends it
//! with a bounded timeout and classifies the answer. Form values are secrets (authorization
//! code, PKCE verifier, refresh token): `Debug` prints field names only.

use crate::{form_encode, Auth};

/// A call to Cognito's token or revoke endpoint, as a value (the shell sends it:
/// `POST url`, `Content-Type: application/x-www-form-urlencoded`, HTTP Basic auth when set).
///
/// The three shapes the core builds (Amazon Cognito Developer Guide, "Token endpoint" and
/// "Revoke endpoint"):
///
/// - authorization code grant (RFC 6749 §4.1.3, PKCE RFC 7636 §4.5): `grant_type`,
///   `client_id`, `code`, `redirect_uri`, `code_verifier`;
/// - refresh grant (RFC 6749 §6): `grant_type`, `client_id`, `refresh_token`;
/// - revocation of the refresh token (RFC 7009 §2.1): `token`, `client_id`.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenCall {
    /// `<hosted ui>/oauth2/token` or `<hosted ui>/oauth2/revoke`.
    pub url: String,
    /// Form fields `(name, value)`, in the order sent; values unencoded (see
    /// [`TokenCall::body`]).
    pub form: Vec<(String, String)>,
    /// `(client id, client secret)` for `Authorization: Basic` (RFC 6749 §2.3.1), when the
    /// client has a secret; `None` for a public client (the form's `client_id` identifies it).
    pub basic_auth: Option<(String, String)>,
}

impl core::fmt::Debug for TokenCall {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Form values are secrets (code, verifier, refresh token): names only.
        let names: Vec<&str> = self.form.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("TokenCall")
            .field("url", &self.url)
            .field("form", &names)
            .finish()
    }
}

impl TokenCall {
    /// The form body, `application/x-www-form-urlencoded`: `name=value` pairs joined by `&`,
    /// both sides encoded with [`form_encode`].
    pub fn body(&self) -> String {
        self.form
            .iter()
            .map(|(n, v)| format!("{}={}", form_encode(n), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// What the token endpoint answered, as the shell classified it. `Debug` prints no token.
#[derive(Clone, PartialEq, Eq)]
pub enum TokenOutcome {
    /// A 2xx JSON body with a string `id_token` (RFC 6749 §5.1, OpenID Connect Core 1.0
    /// §3.1.3.3). The token is not trusted yet: [`crate::Auth::finish`] verifies it.
    Tokens {
        /// `id_token`, a compact JWS.
        id_token: String,
        /// `refresh_token`, when returned (authorization code grant; Cognito returns none on
        /// the refresh grant).
        refresh_token: Option<String>,
    },
    /// 400 with `"error": "invalid_grant"` (RFC 6749 §5.2: a spent or expired code, a revoked
    /// or expired refresh token).
    InvalidGrant,
    /// Anything else: network error, timeout, other status, a body over the shell's limit or
    /// without `id_token`.
    Failed,
}

impl core::fmt::Debug for TokenOutcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            TokenOutcome::Tokens { .. } => "Tokens(..)",
            TokenOutcome::InvalidGrant => "InvalidGrant",
            TokenOutcome::Failed => "Failed",
        })
    }
}

impl Auth<'_> {
    fn basic_auth(&self) -> Option<(String, String)> {
        self.secrets
            .client_secret
            .as_ref()
            .map(|s| (self.settings.client_id.clone(), s.clone()))
    }

    pub(crate) fn refresh_call(&self, refresh_token: &str) -> TokenCall {
        TokenCall {
            url: format!("{}/oauth2/token", self.settings.hosted_ui),
            form: vec![
                ("grant_type".into(), "refresh_token".into()),
                ("client_id".into(), self.settings.client_id.clone()),
                ("refresh_token".into(), refresh_token.to_string()),
            ],
            basic_auth: self.basic_auth(),
        }
    }

    /// The authorization code grant for a callback (RFC 6749 §4.1.3 with the RFC 7636 §4.5
    /// `code_verifier`): `code` from the query, `verifier` from the flow cookie.
    pub(crate) fn code_call(&self, code: &str, verifier: String) -> TokenCall {
        TokenCall {
            url: format!("{}/oauth2/token", self.settings.hosted_ui),
            form: vec![
                ("grant_type".into(), "authorization_code".into()),
                ("client_id".into(), self.settings.client_id.clone()),
                ("code".into(), code.to_string()),
                ("redirect_uri".into(), self.settings.callback_url()),
                ("code_verifier".into(), verifier),
            ],
            basic_auth: self.basic_auth(),
        }
    }

    /// Revocation of the refresh token at sign-out (RFC 7009 §2.1).
    pub(crate) fn revoke_call(&self, refresh_token: &str) -> TokenCall {
        TokenCall {
            url: format!("{}/oauth2/revoke", self.settings.hosted_ui),
            form: vec![
                ("token".into(), refresh_token.to_string()),
                ("client_id".into(), self.settings.client_id.clone()),
            ],
            basic_auth: self.basic_auth(),
        }
    }
}

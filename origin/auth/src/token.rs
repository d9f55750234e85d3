//! The back-channel to Cognito's token and revoke endpoints, as values: [`TokenCall`] describes
//! one `POST` for the shell to send, [`TokenOutcome`] is what the shell read back.
//!
//! The core never performs the call itself (no I/O here); the shell ([`crate::shell`]) sends it
//! with a bounded timeout and classifies the answer. Form values are secrets (authorization
//! code, PKCE verifier, refresh token): `Debug` prints field names only.

use crate::{form_encode, Auth};

/// A call to Cognito's token or revoke endpoint, as a value (the shell sends it:
/// `POST url`, `Content-Type: application/x-www-form-urlencoded`, HTTP Basic auth when set).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenCall {
    /// `<hosted ui>/oauth2/token` or `/oauth2/revoke`.
    pub url: String,
    /// Form fields.
    pub form: Vec<(String, String)>,
    /// `(client id, client secret)` for HTTP Basic, when the client has a secret.
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
    /// The form body, `application/x-www-form-urlencoded`.
    pub fn body(&self) -> String {
        self.form
            .iter()
            .map(|(n, v)| format!("{}={}", form_encode(n), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// What the token endpoint answered.
#[derive(Clone, PartialEq, Eq)]
pub enum TokenOutcome {
    /// 200 with tokens.
    Tokens {
        /// `id_token`.
        id_token: String,
        /// `refresh_token`, when returned (authorization code grant; not on refresh).
        refresh_token: Option<String>,
    },
    /// 400 `invalid_grant` (a spent or expired code, a revoked or expired refresh token).
    InvalidGrant,
    /// Anything else: network error, timeout, 5xx, unexpected body.
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

    /// The authorization code grant for a callback: `code` from the query, `verifier` from the
    /// flow cookie.
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

    /// Revocation of the refresh token at sign-out.
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

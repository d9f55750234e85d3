//! The sign-in state machine: [`Auth::handle`] routes one `/auth/*` request to a [`Step`], and
//! [`Auth::finish`] resumes a [`Pending`] token exchange with its [`TokenOutcome`].
//!
//! Owns the endpoints (`/auth/login`, `/auth/refresh`, `/auth/callback`, `/auth/logout`), the
//! per-flow PKCE cookies (at most [`MAX_FLOWS`]), the signed `state` round trip
//! ([`crate::state`]), the restart-once loop breaker, and the error pages. Cookie issuance after
//! a verified ID token is `session`'s; the token endpoint call shapes are `token`'s.

use crate::cookies::CookieStyle;
use crate::message::single;
use crate::state::{self, FlowState};
use crate::{form_encode, pages, parse_query, return_to};
use crate::{AuthRequest, AuthSettings, Response, Secrets, TokenCall, TokenOutcome};
use edgegate_edge::cookies::CookieJar;
use edgegate_keys::cf_base64::encode_b64url;
use edgegate_keys::jwt;
use edgegate_keys::sign::SecureRandom;
use edgegate_keys::{SignatureVerifier, UnixTime};

/// Most sign-in flows kept at once (parallel tabs): a new flow keeps the newest
/// `MAX_FLOWS - 1` flow cookies beside its own and expires the older ones.
pub const MAX_FLOWS: usize = 3;
/// Longest accepted authorization code, in bytes; an empty or longer `code` restarts sign-in
/// instead of being sent to the token endpoint.
pub const MAX_CODE_BYTES: usize = 2048;

/// The state a token exchange resumes with: opaque, produced by [`Auth::handle`] in
/// [`Step::Exchange`] and consumed by [`Auth::finish`]. Holds the verified flow (callback) or
/// the sanitized return path and restart count (refresh); no token, code or verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending(PendingKind);

#[derive(Clone, Debug, PartialEq, Eq)]
enum PendingKind {
    Callback { flow: FlowState },
    Refresh { return_to: String, restarts: u8 },
}

/// What to do next with a request, as [`Auth::handle`] decided.
#[derive(Debug)]
pub enum Step {
    /// Answer with this response; no call to Cognito is needed.
    Done(Response),
    /// Send `call` to the token endpoint, then [`Auth::finish`] with `pending` and the outcome.
    Exchange {
        /// The call.
        call: TokenCall,
        /// What to resume with.
        pending: Pending,
    },
    /// Send `call` to the revoke endpoint (its outcome does not matter), then answer `then`.
    Revoke {
        /// The call.
        call: TokenCall,
        /// The response after it.
        then: Response,
    },
}

/// The auth function's core for one container: borrowed settings and secrets, built once, and
/// the signature primitive. Cheap to build per request; holds no per-request state.
pub struct Auth<'a> {
    /// Settings.
    pub settings: &'a AuthSettings,
    /// Secrets (the settings' key pair id must be the signing key's).
    pub secrets: &'a Secrets,
    /// The signature primitive for ID tokens (RS256; `ring` natively).
    pub verifier: &'a (dyn SignatureVerifier + Sync),
}

fn random_b64url(rng: &dyn SecureRandom, len: usize) -> Option<String> {
    let mut buf = vec![0u8; len];
    rng.fill(&mut buf).ok()?;
    Some(encode_b64url(&buf))
}

impl Auth<'_> {
    pub(crate) fn style(&self) -> &CookieStyle {
        &self.settings.style
    }

    pub(crate) fn unavailable(&self) -> Response {
        Response::html(
            503,
            pages::page(
                "Sign-in is unavailable",
                &["Please try again in a moment.".to_string()],
                &[],
            ),
            Vec::new(),
        )
    }

    /// Handles one request at `now` (seconds since the epoch). `rng` draws the flow id (12
    /// bytes, 16 base64url characters) and the PKCE verifier (32 bytes, 43 base64url
    /// characters, RFC 7636 §4.1) when a new flow starts.
    ///
    /// Never fails: a refused request is a page ([`Step::Done`]); failing randomness is a 503.
    pub fn handle(&self, req: &AuthRequest<'_>, now: u64, rng: &dyn SecureRandom) -> Step {
        if req.method != "GET" && req.method != "HEAD" {
            let mut r =
                Response::html(405, pages::page("Method not allowed", &[], &[]), Vec::new());
            r.headers
                .push(("Allow".to_string(), "GET, HEAD".to_string()));
            return Step::Done(r);
        }
        let query = parse_query(req.query);
        let jar = CookieJar::parse(req.cookie_headers.iter().copied());
        match req.path {
            "/auth/login" | "/auth/refresh" => {
                let return_to = return_to::sanitize(single(&query, "return_to"));
                let restarts = u8::from(single(&query, "retry") == Some("1"));
                match self.refresh_cookie(&jar) {
                    Some(token) => Step::Exchange {
                        call: self.refresh_call(token),
                        pending: Pending(PendingKind::Refresh {
                            return_to,
                            restarts,
                        }),
                    },
                    None => Step::Done(self.start_flow(
                        &return_to,
                        restarts,
                        &jar,
                        now,
                        rng,
                        Vec::new(),
                    )),
                }
            }
            "/auth/callback" => self.callback(&query, &jar, now, rng),
            "/auth/logout" => self.logout(&jar),
            _ => Step::Done(Response::html(
                404,
                pages::page("Not found", &[], &[]),
                Vec::new(),
            )),
        }
    }

    fn refresh_cookie<'j>(&self, jar: &'j CookieJar) -> Option<&'j str> {
        match jar.all(&self.style().refresh()).as_slice() {
            [one] if !one.is_empty() && one.len() <= 8192 => Some(one),
            _ => None,
        }
    }

    /// Flow cookies present in the request, newest first: (name, issued at, verifier).
    pub(crate) fn flows<'j>(&self, jar: &'j CookieJar) -> Vec<(&'j str, u64, &'j str)> {
        let prefix = self.style().flow_prefix();
        let mut flows: Vec<(&str, u64, &str)> = jar
            .pairs()
            .iter()
            .filter(|(n, _)| n.starts_with(&prefix))
            .map(|(n, v)| {
                let (t, verifier) = v.split_once('.').unwrap_or(("0", ""));
                (n.as_str(), t.parse().unwrap_or(0), verifier)
            })
            .collect();
        flows.sort_by_key(|f| core::cmp::Reverse(f.1));
        flows
    }

    /// A new sign-in flow: flow cookie, state, 302 to the Hosted UI authorize endpoint.
    fn start_flow(
        &self,
        return_to: &str,
        restarts: u8,
        jar: &CookieJar,
        now: u64,
        rng: &dyn SecureRandom,
        mut set_cookies: Vec<String>,
    ) -> Response {
        let (Some(flow_id), Some(verifier)) = (random_b64url(rng, 12), random_b64url(rng, 32))
        else {
            return self.unavailable();
        };
        // Parallel tabs: keep the newest MAX_FLOWS - 1 flows beside the new one.
        for (name, _, _) in self.flows(jar).iter().skip(MAX_FLOWS - 1) {
            set_cookies.push(self.style().expire(name, "/auth/"));
        }
        let flow_cookie = format!("{}{flow_id}", self.style().flow_prefix());
        set_cookies.push(self.style().set(
            &flow_cookie,
            &format!("{now}.{verifier}"),
            "/auth/",
            self.settings.state_max_age,
        ));
        let state = state::encode(
            &FlowState {
                flow_id: flow_id.clone(),
                issued_at: now,
                return_to: return_to.to_string(),
                restarts,
            },
            &self.secrets.state_key,
        );
        let mut params = vec![
            ("response_type", "code".to_string()),
            ("client_id", self.settings.client_id.clone()),
            ("redirect_uri", self.settings.callback_url()),
            ("scope", self.settings.scopes.join(" ")),
            ("state", state),
            ("code_challenge", state::pkce_challenge(&verifier)),
            ("code_challenge_method", "S256".to_string()),
            ("nonce", state::nonce(&flow_id, &self.secrets.state_key)),
        ];
        if let Some(idp) = &self.settings.identity_provider {
            params.push(("identity_provider", idp.clone()));
        }
        let query: Vec<String> = params
            .iter()
            .map(|(n, v)| format!("{n}={}", form_encode(v)))
            .collect();
        let location = format!(
            "{}/oauth2/authorize?{}",
            self.settings.hosted_ui,
            query.join("&")
        );
        Response::redirect(location, set_cookies)
    }

    /// Restart sign-in once (`retry=1`), then show a page instead of looping (field report B18).
    fn restart_untrusted(&self, jar: &CookieJar, why: &str) -> Response {
        let marker = self.style().restart_marker();
        if jar.contains(&marker) {
            return self.restart("/", 1, why, vec![self.style().expire(&marker, "/auth/")]);
        }
        self.restart(
            "/",
            0,
            why,
            vec![self.style().set(&marker, "1", "/auth/", 120)],
        )
    }

    fn restart(
        &self,
        return_to: &str,
        restarts: u8,
        why: &str,
        set_cookies: Vec<String>,
    ) -> Response {
        if restarts >= 1 {
            return Response::html(
                400,
                pages::page(
                    "Sign-in did not complete",
                    &[format!(
                        "The sign-in could not be matched to this browser ({}). If your browser blocks cookies for this site, allow them and try again.",
                        pages::escape(why)
                    )],
                    &[(format!("/auth/login?return_to={}", form_encode(return_to)), "Try again")],
                ),
                set_cookies,
            );
        }
        Response::redirect(
            format!(
                "{}/auth/login?return_to={}&retry=1",
                self.settings.site_origin,
                form_encode(return_to)
            ),
            set_cookies,
        )
    }

    fn callback(
        &self,
        query: &[(String, String)],
        jar: &CookieJar,
        now: u64,
        rng: &dyn SecureRandom,
    ) -> Step {
        let _ = rng;
        let flow = single(query, "state")
            .map(|s| state::decode(s, &self.secrets.state_key, now, self.settings.state_max_age));
        if let Some(error) = single(query, "error") {
            // Cognito sent the user back with an error (field report B15): show it, escaped.
            let description = single(query, "error_description").unwrap_or("");
            let (return_to, cookies) = match &flow {
                Some(Ok(f)) => (
                    f.return_to.clone(),
                    vec![self.style().expire(
                        &format!("{}{}", self.style().flow_prefix(), f.flow_id),
                        "/auth/",
                    )],
                ),
                _ => ("/".to_string(), Vec::new()),
            };
            let body = pages::page(
                "Sign-in failed",
                &[format!(
                    "The sign-in service answered: <code>{}</code> {}",
                    pages::escape(&error.chars().take(100).collect::<String>()),
                    pages::escape(&description.chars().take(300).collect::<String>())
                )],
                &[(
                    format!("/auth/login?return_to={}", form_encode(&return_to)),
                    "Try again",
                )],
            );
            return Step::Done(Response::html(400, body, cookies));
        }
        let flow = match flow {
            Some(Ok(f)) => f,
            // A state we cannot trust carries no trustworthy restart count: a short-lived restart
            // cookie stands in for it, so a second untrusted callback shows a page (no loop).
            Some(Err(e)) => return Step::Done(self.restart_untrusted(jar, e.detail())),
            None => return Step::Done(self.restart_untrusted(jar, "state_missing")),
        };
        let flow_name = format!("{}{}", self.style().flow_prefix(), flow.flow_id);
        let expire_flow = vec![self.style().expire(&flow_name, "/auth/")];
        let verifier = match jar.all(&flow_name).as_slice() {
            [one] => one
                .split_once('.')
                .map(|(_, v)| v.to_string())
                .filter(|v| (43..=128).contains(&v.len())),
            _ => None,
        };
        let Some(verifier) = verifier else {
            return Step::Done(self.restart(
                &flow.return_to,
                flow.restarts,
                "flow_cookie_missing",
                expire_flow,
            ));
        };
        let code = match single(query, "code") {
            Some(c) if !c.is_empty() && c.len() <= MAX_CODE_BYTES => c,
            _ => {
                return Step::Done(self.restart(
                    &flow.return_to,
                    flow.restarts,
                    "code_missing",
                    expire_flow,
                ))
            }
        };
        Step::Exchange {
            call: self.code_call(code, verifier),
            pending: Pending(PendingKind::Callback { flow }),
        }
    }

    fn logout(&self, jar: &CookieJar) -> Step {
        let location = format!(
            "{}/logout?client_id={}&logout_uri={}",
            self.settings.hosted_ui,
            form_encode(&self.settings.client_id),
            form_encode(&self.settings.logout_url())
        );
        let response = Response::redirect(location, self.expire_all(jar));
        match self.refresh_cookie(jar) {
            Some(token) => Step::Revoke {
                call: self.revoke_call(token),
                then: response,
            },
            None => Step::Done(response),
        }
    }

    /// Resumes after the token endpoint answered: `pending` from [`Step::Exchange`], `outcome`
    /// as the shell classified it, `jar_headers` the same request's `Cookie` header values,
    /// `now` seconds since the epoch once the call returned, `rng` for cookie signing (ECDSA)
    /// or a new flow.
    ///
    /// The ID token is verified first (issuer, app client, `token_use: id`, expiry; OpenID
    /// Connect Core 1.0 §3.1.3.7) and, on a callback, its `nonce` when present (§3.1.2.1).
    /// Then a 302 to the return path with the cookies. A refresh that fails starts a new Hosted
    /// UI flow (the refresh cookie expired); a callback that fails is a page (400, 502) that
    /// expires its flow cookie; a verified user allowed on no route gets a 403 page; an already
    /// expired token or a failing signer is a 503.
    pub fn finish(
        &self,
        pending: Pending,
        outcome: TokenOutcome,
        jar_headers: &[&str],
        now: u64,
        rng: &dyn SecureRandom,
    ) -> Response {
        let jar = CookieJar::parse(jar_headers.iter().copied());
        match pending.0 {
            PendingKind::Callback { flow } => {
                let expire_flow = vec![self.style().expire(
                    &format!("{}{}", self.style().flow_prefix(), flow.flow_id),
                    "/auth/",
                )];
                let retry = (
                    format!("/auth/login?return_to={}", form_encode(&flow.return_to)),
                    "Try again",
                );
                match outcome {
                    TokenOutcome::Tokens {
                        id_token,
                        refresh_token,
                    } => {
                        let identity = match jwt::verify(&id_token, &self.settings.jwks, &self.settings.validation, self.verifier, UnixTime(now)) {
                            Ok(v) => v.into_inner(),
                            Err(e) => {
                                return Response::html(
                                    502,
                                    pages::page("Sign-in failed", &[format!("The sign-in service returned a token edgegate does not accept ({}).", e.detail())], &[retry]),
                                    expire_flow,
                                )
                            }
                        };
                        let expected_nonce = state::nonce(&flow.flow_id, &self.secrets.state_key);
                        if identity
                            .nonce
                            .as_deref()
                            .is_some_and(|n| n != expected_nonce)
                        {
                            return Response::html(
                                400,
                                pages::page("Sign-in failed", &["The sign-in response does not belong to this sign-in (nonce).".to_string()], &[retry]),
                                expire_flow,
                            );
                        }
                        self.sign_in(
                            "callback",
                            &identity,
                            refresh_token.as_deref(),
                            &flow.return_to,
                            now,
                            rng,
                            expire_flow,
                        )
                    }
                    TokenOutcome::InvalidGrant => {
                        Response::html(
                            400,
                            pages::page(
                                "Sign-in link already used",
                                &["This sign-in response was already used or has expired."
                                    .to_string()],
                                &[retry],
                            ),
                            expire_flow,
                        )
                    }
                    TokenOutcome::Failed => Response::html(
                        502,
                        pages::page(
                            "Sign-in service unavailable",
                            &["The sign-in service did not answer. Please try again.".to_string()],
                            &[retry],
                        ),
                        expire_flow,
                    ),
                }
            }
            PendingKind::Refresh {
                return_to,
                restarts,
            } => {
                let expire_refresh = vec![self.style().expire(&self.style().refresh(), "/auth/")];
                match outcome {
                    TokenOutcome::Tokens {
                        id_token,
                        refresh_token,
                    } => {
                        match jwt::verify(
                            &id_token,
                            &self.settings.jwks,
                            &self.settings.validation,
                            self.verifier,
                            UnixTime(now),
                        ) {
                            Ok(identity) => self.sign_in(
                                "refresh",
                                &identity,
                                refresh_token.as_deref(),
                                &return_to,
                                now,
                                rng,
                                Vec::new(),
                            ),
                            Err(_) => self.start_flow(
                                &return_to,
                                restarts,
                                &jar,
                                now,
                                rng,
                                expire_refresh,
                            ),
                        }
                    }
                    // invalid_grant: the refresh token expired or was revoked (field report B26).
                    TokenOutcome::InvalidGrant | TokenOutcome::Failed => {
                        self.start_flow(&return_to, restarts, &jar, now, rng, expire_refresh)
                    }
                }
            }
        }
    }
}

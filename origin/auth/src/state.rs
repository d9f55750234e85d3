//! The sign-in flow's `state` and its per-flow cookie.
//!
//! `state` = `b64url(payload) "." b64url(HMAC-SHA256(state key, "edgegate-state-v1." payload))`
//! where the payload is `{"f": flow id, "t": issued at (seconds since the epoch), "r": return
//! path, "n": restart count}`. It is signed (so a forged or foreign state is detected),
//! time-limited (`auth.state_max_age_seconds`), and bound to the browser through the flow cookie
//! `__Secure-edgegate-flow-<flow id>` that holds the PKCE verifier (RFC 6749 §10.12, RFC 7636,
//! RFC 9700 "CSRF" and "Authorization Code Injection"; field reports B20-B23). The OIDC `nonce`
//! is derived from the flow id with the same key, so it needs no storage.

use edgegate_keys::cf_base64::{decode_b64url, encode_b64url};
use edgegate_keys::sign::{hmac_sha256, verify_hmac_sha256};
use serde::{Deserialize, Serialize};

/// Longest accepted `state` parameter, in bytes.
pub const MAX_STATE_BYTES: usize = 4096;

/// What a `state` carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowState {
    /// The flow id (16 base64url characters).
    #[serde(rename = "f")]
    pub flow_id: String,
    /// Issued at, seconds since the epoch.
    #[serde(rename = "t")]
    pub issued_at: u64,
    /// Where to go after sign-in (already sanitized).
    #[serde(rename = "r")]
    pub return_to: String,
    /// How many times this sign-in was restarted (the loop breaker for the callback).
    #[serde(rename = "n")]
    pub restarts: u8,
}

/// Why a `state` was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateError {
    /// Missing, oversized, or not two base64url parts.
    Malformed,
    /// The HMAC does not verify (forged, or from another deployment).
    BadSignature,
    /// Older than the maximum age, or from the future.
    Stale,
}

impl StateError {
    /// A stable detail code.
    pub fn detail(self) -> &'static str {
        match self {
            StateError::Malformed => "state_malformed",
            StateError::BadSignature => "state_bad_signature",
            StateError::Stale => "state_stale",
        }
    }
}

const STATE_CONTEXT: &[u8] = b"edgegate-state-v1.";
const NONCE_CONTEXT: &[u8] = b"edgegate-nonce-v1.";

fn mac_input(context: &[u8], data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(context.len() + data.len());
    v.extend_from_slice(context);
    v.extend_from_slice(data);
    v
}

/// Encodes and signs a state.
pub fn encode(state: &FlowState, key: &[u8]) -> String {
    let json = serde_json::to_vec(state).unwrap_or_default();
    let payload = encode_b64url(&json);
    let tag = hmac_sha256(key, &mac_input(STATE_CONTEXT, payload.as_bytes()));
    format!("{payload}.{}", encode_b64url(&tag))
}

/// Verifies and decodes a state at `now` (seconds since the epoch).
///
/// # Errors
/// [`StateError`].
pub fn decode(text: &str, key: &[u8], now: u64, max_age: u64) -> Result<FlowState, StateError> {
    if text.is_empty() || text.len() > MAX_STATE_BYTES {
        return Err(StateError::Malformed);
    }
    let (payload, tag) = text.split_once('.').ok_or(StateError::Malformed)?;
    let tag = decode_b64url(tag).map_err(|_| StateError::Malformed)?;
    if !verify_hmac_sha256(key, &mac_input(STATE_CONTEXT, payload.as_bytes()), &tag) {
        return Err(StateError::BadSignature);
    }
    let json = decode_b64url(payload).map_err(|_| StateError::Malformed)?;
    let state: FlowState = serde_json::from_slice(&json).map_err(|_| StateError::Malformed)?;
    if state.issued_at > now.saturating_add(60) || now.saturating_sub(state.issued_at) > max_age {
        return Err(StateError::Stale);
    }
    Ok(state)
}

/// The OIDC nonce for a flow: `b64url(HMAC(state key, "edgegate-nonce-v1." flow id))`.
pub fn nonce(flow_id: &str, key: &[u8]) -> String {
    encode_b64url(&hmac_sha256(
        key,
        &mac_input(NONCE_CONTEXT, flow_id.as_bytes()),
    ))
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    encode_b64url(&edgegate_keys::key::sha256(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn sample() -> FlowState {
        FlowState {
            flow_id: "AAAAAAAAAAAAAAAA".into(),
            issued_at: 1000,
            return_to: "/releases/x?y=1".into(),
            restarts: 0,
        }
    }

    #[test]
    fn state_round_trip_ok() {
        let s = encode(&sample(), KEY);
        assert_eq!(decode(&s, KEY, 1100, 600), Ok(sample()));
    }

    #[test]
    fn state_tampered_or_foreign_key_fails() {
        let s = encode(&sample(), KEY);
        let (p, t) = s.split_once('.').unwrap();
        let mut forged = sample();
        forged.return_to = "/admin".into();
        let forged_payload = encode_b64url(&serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            decode(&format!("{forged_payload}.{t}"), KEY, 1100, 600),
            Err(StateError::BadSignature)
        );
        assert_eq!(
            decode(&s, b"another key another key another!!", 1100, 600),
            Err(StateError::BadSignature)
        );
        assert_eq!(decode(p, KEY, 1100, 600), Err(StateError::Malformed));
        assert_eq!(decode("", KEY, 1100, 600), Err(StateError::Malformed));
        assert_eq!(
            decode(&"a".repeat(5000), KEY, 1100, 600),
            Err(StateError::Malformed)
        );
    }

    #[test]
    fn state_stale_fails() {
        let s = encode(&sample(), KEY);
        assert_eq!(decode(&s, KEY, 1601, 600), Err(StateError::Stale));
        assert!(decode(&s, KEY, 1600, 600).is_ok());
    }

    #[test]
    fn pkce_challenge_rfc7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}

//! The WebAssembly entry point (wasm32 only): glue between the Node.js handler and [`decide_cached`].
//!
//! One export, [`Gate`]: built once per container from the baked configuration and JWKS, it
//! takes a *frame* (only the request fields the gate reads, see [`crate::boundary`]) and returns
//! a *verdict*: the log fields plus either the edits to apply to the original request or the
//! CloudFront response. The event itself never crosses into wasm, so nothing of it is parsed or
//! re-serialised. One import, `edgegateHost.verifySignature(algorithm, keyId, spki, message,
//! signature) -> bool`, backs [`SignatureVerifier`] with `node:crypto` (the handler installs
//! `globalThis.edgegateHost` before loading this module). No auth logic lives here.

use crate::boundary::{self, READ_HEADERS};
use crate::cache::VerifiedCache;
use crate::config::{ConfigDocument, GateConfig, IssuerIndex};
use crate::gate::{decide_cached, refetch_issuer};
use edgegate_keys::{
    BadSignature, Jwks, PublicKey, SignatureAlgorithm, SignatureVerifier, UnixTime,
};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = edgegateHost, js_name = verifySignature)]
    fn host_verify(
        algorithm: &str,
        key_id: &str,
        spki: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> bool;
}

/// [`SignatureVerifier`] backed by `node:crypto.verify` through the host import.
struct NodeVerifier;

impl SignatureVerifier for NodeVerifier {
    fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        key: &PublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature> {
        if algorithm.key_type() != key.key_type() {
            return Err(BadSignature);
        }
        if host_verify(
            algorithm.name(),
            &key.fingerprint_hex(),
            key.spki_der(),
            message,
            signature,
        ) {
            Ok(())
        } else {
            Err(BadSignature)
        }
    }
}

/// The gate of one Lambda@Edge container.
#[wasm_bindgen]
pub struct Gate {
    document: ConfigDocument,
    config: GateConfig,
    cache: VerifiedCache,
    /// The issuer whose JWKS [`Gate::jwks_url`] and [`Gate::add_jwks`] refer to: the one of
    /// the last `unknown_kid` decision.
    refetch: IssuerIndex,
}

fn build(document: &ConfigDocument, jwks: Option<Jwks>) -> Result<GateConfig, JsError> {
    GateConfig::from_document(document, jwks).map_err(|e| JsError::new(&format!("config: {e}")))
}

#[wasm_bindgen]
impl Gate {
    /// Parses and validates the baked configuration (JSON `ConfigDocument`, public keys inlined)
    /// and JWKS (JSON, or `undefined` without Cognito).
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str, jwks_json: Option<String>) -> Result<Gate, JsError> {
        // Where the document stops parsing, not serde's message: `edgegate bundle` validated the
        // same document natively with full messages, so this only fires for an edited bundle,
        // and the message's Display would link std's I/O error texts into the module.
        let document: ConfigDocument =
            serde_json::from_slice(config_json.as_bytes()).map_err(|e| {
                JsError::new(&format!(
                    "config: config.json is not a document edgegate bundle wrote (line {}, column {}); rebuild the bundle",
                    e.line(),
                    e.column()
                ))
            })?;
        let jwks = match jwks_json {
            Some(text) => Some(
                Jwks::parse(text.as_bytes()).map_err(|e| JsError::new(&format!("jwks: {e}")))?,
            ),
            None => None,
        };
        let config = build(&document, jwks)?;
        Ok(Gate {
            document,
            config,
            cache: VerifiedCache::new(),
            refetch: IssuerIndex(0),
        })
    }

    /// Decides one request at `now_secs` (seconds since the epoch). `text` and `lens` are the
    /// frame (see [`crate::boundary`]: the fields concatenated as UTF-8, and their UTF-16
    /// lengths). Returns the verdict string; a frame that does not add up gives a 503
    /// `event_shape` verdict.
    pub fn decide(&mut self, text: &[u8], lens: &[u32], now_secs: f64) -> String {
        let now = if now_secs.is_finite() && now_secs > 0.0 {
            now_secs as u64
        } else {
            0
        };
        let request = match std::str::from_utf8(text)
            .map_err(|_| boundary::BadFrame)
            .and_then(|text| boundary::request_from_frame(text, lens))
        {
            Ok(request) => request,
            Err(_) => return boundary::unavailable(crate::gate::Detail::EventShape),
        };
        let decision = decide_cached(
            &request,
            &self.config,
            &NodeVerifier,
            UnixTime(now),
            Some(&mut self.cache),
        );
        if decision.detail() == "unknown_kid" {
            if let Some(index) = refetch_issuer(&request, &self.config) {
                self.refetch = index;
            }
        }
        let stable = decision.stability(now);
        boundary::encode_verdict(&decision, &request, stable)
    }

    /// Adds the keys of a freshly fetched JWKS whose `kid`s are not already known (the baked
    /// keys stay authoritative) to the issuer of the last `unknown_kid` decision. Returns how
    /// many keys were added.
    #[wasm_bindgen(js_name = addJwks)]
    pub fn add_jwks(&mut self, jwks_json: &str) -> Result<u32, JsError> {
        let fetched =
            Jwks::parse(jwks_json.as_bytes()).map_err(|e| JsError::new(&format!("jwks: {e}")))?;
        // The keys in force (baked, plus any added before) are the config's.
        let Some(current) = self.config.issuer(self.refetch).map(|i| i.jwks()) else {
            return Ok(0);
        };
        let (merged, added) = current.merged_with(&fetched);
        if added == 0 {
            return Ok(0);
        }
        self.config.replace_jwks(self.refetch, merged);
        Ok(added)
    }

    /// The URL to refetch the JWKS of the issuer of the last `unknown_kid` decision from
    /// (`""` without one: an `oidc` issuer baked from a file only, or no issuer).
    #[wasm_bindgen(js_name = jwksUrl)]
    pub fn jwks_url(&self) -> String {
        match self.issuer_doc() {
            Some(k) => self
                .document
                .issuers
                .as_ref()
                .and_then(|list| list.get(k))
                .and_then(|d| d.jwks_url())
                .unwrap_or_default(),
            None => self
                .document
                .cognito
                .as_ref()
                .map(|c| c.jwks_url())
                .unwrap_or_default(),
        }
    }

    /// The 404 for an object the origin does not have, for the request in the frame (`text`,
    /// `lens`, as for [`Gate::decide`]): the `not_found` page for a browser navigation, else
    /// `not_found` as plain text ([`crate::pages::not_found`]), as CloudFront response JSON.
    /// A frame that does not add up gives `""` (the handler then leaves the origin's 404).
    #[wasm_bindgen(js_name = notFound)]
    pub fn not_found(&self, text: &[u8], lens: &[u32]) -> String {
        match std::str::from_utf8(text)
            .map_err(|_| boundary::BadFrame)
            .and_then(|text| boundary::request_from_frame(text, lens))
        {
            Ok(request) => {
                boundary::response_json(&crate::pages::not_found(self.config.pages(), &request))
            }
            Err(_) => String::new(),
        }
    }

    /// `[hits, misses, entries]` of the verified-credential cache.
    #[wasm_bindgen(js_name = cacheStats)]
    pub fn cache_stats(&self) -> Vec<f64> {
        let (hits, misses) = self.cache.stats();
        vec![hits as f64, misses as f64, self.cache.len() as f64]
    }
}

impl Gate {
    /// The position in `[[issuers]]` of the refetch issuer (`None`: `[cognito]`).
    fn issuer_doc(&self) -> Option<usize> {
        let offset = usize::from(self.document.cognito.is_some());
        self.refetch.0.checked_sub(offset)
    }
}

/// Verifies one detached signature through the same path the gate uses on wasm (key parsing in
/// Rust, the primitive in `node:crypto`): `algorithm` is `rsa-sha1`, `rsa-sha256` or
/// `ecdsa-p256-sha256`; `spki` a DER SubjectPublicKeyInfo. Returns false for a key the loader
/// refuses. Used by the parity tests (Wycheproof, native vs Node verdicts).
#[wasm_bindgen(js_name = verifyDetached)]
pub fn verify_detached(algorithm: &str, spki: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let algorithm = match algorithm {
        "rsa-sha1" => SignatureAlgorithm::RsaPkcs1Sha1,
        "rsa-sha256" => SignatureAlgorithm::RsaPkcs1Sha256,
        "ecdsa-p256-sha256" => SignatureAlgorithm::EcdsaP256Sha256,
        _ => return false,
    };
    match PublicKey::from_spki_der(spki) {
        Ok(key) => NodeVerifier
            .verify(algorithm, &key, message, signature)
            .is_ok(),
        Err(_) => false,
    }
}

/// The request headers the gate reads, comma-separated, in frame order (see
/// [`crate::boundary`]). The handler asks once at load.
#[wasm_bindgen(js_name = readHeaders)]
pub fn read_headers() -> String {
    READ_HEADERS.join(",")
}

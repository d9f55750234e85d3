//! Cognito JWT verification (`edgegate_keys::jwt::verify`) against the security catalogue's
//! JWT-S (structure and encoding), JWT-K (algorithms and keys) and JWT-C (claims) items.
//!
//! Fixtures: Cognito-shaped ID and access tokens signed with the throwaway key
//! `rsa2048_a` under the first kid of `tests/vectors/cognito_jwks.json`. The well-formed path
//! uses `edgegate_keys::sign::sign_jwt_rs256`; hostile headers and encodings use a raw builder
//! that signs arbitrary bytes with ring (which produces the same bytes for RS256, checked by
//! `raw_builder_matches_sign_jwt_rs256_ok`, and is ~40x faster than RustCrypto in debug builds).
//! Every negative is a mutation of a token that verifies.

mod common;

use common::{public, read_vector, ring_ec, ring_rsa, rsa_a, rsa_attacker};
use edgegate_keys::cf_base64::{decode_b64url, encode_b64url};
use edgegate_keys::jwt::{
    cognito_issuer, verify, CognitoIdentity, IssuerFormat, JwtValidation, TokenUse,
};
use edgegate_keys::limits::MAX_TOKEN_BYTES;
use edgegate_keys::sign::sign_jwt_rs256;
use edgegate_keys::{HashAlgorithm, Jwks, RingVerifier, UnixTime, Verified, VerifyError};
use ring::signature::{RsaEncoding, RsaKeyPair};
use serde_json::{json, Value};
use std::sync::OnceLock;

const NOW: u64 = 1_700_000_000;
const LEEWAY: u64 = 60;
const REGION: &str = "eu-west-1";
const POOL: &str = "eu-west-1_AbCdEf123";
const CLIENT: &str = "3n4b5urk1ft4fl3mg5e62d9ado";
const OTHER_CLIENT: &str = "7o8p9q0r1s2t3u4v5w6x7y8z9a";
const SUB: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const KID_A: &str = "M8BGf6hE43/QGbiElQoDzWtRZwsau0GWrruNWz/bQ6c=";
const KID_B: &str = "QWkw5tgrxIwthJJLgYtrej8XirEcd7OsbVueMbjWk3U=";

// --- fixtures ----------------------------------------------------------------------------------

fn iss() -> String {
    cognito_issuer(IssuerFormat::Original, REGION, POOL)
}

fn jwks() -> &'static Jwks {
    static JWKS: OnceLock<Jwks> = OnceLock::new();
    JWKS.get_or_init(|| {
        Jwks::parse(read_vector("cognito_jwks.json").as_bytes()).expect("cognito_jwks.json")
    })
}

fn ring_a() -> &'static RsaKeyPair {
    static KEY: OnceLock<RsaKeyPair> = OnceLock::new();
    KEY.get_or_init(|| ring_rsa("rsa2048_a"))
}

fn ring_attacker() -> &'static RsaKeyPair {
    static KEY: OnceLock<RsaKeyPair> = OnceLock::new();
    KEY.get_or_init(|| ring_rsa("rsa2048_attacker"))
}

/// Accepts both token kinds for the one app client, with a 60 s leeway.
fn validation() -> JwtValidation {
    JwtValidation {
        issuer: iss(),
        client_ids: vec![CLIENT.to_string()],
        token_uses: vec![TokenUse::Id, TokenUse::Access],
        leeway_secs: LEEWAY,
        claims: Vec::new(),
    }
}

/// The claims of a Cognito ID token (Cognito Developer Guide, "Understanding the identity (ID)
/// token"), issued 100 s ago for one hour.
fn id_claims() -> Value {
    json!({
        "sub": SUB,
        "cognito:groups": ["release-engineers"],
        "email_verified": true,
        "iss": iss(),
        "cognito:username": "jdoe",
        "origin_jti": "8c4d0d6e-7c1c-4a43-9d2e-2a1b6f0e1d11",
        "aud": CLIENT,
        "event_id": "0f6a1c52-5f16-4f7b-9d0e-6d4f8e2a9b33",
        "token_use": "id",
        "auth_time": NOW - 100,
        "exp": NOW + 3500,
        "iat": NOW - 100,
        "jti": "f3e1b2c4-1d2e-4f5a-8b9c-0d1e2f3a4b5c",
        "email": "jdoe@example.com"
    })
}

/// The claims of a Cognito access token ("Understanding the access token").
fn access_claims() -> Value {
    json!({
        "sub": SUB,
        "cognito:groups": ["release-engineers", "readers"],
        "iss": iss(),
        "version": 2,
        "client_id": CLIENT,
        "origin_jti": "8c4d0d6e-7c1c-4a43-9d2e-2a1b6f0e1d11",
        "event_id": "0f6a1c52-5f16-4f7b-9d0e-6d4f8e2a9b33",
        "token_use": "access",
        "scope": "openid email releases/read",
        "auth_time": NOW - 100,
        "exp": NOW + 3500,
        "iat": NOW - 100,
        "jti": "a1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d",
        "username": "jdoe"
    })
}

/// `claims` with `edit` applied.
fn edited(mut claims: Value, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    edit(claims.as_object_mut().expect("claims object"));
    claims
}

/// Cognito's header: `kid` then `alg` (the order `sign_jwt_rs256` writes).
fn header(kid: &str) -> String {
    format!(r#"{{"kid":{},"alg":"RS256"}}"#, Value::from(kid))
}

fn signing_input(header: &[u8], payload: &[u8]) -> String {
    format!("{}.{}", encode_b64url(header), encode_b64url(payload))
}

fn rsa_sign(key: &RsaKeyPair, alg: &'static dyn RsaEncoding, message: &[u8]) -> Vec<u8> {
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(alg, &ring::rand::SystemRandom::new(), message, &mut sig)
        .expect("ring signs");
    sig
}

/// A compact JWS over arbitrary header and payload bytes, RS256 with `key`.
fn raw_with(key: &RsaKeyPair, header: &[u8], payload: &[u8]) -> String {
    let input = signing_input(header, payload);
    let sig = rsa_sign(key, &ring::signature::RSA_PKCS1_SHA256, input.as_bytes());
    format!("{input}.{}", encode_b64url(&sig))
}

/// A compact JWS over arbitrary header and payload text, RS256 with the trusted key A.
fn raw(header: &str, payload: &str) -> String {
    raw_with(ring_a(), header.as_bytes(), payload.as_bytes())
}

/// A well-formed token for `claims` under kid A (ring; same bytes as `sign_jwt_rs256`).
fn token(claims: &Value) -> String {
    raw(&header(KID_A), &claims.to_string())
}

fn check_with(
    token: &str,
    v: &JwtValidation,
    now: u64,
) -> Result<Verified<CognitoIdentity>, VerifyError> {
    verify(token, jwks(), v, &RingVerifier, UnixTime(now))
}

fn check(token: &str) -> Result<Verified<CognitoIdentity>, VerifyError> {
    check_with(token, &validation(), NOW)
}

fn check_claims(claims: &Value) -> Result<Verified<CognitoIdentity>, VerifyError> {
    check(&token(claims))
}

fn segments(token: &str) -> [&str; 3] {
    let parts: Vec<&str> = token.split('.').collect();
    [parts[0], parts[1], parts[2]]
}

/// `token` with its signature segment replaced by `sig` bytes.
fn with_signature(token: &str, sig: &[u8]) -> String {
    let [h, p, _] = segments(token);
    format!("{h}.{p}.{}", encode_b64url(sig))
}

fn signature_of(token: &str) -> Vec<u8> {
    decode_b64url(segments(token)[2]).unwrap()
}

fn assert_err(
    result: Result<Verified<CognitoIdentity>, VerifyError>,
    expected: VerifyError,
    case: &str,
) {
    match result {
        Ok(identity) => panic!("{case}: accepted ({identity:?}), expected {expected:?}"),
        Err(e) => assert_eq!(e, expected, "{case}"),
    }
}

fn assert_malformed(result: Result<Verified<CognitoIdentity>, VerifyError>, case: &str) {
    match result {
        Err(VerifyError::Malformed(_)) => {}
        other => panic!("{case}: expected Malformed, got {other:?}"),
    }
}

// --- baseline ------------------------------------------------------------------------------------

#[test]
fn id_token_cognito_shaped_ok() {
    let t = sign_jwt_rs256(KID_A, &id_claims(), rsa_a()).unwrap();
    let identity = check(&t).unwrap().into_inner();
    assert_eq!(
        identity,
        CognitoIdentity {
            sub: SUB.to_string(),
            username: Some("jdoe".to_string()),
            token_use: TokenUse::Id,
            client_id: CLIENT.to_string(),
            groups: vec!["release-engineers".to_string()],
            scopes: vec![],
            expires_at: NOW + 3500,
            kid: KID_A.to_string(),
            nonce: None,
            claims: Vec::new(),
        }
    );
}

#[test]
fn access_token_cognito_shaped_ok() {
    let t = sign_jwt_rs256(KID_A, &access_claims(), rsa_a()).unwrap();
    let identity = check(&t).unwrap();
    assert_eq!(identity.token_use, TokenUse::Access);
    assert_eq!(identity.client_id, CLIENT);
    assert_eq!(identity.username.as_deref(), Some("jdoe"));
    assert_eq!(identity.groups, ["release-engineers", "readers"]);
    assert_eq!(identity.scopes, ["openid", "email", "releases/read"]);
}

/// The claims of a Cognito client-credentials (machine-to-machine) access token, exactly:
/// `sub` is the app client id, no `username`, no `cognito:groups`, no `aud` (Amazon Cognito
/// Developer Guide, "Understanding the access token" and "Scopes, M2M, and APIs with resource
/// servers").
fn m2m_access_claims() -> Value {
    json!({
        "sub": CLIENT,
        "token_use": "access",
        "scope": "artifacts/read artifacts/list",
        "auth_time": NOW - 100,
        "iss": iss(),
        "exp": NOW + 3500,
        "iat": NOW - 100,
        "version": 2,
        "jti": "5d8e1c3b-2a4f-4e6d-9b7a-1c2d3e4f5a6b",
        "client_id": CLIENT,
    })
}

#[test]
fn m2m_client_credentials_access_token_ok() {
    let t = sign_jwt_rs256(KID_A, &m2m_access_claims(), rsa_a()).unwrap();
    let identity = check(&t).unwrap().into_inner();
    assert_eq!(
        identity,
        CognitoIdentity {
            sub: CLIENT.to_string(),
            username: None,
            token_use: TokenUse::Access,
            client_id: CLIENT.to_string(),
            groups: vec![],
            scopes: vec!["artifacts/read".to_string(), "artifacts/list".to_string()],
            expires_at: NOW + 3500,
            kid: KID_A.to_string(),
            nonce: None,
            claims: Vec::new(),
        }
    );
}

#[test]
fn m2m_access_token_checks_still_apply_fails() {
    // The same client-id and time rules as any access token: no M2M shortcut.
    let other = edited(m2m_access_claims(), |c| {
        c.insert("client_id".into(), json!(OTHER_CLIENT));
    });
    assert_err(
        check_claims(&other),
        VerifyError::WrongAudience,
        "other client",
    );
    let expired = edited(m2m_access_claims(), |c| {
        c.insert("exp".into(), json!(NOW - LEEWAY));
    });
    assert_err(check_claims(&expired), VerifyError::Expired, "expired");
    let only_id = JwtValidation {
        token_uses: vec![TokenUse::Id],
        ..validation()
    };
    assert_err(
        check_with(&token(&m2m_access_claims()), &only_id, NOW),
        VerifyError::WrongTokenUse,
        "access not accepted",
    );
    let spaced = edited(m2m_access_claims(), |c| {
        c.insert("scope".into(), json!(" artifacts/read  artifacts/list "));
    });
    assert_eq!(
        check_claims(&spaced).unwrap().scopes,
        ["artifacts/read", "artifacts/list"]
    );
    let not_a_string = edited(m2m_access_claims(), |c| {
        c.insert("scope".into(), json!(["artifacts/read"]));
    });
    assert_err(
        check_claims(&not_a_string),
        VerifyError::WrongClaimType("scope"),
        "scope array",
    );
}

#[test]
fn raw_builder_matches_sign_jwt_rs256_ok() {
    // RSASSA-PKCS1-v1_5 is deterministic: ring and the crate's signer agree byte for byte.
    let claims = id_claims();
    assert_eq!(
        token(&claims),
        sign_jwt_rs256(KID_A, &claims, rsa_a()).unwrap()
    );
}

#[test]
fn token_signed_by_second_jwks_key_ok() {
    let t = raw_with(
        &ring_rsa("rsa2048_b"),
        header(KID_B).as_bytes(),
        id_claims().to_string().as_bytes(),
    );
    assert_eq!(check(&t).unwrap().kid, KID_B);
}

#[test]
fn header_members_in_other_order_and_typ_jwt_ok() {
    let payload = id_claims().to_string();
    for h in [
        format!(r#"{{"alg":"RS256","kid":"{KID_A}"}}"#),
        format!(r#"{{"typ":"JWT","alg":"RS256","kid":"{KID_A}"}}"#),
        format!("{{ \"alg\" : \"RS256\" ,\n \"kid\" : \"{KID_A}\" }}"),
    ] {
        assert!(check(&raw(&h, &payload)).is_ok(), "{h}");
    }
}

#[test]
fn header_typ_other_than_jwt_fails() {
    // Cognito's header carries kid and alg only; explicit typing (RFC 8725 §3.11) is JWT here.
    let payload = id_claims().to_string();
    for typ in [
        json!("at+jwt"),
        json!("jwt"),
        json!(""),
        json!(1),
        json!(null),
    ] {
        let h = format!(r#"{{"kid":"{KID_A}","alg":"RS256","typ":{typ}}}"#);
        assert_malformed(check(&raw(&h, &payload)), &h);
    }
}

#[test]
fn prototype_pollution_member_names_judged_normally_ok() {
    // JWT-S-10: such names are ordinary claims to edgegate.
    let claims = edited(id_claims(), |c| {
        c.insert("__proto__".into(), json!({"admin": true}));
        c.insert("constructor".into(), json!({"prototype": {"admin": true}}));
    });
    assert!(check_claims(&claims).is_ok());
}

// --- JWT-S-01 / JWT-S-02: alg none and its spellings ---------------------------------------------

#[test]
fn alg_none_empty_signature_fails() {
    let h = format!(r#"{{"alg":"none","kid":"{KID_A}"}}"#);
    let input = signing_input(h.as_bytes(), id_claims().to_string().as_bytes());
    // Three segments are required, all non-empty (checked before the header is read).
    assert_malformed(check(&format!("{input}.")), "h.p.");
    assert_malformed(check(&input), "h.p");
}

#[test]
fn alg_none_with_a_real_signature_fails() {
    let h = format!(r#"{{"alg":"none","kid":"{KID_A}"}}"#);
    assert_err(
        check(&raw(&h, &id_claims().to_string())),
        VerifyError::UnsupportedAlgorithm,
        "none",
    );
}

#[test]
fn alg_none_and_rs256_spelling_variants_fails() {
    let payload = id_claims().to_string();
    for alg in [
        "None",
        "NONE",
        "nOnE",
        " none",
        "none\u{0}",
        "rs256",
        "Rs256",
        "RS256 ",
        " RS256",
        "RS256\u{0}",
        "RS 256",
        "RS-256",
    ] {
        let h = format!(r#"{{"alg":{},"kid":"{KID_A}"}}"#, Value::from(alg));
        assert_err(
            check(&raw(&h, &payload)),
            VerifyError::UnsupportedAlgorithm,
            alg,
        );
    }
}

// --- JWT-S-03 / JWT-S-04: segments and JSON shapes -------------------------------------------

#[test]
fn segment_count_not_three_fails() {
    let good = token(&id_claims());
    let [h, p, s] = segments(&good);
    for t in [
        String::new(),
        ".".to_string(),
        "..".to_string(),
        "...".to_string(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}.{p}.{s}."),
        format!(".{h}.{p}.{s}"),
        format!("{h}..{s}"),
        format!("{h}.{p}..{s}"),
        // a five-part JWE compact serialisation
        format!("{h}.{p}.{s}.{p}.{s}"),
    ] {
        assert_malformed(check(&t), &t);
    }
}

#[test]
fn header_not_a_json_object_fails() {
    let payload = id_claims().to_string();
    for h in [
        "[]",
        "\"RS256\"",
        "null",
        "1",
        "true",
        "{",
        "RS256",
        "{\"alg\":\"RS256\",}",
    ] {
        assert_malformed(check(&raw(h, &payload)), h);
    }
}

#[test]
fn payload_not_a_json_object_fails() {
    // Validly signed, so the failure is the payload itself.
    for p in [
        "[]",
        "\"claims\"",
        "null",
        "1",
        "{",
        "{\"sub\":1,}",
        "{}x",
        "\u{feff}{}",
    ] {
        assert_malformed(check(&raw(&header(KID_A), p)), p);
    }
}

// --- JWT-S-05: strict base64url (RFC 7515 §2, Appendix C) ------------------------------------

/// A token whose RS256 signature (key A) covers exactly `h64.p64`, whatever those strings are:
/// a lenient decoder would accept it, so a strict one must refuse it for its encoding alone.
fn signed_over(h64: &str, p64: &str) -> String {
    let input = format!("{h64}.{p64}");
    let sig = rsa_sign(
        ring_a(),
        &ring::signature::RSA_PKCS1_SHA256,
        input.as_bytes(),
    );
    format!("{input}.{}", encode_b64url(&sig))
}

/// `text` padded (by appending spaces) to a byte length that is not a multiple of 3, so its
/// base64 form would carry padding and unused trailing bits.
fn unaligned(mut text: String) -> String {
    while text.len() % 3 == 0 {
        text.push(' ');
    }
    text
}

fn pad(segment: &str) -> String {
    format!("{segment}{}", "=".repeat((4 - segment.len() % 4) % 4))
}

/// The same segment with its last character changed only in the bits a decoder discards.
fn stray_bits(segment: &str) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let unused = match segment.len() % 4 {
        2 => 0x0f,
        3 => 0x03,
        _ => panic!("segment has no unused bits"),
    };
    let last = *segment.as_bytes().last().unwrap();
    let index = alphabet.iter().position(|&c| c == last).unwrap();
    assert_eq!(index & unused, 0, "canonical encoding");
    format!(
        "{}{}",
        &segment[..segment.len() - 1],
        char::from(alphabet[index | 1])
    )
}

#[test]
fn padded_segments_fails() {
    let h64 = encode_b64url(unaligned(header(KID_A)).as_bytes());
    let p64 = encode_b64url(unaligned(id_claims().to_string()).as_bytes());
    let good = signed_over(&h64, &p64);
    assert!(check(&good).is_ok(), "the unpadded form verifies");
    assert_ne!(pad(&h64), h64);
    assert_ne!(pad(&p64), p64);
    // Signed over the padded form: refused for the encoding.
    assert_malformed(check(&signed_over(&pad(&h64), &p64)), "padded header");
    assert_malformed(check(&signed_over(&h64, &pad(&p64))), "padded payload");
    // The 256-byte signature takes "==" when padded.
    let [_, _, s64] = segments(&good);
    assert_malformed(
        check(&format!("{h64}.{p64}.{}", pad(s64))),
        "padded signature",
    );
    // Padding added after signing changes the signed bytes.
    assert_err(
        check(&format!("{h64}.{}.{s64}", pad(&p64))),
        VerifyError::BadSignature,
        "padded, not re-signed",
    );
}

#[test]
fn non_canonical_trailing_bits_fails() {
    // Same bytes to a lenient decoder; a different string to a cache or a denylist.
    let h64 = encode_b64url(unaligned(header(KID_A)).as_bytes());
    let p64 = encode_b64url(unaligned(id_claims().to_string()).as_bytes());
    assert!(check(&signed_over(&h64, &p64)).is_ok());
    assert_malformed(check(&signed_over(&stray_bits(&h64), &p64)), "header");
    assert_malformed(check(&signed_over(&h64, &stray_bits(&p64))), "payload");
    // 256 signature bytes take 342 characters; the last carries 4 unused bits. Try all 15.
    let good = token(&id_claims());
    let [h, p, s] = segments(&good);
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = *s.as_bytes().last().unwrap();
    let index = alphabet.iter().position(|&c| c == last).unwrap();
    assert_eq!(index & 0x0f, 0, "canonical encoding");
    for low_bits in 1..16 {
        let other = char::from(alphabet[index | low_bits]);
        let s2 = format!("{}{other}", &s[..s.len() - 1]);
        assert_malformed(check(&format!("{h}.{p}.{s2}")), &other.to_string());
    }
}

#[test]
fn standard_alphabet_segments_fails() {
    // Claims whose base64url uses both '-' and '_' (">>>" and "???" encode to "Pj4-" and "Pz8_").
    let claims = (0..3)
        .map(|shift| {
            edited(id_claims(), |c| {
                c.insert(
                    "note".into(),
                    Value::from(format!("{}>>>???", " ".repeat(shift))),
                );
            })
        })
        .map(|c| encode_b64url(c.to_string().as_bytes()))
        .find(|p| p.contains('-') && p.contains('_'))
        .expect("a payload encoding with '-' and '_'");
    let h64 = encode_b64url(header(KID_A).as_bytes());
    assert!(check(&signed_over(&h64, &claims)).is_ok());
    let standard = claims.replace('-', "+").replace('_', "/");
    assert_malformed(
        check(&signed_over(&h64, &standard)),
        "standard alphabet payload, signed",
    );
    let mixed = claims.replacen('-', "+", 1);
    assert_malformed(
        check(&signed_over(&h64, &mixed)),
        "one '+' in the payload, signed",
    );
    // The signature segment in the standard alphabet.
    let t = (0..200)
        .map(|i| {
            token(&edited(id_claims(), |c| {
                c.insert("jti".into(), Value::from(format!("jti-{i}")));
            }))
        })
        .find(|t| segments(t)[2].contains('-') && segments(t)[2].contains('_'))
        .expect("a signature containing '-' and '_'");
    let [h, p, s] = segments(&t);
    assert!(check(&t).is_ok());
    let standard = s.replace('-', "+").replace('_', "/");
    assert_malformed(
        check(&format!("{h}.{p}.{standard}")),
        "standard alphabet signature",
    );
    let mixed = s.replacen('-', "+", 1);
    assert_malformed(
        check(&format!("{h}.{p}.{mixed}")),
        "one '+' in the signature",
    );
}

#[test]
fn whitespace_in_or_around_segments_fails() {
    let good = token(&id_claims());
    let [h, p, s] = segments(&good);
    let mid = s.len() / 2;
    for t in [
        format!("{h}.{p}.{} {}", &s[..mid], &s[mid..]),
        format!("{h}.{p}.{}\n{}", &s[..mid], &s[mid..]),
        format!("{h}.{} {}", &p[..10], &p[10..]),
        format!(" {good}"),
        format!("{good} "),
        format!("{good}\n"),
        format!("{h} .{p}.{s}"),
        format!("{h}.{p}.{s}%3D"),
    ] {
        assert_malformed(check(&t), &t);
    }
}

// --- JWT-S-06 / JWT-S-07: duplicate members, UTF-8, escapes -----------------------------------

#[test]
fn duplicate_claim_names_fails() {
    // Validly signed payloads that name a claim twice: a JS reader takes the last value.
    let body = id_claims().to_string();
    let inner = &body[1..body.len() - 1];
    for dup in [
        format!(r#"{{"exp":1,{inner}}}"#),
        format!(r#"{{{inner},"exp":{}}}"#, NOW + 99_999),
        format!(r#"{{{inner},"aud":"{OTHER_CLIENT}"}}"#),
        format!(r#"{{{inner},"\u0065xp":1}}"#),
        format!(r#"{{{inner},"iss":"{}"}}"#, iss()),
        format!(r#"{{{inner},"x":{{"a":1,"a":2}}}}"#),
    ] {
        assert_malformed(check(&raw(&header(KID_A), &dup)), &dup[..40.min(dup.len())]);
    }
}

#[test]
fn duplicate_header_members_fails() {
    let payload = id_claims().to_string();
    for h in [
        format!(r#"{{"alg":"HS256","alg":"RS256","kid":"{KID_A}"}}"#),
        format!(r#"{{"alg":"RS256","alg":"RS256","kid":"{KID_A}"}}"#),
        format!(r#"{{"alg":"RS256","kid":"unknown","kid":"{KID_A}"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{KID_A}","\u006bid":"{KID_B}"}}"#),
    ] {
        assert_malformed(check(&raw(&h, &payload)), &h);
    }
}

#[test]
fn invalid_utf8_fails() {
    let payload = id_claims().to_string();
    let bad_payload = payload
        .replace("jdoe@example.com", "jdoe@example.\u{1}")
        .into_bytes();
    let bad_payload: Vec<u8> = bad_payload
        .iter()
        .map(|&b| if b == 1 { 0xff } else { b })
        .collect();
    let t = raw_with(ring_a(), header(KID_A).as_bytes(), &bad_payload);
    assert_malformed(check(&t), "0xff in a claim");
    // An overlong encoding of '/' (C0 AF) in the issuer.
    let overlong: Vec<u8> = payload
        .replacen("amazonaws.com/", "amazonaws.com\u{1}", 1)
        .bytes()
        .flat_map(|b| if b == 1 { vec![0xc0, 0xaf] } else { vec![b] })
        .collect();
    let t = raw_with(ring_a(), header(KID_A).as_bytes(), &overlong);
    assert_malformed(check(&t), "overlong '/'");
    // A lone surrogate escape.
    let t = raw(
        &header(KID_A),
        &payload.replace("\"jdoe\"", r#""jdoe\ud800""#),
    );
    assert_malformed(check(&t), "lone surrogate");
    // Invalid UTF-8 in the header's kid.
    let mut h = header(KID_A).into_bytes();
    let pos = h.iter().position(|&b| b == b'M').unwrap();
    h[pos] = 0xfe;
    let t = raw_with(ring_a(), &h, payload.as_bytes());
    assert_malformed(check(&t), "0xfe in kid");
}

#[test]
fn escaped_issuer_equal_after_json_decoding_ok() {
    // RFC 8725 §3.7 / JWT-S-07: comparison happens on the decoded string.
    let payload = id_claims().to_string();
    let plain = format!("\"iss\":\"{}\"", iss());
    let escaped = format!(
        "\"iss\":\"{}\"",
        iss().replacen('h', "\\u0068", 1).replace('/', "\\/")
    );
    assert!(payload.contains(&plain));
    let t = raw(&header(KID_A), &payload.replace(&plain, &escaped));
    assert!(check(&t).is_ok());
}

// --- JWT-S-08 / JWT-S-09: size, nesting, nested tokens --------------------------------------

fn b64_len(bytes: usize) -> usize {
    (bytes * 4).div_ceil(3)
}

#[test]
fn token_of_exactly_max_bytes_ok() {
    let h = header(KID_A);
    let base = id_claims();
    let fixed = b64_len(h.len()) + 2 + 342;
    // Pad a claim until the token is exactly MAX_TOKEN_BYTES long.
    let claims = (0..MAX_TOKEN_BYTES)
        .map(|n| {
            edited(base.clone(), |c| {
                c.insert("pad".into(), Value::from("x".repeat(n)));
            })
        })
        .find(|c| fixed + b64_len(c.to_string().len()) >= MAX_TOKEN_BYTES)
        .unwrap();
    let mut t = token(&claims);
    if t.len() != MAX_TOKEN_BYTES {
        // 4n/3 skips lengths ≡ 1 (mod 4): trade one payload byte for a header space.
        let h2 = format!(r#"{{"kid":"{KID_A}", "alg":"RS256"}}"#);
        let claims = edited(claims, |c| {
            let pad = c["pad"].as_str().unwrap().len();
            c.insert("pad".into(), Value::from("x".repeat(pad - 1)));
        });
        t = raw(&h2, &claims.to_string());
    }
    assert_eq!(t.len(), MAX_TOKEN_BYTES);
    assert!(check(&t).is_ok());
}

#[test]
fn token_over_max_bytes_fails() {
    let good = token(&id_claims());
    // One byte over, and well over: refused before any decoding.
    for extra in [MAX_TOKEN_BYTES + 1 - good.len(), 100_000] {
        let [h, p, s] = segments(&good);
        let t = format!("{h}.{p}{}.{s}", "A".repeat(extra));
        assert_eq!(t.len(), good.len() + extra);
        assert_err(check(&t), VerifyError::TooLarge, &format!("+{extra}"));
    }
    assert_err(
        check(&"a".repeat(MAX_TOKEN_BYTES + 1)),
        VerifyError::TooLarge,
        "no dots",
    );
}

#[test]
fn header_with_thousand_members_fails() {
    let mut h = format!(r#"{{"alg":"RS256","kid":"{KID_A}""#);
    for i in 0..1000 {
        h.push_str(&format!(r#","m{i}":0"#));
    }
    h.push('}');
    let t = raw(&h, &id_claims().to_string());
    assert!(t.len() <= MAX_TOKEN_BYTES);
    assert_malformed(check(&t), "1000 header members");
}

#[test]
fn payload_nested_5000_levels_fails() {
    let depth = 5000;
    let body = id_claims().to_string();
    let payload = format!(
        r#"{{"deep":{}{},{}"#,
        "[".repeat(depth),
        "]".repeat(depth),
        &body[1..]
    );
    let t = raw(&header(KID_A), &payload);
    assert!(t.len() <= MAX_TOKEN_BYTES);
    assert_malformed(check(&t), "5000 levels");
    let h = format!(
        r#"{{"alg":"RS256","kid":"{KID_A}","x":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert_malformed(check(&raw(&h, &body)), "5000 levels in the header");
}

#[test]
fn nested_jwt_and_jwe_headers_fails() {
    // JWT-S-09: cty, enc and zip refuse the token; the inner token is never looked at.
    let inner = token(&id_claims());
    let payload = Value::from(inner).to_string();
    for h in [
        format!(r#"{{"alg":"RS256","kid":"{KID_A}","cty":"JWT"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{KID_A}","enc":"A256GCM","zip":"DEF"}}"#),
        format!(r#"{{"alg":"RS256","kid":"{KID_A}","zip":"DEF"}}"#),
    ] {
        assert_malformed(check(&raw(&h, &payload)), &h);
    }
    let h = format!(
        r#"{{"alg":"PBES2-HS256+A128KW","kid":"{KID_A}","p2c":1000000000,"enc":"A128GCM"}}"#
    );
    assert_err(
        check(&raw(&h, &payload)),
        VerifyError::UnsupportedAlgorithm,
        "PBES2",
    );
}

// --- JWT-K-01: HS256 with the public key as the HMAC secret -----------------------------------

#[test]
fn hs256_key_confusion_fails() {
    let key = public(rsa_a());
    let (n, _) = key.rsa_components().unwrap();
    let pem = key.to_spki_pem();
    let jwks_text = read_vector("cognito_jwks.json");
    let jwk_text = serde_json::from_str::<Value>(&jwks_text).unwrap()["keys"][0].to_string();
    let secrets: Vec<(&str, Vec<u8>)> = vec![
        ("PEM", pem.clone().into_bytes()),
        ("PEM, leading space", format!(" {pem}").into_bytes()),
        ("PEM, leading newline", format!("\n{pem}").into_bytes()),
        ("PEM, no final newline", pem.trim_end().as_bytes().to_vec()),
        ("PEM, CRLF", pem.replace('\n', "\r\n").into_bytes()),
        ("DER", key.spki_der().to_vec()),
        ("JWK", jwk_text.into_bytes()),
        ("JWKS", jwks_text.into_bytes()),
        ("modulus", n.to_vec()),
        ("modulus base64url", encode_b64url(n).into_bytes()),
    ];
    let payload = id_claims().to_string();
    for (what, secret) in secrets {
        let hmac_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret);
        for (alg, expected) in [
            ("HS256", VerifyError::UnsupportedAlgorithm),
            ("RS256", VerifyError::BadSignature),
        ] {
            let h = format!(r#"{{"alg":"{alg}","kid":"{KID_A}"}}"#);
            let input = signing_input(h.as_bytes(), payload.as_bytes());
            let tag = ring::hmac::sign(&hmac_key, input.as_bytes());
            let t = format!("{input}.{}", encode_b64url(tag.as_ref()));
            assert_err(check(&t), expected, &format!("{alg} with {what}"));
        }
    }
}

// --- JWT-K-02 / JWT-K-03 / JWT-K-04: other algorithms, key types, alg shapes --------------------

#[test]
fn rsa_algorithms_other_than_rs256_fails() {
    // Signed by the real key A under its own kid: only the algorithm is wrong.
    let payload = id_claims().to_string();
    let cases: [(&str, &'static dyn RsaEncoding); 4] = [
        ("RS384", &ring::signature::RSA_PKCS1_SHA384),
        ("RS512", &ring::signature::RSA_PKCS1_SHA512),
        ("PS256", &ring::signature::RSA_PSS_SHA256),
        ("PS512", &ring::signature::RSA_PSS_SHA512),
    ];
    for (alg, encoding) in cases {
        let h = format!(r#"{{"alg":"{alg}","kid":"{KID_A}"}}"#);
        let input = signing_input(h.as_bytes(), payload.as_bytes());
        let t = format!(
            "{input}.{}",
            encode_b64url(&rsa_sign(ring_a(), encoding, input.as_bytes()))
        );
        assert_err(check(&t), VerifyError::UnsupportedAlgorithm, alg);
        // The same signature under a header that claims RS256 does not verify either.
        let input = signing_input(header(KID_A).as_bytes(), payload.as_bytes());
        let t = format!(
            "{input}.{}",
            encode_b64url(&rsa_sign(ring_a(), encoding, input.as_bytes()))
        );
        assert_err(
            check(&t),
            VerifyError::BadSignature,
            &format!("{alg} signature, RS256 header"),
        );
    }
}

#[test]
fn rs256_header_with_sha1_signature_fails() {
    // PKCS#1 v1.5 over SHA-1 (CloudFront's hash) is not RS256.
    let input = signing_input(header(KID_A).as_bytes(), id_claims().to_string().as_bytes());
    let sig = rsa_a()
        .sign(
            HashAlgorithm::Sha1,
            input.as_bytes(),
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
    assert_err(
        check(&format!("{input}.{}", encode_b64url(&sig))),
        VerifyError::BadSignature,
        "sha1",
    );
}

#[test]
fn ecdsa_and_eddsa_headers_with_rsa_kid_fails() {
    let payload = id_claims().to_string();
    let ec = ring_ec("ec_p256_a");
    let rng = ring::rand::SystemRandom::new();
    for alg in ["ES256", "ES384", "EdDSA"] {
        let h = format!(r#"{{"alg":"{alg}","kid":"{KID_A}"}}"#);
        let input = signing_input(h.as_bytes(), payload.as_bytes());
        let sig = ec.sign(&rng, input.as_bytes()).unwrap();
        let t = format!("{input}.{}", encode_b64url(sig.as_ref()));
        assert_err(check(&t), VerifyError::UnsupportedAlgorithm, alg);
    }
    let input = signing_input(header(KID_A).as_bytes(), payload.as_bytes());
    let sig = ec.sign(&rng, input.as_bytes()).unwrap();
    let t = format!("{input}.{}", encode_b64url(sig.as_ref()));
    assert_err(
        check(&t),
        VerifyError::BadSignature,
        "ECDSA signature under RS256",
    );
}

#[test]
fn alg_missing_or_not_a_string_fails() {
    let payload = id_claims().to_string();
    let mut headers = vec![format!(r#"{{"kid":"{KID_A}"}}"#)];
    for alg in [
        json!(256),
        json!(["RS256"]),
        json!(""),
        json!(null),
        json!({"RS256": true}),
        json!(true),
    ] {
        headers.push(format!(r#"{{"alg":{alg},"kid":"{KID_A}"}}"#));
    }
    for h in headers {
        assert_err(
            check(&raw(&h, &payload)),
            VerifyError::UnsupportedAlgorithm,
            &h,
        );
    }
}

#[test]
fn alg_checked_before_kid_lookup_fails() {
    // RFC 8725 §3.1: the algorithm allow-list comes first, even when the kid is unknown.
    let h = r#"{"alg":"HS256","kid":"no-such-kid"}"#;
    assert_err(
        check(&raw(h, &id_claims().to_string())),
        VerifyError::UnsupportedAlgorithm,
        h,
    );
}

// --- JWT-K-05 / JWT-K-06 / JWT-K-07: kid ----------------------------------------------------------

#[test]
fn unknown_kid_fails() {
    // An attacker key under a fresh kid, and our kid spelt slightly differently.
    let payload = id_claims().to_string();
    let fresh = raw_with(
        ring_attacker(),
        header("attacker-kid").as_bytes(),
        payload.as_bytes(),
    );
    assert_err(check(&fresh), VerifyError::UnknownKid, "fresh kid");
    for kid in [
        KID_A.to_lowercase(),
        KID_A.trim_end_matches('=').to_string(),
        format!("{KID_A} "),
        KID_A.replace('/', "_"),
    ] {
        assert_err(
            check(&raw(&header(&kid), &payload)),
            VerifyError::UnknownKid,
            &kid,
        );
    }
}

#[test]
fn kid_injection_values_fails() {
    let payload = id_claims().to_string();
    for kid in [
        "../../../../dev/null",
        "' OR '1'='1",
        "http://169.254.169.254/",
        "kid\u{0}",
        "kid\r\nX-Injected: 1",
        "*",
        "%",
    ] {
        assert_err(
            check(&raw(&header(kid), &payload)),
            VerifyError::UnknownKid,
            kid,
        );
    }
    // Longer than any JWKS kid (256 bytes): refused before the lookup.
    let long = "k".repeat(256);
    assert_err(
        check(&raw(&header(&long), &payload)),
        VerifyError::UnknownKid,
        "256 bytes",
    );
    for kid in ["k".repeat(257), "k".repeat(10 * 1024)] {
        assert_malformed(
            check(&raw(&header(&kid), &payload)),
            &format!("{} bytes", kid.len()),
        );
    }
    for kid in [
        json!(123),
        json!(null),
        json!(true),
        json!([KID_A]),
        json!({"kid": KID_A}),
        json!(""),
    ] {
        let h = format!(r#"{{"alg":"RS256","kid":{kid}}}"#);
        assert_malformed(check(&raw(&h, &payload)), &h);
    }
}

#[test]
fn missing_kid_fails() {
    // A valid RS256 signature by key A, but no kid: no "try every key".
    let h = r#"{"alg":"RS256"}"#;
    assert_malformed(check(&raw(h, &id_claims().to_string())), h);
}

// --- JWT-K-08 / JWT-K-09 / JWT-K-10: key references and crit in the header ----------------------

#[test]
fn key_reference_header_members_fails() {
    // Each token is correctly signed by the trusted key: only the header member is wrong.
    let payload = id_claims().to_string();
    let attacker = public(rsa_attacker());
    let (n, e) = attacker.rsa_components().unwrap();
    let jwk = json!({"kty": "RSA", "n": encode_b64url(n), "e": encode_b64url(e)});
    let members = [
        ("jwk", jwk),
        ("jku", json!("https://attacker.example/jwks.json")),
        ("x5u", json!("http://169.254.169.254/latest/meta-data/")),
        (
            "x5c",
            json!(["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]),
        ),
        ("x5t", json!("dGh1bWJwcmludA")),
        ("x5t#S256", json!("dGh1bWJwcmludA")),
        ("cty", json!("JWT")),
        ("b64", json!(false)),
        ("kid2", json!(KID_A)),
        ("", json!("")),
    ];
    for (name, value) in members {
        let h = format!(
            r#"{{"alg":"RS256","kid":"{KID_A}",{}:{value}}}"#,
            Value::from(name)
        );
        assert_malformed(check(&raw(&h, &payload)), &h);
    }
    // CVE-2018-0114 shape: the attacker's key embedded and used to sign.
    let h = format!(
        r#"{{"alg":"RS256","kid":"{KID_A}","jwk":{{"kty":"RSA","n":"{}","e":"AQAB"}}}}"#,
        encode_b64url(n)
    );
    let t = raw_with(ring_attacker(), h.as_bytes(), payload.as_bytes());
    assert_malformed(check(&t), "embedded attacker jwk");
}

#[test]
fn crit_header_variants_fails() {
    let payload = id_claims().to_string();
    for extra in [
        format!(r#""crit":["exp"],"exp":{}"#, NOW + 3500),
        r#""crit":["b64"],"b64":false"#.to_string(),
        r#""crit":[]"#.to_string(),
        r#""crit":"x""#.to_string(),
        r#""crit":["unknown"],"unknown":1"#.to_string(),
        r#""crit":null"#.to_string(),
    ] {
        let h = format!(r#"{{"alg":"RS256","kid":"{KID_A}",{extra}}}"#);
        assert_malformed(check(&raw(&h, &payload)), &h);
    }
}

// --- JWT-K-15: signature stripping, length, substitution --------------------------------------

#[test]
fn signature_wrong_length_or_zero_fails() {
    let good = token(&id_claims());
    let sig = signature_of(&good);
    let mut longer = sig.clone();
    longer.push(0);
    let mut leading_zero = vec![0];
    leading_zero.extend_from_slice(&sig);
    for (what, s) in [
        ("255 bytes", sig[..255].to_vec()),
        ("257 bytes", longer),
        ("257 bytes, leading zero", leading_zero),
        ("all zeros", vec![0; 256]),
        ("all ones", vec![0xff; 256]),
        ("one byte", vec![1]),
        (
            "the modulus",
            public(rsa_a()).rsa_components().unwrap().0.to_vec(),
        ),
    ] {
        assert_err(
            check(&with_signature(&good, &s)),
            VerifyError::BadSignature,
            what,
        );
    }
}

#[test]
fn signature_bit_flips_fails() {
    let good = token(&id_claims());
    let sig = signature_of(&good);
    for (byte, bit) in [(0, 7), (0, 0), (100, 3), (255, 0), (255, 7)] {
        let mut s = sig.clone();
        s[byte] ^= 1 << bit;
        assert_err(
            check(&with_signature(&good, &s)),
            VerifyError::BadSignature,
            &format!("byte {byte} bit {bit}"),
        );
    }
}

#[test]
fn signature_cut_and_paste_fails() {
    let id = token(&id_claims());
    let access = token(&access_claims());
    let [ih, ip, is] = segments(&id);
    let [_, ap, as_] = segments(&access);
    // Another valid token's signature on this header and payload.
    assert_err(
        check(&format!("{ih}.{ip}.{as_}")),
        VerifyError::BadSignature,
        "signature swapped",
    );
    // Another valid token's payload under this token's signature.
    assert_err(
        check(&format!("{ih}.{ap}.{is}")),
        VerifyError::BadSignature,
        "payload swapped",
    );
    // The same claims re-serialised (members reordered) under the original signature.
    let reordered = {
        let claims = id_claims();
        let mut members: Vec<(&String, &Value)> = claims.as_object().unwrap().iter().collect();
        members.reverse();
        let inner: Vec<String> = members
            .iter()
            .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
            .collect();
        format!("{{{}}}", inner.join(","))
    };
    assert_eq!(
        serde_json::from_str::<Value>(&reordered).unwrap(),
        id_claims()
    );
    let t = format!("{ih}.{}.{is}", encode_b64url(reordered.as_bytes()));
    assert_err(
        check(&t),
        VerifyError::BadSignature,
        "payload members reordered",
    );
    // The header re-serialised with alg first.
    let h2 = encode_b64url(format!(r#"{{"alg":"RS256","kid":"{KID_A}"}}"#).as_bytes());
    assert_err(
        check(&format!("{h2}.{ip}.{is}")),
        VerifyError::BadSignature,
        "header members reordered",
    );
}

#[test]
fn claims_changed_after_signing_fails() {
    let good = token(&id_claims());
    let [h, _, s] = segments(&good);
    let tampered = [
        edited(id_claims(), |c| {
            c.insert("exp".into(), json!(NOW + 3501));
        }),
        edited(id_claims(), |c| {
            c.insert("cognito:groups".into(), json!(["admin"]));
        }),
        edited(id_claims(), |c| {
            c.insert("sub".into(), json!("bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"));
        }),
    ];
    for claims in tampered {
        let t = format!("{h}.{}.{s}", encode_b64url(claims.to_string().as_bytes()));
        assert_err(
            check(&t),
            VerifyError::BadSignature,
            &claims.to_string()[..30],
        );
    }
}

#[test]
fn kid_swapped_to_other_trusted_key_fails() {
    // Signed by key A, presented under key B's kid.
    let t = raw(&header(KID_B), &id_claims().to_string());
    assert_err(check(&t), VerifyError::BadSignature, "kid B, key A");
}

#[test]
fn signature_checked_before_claims_fails() {
    // A forged token learns nothing from the claim checks: an expired, wrong-issuer token with a
    // bad signature reports the signature.
    let claims = edited(id_claims(), |c| {
        c.insert("exp".into(), json!(1));
        c.insert("iss".into(), json!("https://attacker.example"));
    });
    let t = token(&claims);
    assert_err(check(&t), VerifyError::Expired, "validly signed");
    let mut sig = signature_of(&t);
    sig[0] ^= 1;
    assert_err(
        check(&with_signature(&t, &sig)),
        VerifyError::BadSignature,
        "forged",
    );
}

// --- JWT-C-01 / JWT-C-02: exp with leeway --------------------------------------------------------

fn exp_at(exp: u64) -> Value {
    edited(id_claims(), |c| {
        c.insert("exp".into(), json!(exp));
    })
}

// Pinned rule (jwt module docs, catalogue JWT-C-01): expired iff exp + leeway <= now.

#[test]
fn exp_plus_leeway_at_or_before_now_fails() {
    assert_err(
        check_claims(&exp_at(NOW - LEEWAY - 1)),
        VerifyError::Expired,
        "now - S - 1",
    );
    assert_err(
        check_claims(&exp_at(NOW - LEEWAY)),
        VerifyError::Expired,
        "now - S",
    );
}

#[test]
fn exp_plus_leeway_after_now_ok() {
    assert!(
        check_claims(&exp_at(NOW - LEEWAY + 1)).is_ok(),
        "now - S + 1"
    );
    assert!(check_claims(&exp_at(NOW + 3600)).is_ok(), "now + 3600");
}

#[test]
fn exp_at_now_without_leeway_fails() {
    let v = JwtValidation {
        leeway_secs: 0,
        ..validation()
    };
    assert_err(
        check_with(&token(&exp_at(NOW)), &v, NOW),
        VerifyError::Expired,
        "exp = now",
    );
    assert!(
        check_with(&token(&exp_at(NOW + 1)), &v, NOW).is_ok(),
        "exp = now + 1"
    );
    assert_err(
        check_with(&token(&exp_at(0)), &v, NOW),
        VerifyError::Expired,
        "exp = 0",
    );
}

#[test]
fn exp_and_leeway_extremes_no_overflow_ok() {
    // jsonwebtoken #390 / doesnt_panic_with_leeway_overflow: saturating arithmetic.
    assert!(check_claims(&exp_at(u64::MAX)).is_ok());
    let v = JwtValidation {
        leeway_secs: u64::MAX,
        ..validation()
    };
    assert!(check_with(&token(&exp_at(1)), &v, NOW).is_ok());
    // At the end of time, exp + leeway saturates to u64::MAX <= now: expired, no panic.
    assert_err(
        check_with(&token(&id_claims()), &v, u64::MAX),
        VerifyError::Expired,
        "now = u64::MAX",
    );
}

#[test]
fn exp_missing_fails() {
    let claims = edited(id_claims(), |c| {
        c.remove("exp");
    });
    assert_err(
        check_claims(&claims),
        VerifyError::WrongClaimType("exp"),
        "no exp",
    );
}

// --- JWT-C-03: claim type confusion ------------------------------------------------------------

#[test]
fn claim_type_confusion_fails() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("exp", json!((NOW + 3500).to_string()), "exp"),
        ("exp", json!(-1), "exp"),
        ("exp", json!(null), "exp"),
        ("exp", json!([NOW + 3500]), "exp"),
        ("exp", json!(true), "exp"),
        ("exp", json!({"value": NOW + 3500}), "exp"),
        // RFC 7519 §2 allows a non-integer NumericDate; Cognito emits integers and edgegate
        // refuses fractions rather than rounding them one way or the other.
        ("exp", json!((NOW + 3500) as f64 + 0.5), "exp"),
        ("exp", json!(1.8446744073709552e19), "exp"),
        ("nbf", json!("99999999999"), "nbf"),
        ("nbf", json!(-5), "nbf"),
        ("iat", json!(format!("{NOW}")), "iat"),
        ("aud", json!(123), "aud"),
        ("aud", json!([CLIENT, 1]), "aud"),
        ("aud", json!(null), "aud"),
        ("iss", json!([iss()]), "iss"),
        ("iss", json!(null), "iss"),
        ("token_use", json!(["id"]), "token_use"),
        ("sub", json!(42), "sub"),
        ("cognito:username", json!(["jdoe"]), "cognito:username"),
        ("client_id", json!(7), "client_id"),
    ];
    for (claim, value, named) in cases {
        let claims = edited(id_claims(), |c| {
            c.insert(claim.into(), value.clone());
        });
        assert_err(
            check_claims(&claims),
            VerifyError::WrongClaimType(named),
            &format!("{claim}: {value}"),
        );
    }
}

#[test]
fn exp_number_out_of_range_fails() {
    // 18446744073709551616 = 2^64 and 1e309 (infinite as f64): never read as a small or
    // absent value.
    let body = exp_at(NOW + 3500).to_string();
    let big = body.replace(
        &format!("\"exp\":{}", NOW + 3500),
        "\"exp\":18446744073709551616",
    );
    assert_err(
        check(&raw(&header(KID_A), &big)),
        VerifyError::WrongClaimType("exp"),
        "2^64",
    );
    let inf = body.replace(&format!("\"exp\":{}", NOW + 3500), "\"exp\":1e309");
    assert_malformed(check(&raw(&header(KID_A), &inf)), "1e309");
}

#[test]
fn sub_missing_fails() {
    let claims = edited(id_claims(), |c| {
        c.remove("sub");
    });
    assert_err(
        check_claims(&claims),
        VerifyError::WrongClaimType("sub"),
        "no sub",
    );
}

#[test]
fn access_token_username_wrong_type_fails() {
    let claims = edited(access_claims(), |c| {
        c.insert("username".into(), json!(1));
    });
    assert_err(
        check_claims(&claims),
        VerifyError::WrongClaimType("username"),
        "username: 1",
    );
}

// --- JWT-C-04 / JWT-C-05: nbf and iat ---------------------------------------------------------------

#[test]
fn nbf_in_future_beyond_leeway_fails() {
    let nbf = |t: u64| {
        edited(id_claims(), |c| {
            c.insert("nbf".into(), json!(t));
        })
    };
    assert_err(
        check_claims(&nbf(NOW + LEEWAY + 60)),
        VerifyError::NotYetValid,
        "now + S + 60",
    );
    assert_err(
        check_claims(&nbf(NOW + LEEWAY + 1)),
        VerifyError::NotYetValid,
        "now + S + 1",
    );
    assert!(
        check_claims(&nbf(NOW + LEEWAY)).is_ok(),
        "nbf = now + S is within the leeway"
    );
    assert!(check_claims(&nbf(NOW - 100)).is_ok(), "nbf in the past");
}

#[test]
fn iat_in_future_beyond_leeway_fails() {
    let iat = |t: u64| {
        edited(id_claims(), |c| {
            c.insert("iat".into(), json!(t));
        })
    };
    assert_err(
        check_claims(&iat(NOW + 3600)),
        VerifyError::IssuedInFuture,
        "now + 3600",
    );
    assert_err(
        check_claims(&iat(NOW + LEEWAY + 1)),
        VerifyError::IssuedInFuture,
        "now + S + 1",
    );
    assert!(check_claims(&iat(NOW + LEEWAY)).is_ok(), "iat = now + S");
}

#[test]
fn iat_long_ago_with_valid_exp_ok() {
    // edgegate has no maximum token age: Cognito bounds lifetimes (at most one day) through exp,
    // which is required. Revocation is not visible offline (JWT-C-12).
    let claims = edited(id_claims(), |c| {
        c.insert("iat".into(), json!(NOW - 2 * 86_400));
        c.insert("auth_time".into(), json!(NOW - 2 * 86_400));
    });
    assert!(check_claims(&claims).is_ok());
}

#[test]
fn optional_time_claims_absent_ok() {
    let claims = edited(id_claims(), |c| {
        c.remove("iat");
        c.remove("nbf");
        c.remove("auth_time");
    });
    assert!(check_claims(&claims).is_ok());
}

// --- JWT-C-06 / JWT-C-07: issuer ---------------------------------------------------------------------

#[test]
fn wrong_issuer_variants_fails() {
    let ours = iss();
    let variants = [
        format!("https://cognito-idp.{REGION}.amazonaws.com/eu-west-1_OtherPool9"),
        format!("https://cognito-idp.eu-central-1.amazonaws.com/{POOL}"),
        format!("http://cognito-idp.{REGION}.amazonaws.com/{POOL}"),
        format!("{ours}/"),
        format!("https://COGNITO-IDP.{REGION}.AMAZONAWS.COM/{POOL}"),
        format!(
            "https://cognito-idp.{REGION}.amazonaws.com/{}",
            POOL.to_lowercase()
        ),
        format!("{ours}/extra"),
        format!("{ours}/.well-known/jwks.json"),
        format!("https://cognito-idp.{REGION}.amazonaws.com:443/{POOL}"),
        format!("{ours} "),
        format!("https://cognito-idp.{REGION}.amazonaws.com.attacker.example/{POOL}"),
        cognito_issuer(IssuerFormat::Updated, REGION, POOL),
        String::new(),
    ];
    for bad in variants {
        let claims = edited(id_claims(), |c| {
            c.insert("iss".into(), json!(bad));
        });
        assert_err(check_claims(&claims), VerifyError::WrongIssuer, &bad);
    }
    let missing = edited(id_claims(), |c| {
        c.remove("iss");
    });
    assert_err(
        check_claims(&missing),
        VerifyError::WrongIssuer,
        "iss missing",
    );
}

#[test]
fn cognito_issuer_formats_match_aws_docs_ok() {
    assert_eq!(
        cognito_issuer(IssuerFormat::Original, "us-east-1", "us-east-1_EXAMPLE"),
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE"
    );
    assert_eq!(
        cognito_issuer(IssuerFormat::Updated, "us-east-1", "us-east-1_EXAMPLE"),
        "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE"
    );
}

#[test]
fn updated_issuer_format_accepted_only_when_configured_ok() {
    let original = cognito_issuer(IssuerFormat::Original, REGION, POOL);
    let updated = cognito_issuer(IssuerFormat::Updated, REGION, POOL);
    let with_iss = |i: &str| {
        token(&edited(id_claims(), |c| {
            c.insert("iss".into(), json!(i));
        }))
    };
    let expect_updated = JwtValidation {
        issuer: updated.clone(),
        ..validation()
    };
    assert!(check_with(&with_iss(&updated), &expect_updated, NOW).is_ok());
    assert_err(
        check_with(&with_iss(&original), &expect_updated, NOW),
        VerifyError::WrongIssuer,
        "original, updated configured",
    );
    assert!(check(&with_iss(&original)).is_ok());
    assert_err(
        check(&with_iss(&updated)),
        VerifyError::WrongIssuer,
        "updated, original configured",
    );
}

#[test]
fn attacker_pool_token_fails() {
    // JWT-C-07: the attacker's own pool and key. The JWKS is fixed; iss never selects keys.
    let claims = edited(id_claims(), |c| {
        c.insert(
            "iss".into(),
            json!(format!(
                "https://cognito-idp.{REGION}.amazonaws.com/eu-west-1_Attacker1"
            )),
        );
    });
    let payload = claims.to_string();
    let own_kid = raw_with(
        ring_attacker(),
        header("attacker-kid").as_bytes(),
        payload.as_bytes(),
    );
    assert_err(check(&own_kid), VerifyError::UnknownKid, "attacker kid");
    let our_kid = raw_with(
        ring_attacker(),
        header(KID_A).as_bytes(),
        payload.as_bytes(),
    );
    assert_err(
        check(&our_kid),
        VerifyError::BadSignature,
        "our kid, attacker key",
    );
}

// --- JWT-C-08 / JWT-C-09: audience ----------------------------------------------------------------------

#[test]
fn id_token_audience_rules_fails() {
    for aud in [
        json!(OTHER_CLIENT),
        json!(""),
        json!(CLIENT.to_uppercase()),
        json!(format!("{CLIENT} ")),
    ] {
        let claims = edited(id_claims(), |c| {
            c.insert("aud".into(), aud.clone());
        });
        assert_err(
            check_claims(&claims),
            VerifyError::WrongAudience,
            &aud.to_string(),
        );
    }
    let missing = edited(id_claims(), |c| {
        c.remove("aud");
    });
    assert_err(
        check_claims(&missing),
        VerifyError::WrongAudience,
        "aud missing",
    );
    // Cognito issues aud as a string; an array is refused as a type error, even one holding
    // our client id (a documented choice, catalogue JWT-C-08).
    for aud in [json!([CLIENT]), json!([CLIENT, OTHER_CLIENT]), json!([])] {
        let claims = edited(id_claims(), |c| {
            c.insert("aud".into(), aud.clone());
        });
        assert_err(
            check_claims(&claims),
            VerifyError::WrongClaimType("aud"),
            &aud.to_string(),
        );
    }
    // An ID token takes its audience from aud only (RFC 8725 §3.12).
    let via_client_id = edited(id_claims(), |c| {
        c.insert("aud".into(), json!(OTHER_CLIENT));
        c.insert("client_id".into(), json!(CLIENT));
    });
    assert_err(
        check_claims(&via_client_id),
        VerifyError::WrongAudience,
        "client_id on an ID token",
    );
}

#[test]
fn id_token_any_configured_client_ok() {
    let v = JwtValidation {
        client_ids: vec![OTHER_CLIENT.to_string(), CLIENT.to_string()],
        ..validation()
    };
    assert_eq!(
        check_with(&token(&id_claims()), &v, NOW).unwrap().client_id,
        CLIENT
    );
    let none = JwtValidation {
        client_ids: vec![],
        ..validation()
    };
    assert_err(
        check_with(&token(&id_claims()), &none, NOW),
        VerifyError::WrongAudience,
        "no client configured",
    );
}

#[test]
fn access_token_client_id_rules_fails() {
    let foreign = edited(access_claims(), |c| {
        c.insert("client_id".into(), json!(OTHER_CLIENT));
    });
    assert_err(
        check_claims(&foreign),
        VerifyError::WrongAudience,
        "foreign client_id",
    );
    let missing = edited(access_claims(), |c| {
        c.remove("client_id");
    });
    assert_err(
        check_claims(&missing),
        VerifyError::WrongAudience,
        "client_id missing",
    );
    let only_aud = edited(access_claims(), |c| {
        c.remove("client_id");
        c.insert("aud".into(), json!(CLIENT));
    });
    assert_err(
        check_claims(&only_aud),
        VerifyError::WrongAudience,
        "aud only",
    );
}

// --- JWT-C-10: token_use ------------------------------------------------------------------------------

#[test]
fn token_use_confusion_fails() {
    let id_only = JwtValidation {
        token_uses: vec![TokenUse::Id],
        ..validation()
    };
    let access_only = JwtValidation {
        token_uses: vec![TokenUse::Access],
        ..validation()
    };
    assert_err(
        check_with(&token(&access_claims()), &id_only, NOW),
        VerifyError::WrongTokenUse,
        "access where id",
    );
    assert_err(
        check_with(&token(&id_claims()), &access_only, NOW),
        VerifyError::WrongTokenUse,
        "id where access",
    );
    assert!(check_with(&token(&id_claims()), &id_only, NOW).is_ok());
    assert!(check_with(&token(&access_claims()), &access_only, NOW).is_ok());
    for token_use in ["refresh", "ID", "Access", "", "id ", "access\u{0}"] {
        let claims = edited(id_claims(), |c| {
            c.insert("token_use".into(), json!(token_use));
        });
        assert_err(check_claims(&claims), VerifyError::WrongTokenUse, token_use);
    }
    let missing = edited(id_claims(), |c| {
        c.remove("token_use");
    });
    assert_err(
        check_claims(&missing),
        VerifyError::WrongTokenUse,
        "token_use missing",
    );
    let none = JwtValidation {
        token_uses: vec![],
        ..validation()
    };
    assert_err(
        check_with(&token(&id_claims()), &none, NOW),
        VerifyError::WrongTokenUse,
        "nothing accepted",
    );
}

// --- JWT-C-11: groups and scopes --------------------------------------------------------------------

#[test]
fn groups_string_or_array_ok() {
    let with_groups = |g: Value| {
        check_claims(&edited(id_claims(), |c| {
            c.insert("cognito:groups".into(), g);
        }))
        .unwrap()
        .into_inner()
        .groups
    };
    assert_eq!(with_groups(json!("admin")), ["admin"]);
    assert_eq!(
        with_groups(json!(["admin", "readers"])),
        ["admin", "readers"]
    );
    assert_eq!(with_groups(json!([])), Vec::<String>::new());
    // Exact strings, case preserved: "Admin" is not "admin".
    let groups = with_groups(json!(["Admin"]));
    assert_eq!(groups, ["Admin"]);
    assert!(!groups.iter().any(|g| g == "admin"));
    let absent = check_claims(&edited(id_claims(), |c| {
        c.remove("cognito:groups");
    }))
    .unwrap();
    assert!(absent.groups.is_empty());
}

#[test]
fn groups_wrong_types_fails() {
    for g in [
        json!(1),
        json!([1]),
        json!(["a", null]),
        json!({"admin": true}),
        json!(true),
        json!(null),
        json!([["admin"]]),
    ] {
        let claims = edited(id_claims(), |c| {
            c.insert("cognito:groups".into(), g.clone());
        });
        assert_err(
            check_claims(&claims),
            VerifyError::WrongClaimType("cognito:groups"),
            &g.to_string(),
        );
    }
}

#[test]
fn scope_split_on_spaces_ok() {
    let scopes = |s: &str| {
        check_claims(&edited(access_claims(), |c| {
            c.insert("scope".into(), json!(s));
        }))
        .unwrap()
        .into_inner()
        .scopes
    };
    assert_eq!(
        scopes("releases.read releases.write"),
        ["releases.read", "releases.write"]
    );
    assert_eq!(scopes("  a  b "), ["a", "b"]);
    assert_eq!(scopes(""), Vec::<String>::new());
    // RFC 6749 §3.3: the delimiter is SP only.
    assert_eq!(scopes("a\tb"), ["a\tb"]);
    // No prefix matching: "releases.read" is one scope, "releases" is not granted.
    assert!(!scopes("releases.read").iter().any(|s| s == "releases"));
    let absent = check_claims(&edited(access_claims(), |c| {
        c.remove("scope");
    }))
    .unwrap();
    assert!(absent.scopes.is_empty());
}

#[test]
fn scope_not_a_string_fails() {
    for s in [json!(["releases.read"]), json!(1), json!(null)] {
        let claims = edited(access_claims(), |c| {
            c.insert("scope".into(), s.clone());
        });
        assert_err(
            check_claims(&claims),
            VerifyError::WrongClaimType("scope"),
            &s.to_string(),
        );
    }
}

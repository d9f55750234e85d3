//! Generic OIDC issuer tokens (`edgegate_keys::jwt::verify_oidc`): a CI workload identity token
//! with the header and claims GitHub documents for Actions ("About security hardening with
//! OpenID Connect": `typ`, `alg`, `x5t`, `kid`; `aud` the owner URL, `sub`
//! `repo:<owner>/<repo>:...`, `repository_owner` and the other context claims), and every rule
//! of `OidcValidation` broken one at a time. Signed with the throwaway key `rsa2048_a` under the
//! first kid of `tests/vectors/cognito_jwks.json` (the key set's origin does not matter here).

mod common;

use common::{read_vector, ring_rsa};
use edgegate_keys::cf_base64::encode_b64url;
use edgegate_keys::jwt::{
    unverified_issuer, verify, verify_oidc, JwtValidation, OidcIdentity, OidcValidation, TokenUse,
};
use edgegate_keys::{Jwks, RingVerifier, UnixTime, Verified, VerifyError};
use ring::signature::RsaKeyPair;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

const NOW: u64 = 1_700_000_000;
const LEEWAY: u64 = 30;
const ISS: &str = "https://token.actions.githubusercontent.com";
const AUD: &str = "https://github.com/example-org";
const KID: &str = "M8BGf6hE43/QGbiElQoDzWtRZwsau0GWrruNWz/bQ6c=";

fn jwks() -> &'static Jwks {
    static JWKS: OnceLock<Jwks> = OnceLock::new();
    JWKS.get_or_init(|| Jwks::parse(read_vector("cognito_jwks.json").as_bytes()).unwrap())
}

fn key() -> &'static RsaKeyPair {
    static KEY: OnceLock<RsaKeyPair> = OnceLock::new();
    KEY.get_or_init(|| ring_rsa("rsa2048_a"))
}

fn validation() -> OidcValidation {
    OidcValidation {
        issuer: ISS.to_string(),
        audiences: vec![AUD.to_string(), "sts.amazonaws.com".to_string()],
        leeway_secs: LEEWAY,
        claims: vec![
            "repository_owner".into(),
            "environment".into(),
            "run_id".into(),
        ],
    }
}

/// A 20-byte SHA-1 thumbprint, base64url (27 characters), as GitHub's `x5t`.
fn x5t() -> String {
    encode_b64url(&[0x5a; 20])
}

/// GitHub's documented header member order: `typ`, `alg`, `x5t`, `kid`.
fn header() -> Value {
    json!({"typ": "JWT", "alg": "RS256", "x5t": x5t(), "kid": KID})
}

/// The claims of a GitHub Actions OIDC token for a job in environment `prod`, issued 10 s ago,
/// valid 5 minutes (GitHub's documented example shape; values are ours).
fn claims() -> Value {
    json!({
        "jti": "example-id",
        "sub": "repo:example-org/app:environment:prod",
        "environment": "prod",
        "aud": AUD,
        "ref": "refs/heads/main",
        "sha": "example-sha",
        "repository": "example-org/app",
        "repository_owner": "example-org",
        "actor_id": "12",
        "repository_visibility": "private",
        "repository_id": "74",
        "repository_owner_id": "65",
        "run_id": "example-run-id",
        "run_number": "10",
        "run_attempt": "2",
        "runner_environment": "github-hosted",
        "actor": "octocat",
        "workflow": "example-workflow",
        "head_ref": "",
        "base_ref": "",
        "event_name": "workflow_dispatch",
        "ref_type": "branch",
        "job_workflow_ref": "example-org/app/.github/workflows/release.yml@refs/heads/main",
        "iss": ISS,
        "nbf": NOW - 10,
        "exp": NOW + 290,
        "iat": NOW - 10
    })
}

fn sign(header: &Value, claims: &Value) -> String {
    sign_text(&header.to_string(), &claims.to_string())
}

/// A compact JWS over exact header and payload text, RS256 with the issuer's key.
fn sign_text(header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        encode_b64url(header.as_bytes()),
        encode_b64url(payload.as_bytes())
    );
    let mut sig = vec![0; key().public().modulus_len()];
    key()
        .sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            input.as_bytes(),
            &mut sig,
        )
        .unwrap();
    format!("{input}.{}", encode_b64url(&sig))
}

fn edited(mut v: Value, edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    edit(v.as_object_mut().unwrap());
    v
}

fn check_at(token: &str, now: u64) -> Result<Verified<OidcIdentity>, VerifyError> {
    verify_oidc(token, jwks(), &validation(), &RingVerifier, UnixTime(now))
}

fn check(claims: &Value) -> Result<Verified<OidcIdentity>, VerifyError> {
    check_at(&sign(&header(), claims), NOW)
}

#[test]
fn github_actions_token_verifies_and_keeps_the_named_string_claims_ok() {
    let id = check(&claims()).expect("verifies");
    assert_eq!(id.sub, "repo:example-org/app:environment:prod");
    assert_eq!(id.audience, AUD);
    assert_eq!(id.expires_at, NOW + 290);
    assert_eq!(id.kid, KID);
    // In the order asked for; nothing else of the payload is kept.
    assert_eq!(
        id.claims,
        vec![
            ("repository_owner".to_string(), "example-org".to_string()),
            ("environment".to_string(), "prod".to_string()),
            ("run_id".to_string(), "example-run-id".to_string()),
        ]
    );
}

#[test]
fn a_claim_that_is_not_a_string_is_not_kept_ok() {
    let c = edited(claims(), |m| {
        m.insert("repository_owner".into(), json!(["example-org"]));
        m.insert("run_id".into(), json!(42));
        m.remove("environment");
    });
    assert_eq!(check(&c).expect("verifies").claims, vec![]);
}

#[test]
fn aud_as_an_array_needs_one_accepted_member() {
    let ok = edited(claims(), |m| {
        m.insert(
            "aud".into(),
            json!(["https://other.example", "sts.amazonaws.com"]),
        );
    });
    assert_eq!(check(&ok).unwrap().audience, "sts.amazonaws.com");
    let none = edited(claims(), |m| {
        m.insert("aud".into(), json!(["https://other.example"]));
    });
    assert_eq!(check(&none).unwrap_err(), VerifyError::WrongAudience);
    for bad in [json!([AUD, 1]), json!(7), json!(null), json!({"a": AUD})] {
        let c = edited(claims(), |m| {
            m.insert("aud".into(), bad.clone());
        });
        assert_eq!(
            check(&c).unwrap_err(),
            VerifyError::WrongClaimType("aud"),
            "{bad}"
        );
    }
    let missing = edited(claims(), |m| {
        m.remove("aud");
    });
    assert_eq!(
        check(&missing).unwrap_err(),
        VerifyError::WrongClaimType("aud")
    );
    // Audiences are compared exactly: no case folding, no trailing slash.
    for near in [
        "https://github.com/Example-org",
        "https://github.com/example-org/",
    ] {
        let c = edited(claims(), |m| {
            m.insert("aud".into(), json!(near));
        });
        assert_eq!(check(&c).unwrap_err(), VerifyError::WrongAudience, "{near}");
    }
}

#[test]
fn iss_is_compared_byte_for_byte() {
    for other in [
        "https://token.actions.githubusercontent.com/",
        "http://token.actions.githubusercontent.com",
        "https://TOKEN.actions.githubusercontent.com",
        "https://token.actions.githubusercontent.com.evil.example",
    ] {
        let c = edited(claims(), |m| {
            m.insert("iss".into(), json!(other));
        });
        assert_eq!(check(&c).unwrap_err(), VerifyError::WrongIssuer, "{other}");
    }
    let missing = edited(claims(), |m| {
        m.remove("iss");
    });
    assert_eq!(check(&missing).unwrap_err(), VerifyError::WrongIssuer);
}

#[test]
fn sub_exp_and_iat_are_required_with_their_types() {
    for (name, bad) in [
        ("sub", None),
        ("sub", Some(json!(""))),
        ("sub", Some(json!(5))),
        ("exp", None),
        ("exp", Some(json!("1700000290"))),
        ("iat", None),
        ("iat", Some(json!(true))),
        ("nbf", Some(json!("soon"))),
    ] {
        let c = edited(claims(), |m| match &bad {
            None => {
                m.remove(name);
            }
            Some(v) => {
                m.insert(name.into(), v.clone());
            }
        });
        let expect = VerifyError::WrongClaimType(name);
        assert_eq!(check(&c).unwrap_err(), expect, "{name} {bad:?}");
    }
}

#[test]
fn time_boundaries_with_the_leeway() {
    let token = sign(&header(), &claims());
    let exp = NOW + 290;
    assert!(check_at(&token, exp + LEEWAY - 1).is_ok(), "last second");
    assert_eq!(
        check_at(&token, exp + LEEWAY).unwrap_err(),
        VerifyError::Expired
    );
    // nbf and iat 10 s before NOW: valid from NOW - 10 - LEEWAY.
    assert!(check_at(&token, NOW - 10 - LEEWAY).is_ok());
    assert_eq!(
        check_at(&token, NOW - 11 - LEEWAY).unwrap_err(),
        VerifyError::NotYetValid
    );
    let future_iat = edited(claims(), |m| {
        m.remove("nbf");
        m.insert("iat".into(), json!(NOW + LEEWAY + 1));
    });
    assert_eq!(check(&future_iat).unwrap_err(), VerifyError::IssuedInFuture);
}

#[test]
fn x5t_is_a_20_byte_thumbprint_or_the_token_is_refused() {
    for bad in [
        json!(encode_b64url(&[1; 19])),
        json!(encode_b64url(&[1; 32])),
        json!(format!("{}=", encode_b64url(&[1; 20]))),
        json!("not base64url!"),
        json!(20),
    ] {
        let h = edited(header(), |m| {
            m.insert("x5t".into(), bad.clone());
        });
        assert_eq!(
            check_at(&sign(&h, &claims()), NOW).unwrap_err(),
            VerifyError::Malformed("x5t"),
            "{bad}"
        );
    }
    let without = edited(header(), |m| {
        m.remove("x5t");
    });
    assert!(check_at(&sign(&without, &claims()), NOW).is_ok());
}

#[test]
fn key_carrying_and_critical_header_members_are_still_refused() {
    for name in ["jku", "x5u", "jwk", "x5c", "crit", "cty", "x5t#S256"] {
        let h = edited(header(), |m| {
            m.insert(name.into(), json!("x"));
        });
        assert_eq!(
            check_at(&sign(&h, &claims()), NOW).unwrap_err(),
            VerifyError::Malformed("unexpected header member"),
            "{name}"
        );
    }
    for alg in ["none", "HS256", "RS384", "PS256", "rs256"] {
        let h = edited(header(), |m| {
            m.insert("alg".into(), json!(alg));
        });
        assert_eq!(
            check_at(&sign(&h, &claims()), NOW).unwrap_err(),
            VerifyError::UnsupportedAlgorithm,
            "{alg}"
        );
    }
}

#[test]
fn signature_kid_and_duplicate_members_are_checked_as_for_cognito() {
    let token = sign(&header(), &claims());
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut flipped = sig.to_string().into_bytes();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{input}.{}", String::from_utf8(flipped).unwrap());
    assert_eq!(
        check_at(&tampered, NOW).unwrap_err(),
        VerifyError::BadSignature
    );
    let h = edited(header(), |m| {
        m.insert("kid".into(), json!("not-in-the-set"));
    });
    assert_eq!(
        check_at(&sign(&h, &claims()), NOW).unwrap_err(),
        VerifyError::UnknownKid
    );
    // A duplicated `aud` (last one accepted) is refused before any reading.
    let payload =
        claims()
            .to_string()
            .replacen("\"aud\":", "\"aud\":\"https://other.example\",\"aud\":", 1);
    let dup = sign_text(&header().to_string(), &payload);
    assert_eq!(
        check_at(&dup, NOW).unwrap_err(),
        VerifyError::Malformed("payload json")
    );
}

#[test]
fn a_cognito_token_refuses_x5t_and_keeps_its_named_claims() {
    let iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123";
    let c = json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "iss": iss, "aud": "3n4b5urk1ft4fl3mg5e62d9ado",
        "token_use": "id", "exp": NOW + 3000, "iat": NOW - 10, "custom:tenant": "acme", "email": 7
    });
    let v = JwtValidation {
        issuer: iss.to_string(),
        client_ids: vec!["3n4b5urk1ft4fl3mg5e62d9ado".into()],
        token_uses: vec![TokenUse::Id],
        leeway_secs: 0,
        claims: vec!["custom:tenant".into(), "email".into()],
    };
    let cognito_header = json!({"kid": KID, "alg": "RS256"});
    let id = verify(
        &sign(&cognito_header, &c),
        jwks(),
        &v,
        &RingVerifier,
        UnixTime(NOW),
    )
    .unwrap();
    assert_eq!(id.claims, vec![("custom:tenant".into(), "acme".into())]);
    assert_eq!(
        verify(
            &sign(&header(), &c),
            jwks(),
            &v,
            &RingVerifier,
            UnixTime(NOW)
        )
        .unwrap_err(),
        VerifyError::Malformed("unexpected header member")
    );
}

#[test]
fn unverified_issuer_reads_iss_only_from_a_well_formed_payload() {
    assert_eq!(
        unverified_issuer(&sign(&header(), &claims())).as_deref(),
        Some(ISS)
    );
    let no_iss = edited(claims(), |m| {
        m.insert("iss".into(), json!(1));
    });
    assert_eq!(unverified_issuer(&sign(&header(), &no_iss)), None);
    for junk in ["", ".", "a.b.c", "eyJ.%%%.x", "x.e30.y"] {
        assert_eq!(unverified_issuer(junk), None, "{junk}");
    }
    let big = format!("x.{}.y", "A".repeat(20_000));
    assert_eq!(unverified_issuer(&big), None);
}

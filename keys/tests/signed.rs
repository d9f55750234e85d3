//! CloudFront signed URLs and signed cookies (`edgegate_keys::signed`) against the security
//! catalogue's SIG-01..SIG-14, with credentials made by `edgegate_keys::sign::{sign_url,
//! sign_cookies}` from the throwaway keys, by OpenSSL (`tests/vectors/cloudfront_signed_openssl.txt`),
//! and the `Resource` matcher's data file (`tests/vectors/cloudfront_policies.txt`).
//!
//! Expected verdicts follow the AWS CloudFront Developer Guide ("Use signed URLs", "Create a
//! signed URL using a canned/custom policy", "Set signed cookies ..."): `Expires` and
//! `DateLessThan` are exclusive, `DateGreaterThan` inclusive, `IpAddress` is one IPv4 CIDR,
//! `Resource` wildcards are `*` and `?`, a query string added after signing invalidates the URL.

mod common;

use common::{ec_a, ec_b, key_pem, parse_blocks, pem_der, public, read_vector, rsa_a, rsa_b};
use edgegate_keys::cf_base64;
use edgegate_keys::policy::{canned_policy, resource_matches};
use edgegate_keys::sign::{generate_ecdsa_p256, sign_cookies, sign_url, SigningKey, SigningPolicy};
use edgegate_keys::signed::{split_query, verify, CredentialSource, MAX_EXPIRES};
use edgegate_keys::{
    CustomPolicy, HashAlgorithm, Ipv4Cidr, KeyPairId, RingVerifier, SignedCredential, SignedGrant,
    TrustedKey, TrustedKeys, UnixTime, Verified, VerifyError,
};
use std::sync::OnceLock;

const NOW: u64 = 1_700_000_000;
const EXPIRES: u64 = NOW + 3600;
const D: &str = "https://d111111abcdef8.cloudfront.net";
const IP: &str = "192.0.2.10";
/// Trusted: rsa2048_a, rsa2048_b and ec_p256_a. ec_p256_b is never trusted.
const KP_RSA: &str = "K2JCJMDEHXQW5F";
const KP_RSA_B: &str = "K3RSAKEYB00002";
const KP_EC: &str = "K1ECDSAP256TEST";

type Verdict = Result<Verified<SignedGrant>, VerifyError>;

// --- fixtures ------------------------------------------------------------------------------------

fn kp(id: &str) -> KeyPairId {
    id.parse().expect("valid key pair id")
}

fn trusted() -> &'static TrustedKeys {
    static KEYS: OnceLock<TrustedKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        TrustedKeys::new(vec![
            TrustedKey {
                key_pair_id: kp(KP_RSA),
                public_key: public(rsa_a()),
            },
            TrustedKey {
                key_pair_id: kp(KP_RSA_B),
                public_key: public(rsa_b()),
            },
            TrustedKey {
                key_pair_id: kp(KP_EC),
                public_key: public(ec_a()),
            },
        ])
        .expect("distinct ids")
    })
}

fn rng() -> ring::rand::SystemRandom {
    ring::rand::SystemRandom::new()
}

fn canned() -> SigningPolicy {
    SigningPolicy::Canned { expires: EXPIRES }
}

fn custom(resource: &str, start: Option<u64>, ip: Option<&str>) -> SigningPolicy {
    SigningPolicy::custom(&CustomPolicy {
        resource: resource.to_string(),
        date_less_than: EXPIRES,
        date_greater_than: start,
        source_ip: ip.map(|c| Ipv4Cidr::parse(c).expect("CIDR")),
    })
}

/// A signed URL for `url` (RSA key A, SHA-1: CloudFront's default).
fn url_rsa(url: &str, policy: &SigningPolicy) -> String {
    sign_url(
        url,
        policy,
        &kp(KP_RSA),
        rsa_a(),
        HashAlgorithm::Sha1,
        &rng(),
    )
    .unwrap()
}

/// A signed URL for `url` (ECDSA key, SHA-256). ECDSA signing is fast; most negatives use it.
fn url_ec(url: &str, policy: &SigningPolicy) -> String {
    sign_url(
        url,
        policy,
        &kp(KP_EC),
        ec_a(),
        HashAlgorithm::Sha256,
        &rng(),
    )
    .unwrap()
}

/// Verifies a signed URL as the gate does: split the query, rebuild the resource from the URL
/// without the signing parameters, build the credential, verify.
fn check_url_at(signed_url: &str, client_ip: &str, now: u64) -> Verdict {
    let (base, query) = signed_url.split_once('?').unwrap_or((signed_url, ""));
    let split = split_query(query);
    let resource = match &split.rest {
        Some(rest) => format!("{base}?{rest}"),
        None => base.to_string(),
    };
    let credential = SignedCredential::from_params(&split.reserved, CredentialSource::Url)?;
    verify(
        &credential,
        &resource,
        client_ip,
        trusted(),
        &RingVerifier,
        UnixTime(now),
    )
}

fn check_url(signed_url: &str) -> Verdict {
    check_url_at(signed_url, IP, NOW)
}

/// Verifies `CloudFront-*` cookies for a request to `url`.
fn check_cookies_at(cookies: &[(String, String)], url: &str, client_ip: &str, now: u64) -> Verdict {
    let params: Vec<(&str, &str)> = cookies
        .iter()
        .filter_map(|(n, v)| n.strip_prefix("CloudFront-").map(|bare| (bare, v.as_str())))
        .collect();
    let credential = SignedCredential::from_params(&params, CredentialSource::Cookie)?;
    verify(
        &credential,
        url,
        client_ip,
        trusted(),
        &RingVerifier,
        UnixTime(now),
    )
}

fn check_cookies(cookies: &[(String, String)], url: &str) -> Verdict {
    check_cookies_at(cookies, url, IP, NOW)
}

/// The value of query parameter `name` in a signed URL.
fn param(url: &str, name: &str) -> String {
    edgegate_test_kit::text::query_pairs(url)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

/// `url` with the value of parameter `name` replaced.
fn with_param(url: &str, name: &str, value: &str) -> String {
    assert!(
        edgegate_test_kit::text::query_pairs(url)
            .iter()
            .any(|(n, _)| n == name),
        "no {name} in {url}"
    );
    edgegate_test_kit::text::with_param(url, name, Some(value))
}

/// `url` without parameter `name`.
fn without_param(url: &str, name: &str) -> String {
    edgegate_test_kit::text::with_param(url, name, None)
}

fn assert_err(verdict: Verdict, expected: VerifyError, case: &str) {
    match verdict {
        Ok(grant) => panic!("{case}: accepted ({grant:?}), expected {expected:?}"),
        Err(e) => assert_eq!(e, expected, "{case}"),
    }
}

fn assert_malformed(verdict: Verdict, case: &str) {
    match verdict {
        Err(VerifyError::Malformed(_)) => {}
        other => panic!("{case}: expected Malformed, got {other:?}"),
    }
}

/// A signature with one bit flipped, re-encoded in CloudFront base64.
fn flipped_signature(encoded: &str, byte: usize) -> String {
    let mut sig = cf_base64::decode(encoded).unwrap();
    sig[byte] ^= 0x01;
    cf_base64::encode(&sig)
}

/// Signed cookies for a raw custom policy JSON (signed exactly as written), ECDSA key.
fn cookies_for_policy_json(json: &str) -> Vec<(String, String)> {
    sign_cookies(
        "ignored for custom policies",
        &SigningPolicy::Custom(json.to_string()),
        &kp(KP_EC),
        ec_a(),
        HashAlgorithm::Sha256,
        &rng(),
    )
    .unwrap()
}

// --- SIG-01: the happy paths --------------------------------------------------------------------

#[test]
fn signed_url_canned_rsa_sha1_ok() {
    let url = url_rsa(&format!("{D}/releases/1.0.0/app.zip"), &canned());
    assert!(
        !url.contains("Hash-Algorithm"),
        "SHA-1 is the default, not announced"
    );
    let grant = check_url(&url).unwrap().into_inner();
    assert_eq!(grant.key_pair_id, kp(KP_RSA));
    assert_eq!(grant.hash, HashAlgorithm::Sha1);
    assert_eq!(grant.source, CredentialSource::Url);
    assert_eq!(grant.policy_kind(), "canned");
    assert_eq!(grant.expires_at(), EXPIRES);
}

#[test]
fn signed_url_canned_rsa_sha256_ok() {
    let url = sign_url(
        &format!("{D}/a.zip"),
        &canned(),
        &kp(KP_RSA),
        rsa_a(),
        HashAlgorithm::Sha256,
        &rng(),
    )
    .unwrap();
    assert_eq!(param(&url, "Hash-Algorithm"), "SHA256");
    assert_eq!(check_url(&url).unwrap().hash, HashAlgorithm::Sha256);
}

#[test]
fn signed_url_canned_ecdsa_sha256_ok() {
    let url = url_ec(&format!("{D}/a.zip"), &canned());
    let grant = check_url(&url).unwrap();
    assert_eq!(grant.key_pair_id, kp(KP_EC));
    assert_eq!(grant.hash, HashAlgorithm::Sha256);
}

#[test]
fn signed_url_custom_policy_each_algorithm_ok() {
    let policy = custom(
        &format!("{D}/releases/*"),
        Some(NOW - 10),
        Some("192.0.2.0/24"),
    );
    let url = format!("{D}/releases/1.0.0/app.zip");
    for (id, key, hash) in [
        (KP_RSA, rsa_a(), HashAlgorithm::Sha1),
        (KP_RSA_B, rsa_b(), HashAlgorithm::Sha256),
        (KP_EC, ec_a(), HashAlgorithm::Sha256),
    ] {
        let signed = sign_url(&url, &policy, &kp(id), key, hash, &rng()).unwrap();
        let grant = check_url(&signed).unwrap();
        assert_eq!(grant.policy_kind(), "custom", "{id}");
        assert_eq!((grant.key_pair_id.as_str(), grant.hash), (id, hash));
        assert_eq!(grant.expires_at(), EXPIRES);
    }
}

#[test]
fn signed_cookies_canned_each_algorithm_ok() {
    let url = format!("{D}/releases/1.0.0/app.zip");
    for (id, key, hash) in [
        (KP_RSA, rsa_a(), HashAlgorithm::Sha1),
        (KP_EC, ec_a(), HashAlgorithm::Sha256),
    ] {
        let cookies = sign_cookies(&url, &canned(), &kp(id), key, hash, &rng()).unwrap();
        let mut names: Vec<&str> = cookies.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        let mut expected = vec![
            "CloudFront-Expires",
            "CloudFront-Key-Pair-Id",
            "CloudFront-Signature",
        ];
        if hash == HashAlgorithm::Sha256 {
            expected.push("CloudFront-Hash-Algorithm");
        }
        expected.sort_unstable();
        assert_eq!(names, expected);
        let grant = check_cookies(&cookies, &url).unwrap();
        assert_eq!(grant.source, CredentialSource::Cookie);
        assert_eq!(grant.policy_kind(), "canned");
        // A canned cookie is bound to its one URL.
        assert_err(
            check_cookies(&cookies, &format!("{D}/releases/1.0.0/other.zip")),
            VerifyError::BadSignature,
            id,
        );
    }
}

#[test]
fn signed_cookies_custom_policy_ok() {
    let cookies = sign_cookies(
        "unused",
        &custom(&format!("{D}/releases/*"), None, None),
        &kp(KP_RSA),
        rsa_a(),
        HashAlgorithm::Sha1,
        &rng(),
    )
    .unwrap();
    assert!(cookies.iter().any(|(n, _)| n == "CloudFront-Policy"));
    for path in [
        "/releases/1.0.0/app.zip",
        "/releases/2.0.0/notes.txt?lang=en",
        "/releases/",
    ] {
        assert!(
            check_cookies(&cookies, &format!("{D}{path}")).is_ok(),
            "{path}"
        );
    }
    assert_err(
        check_cookies(&cookies, &format!("{D}/private/x")),
        VerifyError::ResourceMismatch,
        "other path",
    );
}

#[test]
fn signed_url_with_application_query_ok() {
    let url = url_rsa(&format!("{D}/a.zip?v=2&lang=en"), &canned());
    assert!(url.starts_with(&format!("{D}/a.zip?v=2&lang=en&Expires=")));
    assert!(check_url(&url).is_ok());
}

#[test]
fn signed_url_parameter_order_irrelevant_ok() {
    let url = url_rsa(&format!("{D}/a.zip"), &canned());
    let (base, query) = url.split_once('?').unwrap();
    let mut parts: Vec<&str> = query.split('&').collect();
    parts.reverse();
    assert!(check_url(&format!("{base}?{}", parts.join("&"))).is_ok());
    // AWS: "In certain rare circumstances, you might need to put your query string parameters
    // after Key-Pair-Id": the application parameters keep their relative order.
    let signed = url_rsa(&format!("{D}/a.zip?v=2&w=3"), &canned());
    let reserved = signed.split_once("?v=2&w=3&").unwrap().1;
    assert!(check_url(&format!("{D}/a.zip?{reserved}&v=2&w=3")).is_ok());
    assert!(check_url(&format!("{D}/a.zip?v=2&{reserved}&w=3")).is_ok());
}

#[test]
fn signed_url_signed_with_trailing_question_mark_ok() {
    // platform-facts: "a URL ending in `?` becomes `?&Expires=`"; the resource keeps its '?'.
    let url = url_ec(&format!("{D}/a.zip?"), &canned());
    assert!(url.contains("a.zip?&Expires="));
    assert!(check_url(&url).is_ok());
    // Without the '?' it is another resource.
    let stripped = url.replacen("a.zip?&", "a.zip?", 1);
    assert_err(
        check_url(&stripped),
        VerifyError::BadSignature,
        "'?' dropped",
    );
}

#[test]
fn generated_ecdsa_key_signs_verifiable_url_ok() {
    let generated = generate_ecdsa_p256(&rng()).unwrap();
    let key = SigningKey::from_pem(&generated.private_pem).unwrap();
    let keys = TrustedKeys::new(vec![TrustedKey {
        key_pair_id: kp("KGENERATED1"),
        public_key: generated.public_key.clone(),
    }])
    .unwrap();
    let url = sign_url(
        &format!("{D}/a.zip"),
        &canned(),
        &kp("KGENERATED1"),
        &key,
        HashAlgorithm::Sha256,
        &rng(),
    )
    .unwrap();
    let split = split_query(url.split_once('?').unwrap().1);
    let cred = SignedCredential::from_params(&split.reserved, CredentialSource::Url).unwrap();
    assert!(verify(
        &cred,
        &format!("{D}/a.zip"),
        IP,
        &keys,
        &RingVerifier,
        UnixTime(NOW)
    )
    .is_ok());
    assert_err(
        verify(
            &cred,
            &format!("{D}/a.zip"),
            IP,
            trusted(),
            &RingVerifier,
            UnixTime(NOW),
        ),
        VerifyError::UnknownKeyPairId,
        "not in the trusted group",
    );
}

// --- independent signer: OpenSSL ---------------------------------------------------------------

fn expected_error(name: &str) -> VerifyError {
    match name {
        "Expired" => VerifyError::Expired,
        "NotYetValid" => VerifyError::NotYetValid,
        "BadSignature" => VerifyError::BadSignature,
        "IpMismatch" => VerifyError::IpMismatch,
        "ResourceMismatch" => VerifyError::ResourceMismatch,
        "UnsupportedAlgorithm" => VerifyError::UnsupportedAlgorithm,
        "UnknownKeyPairId" => VerifyError::UnknownKeyPairId,
        other => panic!("unknown Result {other:?}"),
    }
}

#[test]
fn openssl_signed_urls_verdicts_ok() {
    let blocks = parse_blocks(&read_vector("cloudfront_signed_openssl.txt"));
    assert_eq!(blocks.len(), 14);
    for b in &blocks {
        let case = format!("line {} ({})", b.line, b.comment);
        assert_eq!(
            param(b.get("Url"), "Key-Pair-Id"),
            b.get("KeyPairId"),
            "{case}"
        );
        let now: u64 = b.get("Now").parse().unwrap();
        let verdict = check_url_at(b.get("Url"), b.get("ClientIp"), now);
        match b.get("Result") {
            "P" => assert!(verdict.is_ok(), "{case}: {verdict:?}"),
            error => assert_err(verdict, expected_error(error), &case),
        }
    }
}

#[test]
fn sign_url_rsa_matches_openssl_signature_ok() {
    // PKCS#1 v1.5 is deterministic: edgegate's signer must produce OpenSSL's bytes.
    let blocks = parse_blocks(&read_vector("cloudfront_signed_openssl.txt"));
    let mut compared = 0;
    for b in blocks
        .iter()
        .filter(|b| b.get("Key") == "rsa2048_a" && b.get("Result") == "P")
    {
        let url = b.get("Url");
        let hash = if url.contains("Hash-Algorithm=SHA256") {
            HashAlgorithm::Sha256
        } else {
            HashAlgorithm::Sha1
        };
        let base = url.split_once('?').unwrap().0;
        let policy = if url.contains("Expires=") {
            SigningPolicy::Canned {
                expires: param(url, "Expires").parse().unwrap(),
            }
        } else {
            SigningPolicy::Custom(
                String::from_utf8(cf_base64::decode(&param(url, "Policy")).unwrap()).unwrap(),
            )
        };
        let ours = sign_url(base, &policy, &kp(KP_RSA), rsa_a(), hash, &rng()).unwrap();
        assert_eq!(
            param(&ours, "Signature"),
            param(url, "Signature"),
            "line {}",
            b.line
        );
        if url.contains("Policy=") {
            assert_eq!(
                param(&ours, "Policy"),
                param(url, "Policy"),
                "line {}",
                b.line
            );
        }
        compared += 1;
    }
    assert_eq!(compared, 4, "two canned and two custom RSA vectors");
}

#[test]
fn openssl_private_keys_load_in_signer_ok() {
    // The committed keys are what OpenSSL's genpkey writes (PKCS#8): the signer and ring agree.
    for name in [
        "rsa2048_a",
        "rsa2048_b",
        "rsa4096",
        "ec_p256_a",
        "ec_p256_b",
    ] {
        let key = SigningKey::from_pem(&key_pem(name)).unwrap();
        assert!(key.public_key().is_ok(), "{name}");
        assert!(!pem_der(&key_pem(name)).is_empty());
    }
}

// --- SIG-02: expiry ---------------------------------------------------------------------------

#[test]
fn signed_url_one_second_before_expires_ok() {
    for url in [
        url_rsa(&format!("{D}/a.zip"), &canned()),
        url_ec(
            &format!("{D}/a.zip"),
            &custom(&format!("{D}/a.zip"), None, None),
        ),
    ] {
        assert!(check_url_at(&url, IP, EXPIRES - 1).is_ok());
    }
}

#[test]
fn signed_url_at_or_after_expires_fails() {
    for url in [
        url_rsa(&format!("{D}/a.zip"), &canned()),
        url_ec(
            &format!("{D}/a.zip"),
            &custom(&format!("{D}/a.zip"), None, None),
        ),
    ] {
        assert_err(
            check_url_at(&url, IP, EXPIRES),
            VerifyError::Expired,
            "at Expires",
        );
        assert_err(
            check_url_at(&url, IP, EXPIRES + 86_400),
            VerifyError::Expired,
            "a day later",
        );
    }
}

#[test]
fn signed_cookies_at_expires_fails() {
    let url = format!("{D}/a.zip");
    let cookies = sign_cookies(
        &url,
        &canned(),
        &kp(KP_EC),
        ec_a(),
        HashAlgorithm::Sha256,
        &rng(),
    )
    .unwrap();
    assert!(check_cookies_at(&cookies, &url, IP, EXPIRES - 1).is_ok());
    assert_err(
        check_cookies_at(&cookies, &url, IP, EXPIRES),
        VerifyError::Expired,
        "cookie at Expires",
    );
}

#[test]
fn signed_grant_recheck_later_or_elsewhere_fails() {
    let grant = check_url(&url_ec(
        &format!("{D}/a.zip"),
        &custom(&format!("{D}/a*"), None, None),
    ))
    .unwrap();
    assert!(grant
        .recheck(&format!("{D}/a.zip"), IP, UnixTime(EXPIRES - 1))
        .is_ok());
    assert_eq!(
        grant.recheck(&format!("{D}/a.zip"), IP, UnixTime(EXPIRES)),
        Err(VerifyError::Expired)
    );
    assert_eq!(
        grant.recheck(&format!("{D}/b.zip"), IP, UnixTime(NOW)),
        Err(VerifyError::ResourceMismatch)
    );
}

// --- SIG-03: tampering ---------------------------------------------------------------------------

#[test]
fn expires_changed_by_one_second_fails() {
    let url = url_rsa(&format!("{D}/a.zip"), &canned());
    for expires in [EXPIRES + 1, EXPIRES - 1] {
        let t = with_param(&url, "Expires", &expires.to_string());
        assert_err(
            check_url(&t),
            VerifyError::BadSignature,
            &expires.to_string(),
        );
    }
}

#[test]
fn date_less_than_changed_by_one_second_fails() {
    let policy = CustomPolicy {
        resource: format!("{D}/a.zip"),
        date_less_than: EXPIRES,
        date_greater_than: None,
        source_ip: None,
    };
    let url = url_ec(&format!("{D}/a.zip"), &SigningPolicy::custom(&policy));
    let later = CustomPolicy {
        date_less_than: EXPIRES + 1,
        ..policy
    };
    let t = with_param(
        &url,
        "Policy",
        &cf_base64::encode(later.to_json().as_bytes()),
    );
    assert_err(check_url(&t), VerifyError::BadSignature, "DateLessThan + 1");
}

#[test]
fn policy_character_changed_fails() {
    let url = url_ec(
        &format!("{D}/a.zip"),
        &custom(&format!("{D}/a.zip"), None, None),
    );
    let policy = param(&url, "Policy");
    let mid = policy.len() / 2;
    let c = policy.as_bytes()[mid];
    let other = if c == b'A' { 'B' } else { 'A' };
    let t = with_param(
        &url,
        "Policy",
        &format!("{}{other}{}", &policy[..mid], &policy[mid + 1..]),
    );
    assert_err(
        check_url(&t),
        VerifyError::BadSignature,
        "one Policy character",
    );
}

#[test]
fn signature_bit_flipped_fails() {
    for url in [
        url_rsa(&format!("{D}/a.zip"), &canned()),
        url_ec(&format!("{D}/a.zip"), &canned()),
    ] {
        let sig = param(&url, "Signature");
        for byte in [0, 10, 40] {
            let t = with_param(&url, "Signature", &flipped_signature(&sig, byte));
            assert_err(
                check_url(&t),
                VerifyError::BadSignature,
                &format!("byte {byte}"),
            );
        }
    }
}

#[test]
fn signature_from_another_resource_fails() {
    let a = url_rsa(&format!("{D}/a.zip"), &canned());
    let b = url_rsa(&format!("{D}/b.zip"), &canned());
    let t = with_param(&a, "Signature", &param(&b, "Signature"));
    assert_err(
        check_url(&t),
        VerifyError::BadSignature,
        "b's signature on a",
    );
    // A whole custom credential (Policy + Signature) issued for b, presented for a.
    let b_custom = url_ec(
        &format!("{D}/b.zip"),
        &custom(&format!("{D}/b.zip"), None, None),
    );
    let moved = b_custom.replacen("/b.zip?", "/a.zip?", 1);
    assert_err(
        check_url(&moved),
        VerifyError::ResourceMismatch,
        "b's policy on a",
    );
}

#[test]
fn custom_policy_reordered_after_signing_fails() {
    // The signature covers the exact policy bytes: the same JSON with its members reordered is
    // another message.
    let signed_json = format!(
        r#"{{"Statement":[{{"Resource":"{D}/a.zip","Condition":{{"DateLessThan":{{"AWS:EpochTime":{EXPIRES}}}}}}}]}}"#
    );
    let reordered = format!(
        r#"{{"Statement":[{{"Condition":{{"DateLessThan":{{"AWS:EpochTime":{EXPIRES}}}}},"Resource":"{D}/a.zip"}}]}}"#
    );
    let url = url_ec(&format!("{D}/a.zip"), &SigningPolicy::Custom(signed_json));
    assert!(check_url(&url).is_ok());
    let t = with_param(&url, "Policy", &cf_base64::encode(reordered.as_bytes()));
    assert_err(check_url(&t), VerifyError::BadSignature, "reordered");
}

#[test]
fn custom_policy_reordered_or_spaced_as_signed_ok() {
    // Member order and whitespace are free as long as they are what was signed.
    for json in [
        format!(r#"{{"Statement":[{{"Condition":{{"DateLessThan":{{"AWS:EpochTime":{EXPIRES}}}}},"Resource":"{D}/a.zip"}}]}}"#),
        format!("{{ \"Statement\" : [ {{\n  \"Resource\" : \"{D}/a.zip\",\n  \"Condition\" : {{ \"DateLessThan\" : {{ \"AWS:EpochTime\" : {EXPIRES} }} }}\n}} ] }}\n"),
    ] {
        let url = url_ec(&format!("{D}/a.zip"), &SigningPolicy::Custom(json.clone()));
        assert!(check_url(&url).is_ok(), "{json}");
    }
}

// --- SIG-04: keys ----------------------------------------------------------------------------------

#[test]
fn unknown_key_pair_id_fails() {
    let url = url_rsa(&format!("{D}/a.zip"), &canned());
    for id in [
        "K9UNKNOWNKEY01",
        &KP_RSA.to_lowercase(),
        &format!("{KP_RSA} "),
        "",
        "APKA9ONS7QCOWEXAMPLE",
        "K2JCJMDEHXQW5",
    ] {
        let t = with_param(&url, "Key-Pair-Id", id);
        assert_err(check_url(&t), VerifyError::UnknownKeyPairId, id);
    }
}

#[test]
fn right_key_pair_id_with_another_keys_signature_fails() {
    // Signed by key B, presented under key A's id.
    let url = sign_url(
        &format!("{D}/a.zip"),
        &canned(),
        &kp(KP_RSA),
        rsa_b(),
        HashAlgorithm::Sha1,
        &rng(),
    )
    .unwrap();
    assert_err(
        check_url(&url),
        VerifyError::BadSignature,
        "B's signature, A's id",
    );
    // A valid URL whose Key-Pair-Id is swapped to the other trusted RSA key.
    let good = url_rsa(&format!("{D}/a.zip"), &canned());
    assert_err(
        check_url(&with_param(&good, "Key-Pair-Id", KP_RSA_B)),
        VerifyError::BadSignature,
        "id swapped",
    );
    // An untrusted ECDSA key under the trusted ECDSA id.
    let url = sign_url(
        &format!("{D}/a.zip"),
        &canned(),
        &kp(KP_EC),
        ec_b(),
        HashAlgorithm::Sha256,
        &rng(),
    )
    .unwrap();
    assert_err(
        check_url(&url),
        VerifyError::BadSignature,
        "untrusted EC key",
    );
}

#[test]
fn key_type_and_signature_type_mismatch_fails() {
    // An RSA SHA-256 signature under the ECDSA key's id, and an ECDSA one under an RSA id.
    let rsa = sign_url(
        &format!("{D}/a.zip"),
        &canned(),
        &kp(KP_RSA),
        rsa_a(),
        HashAlgorithm::Sha256,
        &rng(),
    )
    .unwrap();
    assert_err(
        check_url(&with_param(&rsa, "Key-Pair-Id", KP_EC)),
        VerifyError::BadSignature,
        "RSA sig, EC id",
    );
    let ec = url_ec(&format!("{D}/a.zip"), &canned());
    assert_err(
        check_url(&with_param(&ec, "Key-Pair-Id", KP_RSA)),
        VerifyError::BadSignature,
        "EC sig, RSA id",
    );
}

#[test]
fn ecdsa_zero_or_raw_signature_fails() {
    let url = url_ec(&format!("{D}/a.zip"), &canned());
    // CVE-2022-21449 shape: r = s = 0 (DER SEQUENCE { INTEGER 0, INTEGER 0 }).
    let zero = cf_base64::encode(&[0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]);
    assert_err(
        check_url(&with_param(&url, "Signature", &zero)),
        VerifyError::BadSignature,
        "r = s = 0",
    );
    // A valid signature in the fixed r||s form (JWS style) instead of DER.
    let fixed = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &pem_der(&key_pem("ec_p256_a")),
        &rng(),
    )
    .unwrap();
    let message = canned_policy(&format!("{D}/a.zip"), EXPIRES);
    let raw = fixed.sign(&rng(), message.as_bytes()).unwrap();
    assert_eq!(raw.as_ref().len(), 64);
    let t = with_param(&url, "Signature", &cf_base64::encode(raw.as_ref()));
    assert_err(check_url(&t), VerifyError::BadSignature, "r||s");
}

#[test]
fn trusted_keys_duplicate_id_fails() {
    let err = TrustedKeys::new(vec![
        TrustedKey {
            key_pair_id: kp(KP_RSA),
            public_key: public(rsa_a()),
        },
        TrustedKey {
            key_pair_id: kp(KP_RSA),
            public_key: public(rsa_b()),
        },
    ])
    .unwrap_err();
    assert_eq!(err.field, "keys[1].key_pair_id");
}

#[test]
fn key_pair_id_outside_charset_fails() {
    for ok in [
        "K2JCJMDEHXQW5F",
        "APKA9ONS7QCOWEXAMPLE",
        "A",
        &"A".repeat(64),
    ] {
        assert!(ok.parse::<KeyPairId>().is_ok(), "{ok}");
    }
    for bad in [
        "",
        "k2jcjmdehxqw5f",
        "K2JC-JMDE",
        "K2JC JMDE",
        "K2JC\n",
        &"A".repeat(65),
        "K2JCÉ",
    ] {
        assert_eq!(
            bad.parse::<KeyPairId>().unwrap_err().field,
            "key_pair_id",
            "{bad:?}"
        );
    }
}

// --- SIG-05: wildcard scope -----------------------------------------------------------------------

#[test]
fn wildcard_resource_outside_scope_fails() {
    let cookies = sign_cookies(
        "unused",
        &custom(&format!("{D}/releases/a/*"), None, None),
        &kp(KP_EC),
        ec_a(),
        HashAlgorithm::Sha256,
        &rng(),
    )
    .unwrap();
    assert!(check_cookies(&cookies, &format!("{D}/releases/a/x.zip")).is_ok());
    for url in [
        format!("{D}/releases/b/x.zip"),
        "https://d222222abcdef8.cloudfront.net/releases/a/x.zip".to_string(),
        format!("{}/releases/a/x.zip", D.replacen("https", "http", 1)),
        format!("{D}/releases/A/x.zip"),
        format!("{D}/releases/a"),
    ] {
        assert_err(
            check_cookies(&cookies, &url),
            VerifyError::ResourceMismatch,
            &url,
        );
    }
}

#[test]
fn policy_resource_dot_segments_matched_raw_ok() {
    // keys matches the raw URL (platform-facts: no dot-segment collapsing); the gate refuses
    // `..` before it asks (catalogue PATH-01). Pinned so that the contract stays visible.
    let cookies = cookies_for_policy_json(
        &CustomPolicy {
            resource: format!("{D}/releases/a/*"),
            date_less_than: EXPIRES,
            date_greater_than: None,
            source_ip: None,
        }
        .to_json(),
    );
    assert!(check_cookies(&cookies, &format!("{D}/releases/a/../b/x.zip")).is_ok());
}

#[test]
fn cloudfront_policies_vectors_ok() {
    let blocks = parse_blocks(&read_vector("cloudfront_policies.txt"));
    assert!(blocks.len() >= 35, "{} cases", blocks.len());
    let mut from_aws = 0;
    for b in &blocks {
        let case = format!("line {} ({})", b.line, b.comment);
        let (pattern, url) = (b.get("Resource"), b.get("Url"));
        let expected = match b.get("Result") {
            "P" => true,
            "F" => false,
            other => panic!("{case}: Result must be P or F, not {other:?}"),
        };
        from_aws += usize::from(b.comment.starts_with("AWS example"));
        assert_eq!(resource_matches(pattern, url), expected, "{case}");
        // The same through a signed custom policy: sign, then verify for a request to Url.
        let cookies = cookies_for_policy_json(
            &CustomPolicy {
                resource: pattern.to_string(),
                date_less_than: EXPIRES,
                date_greater_than: None,
                source_ip: None,
            }
            .to_json(),
        );
        let verdict = check_cookies(&cookies, url);
        if expected {
            assert!(verdict.is_ok(), "{case}: {verdict:?}");
        } else {
            assert_err(verdict, VerifyError::ResourceMismatch, &case);
        }
    }
    assert_eq!(from_aws, 7, "the AWS-documented examples are all present");
}

// --- SIG-06 / SIG-14: policy shape and JSON tricks -------------------------------------------------

#[test]
fn custom_policy_bad_shape_fails() {
    // Each policy is validly signed as written: only its content is wrong.
    let r = format!("{D}/a.zip");
    let dlt = format!(r#""DateLessThan":{{"AWS:EpochTime":{EXPIRES}}}"#);
    let cases = [
        (
            "no DateLessThan",
            format!(r#"{{"Statement":[{{"Resource":"{r}","Condition":{{}}}}]}}"#),
        ),
        (
            "DateGreaterThan only",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{"DateGreaterThan":{{"AWS:EpochTime":1}}}}}}]}}"#
            ),
        ),
        (
            "two statements",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{{dlt}}}}},{{"Resource":"{r}","Condition":{{{dlt}}}}}]}}"#
            ),
        ),
        ("no statement", r#"{"Statement":[]}"#.to_string()),
        (
            "Statement not an array",
            format!(r#"{{"Statement":{{"Resource":"{r}","Condition":{{{dlt}}}}}}}"#),
        ),
        (
            "DateLessThan quoted",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{"DateLessThan":{{"AWS:EpochTime":"{EXPIRES}"}}}}}}]}}"#
            ),
        ),
        (
            "DateLessThan a float",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{EXPIRES}.0}}}}}}]}}"#
            ),
        ),
        (
            "DateLessThan negative",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{"DateLessThan":{{"AWS:EpochTime":-1}}}}}}]}}"#
            ),
        ),
        (
            "DateLessThan in milliseconds beyond u64",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{"DateLessThan":{{"AWS:EpochTime":18446744073709551616}}}}}}]}}"#
            ),
        ),
        (
            "DateLessThan bare number",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{"DateLessThan":{EXPIRES}}}}}]}}"#
            ),
        ),
        (
            "no Resource",
            format!(r#"{{"Statement":[{{"Condition":{{{dlt}}}}}]}}"#),
        ),
        (
            "Resource *",
            format!(r#"{{"Statement":[{{"Resource":"*","Condition":{{{dlt}}}}}]}}"#),
        ),
        (
            "Resource not a URL",
            format!(
                r#"{{"Statement":[{{"Resource":"d111111abcdef8.cloudfront.net/a.zip","Condition":{{{dlt}}}}}]}}"#
            ),
        ),
        (
            "Resource a number",
            format!(r#"{{"Statement":[{{"Resource":5,"Condition":{{{dlt}}}}}]}}"#),
        ),
        (
            "Resource a list",
            format!(r#"{{"Statement":[{{"Resource":["{r}"],"Condition":{{{dlt}}}}}]}}"#),
        ),
        (
            "no Condition",
            format!(r#"{{"Statement":[{{"Resource":"{r}"}}]}}"#),
        ),
        (
            "duplicate DateLessThan",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{{dlt},"DateLessThan":{{"AWS:EpochTime":{}}}}}}}]}}"#,
                EXPIRES + 999_999
            ),
        ),
        (
            "duplicate Resource",
            format!(
                r#"{{"Statement":[{{"Resource":"{D}/*","Resource":"{r}","Condition":{{{dlt}}}}}]}}"#
            ),
        ),
        (
            "unknown top-level member",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{{dlt}}}}}],"Version":"2012-10-17"}}"#
            ),
        ),
        (
            "unknown statement member",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Effect":"Allow","Condition":{{{dlt}}}}}]}}"#
            ),
        ),
        (
            "unknown condition",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{{dlt},"StringEquals":{{"a":"b"}}}}}}]}}"#
            ),
        ),
        (
            "unknown condition key",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{EXPIRES},"AWS:CurrentTime":1}}}}}}]}}"#
            ),
        ),
        (
            "IpAddress a string",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{{dlt},"IpAddress":"192.0.2.0/24"}}}}]}}"#
            ),
        ),
        (
            "two source ranges",
            format!(
                r#"{{"Statement":[{{"Resource":"{r}","Condition":{{{dlt},"IpAddress":{{"AWS:SourceIp":["192.0.2.0/24","198.51.100.0/24"]}}}}}}]}}"#
            ),
        ),
        ("not JSON", "Statement".to_string()),
        ("empty", String::new()),
        (
            "trailing data",
            format!(r#"{{"Statement":[{{"Resource":"{r}","Condition":{{{dlt}}}}}]}} x"#),
        ),
    ];
    for (what, json) in cases {
        let cookies = cookies_for_policy_json(&json);
        assert_malformed(check_cookies(&cookies, &r), what);
    }
}

#[test]
fn custom_policy_over_size_cap_fails() {
    // MAX_POLICY_BYTES (8 KiB) of CloudFront base64: 6144 policy bytes fit exactly, one more
    // does not.
    let base = CustomPolicy {
        resource: format!("{D}/"),
        date_less_than: EXPIRES,
        date_greater_than: None,
        source_ip: None,
    };
    let overhead = base.to_json().len();
    let sized = |total: usize| CustomPolicy {
        resource: format!("{D}/{}", "x".repeat(total - overhead)),
        ..base.clone()
    };
    let fits = sized(6144);
    assert_eq!(fits.to_json().len(), 6144);
    let cookies = cookies_for_policy_json(&fits.to_json());
    assert!(check_cookies(&cookies, &fits.resource).is_ok());
    let over = sized(6145);
    let cookies = cookies_for_policy_json(&over.to_json());
    assert_err(
        check_cookies(&cookies, &over.resource),
        VerifyError::TooLarge,
        "6145 bytes",
    );
}

#[test]
fn signature_over_size_cap_fails() {
    let url = url_rsa(&format!("{D}/a.zip"), &canned());
    let long = "A".repeat(1024 + 4);
    assert_err(
        check_url(&with_param(&url, "Signature", &long)),
        VerifyError::TooLarge,
        "1028 characters",
    );
}

// --- SIG-07: DateGreaterThan and IpAddress -----------------------------------------------------

#[test]
fn date_greater_than_in_future_fails() {
    let at = |start: u64| {
        url_ec(
            &format!("{D}/a.zip"),
            &custom(&format!("{D}/a.zip"), Some(start), None),
        )
    };
    assert_err(
        check_url(&at(NOW + 600)),
        VerifyError::NotYetValid,
        "now + 600",
    );
    assert_err(check_url(&at(NOW + 1)), VerifyError::NotYetValid, "now + 1");
    // "Users are not allowed to access the object before the specified date and time": from
    // that second on, they are.
    assert!(check_url(&at(NOW)).is_ok(), "DateGreaterThan = now");
}

#[test]
fn ip_address_outside_cidr_fails() {
    let url = url_ec(
        &format!("{D}/a.zip"),
        &custom(&format!("{D}/a.zip"), None, Some("192.0.2.0/24")),
    );
    for ip in ["192.0.2.0", "192.0.2.10", "192.0.2.255"] {
        assert!(check_url_at(&url, ip, NOW).is_ok(), "{ip}");
    }
    // Outside the block; IPv6 viewers (IPv6 is not supported in policies), an IPv4-mapped IPv6
    // address, and anything that is not an address: never a match.
    for ip in [
        "198.51.100.1",
        "192.0.3.0",
        "192.0.1.255",
        "2001:db8::1",
        "::ffff:192.0.2.10",
        "",
        "192.0.2.10 ",
        "192.0.2.010",
        "localhost",
    ] {
        assert_err(check_url_at(&url, ip, NOW), VerifyError::IpMismatch, ip);
    }
}

#[test]
fn ip_address_single_host_and_any_ok() {
    let host = url_ec(
        &format!("{D}/a.zip"),
        &custom(&format!("{D}/a.zip"), None, Some("192.0.2.10/32")),
    );
    assert!(check_url_at(&host, "192.0.2.10", NOW).is_ok());
    assert_err(
        check_url_at(&host, "192.0.2.11", NOW),
        VerifyError::IpMismatch,
        "neighbour",
    );
    let any = url_ec(
        &format!("{D}/a.zip"),
        &custom(&format!("{D}/a.zip"), None, Some("0.0.0.0/0")),
    );
    assert!(check_url_at(&any, "203.0.113.9", NOW).is_ok());
    assert_err(
        check_url_at(&any, "2001:db8::1", NOW),
        VerifyError::IpMismatch,
        "IPv6 never matches",
    );
}

#[test]
fn malformed_source_ip_in_signed_policy_fails() {
    let r = format!("{D}/a.zip");
    for cidr in [
        "192.0.2.0/33",
        "2001:db8::/32",
        "192.0.2.0/024",
        "192.0.2.300/24",
        "192.0.2.0/",
        "192.0.2/24",
        " 192.0.2.0/24",
        "192.0.2.0/24 ",
        "any",
    ] {
        let json = format!(
            r#"{{"Statement":[{{"Resource":"{r}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{EXPIRES}}},"IpAddress":{{"AWS:SourceIp":"{cidr}"}}}}}}]}}"#
        );
        assert_malformed(check_cookies(&cookies_for_policy_json(&json), &r), cidr);
    }
}

// --- SIG-08: query added after signing ------------------------------------------------------------

#[test]
fn canned_url_query_added_after_signing_fails() {
    let url = url_rsa(&format!("{D}/a.zip"), &canned());
    assert_err(
        check_url(&format!("{url}&x=1")),
        VerifyError::BadSignature,
        "&x=1 at the end",
    );
    let before = url.replacen("?Expires=", "?debug=1&Expires=", 1);
    assert_ne!(before, url);
    assert_err(
        check_url(&before),
        VerifyError::BadSignature,
        "?debug=1 before Expires",
    );
}

#[test]
fn canned_url_signed_query_removed_or_reordered_fails() {
    let url = url_rsa(&format!("{D}/a.zip?v=2&lang=en"), &canned());
    assert_err(
        check_url(&url.replacen("v=2&", "", 1)),
        VerifyError::BadSignature,
        "v removed",
    );
    assert_err(
        check_url(&url.replacen("v=2&lang=en", "lang=en&v=2", 1)),
        VerifyError::BadSignature,
        "reordered",
    );
}

#[test]
fn custom_url_query_added_after_signing_fails() {
    let exact = url_ec(
        &format!("{D}/a.zip"),
        &custom(&format!("{D}/a.zip"), None, None),
    );
    assert_err(
        check_url(&format!("{exact}&x=1")),
        VerifyError::ResourceMismatch,
        "exact Resource",
    );
    // Unless the Resource ends in a wildcard (platform-facts, SIG-08 note).
    let star = url_ec(
        &format!("{D}/a.zip"),
        &custom(&format!("{D}/a.zip*"), None, None),
    );
    assert!(check_url(&format!("{star}&x=1")).is_ok());
}

// --- SIG-09: CloudFront's base64 alphabet ------------------------------------------------------------

/// A signed URL whose Signature contains '-', '~' and '_' and whose Policy contains '-' or '~'
/// (">>>" and "???" encode to "Pj4+" and "Pz8/" when aligned; the Resource is the URL itself).
fn url_using_all_substitutions() -> String {
    (0..50)
        .map(|i| {
            let u = format!("{D}/a{i}.zip?>>>???");
            url_rsa(&u, &custom(&u, None, None))
        })
        .find(|u| {
            let s = param(u, "Signature");
            let p = param(u, "Policy");
            s.contains('-') && s.contains('~') && s.contains('_') && p.contains(['-', '~'])
        })
        .expect("a URL exercising every substituted character")
}

#[test]
fn standard_base64_alphabet_fails() {
    let url = url_using_all_substitutions();
    assert!(check_url(&url).is_ok());
    let standard = |s: &str| s.replace('-', "+").replace('~', "/").replace('_', "=");
    let sig = param(&url, "Signature");
    let policy = param(&url, "Policy");
    for (what, t) in [
        (
            "standard Signature",
            with_param(&url, "Signature", &standard(&sig)),
        ),
        (
            "one '+' in Signature",
            with_param(&url, "Signature", &sig.replacen('-', "+", 1)),
        ),
        (
            "'=' padding in Signature",
            with_param(&url, "Signature", &sig.replace('_', "=")),
        ),
        (
            "unpadded Signature",
            with_param(&url, "Signature", sig.trim_end_matches('_')),
        ),
        (
            "percent-encoded '~'",
            with_param(&url, "Signature", &sig.replacen('~', "%7E", 1)),
        ),
        (
            "standard Policy",
            with_param(&url, "Policy", &standard(&policy)),
        ),
        (
            "one '/' or '+' in Policy",
            with_param(
                &url,
                "Policy",
                &policy.replacen('~', "/", 1).replacen('-', "+", 1),
            ),
        ),
    ] {
        assert_malformed(check_url(&t), what);
    }
}

// --- SIG-10: hash and algorithm selection -----------------------------------------------------------

#[test]
fn hash_algorithm_added_or_removed_after_signing_fails() {
    let sha1 = url_rsa(&format!("{D}/a.zip"), &canned());
    assert_err(
        check_url(&format!("{sha1}&Hash-Algorithm=SHA256")),
        VerifyError::BadSignature,
        "SHA256 announced, SHA-1 signed",
    );
    let sha256 = sign_url(
        &format!("{D}/a.zip"),
        &canned(),
        &kp(KP_RSA),
        rsa_a(),
        HashAlgorithm::Sha256,
        &rng(),
    )
    .unwrap();
    assert_err(
        check_url(&without_param(&sha256, "Hash-Algorithm")),
        VerifyError::BadSignature,
        "SHA-256 signed, default SHA-1",
    );
}

#[test]
fn hash_algorithm_unknown_value_fails() {
    let url = sign_url(
        &format!("{D}/a.zip"),
        &canned(),
        &kp(KP_RSA),
        rsa_a(),
        HashAlgorithm::Sha256,
        &rng(),
    )
    .unwrap();
    for value in [
        "MD5", "sha256", "SHA-256", "SHA1", "SHA-1", "", "SHA256 ", "SHA512",
    ] {
        assert_malformed(check_url(&with_param(&url, "Hash-Algorithm", value)), value);
    }
}

#[test]
fn ecdsa_with_sha1_fails() {
    // Without Hash-Algorithm the hash is SHA-1, which CloudFront documents for RSA only.
    let url = url_ec(&format!("{D}/a.zip"), &canned());
    assert_err(
        check_url(&without_param(&url, "Hash-Algorithm")),
        VerifyError::UnsupportedAlgorithm,
        "ECDSA, SHA-1",
    );
    // And the signer refuses to make one.
    let err = sign_url(
        &format!("{D}/a.zip"),
        &canned(),
        &kp(KP_EC),
        ec_a(),
        HashAlgorithm::Sha1,
        &rng(),
    )
    .unwrap_err();
    assert_eq!(err.field, "private_key");
}

// --- SIG-11: ambiguous parameter sets -----------------------------------------------------------

#[test]
fn ambiguous_signing_parameters_fails() {
    let canned_url = url_rsa(&format!("{D}/a.zip"), &canned());
    let custom_url = url_rsa(
        &format!("{D}/a.zip"),
        &custom(&format!("{D}/a.zip"), None, None),
    );
    let sig = param(&canned_url, "Signature");
    let cases = [
        (
            "Expires and Policy",
            format!("{canned_url}&Policy={}", param(&custom_url, "Policy")),
        ),
        (
            "Signature twice, same value",
            format!("{canned_url}&Signature={sig}"),
        ),
        (
            "Signature twice, other value",
            format!("{canned_url}&Signature={}", flipped_signature(&sig, 0)),
        ),
        (
            "Key-Pair-Id twice",
            format!("{canned_url}&Key-Pair-Id={KP_RSA}"),
        ),
        (
            "Key-Pair-Id twice, other id",
            format!("{canned_url}&Key-Pair-Id={KP_RSA_B}"),
        ),
        ("Expires twice", format!("{canned_url}&Expires={EXPIRES}")),
        (
            "Hash-Algorithm twice",
            format!("{canned_url}&Hash-Algorithm=SHA256&Hash-Algorithm=SHA256"),
        ),
        ("no Signature", without_param(&canned_url, "Signature")),
        ("no Key-Pair-Id", without_param(&canned_url, "Key-Pair-Id")),
        (
            "neither Expires nor Policy",
            without_param(&canned_url, "Expires"),
        ),
        (
            "Key-Pair-Id alone",
            format!("{D}/a.zip?Key-Pair-Id={KP_RSA}"),
        ),
    ];
    for (what, url) in cases {
        assert_malformed(check_url(&url), what);
    }
    // A bare "Signature" is present with an empty value: an empty signature, which never verifies.
    let bare = format!("{D}/a.zip?Expires={EXPIRES}&Key-Pair-Id={KP_RSA}&Signature");
    assert_err(
        check_url(&bare),
        VerifyError::BadSignature,
        "Signature without '='",
    );
}

#[test]
fn signing_parameter_names_are_case_sensitive_fails() {
    // "expires", "signature", "key-pair-id" are ordinary application parameters: the URL then
    // carries no credential at all.
    let url = url_rsa(&format!("{D}/a.zip"), &canned());
    let lower = url
        .replacen("Expires=", "expires=", 1)
        .replacen("Signature=", "signature=", 1)
        .replacen("Key-Pair-Id=", "key-pair-id=", 1);
    assert_malformed(check_url(&lower), "lower-case names");
    let split = split_query(lower.split_once('?').unwrap().1);
    assert!(split.reserved.is_empty());
}

#[test]
fn expires_not_canonical_decimal_fails() {
    let url = url_rsa(&format!("{D}/a.zip"), &canned());
    for value in [
        format!("0{EXPIRES}"),
        format!("+{EXPIRES}"),
        format!("{EXPIRES}.0"),
        format!(" {EXPIRES}"),
        "1.7e9".to_string(),
        String::new(),
        "-1".to_string(),
        (MAX_EXPIRES + 1).to_string(),
        "99999999999".to_string(),
        "0x6553F100".to_string(),
    ] {
        assert_malformed(check_url(&with_param(&url, "Expires", &value)), &value);
    }
    // The largest 32-bit value parses (and then fails the signature it was not signed with).
    assert_err(
        check_url(&with_param(&url, "Expires", &MAX_EXPIRES.to_string())),
        VerifyError::BadSignature,
        "2^31 - 1",
    );
}

#[test]
fn both_policy_and_expires_cookies_fails() {
    let url = format!("{D}/a.zip");
    let mut cookies = sign_cookies(
        &url,
        &canned(),
        &kp(KP_EC),
        ec_a(),
        HashAlgorithm::Sha256,
        &rng(),
    )
    .unwrap();
    let custom_cookies = sign_cookies(
        &url,
        &custom(&url, None, None),
        &kp(KP_EC),
        ec_a(),
        HashAlgorithm::Sha256,
        &rng(),
    )
    .unwrap();
    let policy = custom_cookies
        .iter()
        .find(|(n, _)| n == "CloudFront-Policy")
        .unwrap()
        .clone();
    cookies.push(policy);
    assert_malformed(
        check_cookies(&cookies, &url),
        "CloudFront-Policy and CloudFront-Expires",
    );
}

// --- SIG-13: canned-policy reconstruction --------------------------------------------------------

#[test]
fn canned_url_requested_differently_fails() {
    let url = url_rsa(&format!("{D}/a.zip"), &canned());
    let reserved = url.split_once('?').unwrap().1;
    for requested in [
        format!("{D}/a.zip?v=2&{reserved}"),
        format!("{D}/A.zip?{reserved}"),
        format!("https://downloads.example.com/a.zip?{reserved}"),
        format!("{}/a.zip?{reserved}", D.replacen("https", "http", 1)),
        format!("https://D111111ABCDEF8.cloudfront.net/a.zip?{reserved}"),
        format!("{D}/a.zip/?{reserved}"),
        format!("{D}/a%2Ezip?{reserved}"),
        format!("{D}//a.zip?{reserved}"),
        format!("{D}:443/a.zip?{reserved}"),
    ] {
        assert_err(
            check_url(&requested),
            VerifyError::BadSignature,
            &requested[..50],
        );
    }
}

#[test]
fn canned_resource_not_representable_fails() {
    // A quote, backslash or control character would have to be escaped in the canned policy
    // JSON, which CloudFront builds without escaping: such URLs cannot carry a canned policy.
    let url = url_rsa(&format!("{D}/a.zip"), &canned());
    let reserved = url.split_once('?').unwrap().1;
    for bad in ["a\".zip", "a\\.zip", "a\u{1}.zip", "a\u{7f}.zip"] {
        assert_malformed(check_url(&format!("{D}/{bad}?{reserved}")), bad);
    }
}

// --- the primitive seam ----------------------------------------------------------------------------

#[test]
fn ecdsa_key_not_on_curve_fails() {
    // from_p256_point only checks the encoding; the primitive must refuse the point (key docs).
    let mut point = vec![0x04];
    point.extend_from_slice(&[9u8; 64]);
    let bogus = edgegate_keys::PublicKey::from_p256_point(&point).unwrap();
    let keys = TrustedKeys::new(vec![TrustedKey {
        key_pair_id: kp(KP_EC),
        public_key: bogus,
    }])
    .unwrap();
    let url = url_ec(&format!("{D}/a.zip"), &canned());
    let split = split_query(url.split_once('?').unwrap().1);
    let cred = SignedCredential::from_params(&split.reserved, CredentialSource::Url).unwrap();
    assert_err(
        verify(
            &cred,
            &format!("{D}/a.zip"),
            IP,
            &keys,
            &RingVerifier,
            UnixTime(NOW),
        ),
        VerifyError::BadSignature,
        "off-curve point",
    );
}

#[test]
fn ring_verifier_key_and_algorithm_mismatch_fails() {
    use edgegate_keys::{SignatureAlgorithm, SignatureVerifier};
    let message = canned_policy(&format!("{D}/a.zip"), EXPIRES);
    let rsa_sig = rsa_a()
        .sign(HashAlgorithm::Sha256, message.as_bytes(), &rng())
        .unwrap();
    let ec_sig = ec_a()
        .sign(HashAlgorithm::Sha256, message.as_bytes(), &rng())
        .unwrap();
    let (rsa, ec) = (public(rsa_a()), public(ec_a()));
    let ok = |alg, key, sig: &[u8]| {
        RingVerifier
            .verify(alg, key, message.as_bytes(), sig)
            .is_ok()
    };
    assert!(ok(SignatureAlgorithm::RsaPkcs1Sha256, &rsa, &rsa_sig));
    assert!(ok(SignatureAlgorithm::EcdsaP256Sha256, &ec, &ec_sig));
    // Each key only with its own algorithm, each signature only with its own hash.
    assert!(!ok(SignatureAlgorithm::EcdsaP256Sha256, &rsa, &ec_sig));
    assert!(!ok(SignatureAlgorithm::RsaPkcs1Sha256, &ec, &rsa_sig));
    assert!(!ok(SignatureAlgorithm::RsaPkcs1Sha1, &ec, &rsa_sig));
    assert!(!ok(SignatureAlgorithm::RsaPkcs1Sha1, &rsa, &rsa_sig));
}

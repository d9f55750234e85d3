//! Project Wycheproof RSASSA-PKCS1-v1_5 vectors through `PublicKey` + `RingVerifier` (and, for
//! the generation files, through the `sign` feature's signer).
//!
//! The vectors are vendored, unmodified, in `keys/tests/vectors/wycheproof/` (provenance,
//! licence and digests there). Verdict rule (security catalogue §0): `valid` must
//! verify; `invalid` and `acceptable` must not. A key that `PublicKey` refuses counts as a reject;
//! a refused key under a `valid` vector is allowed only where edgegate's key policy (RSA
//! 2048–4096 bits, e = 65537; RFC 7518 §3.3 and Cognito's `AQAB`) is the reason, and each such
//! vector is listed by id below, so a new one fails the test instead of passing silently.

mod common;

use edgegate_keys::sign::SigningKey;
use edgegate_keys::{
    HashAlgorithm, Jwks, PublicKey, RingVerifier, SignatureAlgorithm, SignatureVerifier,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn wycheproof_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/wycheproof")
}

/// Reads a vendored vector file after checking its bytes against `SHA256SUMS` (so an edited
/// or truncated file fails here, not as a puzzling verdict count).
fn load(name: &str) -> Value {
    let dir = wycheproof_dir();
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).expect("SHA256SUMS is vendored");
    let expected = sums
        .lines()
        .find_map(|l| l.strip_suffix(name)?.strip_suffix("  "))
        .unwrap_or_else(|| panic!("{name} is not listed in SHA256SUMS"));
    let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        digest, expected,
        "{name} differs from the vendored upstream bytes"
    );
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd-length hex");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn str_field<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("missing string field {name}"))
}

fn groups(file: &Value) -> &Vec<Value> {
    file["testGroups"].as_array().expect("testGroups")
}

fn tests_of(group: &Value) -> &Vec<Value> {
    group["tests"].as_array().expect("tests")
}

fn flags(test: &Value) -> Vec<&str> {
    test["flags"]
        .as_array()
        .map(|f| f.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn verifies(key: &PublicKey, alg: SignatureAlgorithm, test: &Value) -> bool {
    RingVerifier
        .verify(
            alg,
            key,
            &hex(str_field(test, "msg")),
            &hex(str_field(test, "sig")),
        )
        .is_ok()
}

/// What happened to one vector, for the failure report.
struct Outcome {
    tc_id: u64,
    result: String,
    verified: bool,
    key_refused: Option<String>,
}

fn tc_id(test: &Value) -> u64 {
    test["tcId"].as_u64().expect("tcId")
}

#[test]
fn wycheproof_rsa_signature_2048_sha256_verdicts_ok() {
    let file = load("rsa_signature_2048_sha256_test.json");
    assert_eq!(file["schema"], "rsassa_pkcs1_verify_schema_v1.json");
    // Valid vectors whose key edgegate refuses by policy: (tcId, field refused, Wycheproof flag).
    // 258 and 259 use e = 3 ("SmallPublicKey"); edgegate accepts only e = 65537.
    let expected_policy_refusals: &[(u64, &str, &str)] =
        &[(258, "e", "SmallPublicKey"), (259, "e", "SmallPublicKey")];

    let mut outcomes = Vec::new();
    for group in groups(&file) {
        assert_eq!(group["sha"], "SHA-256");
        let der = hex(str_field(group, "publicKeyDer"));
        let loaded = PublicKey::from_spki_der(&der);
        if let Ok(key) = &loaded {
            // The same key through the three other encodings the group carries.
            assert_eq!(
                &PublicKey::from_spki_pem(str_field(group, "publicKeyPem")).unwrap(),
                key
            );
            let components = &group["publicKey"];
            let from_components = PublicKey::from_rsa_components(
                &hex(str_field(components, "modulus")),
                &hex(str_field(components, "publicExponent")),
            )
            .unwrap();
            assert_eq!(&from_components, key);
            assert_eq!(
                key.spki_der(),
                &der[..],
                "re-encoded SPKI differs from Wycheproof's DER"
            );
        }
        // The group's JWK, as a one-key JWKS: the same verdict and the same key.
        let mut jwk = group["keyJwk"].clone();
        jwk["use"] = Value::from("sig");
        let jwks = Jwks::parse(serde_json::json!({ "keys": [jwk] }).to_string().as_bytes());
        match (&loaded, &jwks) {
            (Ok(key), Ok(set)) => assert_eq!(set.get("none"), Some(key)),
            (Err(der_err), Err(jwk_err)) => {
                assert_eq!(jwk_err.field, format!("keys[0].{}", der_err.field))
            }
            _ => panic!("DER and JWK loading disagree: {loaded:?} vs {jwks:?}"),
        }
        for test in tests_of(group) {
            let verified = match &loaded {
                Ok(key) => verifies(key, SignatureAlgorithm::RsaPkcs1Sha256, test),
                Err(_) => false,
            };
            outcomes.push(Outcome {
                tc_id: tc_id(test),
                result: str_field(test, "result").to_string(),
                verified,
                key_refused: loaded.as_ref().err().map(|e| e.field.clone()),
            });
            if let (Err(e), "valid") = (&loaded, str_field(test, "result")) {
                let expected = expected_policy_refusals
                    .iter()
                    .find(|(id, _, _)| *id == tc_id(test))
                    .unwrap_or_else(|| {
                        panic!(
                            "valid vector {} refused by the key loader: {e}",
                            tc_id(test)
                        )
                    });
                assert_eq!(e.field, expected.1, "tcId {}", expected.0);
                assert!(
                    flags(test).contains(&expected.2),
                    "tcId {} lacks flag {}",
                    expected.0,
                    expected.2
                );
                // It is a policy refusal, not a parsing error: ring alone (e ≥ 3) accepts it.
                // (ring wants the modulus without the DER sign byte.)
                let c = &group["publicKey"];
                let n = hex(str_field(c, "modulus"));
                let ring_ok = ring::signature::RsaPublicKeyComponents {
                    n: n.strip_prefix(&[0u8][..]).unwrap_or(&n),
                    e: &hex(str_field(c, "publicExponent"))[..],
                }
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    &hex(str_field(test, "msg")),
                    &hex(str_field(test, "sig")),
                )
                .is_ok();
                assert!(ring_ok, "tcId {}: ring rejects it too", expected.0);
            }
        }
    }

    let wrong: Vec<String> = outcomes
        .iter()
        .filter(|o| {
            let policy_refusal = o.key_refused.is_some()
                && expected_policy_refusals
                    .iter()
                    .any(|(id, _, _)| *id == o.tc_id);
            o.verified != (o.result == "valid") && !policy_refusal
        })
        .map(|o| format!("tcId {} ({}): verified = {}", o.tc_id, o.result, o.verified))
        .collect();
    assert!(
        wrong.is_empty(),
        "verdicts differ from Wycheproof:\n{}",
        wrong.join("\n")
    );
    assert_eq!(file["numberOfTests"], 259);
    assert_eq!(outcomes.len(), 259, "every vector ran");
    let count = |r: &str| outcomes.iter().filter(|o| o.result == r).count();
    assert_eq!(
        (count("valid"), count("invalid"), count("acceptable")),
        (9, 249, 1)
    );
    assert_eq!(
        outcomes.iter().filter(|o| o.verified).count(),
        7,
        "the 7 valid e = 65537 vectors verify"
    );
}

#[test]
fn wycheproof_legacy_rsa_signature_sha256_verdicts_ok() {
    // The pre-v1 file: SHA-256 (and a few SHA-512) vectors over 1024- to 4096-bit keys.
    let file = load("legacy_rsa_signature_test.json");
    let mut ran = 0;
    let mut verified = 0;
    let mut wrong = Vec::new();
    for group in groups(&file) {
        let alg = match str_field(group, "sha") {
            "SHA-256" => Some(SignatureAlgorithm::RsaPkcs1Sha256),
            _ => None, // SHA-512: no edgegate algorithm; must not verify under any of ours
        };
        let loaded = PublicKey::from_spki_der(&hex(str_field(group, "keyDer")));
        let bits = group["keysize"].as_u64().expect("keysize");
        let e = str_field(group, "e");
        // Key policy: exactly the 2048–4096-bit, e = 65537 keys load.
        assert_eq!(
            loaded.is_ok(),
            (2048..=4096).contains(&bits) && e == "010001",
            "{bits} bits, e = {e}"
        );
        for test in tests_of(group) {
            ran += 1;
            let ok = match (&loaded, alg) {
                (Ok(key), Some(alg)) => verifies(key, alg, test),
                (Ok(key), None) => {
                    verifies(key, SignatureAlgorithm::RsaPkcs1Sha256, test)
                        || verifies(key, SignatureAlgorithm::RsaPkcs1Sha1, test)
                }
                (Err(_), _) => false,
            };
            verified += usize::from(ok);
            if ok != (str_field(test, "result") == "valid") {
                wrong.push(format!(
                    "tcId {} ({}): verified = {ok}",
                    tc_id(test),
                    str_field(test, "result")
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "verdicts differ from Wycheproof:\n{}",
        wrong.join("\n")
    );
    assert_eq!(file["numberOfTests"], 377);
    assert_eq!(ran, 377, "every vector ran");
    assert_eq!(
        verified,
        7 + 11 * 7,
        "the 84 valid vectors (2048, 3072 and 4096 bits) verify"
    );
}

/// The generation files hold known-answer signatures (`RsassaPkcs1Generate`). Their SHA-1 groups
/// are `acceptable` only because of the `WeakHash` flag: SHA-1 is CloudFront's default signed-URL
/// hash (AWS CloudFront Developer Guide, "Create a signed URL using a canned policy"), so
/// edgegate must verify these under `RsaPkcs1Sha1` (and only there). Keys that are too small or
/// use e = 3 are refused. Hashes edgegate does not implement (SHA-224/384/512) never verify.
#[test]
fn wycheproof_sig_gen_known_answers_verify_under_named_hash_only_ok() {
    let mut ran = 0;
    let mut sha1_verified = 0;
    let mut wrong = Vec::new();
    for (name, expected_tests) in [
        ("rsa_pkcs1_2048_sig_gen_test.json", 43),
        ("rsa_pkcs1_1024_sig_gen_test.json", 33),
    ] {
        let file = load(name);
        assert_eq!(file["schema"], "rsassa_pkcs1_generate_schema_v1.json");
        assert_eq!(file["numberOfTests"], expected_tests);
        let mut file_ran = 0;
        for group in groups(&file) {
            let sha = str_field(group, "sha");
            let named = match sha {
                "SHA-1" => Some(SignatureAlgorithm::RsaPkcs1Sha1),
                "SHA-256" => Some(SignatureAlgorithm::RsaPkcs1Sha256),
                _ => None,
            };
            let loaded = PublicKey::from_spki_der(&hex(str_field(group, "keyDer")));
            for test in tests_of(group) {
                file_ran += 1;
                let f = flags(test);
                let weak_key = f.contains(&"SmallModulus") || f.contains(&"SmallPublicKey");
                if weak_key {
                    assert!(
                        loaded.is_err(),
                        "{name} tcId {}: weak key loaded",
                        tc_id(test)
                    );
                    continue;
                }
                let key = loaded
                    .as_ref()
                    .unwrap_or_else(|e| panic!("{name} tcId {}: key refused: {e}", tc_id(test)));
                let under_sha1 = verifies(key, SignatureAlgorithm::RsaPkcs1Sha1, test);
                let under_sha256 = verifies(key, SignatureAlgorithm::RsaPkcs1Sha256, test);
                let expected = (
                    named == Some(SignatureAlgorithm::RsaPkcs1Sha1),
                    named == Some(SignatureAlgorithm::RsaPkcs1Sha256),
                );
                if (under_sha1, under_sha256) != expected {
                    wrong.push(format!(
                        "{name} tcId {} ({sha}, {}): sha1 = {under_sha1}, sha256 = {under_sha256}",
                        tc_id(test),
                        str_field(test, "result")
                    ));
                }
                sha1_verified += usize::from(under_sha1);
                // A one-bit change of the known answer never verifies.
                let mut flipped = test.clone();
                let mut sig = hex(str_field(test, "sig"));
                let last = sig.len() - 1;
                sig[last] ^= 1;
                flipped["sig"] =
                    Value::from(sig.iter().map(|b| format!("{b:02x}")).collect::<String>());
                assert!(!verifies(key, SignatureAlgorithm::RsaPkcs1Sha1, &flipped));
                assert!(!verifies(key, SignatureAlgorithm::RsaPkcs1Sha256, &flipped));
            }
        }
        assert_eq!(file_ran, expected_tests, "every vector of {name} ran");
        ran += file_ran;
    }
    assert!(wrong.is_empty(), "verdicts differ:\n{}", wrong.join("\n"));
    assert_eq!(ran, 76);
    assert_eq!(
        sha1_verified, 8,
        "the 8 SHA-1 known answers over the 2048-bit key verify"
    );
}

/// The `sign` feature's RSA signer reproduces Wycheproof's known answers byte for byte (PKCS#1
/// v1.5 is deterministic), for SHA-1 (CloudFront's default) and SHA-256.
#[test]
fn wycheproof_sig_gen_signer_reproduces_known_answers_ok() {
    let file = load("rsa_pkcs1_2048_sig_gen_test.json");
    let rng = ring::rand::SystemRandom::new();
    let mut checked = 0;
    for group in groups(&file) {
        let hash = match str_field(group, "sha") {
            "SHA-1" => HashAlgorithm::Sha1,
            "SHA-256" => HashAlgorithm::Sha256,
            _ => continue,
        };
        let Ok(key) = SigningKey::from_pem(str_field(group, "privateKeyPem")) else {
            // the e = 3 groups: the signer refuses them as the verifier does
            assert!(tests_of(group)
                .iter()
                .all(|t| flags(t).contains(&"SmallPublicKey")));
            continue;
        };
        for test in tests_of(group) {
            let sig = key
                .sign(hash, &hex(str_field(test, "msg")), &rng)
                .expect("sign");
            assert_eq!(sig, hex(str_field(test, "sig")), "tcId {}", tc_id(test));
            checked += 1;
        }
    }
    assert_eq!(checked, 16, "8 SHA-1 and 8 SHA-256 known answers");
}

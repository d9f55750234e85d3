//! JWKS loading (`Jwks::parse`): a Cognito-shaped document, and the key rules of the security
//! catalogue JWT-K-11..14 (RFC 7518 §3.3 and §6.3, RFC 7517 §4.2–4.3, RFC 8725 §3.10). Each
//! refusal names the member at fault (`keys[i].field`); negatives are made by mutating the
//! committed Cognito-shaped document (`tests/vectors/cognito_jwks.json`).

mod common;

use common::{public, read_vector, rsa_4096, rsa_a, rsa_b};
use edgegate_keys::cf_base64::{decode_b64url, encode_b64url};
use edgegate_keys::{Jwks, KeyError, KeyType};
use serde_json::{json, Value};

const KID_A: &str = "M8BGf6hE43/QGbiElQoDzWtRZwsau0GWrruNWz/bQ6c=";
const KID_B: &str = "QWkw5tgrxIwthJJLgYtrej8XirEcd7OsbVueMbjWk3U=";

fn cognito_doc() -> Value {
    serde_json::from_str(&read_vector("cognito_jwks.json")).expect("cognito_jwks.json")
}

/// The committed document with `edit` applied to its `keys[index]`.
fn with_key(index: usize, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut doc = cognito_doc();
    edit(doc["keys"][index].as_object_mut().expect("key object"));
    doc
}

fn parse(doc: &Value) -> Result<Jwks, KeyError> {
    Jwks::parse(doc.to_string().as_bytes())
}

fn refused_field(doc: &Value) -> String {
    match parse(doc) {
        Ok(_) => panic!("JWKS accepted: {doc}"),
        Err(e) => {
            assert!(!e.reason.is_empty());
            e.field
        }
    }
}

fn set_str(key: &mut serde_json::Map<String, Value>, name: &str, value: &str) {
    key.insert(name.to_string(), Value::from(value));
}

fn weak_modulus(name: &str) -> String {
    let moduli: Value =
        serde_json::from_str(&edgegate_test_kit::keys::read("rejected_rsa_moduli.json")).unwrap();
    moduli[name].as_str().unwrap().to_string()
}

/// A base64url modulus of exactly `bits` bits (odd, not a real RSA modulus: only the loader's
/// size rule is under test).
fn synthetic_modulus(bits: usize) -> String {
    let mut n = vec![0xffu8; bits.div_ceil(8)];
    let spare = n.len() * 8 - bits;
    n[0] >>= spare;
    encode_b64url(&n)
}

// --- the Cognito-shaped document ----------------------------------------------------------

#[test]
fn cognito_jwks_two_rsa_keys_parse_ok() {
    let jwks = Jwks::parse(read_vector("cognito_jwks.json").trim_end().as_bytes()).unwrap();
    assert_eq!(jwks.len(), 2);
    assert!(!jwks.is_empty());
    assert_eq!(jwks.kids().collect::<Vec<_>>(), [KID_A, KID_B]);
    let a = jwks.get(KID_A).unwrap();
    assert_eq!(a, &public(rsa_a()));
    assert_eq!(a.key_type(), KeyType::Rsa);
    assert_eq!(a.rsa_bits(), Some(2048));
    assert_eq!(a.rsa_components().unwrap().1, [1, 0, 1]);
    assert_eq!(jwks.get(KID_B).unwrap(), &public(rsa_b()));
}

#[test]
fn cognito_jwks_kid_lookup_is_exact_ok() {
    let jwks = parse(&cognito_doc()).unwrap();
    for near in [
        KID_A.to_lowercase(),
        KID_A.trim_end_matches('=').to_string(),
        format!("{KID_A} "),
        format!(" {KID_A}"),
        KID_A.replace('/', "_"),
        String::new(),
    ] {
        assert_eq!(jwks.get(&near), None, "{near:?}");
    }
}

#[test]
fn cognito_jwks_to_json_round_trip_ok() {
    let jwks = parse(&cognito_doc()).unwrap();
    let again = Jwks::parse(jwks.to_json().as_bytes()).unwrap();
    assert_eq!(again, jwks);
    // Cognito's members, nothing else.
    let doc: Value = serde_json::from_str(&jwks.to_json()).unwrap();
    assert_eq!(doc, cognito_doc());
}

#[test]
fn cognito_jwks_member_order_and_whitespace_irrelevant_ok() {
    let doc = cognito_doc();
    let reordered: String = doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            format!(
                "{{ \"use\" : \"sig\", \"n\" : {}, \"kty\" : \"RSA\", \"kid\" : {}, \"e\" : \"AQAB\", \"alg\" : \"RS256\" }}",
                k["n"], k["kid"]
            )
        })
        .collect::<Vec<_>>()
        .join(",\n ");
    let text = format!("{{\n \"keys\" : [\n {reordered} ]\n}}\n");
    assert_eq!(Jwks::parse(text.as_bytes()).unwrap(), parse(&doc).unwrap());
}

#[test]
fn jwks_optional_members_absent_ok() {
    // RFC 7517 §4: only kty is required by the JWK spec; edgegate also requires kid, n and e.
    let doc = with_key(0, |k| {
        k.remove("alg");
        k.remove("use");
    });
    assert_eq!(parse(&doc).unwrap().get(KID_A), Some(&public(rsa_a())));
}

#[test]
fn jwks_unknown_members_ignored_ok() {
    // RFC 7517 §4: "member names that are not understood MUST be ignored".
    let doc = with_key(0, |k| {
        set_str(k, "x5t", "ignored");
        k.insert("key_ops".into(), json!(["verify"]));
    });
    assert!(parse(&doc).is_ok());
}

#[test]
fn jwks_4096_bit_key_ok() {
    let key = public(rsa_4096());
    let (n, e) = key.rsa_components().unwrap();
    let doc = json!({"keys": [{"kty": "RSA", "kid": "big", "n": encode_b64url(n), "e": encode_b64url(e)}]});
    assert_eq!(
        parse(&doc).unwrap().get("big").unwrap().rsa_bits(),
        Some(4096)
    );
}

#[test]
fn jwks_twenty_keys_ok() {
    let template = cognito_doc()["keys"][0].clone();
    let keys: Vec<Value> = (0..20)
        .map(|i| {
            let mut k = template.clone();
            k["kid"] = Value::from(format!("kid-{i}"));
            k
        })
        .collect();
    assert_eq!(parse(&json!({ "keys": keys })).unwrap().len(), 20);
}

#[test]
fn jwks_256_byte_kid_ok() {
    let kid = "k".repeat(256);
    let doc = with_key(0, |k| set_str(k, "kid", &kid));
    assert!(parse(&doc).unwrap().get(&kid).is_some());
}

#[test]
fn jwks_modulus_with_leading_zero_octet_ok() {
    // RFC 7518 §6.3.1.1 asks producers to omit the extra zero octet some libraries prepend;
    // edgegate tolerates it on input (same key, no ambiguity) and never emits it (to_json).
    let n = decode_b64url(cognito_doc()["keys"][0]["n"].as_str().unwrap()).unwrap();
    let mut padded = vec![0u8];
    padded.extend_from_slice(&n);
    let doc = with_key(0, |k| set_str(k, "n", &encode_b64url(&padded)));
    let jwks = parse(&doc).unwrap();
    assert_eq!(jwks.get(KID_A), Some(&public(rsa_a())));
    assert!(!jwks.to_json().contains(&encode_b64url(&padded)));
}

// --- JWT-K-11 / JWT-K-12: key size and exponent (RFC 7518 §3.3) -----------------------------

#[test]
fn jwks_1024_bit_key_fails() {
    // The weak key second, so the error must name the right element.
    let doc = with_key(1, |k| set_str(k, "n", &weak_modulus("rsa1024_n")));
    assert_eq!(refused_field(&doc), "keys[1].n");
}

#[test]
fn jwks_8192_bit_key_fails() {
    let doc = with_key(0, |k| set_str(k, "n", &weak_modulus("rsa8192_n")));
    assert_eq!(refused_field(&doc), "keys[0].n");
}

#[test]
fn jwks_modulus_outside_2048_to_4096_bits_fails() {
    for (bits, ok) in [
        (2047, false),
        (2048, true),
        (4096, true),
        (4097, false),
        (16384, false),
    ] {
        let doc = with_key(0, |k| set_str(k, "n", &synthetic_modulus(bits)));
        match parse(&doc) {
            Ok(jwks) => {
                assert!(ok, "{bits}-bit modulus accepted");
                assert_eq!(jwks.get(KID_A).unwrap().rsa_bits(), Some(bits));
            }
            Err(e) => {
                assert!(!ok, "{bits}-bit modulus refused: {e}");
                assert_eq!(e.field, "keys[0].n");
            }
        }
    }
}

#[test]
fn jwks_even_modulus_fails() {
    let mut n = decode_b64url(cognito_doc()["keys"][0]["n"].as_str().unwrap()).unwrap();
    *n.last_mut().unwrap() &= 0xfe;
    let doc = with_key(0, |k| set_str(k, "n", &encode_b64url(&n)));
    assert_eq!(refused_field(&doc), "keys[0].n");
}

#[test]
fn jwks_exponent_other_than_65537_fails() {
    // e = 1 makes the signature equal the padded message (trivial forgery); e = 3 is the
    // low-exponent forgery class; even and oversized exponents are not RSA keys edgegate uses.
    for e in ["AQ", "Aw", "Ag", "AQAC", "AQAA", "AgAAAAE", "AQABAQ", ""] {
        let doc = with_key(0, |k| set_str(k, "e", e));
        assert_eq!(refused_field(&doc), "keys[0].e", "e = {e:?}");
    }
}

#[test]
fn jwks_exponent_with_leading_zero_octet_ok() {
    // Same value as AQAB (see jwks_modulus_with_leading_zero_octet_ok).
    let doc = with_key(0, |k| set_str(k, "e", "AAEAAQ"));
    assert_eq!(parse(&doc).unwrap().get(KID_A), Some(&public(rsa_a())));
}

// --- JWT-K-13: key type and usage (RFC 7517 §4.1–4.4, RFC 7518 §3.3) -------------------------

#[test]
fn jwks_use_enc_fails() {
    for usage in ["enc", "SIG", "sig ", ""] {
        let doc = with_key(0, |k| set_str(k, "use", usage));
        assert_eq!(refused_field(&doc), "keys[0].use", "use = {usage:?}");
    }
    let doc = with_key(0, |k| {
        k.insert("use".into(), json!(["sig"]));
    });
    assert_eq!(refused_field(&doc), "keys[0].use");
}

#[test]
fn jwks_key_ops_without_verify_fails() {
    for ops in [
        json!(["encrypt"]),
        json!(["sign"]),
        json!(["wrapKey", "decrypt"]),
        json!([]),
        json!("verify"),
        json!(["VERIFY"]),
    ] {
        let doc = with_key(0, |k| {
            k.insert("key_ops".into(), ops.clone());
        });
        assert_eq!(refused_field(&doc), "keys[0].key_ops", "key_ops = {ops}");
    }
}

#[test]
fn jwks_kty_other_than_rsa_fails() {
    for kty in ["oct", "EC", "OKP", "rsa", "RSA ", ""] {
        let doc = with_key(1, |k| set_str(k, "kty", kty));
        assert_eq!(refused_field(&doc), "keys[1].kty", "kty = {kty:?}");
    }
    let doc = with_key(0, |k| {
        k.remove("kty");
    });
    assert_eq!(refused_field(&doc), "keys[0].kty");
    // A symmetric key (the HS256 confusion set-up) carries "k" instead of n/e.
    let oct = json!({"keys": [{"kty": "oct", "kid": KID_A, "k": "c2VjcmV0", "alg": "HS256"}]});
    assert_eq!(refused_field(&oct), "keys[0].kty");
}

#[test]
fn jwks_alg_other_than_rs256_fails() {
    for alg in [
        "RS512", "RS384", "PS256", "HS256", "ES256", "none", "rs256", "",
    ] {
        let doc = with_key(0, |k| set_str(k, "alg", alg));
        assert_eq!(refused_field(&doc), "keys[0].alg", "alg = {alg:?}");
    }
    let doc = with_key(0, |k| {
        k.insert("alg".into(), json!(256));
    });
    assert_eq!(refused_field(&doc), "keys[0].alg");
}

// --- JWT-K-14: kid ---------------------------------------------------------------------------

#[test]
fn jwks_duplicate_kid_fails() {
    // Same kid, different keys: the lookup would be ambiguous.
    let doc = with_key(1, |k| set_str(k, "kid", KID_A));
    assert_eq!(refused_field(&doc), "keys[1].kid");
    // Same kid, same key: still refused (no silent de-duplication).
    let mut doc = cognito_doc();
    doc["keys"][1] = doc["keys"][0].clone();
    assert_eq!(refused_field(&doc), "keys[1].kid");
}

#[test]
fn jwks_kid_missing_empty_long_or_not_string_fails() {
    let missing = with_key(0, |k| {
        k.remove("kid");
    });
    assert_eq!(refused_field(&missing), "keys[0].kid");
    for kid in [
        json!(""),
        json!("k".repeat(257)),
        json!(1),
        json!(null),
        json!([KID_A]),
    ] {
        let doc = with_key(0, |k| {
            k.insert("kid".into(), kid.clone());
        });
        assert_eq!(refused_field(&doc), "keys[0].kid", "kid = {kid}");
    }
}

// --- encodings and document shape --------------------------------------------------------------

#[test]
fn jwks_n_or_e_not_strict_base64url_fails() {
    let n = cognito_doc()["keys"][0]["n"].as_str().unwrap().to_string();
    assert!(
        n.contains(['-', '_']),
        "fixture modulus exercises the URL-safe alphabet"
    );
    let standard = n.replace('-', "+").replace('_', "/");
    let padded = format!("{n}=="); // a 256-byte value takes two padding characters
    let spaced = format!("{} {}", &n[..10], &n[10..]);
    for bad in [standard, padded, spaced] {
        let doc = with_key(0, |k| set_str(k, "n", &bad));
        assert_eq!(refused_field(&doc), "keys[0].n");
    }
    for bad in ["AQAB=", "AQAB ", "AQ+B"] {
        let doc = with_key(0, |k| set_str(k, "e", bad));
        assert_eq!(refused_field(&doc), "keys[0].e", "e = {bad:?}");
    }
    for member in ["n", "e"] {
        let doc = with_key(0, |k| {
            k.remove(member);
        });
        assert_eq!(refused_field(&doc), format!("keys[0].{member}"));
        let doc = with_key(0, |k| {
            k.insert(member.into(), json!(65537));
        });
        assert_eq!(refused_field(&doc), format!("keys[0].{member}"));
    }
}

#[test]
fn jwks_duplicate_member_names_fails() {
    let text = read_vector("cognito_jwks.json");
    // A second "e" inside the first key (RFC 7517 §4: member names MUST be unique).
    let dup_e = text.replacen("\"e\":\"AQAB\"", "\"e\":\"AQAB\",\"e\":\"Aw\"", 1);
    assert_ne!(dup_e, text);
    // A second "keys" array at the top.
    let dup_keys = format!("{},\"keys\":[]}}", text.trim_end().trim_end_matches('}'));
    for doc in [dup_e, dup_keys] {
        let err = Jwks::parse(doc.as_bytes()).unwrap_err();
        assert_eq!(err.field, "");
    }
}

#[test]
fn jwks_document_shape_fails() {
    for (doc, field) in [
        (json!({}), "keys"),
        (json!({"keys": {}}), "keys"),
        (json!({"keys": []}), "keys"),
        (json!({"keys": [1]}), "keys[0]"),
        (json!({"keys": ["RSA"]}), "keys[0]"),
        (json!([]), ""),
        (json!("keys"), ""),
    ] {
        assert_eq!(refused_field(&doc), field, "{doc}");
    }
    for bytes in [&b""[..], b"{", b"{\"keys\":[]} x", b"\xff"] {
        assert_eq!(Jwks::parse(bytes).unwrap_err().field, "");
    }
}

#[test]
fn jwks_more_than_twenty_keys_fails() {
    let template = cognito_doc()["keys"][0].clone();
    let keys: Vec<Value> = (0..21)
        .map(|i| {
            let mut k = template.clone();
            k["kid"] = Value::from(format!("kid-{i}"));
            k
        })
        .collect();
    assert_eq!(refused_field(&json!({ "keys": keys })), "keys");
}

#[test]
fn jwks_larger_than_64_kib_fails() {
    let text = read_vector("cognito_jwks.json");
    let mut big = text.trim_end().to_string();
    big.push_str(&" ".repeat(64 * 1024 - big.len() + 1));
    assert_eq!(big.len(), 64 * 1024 + 1);
    assert_eq!(Jwks::parse(big.as_bytes()).unwrap_err().field, "");
    big.pop();
    assert!(
        Jwks::parse(big.as_bytes()).is_ok(),
        "exactly 64 KiB is within the cap"
    );
}

#[test]
fn jwks_error_names_field_without_key_material_ok() {
    let n = weak_modulus("rsa1024_n");
    let doc = with_key(0, |k| set_str(k, "n", &n));
    let err = parse(&doc).unwrap_err();
    let shown = err.to_string();
    assert!(shown.starts_with("keys[0].n: "), "{shown}");
    assert!(!shown.contains(&n[..16]));
}

#[test]
fn jwks_single_non_rsa_key_or_bad_kid_fails() {
    let jwks = Jwks::single("dev", public(rsa_a())).unwrap();
    assert_eq!(jwks.get("dev"), Some(&public(rsa_a())));
    assert_eq!(
        Jwks::single("dev", public(common::ec_a()))
            .unwrap_err()
            .field,
        "kty"
    );
    assert_eq!(Jwks::single("", public(rsa_a())).unwrap_err().field, "kid");
    assert_eq!(
        Jwks::single(&"k".repeat(257), public(rsa_a()))
            .unwrap_err()
            .field,
        "kid"
    );
}

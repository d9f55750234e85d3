//! A second verifier for Cognito JWTs: `jsonwebtoken` (with its RustCrypto backend, so neither
//! its JSON/base64 handling nor its RSA code is edgegate's or ring's) as the oracle of
//! `edgegate_keys::jwt::verify`.
//!
//! The property, over generated tokens and over every token in the decision corpus: **every
//! token edgegate admits, jsonwebtoken admits too** under a strict `Validation` (RS256 only,
//! `exp`/`iss`/`sub` required, the issuer, the leeway) plus the two Cognito rules it cannot
//! know (Cognito Developer Guide, "Verifying a JSON Web Token": `token_use`, and the app client
//! id in `aud` for ID tokens or `client_id` for access tokens), and the claims agree.
//!
//! The other direction is a finding, not a failure: where jsonwebtoken admits a token edgegate
//! refuses, the token's mutation must be in [`STRICTER_BY_DESIGN`], which says for each why
//! edgegate's answer is the right one; and every entry there must still be observed, so the
//! list cannot rot. (jsonwebtoken 12 agrees with edgegate on `crit`, duplicate claim names and
//! a string `nbf`: it refuses them too.)
//!
//! Generated tokens are judged against the real clock (jsonwebtoken reads the system time and
//! takes no `now`), so no generated time claim sits within a few seconds of a boundary; the
//! exact boundaries are pinned in `keys/tests/jwt.rs`. Corpus tokens carry their own `now`, so
//! there the oracle's time rule (RFC 7519 §4.1.4/§4.1.5, as jsonwebtoken implements it: expired
//! when `exp < now - leeway`, not yet valid when `nbf > now + leeway`) is applied by this file.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use edgegate_e2e::{now, repo_root, test_key};
use edgegate_keys::jwt::{cognito_issuer, verify, IssuerFormat};
use edgegate_keys::{Jwks, JwtValidation, PublicKey, RingVerifier, TokenUse, UnixTime};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const REGION: &str = "eu-west-1";
const POOL: &str = "eu-west-1_Oracle01";
const CLIENT: &str = "oracleclient0000000000001";
const OTHER_CLIENT: &str = "oracleclient0000000000002";
const KID: &str = "oracle-key-a";
const LEEWAY: u64 = 30;

/// Mutations for which jsonwebtoken admits what edgegate refuses, and why edgegate is right.
const STRICTER_BY_DESIGN: &[(&str, &str)] = &[
    (
        "typ-other",
        "RFC 8725 §3.11: explicit typing exists so one kind of JWT cannot pass as another; \
         Cognito writes no typ, so only the JWT media type is accepted and others are refused",
    ),
    (
        "hdr-jku",
        "RFC 7515 §4.1.2: a header naming a key URL is attacker-chosen key material; edgegate \
         trusts only the baked JWKS and refuses headers it does not use (catalogue: jku/x5u injection)",
    ),
    (
        "hdr-x5u",
        "as jku (RFC 7515 §4.1.5): an attacker-chosen certificate URL is refused outright",
    ),
    (
        "hdr-jwk",
        "RFC 7515 §4.1.3: an embedded public key is the classic key-injection attack; jsonwebtoken \
         ignores it (safe here), edgegate refuses the token (also safe, and says so)",
    ),
    (
        "hdr-cty",
        "RFC 7519 §5.2: cty=JWT announces a nested JWT; Cognito never nests, so the header is \
         refused rather than the inner token half-read",
    ),
    (
        "iss-array",
        "RFC 7519 §4.1.1: iss is a single StringOrURI; jsonwebtoken also accepts an array \
         containing the issuer, which no issuer writes",
    ),
    (
        "aud-array-one",
        "Cognito ID tokens carry aud as one string (the app client id); RFC 7519 §4.1.3 allows \
         an array, but a Cognito-only gate fails closed on a shape Cognito never issues",
    ),
    (
        "aud-array-mixed",
        "as aud-array-one; also a token meant for several audiences is refused (RFC 8725 §3.9)",
    ),
    (
        "iat-future",
        "a token issued in the future means a wrong clock or a forged claim; jsonwebtoken never \
         looks at iat, edgegate refuses iat > now + leeway",
    ),
    (
        "iat-string",
        "RFC 7519 §2 NumericDate: a wrongly typed time claim is refused, never treated as absent",
    ),
    (
        "exp-float",
        "RFC 7519 §2 allows a fractional NumericDate, but Cognito writes integers; edgegate \
         refuses a fraction rather than round it (jsonwebtoken truncates)",
    ),
    (
        "groups-number",
        "cognito:groups decides authorisation: a wrongly typed value refuses the token instead of \
         reading as no groups (jsonwebtoken does not know the claim)",
    ),
    (
        "username-number",
        "cognito:username/username is logged and shown: a wrongly typed value refuses the token",
    ),
];

// --- fixtures ------------------------------------------------------------------------------------

fn der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body is base64")
}

struct Fixture {
    trusted: RsaKeyPair,
    attacker: RsaKeyPair,
    jwks: Jwks,
    jwks_json: String,
    validation: JwtValidation,
}

fn fixture() -> Fixture {
    let trusted_pem = test_key("rsa-2048-private.pem");
    let trusted = RsaKeyPair::from_pkcs8(&der(&trusted_pem)).expect("ring loads the test key");
    let attacker = RsaKeyPair::from_pkcs8(&der(&test_key("rsa-2048-other-private.pem")))
        .expect("ring loads the other test key");
    let public = PublicKey::from_spki_pem(&test_key("rsa-2048-public.pem")).expect("public key");
    let jwks = Jwks::single(KID, public).expect("one-key JWKS");
    let jwks_json = jwks.to_json();
    Fixture {
        trusted,
        attacker,
        jwks,
        jwks_json,
        validation: JwtValidation {
            issuer: cognito_issuer(IssuerFormat::Original, REGION, POOL),
            client_ids: vec![CLIENT.to_string()],
            token_uses: vec![TokenUse::Id, TokenUse::Access],
            leeway_secs: LEEWAY,
            claims: Vec::new(),
        },
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sign(key: &RsaKeyPair, input: &str) -> Vec<u8> {
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .expect("ring signs");
    sig
}

/// Cognito-shaped ID or access token claims (Cognito Developer Guide, "Understanding the
/// identity (ID) token" / "Understanding the access token"), issued 100 s before `now`.
fn claims(id: bool, issuer: &str, now: u64) -> Map<String, Value> {
    let mut c = json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["release-engineers"],
        "iss": issuer,
        "origin_jti": "8c4d0d6e-7c1c-4a43-9d2e-2a1b6f0e1d11",
        "event_id": "0f6a1c52-5f16-4f7b-9d0e-6d4f8e2a9b33",
        "auth_time": now - 100,
        "exp": now + 3500,
        "iat": now - 100,
        "jti": "f3e1b2c4-1d2e-4f5a-8b9c-0d1e2f3a4b5c",
    });
    let m = c.as_object_mut().expect("object");
    if id {
        m.insert("aud".into(), json!(CLIENT));
        m.insert("token_use".into(), json!("id"));
        m.insert("cognito:username".into(), json!("jdoe"));
        m.insert("email".into(), json!("jdoe@example.com"));
    } else {
        m.insert("client_id".into(), json!(CLIENT));
        m.insert("token_use".into(), json!("access"));
        m.insert("scope".into(), json!("openid releases/read"));
        m.insert("username".into(), json!("jdoe"));
        m.insert("version".into(), json!(2));
    }
    m.clone()
}

/// A token under construction: header and claims as JSON, then raw edits of the text.
struct Draft {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    /// Text inserted at the start of the payload object (duplicate members).
    payload_prefix: Option<String>,
    attacker_signs: bool,
    signature_edit: Option<fn(&mut Vec<u8>)>,
    pad_payload: bool,
}

type Mutation = (&'static str, fn(&mut Draft, u64, bool));

/// Every mutation: a label (the finding's name) and what it does to a draft.
/// `(draft, now, is_id_token)`.
const MUTATIONS: &[Mutation] = &[
    ("kid-unknown", |d, _, _| {
        d.header.insert("kid".into(), json!("someone-else"));
    }),
    ("kid-number", |d, _, _| {
        d.header.insert("kid".into(), json!(7));
    }),
    ("kid-absent", |d, _, _| {
        d.header.remove("kid");
    }),
    ("typ-jwt", |d, _, _| {
        d.header.insert("typ".into(), json!("JWT"));
    }),
    ("typ-other", |d, _, _| {
        d.header.insert("typ".into(), json!("at+jwt"));
    }),
    ("hdr-jku", |d, _, _| {
        d.header
            .insert("jku".into(), json!("https://evil.example/jwks.json"));
    }),
    ("hdr-x5u", |d, _, _| {
        d.header
            .insert("x5u".into(), json!("https://evil.example/cert.pem"));
    }),
    ("hdr-jwk", |d, _, _| {
        d.header.insert(
            "jwk".into(),
            json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
        );
    }),
    ("hdr-crit", |d, _, _| {
        d.header.insert("crit".into(), json!(["exp"]));
    }),
    ("hdr-cty", |d, _, _| {
        d.header.insert("cty".into(), json!("JWT"));
    }),
    ("alg-rs384", |d, _, _| {
        d.header.insert("alg".into(), json!("RS384"));
    }),
    ("alg-none", |d, _, _| {
        d.header.insert("alg".into(), json!("none"));
    }),
    ("alg-lowercase", |d, _, _| {
        d.header.insert("alg".into(), json!("rs256"));
    }),
    ("alg-hs256", |d, _, _| {
        d.header.insert("alg".into(), json!("HS256"));
    }),
    ("sig-attacker", |d, _, _| d.attacker_signs = true),
    ("sig-flip", |d, _, _| {
        d.signature_edit = Some(|s| {
            if let Some(b) = s.last_mut() {
                *b ^= 1;
            }
        })
    }),
    ("sig-truncated", |d, _, _| {
        d.signature_edit = Some(|s| {
            s.pop();
        })
    }),
    ("sig-empty", |d, _, _| d.signature_edit = Some(Vec::clear)),
    ("iss-wrong", |d, _, _| {
        d.claims.insert(
            "iss".into(),
            json!(cognito_issuer(
                IssuerFormat::Original,
                REGION,
                "eu-west-1_Other"
            )),
        );
    }),
    ("iss-slash", |d, _, _| {
        let iss = format!("{}/", cognito_issuer(IssuerFormat::Original, REGION, POOL));
        d.claims.insert("iss".into(), json!(iss));
    }),
    ("iss-updated-format", |d, _, _| {
        let iss = cognito_issuer(IssuerFormat::Updated, REGION, POOL);
        d.claims.insert("iss".into(), json!(iss));
    }),
    ("iss-absent", |d, _, _| {
        d.claims.remove("iss");
    }),
    ("iss-array", |d, _, _| {
        let iss = cognito_issuer(IssuerFormat::Original, REGION, POOL);
        d.claims.insert("iss".into(), json!([iss]));
    }),
    ("aud-wrong", |d, _, _| {
        d.claims.insert("aud".into(), json!(OTHER_CLIENT));
    }),
    ("aud-absent", |d, _, _| {
        d.claims.remove("aud");
    }),
    ("aud-array-one", |d, _, _| {
        d.claims.insert("aud".into(), json!([CLIENT]));
    }),
    ("aud-array-mixed", |d, _, _| {
        d.claims.insert("aud".into(), json!([OTHER_CLIENT, CLIENT]));
    }),
    ("client_id-wrong", |d, _, _| {
        d.claims.insert("client_id".into(), json!(OTHER_CLIENT));
    }),
    ("client_id-absent", |d, _, _| {
        d.claims.remove("client_id");
    }),
    ("token_use-absent", |d, _, _| {
        d.claims.remove("token_use");
    }),
    ("token_use-refresh", |d, _, _| {
        d.claims.insert("token_use".into(), json!("refresh"));
    }),
    ("token_use-swapped", |d, _, id| {
        let other = if id { "access" } else { "id" };
        d.claims.insert("token_use".into(), json!(other));
    }),
    ("exp-past", |d, now, _| {
        d.claims.insert("exp".into(), json!(now - 3600));
    }),
    ("exp-within-leeway", |d, now, _| {
        d.claims.insert("exp".into(), json!(now - LEEWAY / 2));
    }),
    ("exp-absent", |d, _, _| {
        d.claims.remove("exp");
    }),
    ("exp-string", |d, now, _| {
        d.claims
            .insert("exp".into(), json!((now + 3600).to_string()));
    }),
    ("exp-float", |d, now, _| {
        d.claims.insert("exp".into(), json!(now as f64 + 3600.5));
    }),
    ("exp-negative", |d, _, _| {
        d.claims.insert("exp".into(), json!(-1));
    }),
    ("nbf-future", |d, now, _| {
        d.claims.insert("nbf".into(), json!(now + 3600));
    }),
    ("nbf-within-leeway", |d, now, _| {
        d.claims.insert("nbf".into(), json!(now + LEEWAY / 2));
    }),
    ("nbf-string", |d, now, _| {
        d.claims.insert("nbf".into(), json!(now.to_string()));
    }),
    ("iat-future", |d, now, _| {
        d.claims.insert("iat".into(), json!(now + 3600));
    }),
    ("iat-string", |d, now, _| {
        d.claims.insert("iat".into(), json!(now.to_string()));
    }),
    ("sub-absent", |d, _, _| {
        d.claims.remove("sub");
    }),
    ("sub-number", |d, _, _| {
        d.claims.insert("sub".into(), json!(42));
    }),
    ("groups-number", |d, _, _| {
        d.claims.insert("cognito:groups".into(), json!(1));
    }),
    ("groups-string", |d, _, _| {
        d.claims
            .insert("cognito:groups".into(), json!("release-engineers"));
    }),
    ("username-number", |d, _, id| {
        let name = if id { "cognito:username" } else { "username" };
        d.claims.insert(name.into(), json!(5));
    }),
    ("dup-member", |d, _, _| {
        let iss = cognito_issuer(IssuerFormat::Original, REGION, "eu-west-1_Evil");
        d.payload_prefix = Some(format!("\"iss\":{},", Value::from(iss)));
    }),
    ("pad-payload", |d, _, _| d.pad_payload = true),
];

fn build(f: &Fixture, id: bool, now: u64, mutations: &[usize]) -> String {
    let mut d = Draft {
        header: json!({"kid": KID, "alg": "RS256"})
            .as_object()
            .expect("object")
            .clone(),
        claims: claims(id, &f.validation.issuer, now),
        payload_prefix: None,
        attacker_signs: false,
        signature_edit: None,
        pad_payload: false,
    };
    for &m in mutations {
        if let Some((_, apply)) = MUTATIONS.get(m) {
            apply(&mut d, now, id);
        }
    }
    let mut payload = Value::Object(d.claims).to_string();
    if let Some(prefix) = d.payload_prefix {
        payload.insert_str(1, &prefix);
    }
    let mut p64 = b64(payload.as_bytes());
    if d.pad_payload {
        while p64.len() % 4 != 0 {
            p64.push('=');
        }
    }
    let input = format!(
        "{}.{p64}",
        b64(Value::Object(d.header).to_string().as_bytes())
    );
    let key = if d.attacker_signs {
        &f.attacker
    } else {
        &f.trusted
    };
    let mut sig = sign(key, &input);
    if let Some(edit) = d.signature_edit {
        edit(&mut sig);
    }
    format!("{input}.{}", b64(&sig))
}

// --- the oracle ----------------------------------------------------------------------------------

/// How the oracle judges time.
#[derive(Clone, Copy)]
enum Clock {
    /// jsonwebtoken's own check against the system clock.
    System,
    /// A fixed `now` (seconds since the epoch), checked here with jsonwebtoken's rule.
    At(u64),
}

/// What the oracle admitted: the claims edgegate's identity must agree with.
#[derive(Debug)]
struct OracleAdmit {
    sub: String,
    client_id: String,
    token_use: String,
    exp: u64,
}

/// jsonwebtoken with a strict validation, plus Cognito's `token_use` and app client rules.
fn oracle(
    token: &str,
    set: &JwkSet,
    v: &JwtValidation,
    clock: Clock,
) -> Result<OracleAdmit, String> {
    let header = decode_header(token).map_err(|e| format!("header: {e}"))?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = set.find(&kid).ok_or("unknown kid")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("jwk: {e}"))?;
    let strict = |audience: Option<&[String]>| {
        let mut val = Validation::new(Algorithm::RS256);
        val.leeway = v.leeway_secs;
        val.set_issuer(&[v.issuer.as_str()]);
        val.set_required_spec_claims(&["exp", "iss", "sub"]);
        val.validate_exp = matches!(clock, Clock::System);
        val.validate_nbf = matches!(clock, Clock::System);
        match audience {
            Some(aud) => val.set_audience(aud),
            None => val.validate_aud = false,
        }
        val
    };
    let data = decode::<Value>(token, &key, &strict(None)).map_err(|e| format!("decode: {e}"))?;
    let claims = data.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_string);
    let token_use = text("token_use").ok_or("no token_use")?;
    let accepted = |u: TokenUse| v.token_uses.contains(&u);
    let client_id = match token_use.as_str() {
        "id" if accepted(TokenUse::Id) => {
            decode::<Value>(token, &key, &strict(Some(&v.client_ids)))
                .map_err(|e| format!("aud: {e}"))?;
            match claims.get("aud") {
                Some(Value::String(a)) => a.clone(),
                Some(Value::Array(list)) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .find(|a| v.client_ids.iter().any(|c| c == a))
                    .ok_or("aud")?
                    .to_string(),
                _ => return Err("aud".into()),
            }
        }
        "access" if accepted(TokenUse::Access) => {
            let c = text("client_id").ok_or("no client_id")?;
            if !v.client_ids.contains(&c) {
                return Err("client_id".into());
            }
            c
        }
        _ => return Err("token_use".into()),
    };
    // jsonwebtoken's numeric_type truncates a fractional NumericDate.
    let exp = claims
        .get("exp")
        .and_then(|e| e.as_u64().or_else(|| e.as_f64().map(|f| f as u64)))
        .ok_or("exp")?;
    if let Clock::At(now) = clock {
        if exp < now.saturating_sub(v.leeway_secs) {
            return Err("expired".into());
        }
        if let Some(nbf) = claims.get("nbf") {
            let nbf = nbf.as_u64().ok_or("nbf")?;
            if nbf > now + v.leeway_secs {
                return Err("not yet valid".into());
            }
        }
    }
    Ok(OracleAdmit {
        sub: text("sub").ok_or("sub")?,
        client_id,
        token_use,
        exp,
    })
}

/// Both verdicts on one token; panics (the test fails) when edgegate admits and the oracle
/// does not, or when they admit different claims. Returns whether only the oracle admitted.
fn judge(
    what: &str,
    token: &str,
    jwks: &Jwks,
    set: &JwkSet,
    v: &JwtValidation,
    now: u64,
    clock: Clock,
) -> Verdict {
    let ours = verify(token, jwks, v, &RingVerifier, UnixTime(now));
    let theirs = oracle(token, set, v, clock);
    match (ours, theirs) {
        (Ok(identity), Ok(admit)) => {
            let identity = identity.into_inner();
            assert_eq!(identity.sub, admit.sub, "{what}: sub");
            assert_eq!(identity.client_id, admit.client_id, "{what}: app client");
            assert_eq!(
                identity.token_use.as_str(),
                admit.token_use,
                "{what}: token_use"
            );
            assert_eq!(identity.expires_at, admit.exp, "{what}: exp");
            Verdict::Both
        }
        (Ok(identity), Err(why)) => panic!(
            "{what}: edgegate admitted ({:?}) a token jsonwebtoken refuses: {why}",
            identity.into_inner().sub
        ),
        (Err(_), Ok(_)) => Verdict::OnlyOracle,
        (Err(_), Err(_)) => Verdict::Neither,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Verdict {
    Both,
    OnlyOracle,
    Neither,
}

/// splitmix64: a fixed, dependency-free sequence so every run judges the same tokens.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn every_generated_token_edgegate_admits_jsonwebtoken_admits() {
    let f = fixture();
    let set: JwkSet = serde_json::from_str(&f.jwks_json).expect("jsonwebtoken reads our JWKS");
    let now = now().as_secs();

    // Every mutation alone on both token kinds, then pairs and triples from a fixed sequence.
    let mut drafts: Vec<(bool, Vec<usize>)> = vec![(true, vec![]), (false, vec![])];
    for m in 0..MUTATIONS.len() {
        drafts.push((true, vec![m]));
        drafts.push((false, vec![m]));
    }
    let mut seq = Sequence(0x0EDC_E6A7_E0F1_0001);
    for _ in 0..600 {
        let n = 2 + seq.below(2);
        let picks: Vec<usize> = (0..n).map(|_| seq.below(MUTATIONS.len())).collect();
        drafts.push((seq.below(2) == 0, picks));
    }

    let mut tally: BTreeMap<Verdict, usize> = BTreeMap::new();
    let mut only_oracle: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, picks) in &drafts {
        let token = build(&f, *id, now, picks);
        let labels: Vec<&str> = picks
            .iter()
            .filter_map(|&m| MUTATIONS.get(m).map(|(l, _)| *l))
            .collect();
        let what = format!(
            "{} token with [{}]",
            if *id { "ID" } else { "access" },
            labels.join(", ")
        );
        let verdict = judge(
            &what,
            &token,
            &f.jwks,
            &set,
            &f.validation,
            now,
            Clock::System,
        );
        *tally.entry(verdict).or_default() += 1;
        if verdict == Verdict::OnlyOracle {
            // Each difference must be explained by one of its mutations.
            let explained = labels
                .iter()
                .find(|l| STRICTER_BY_DESIGN.iter().any(|(s, _)| s == *l));
            let Some(label) = explained else {
                panic!("{what}: jsonwebtoken admits, edgegate refuses, and no entry of STRICTER_BY_DESIGN explains it");
            };
            if picks.len() == 1 {
                *only_oracle.entry(label).or_default() += 1;
            }
        }
    }
    eprintln!(
        "jwt oracle: {} generated tokens, both admit {}, only jsonwebtoken admits {}, both refuse {}",
        drafts.len(),
        tally.get(&Verdict::Both).copied().unwrap_or(0),
        tally.get(&Verdict::OnlyOracle).copied().unwrap_or(0),
        tally.get(&Verdict::Neither).copied().unwrap_or(0),
    );
    assert!(
        tally.get(&Verdict::Both).copied().unwrap_or(0) >= 4,
        "the unmutated tokens and the harmless mutations must verify under both: {tally:?}"
    );
    // Each documented difference still happens on its own (else the entry is stale).
    let seen: BTreeSet<&str> = only_oracle.keys().copied().collect();
    let documented: BTreeSet<&str> = STRICTER_BY_DESIGN.iter().map(|(l, _)| *l).collect();
    assert_eq!(
        seen, documented,
        "single-mutation differences must be exactly the documented ones"
    );
}

/// The JWT-shaped values (three dot-separated base64url segments) of a case's `Authorization`
/// and `Cookie` headers.
/// The corpus's cases (`tests/corpus/cases/*.json`), each read and parsed once, in file-name
/// order: (path, case).
fn corpus_cases(corpus: &Path) -> Vec<(PathBuf, Value)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus.join("cases"))
        .expect("cases")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("case");
            let case: Value = serde_json::from_str(&text).expect("json");
            (path, case)
        })
        .collect()
}

fn corpus_tokens(event: &Value) -> Vec<String> {
    let headers = &event["Records"][0]["cf"]["request"]["headers"];
    let mut out = Vec::new();
    let values = |name: &str| -> Vec<String> {
        headers[name]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|h| h["value"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let jwt_shaped = |s: &str| {
        let parts: Vec<&str> = s.split('.').collect();
        parts.len() == 3
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
    };
    for value in values("authorization") {
        if let Some(token) = value.split_whitespace().last() {
            if jwt_shaped(token) {
                out.push(token.to_string());
            }
        }
    }
    for value in values("cookie") {
        for pair in value.split(';') {
            if let Some((_, v)) = pair.split_once('=') {
                if jwt_shaped(v.trim()) {
                    out.push(v.trim().to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_corpus_token_edgegate_admits_jsonwebtoken_admits() {
    let corpus = repo_root().join("tests/corpus");
    let read = |name: &str| {
        std::fs::read_to_string(corpus.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let config: Value = serde_json::from_str(&read("config.json")).expect("config.json");
    let cognito = &config["cognito"];
    let jwks_json = read("jwks.json");
    let jwks = Jwks::parse(jwks_json.as_bytes()).expect("corpus JWKS");
    let set: JwkSet = serde_json::from_str(&jwks_json).expect("jsonwebtoken reads the JWKS");
    let text = |name: &str| cognito[name].as_str().expect(name).to_string();
    let list = |name: &str| -> Vec<String> {
        cognito[name]
            .as_array()
            .expect(name)
            .iter()
            .map(|s| s.as_str().expect(name).to_string())
            .collect()
    };
    let validation = JwtValidation {
        issuer: cognito_issuer(
            match text("issuer_format").as_str() {
                "original" => IssuerFormat::Original,
                _ => IssuerFormat::Updated,
            },
            &text("region"),
            &text("user_pool_id"),
        ),
        client_ids: list("app_client_ids"),
        token_uses: list("token_use")
            .iter()
            .map(|u| {
                if u == "id" {
                    TokenUse::Id
                } else {
                    TokenUse::Access
                }
            })
            .collect(),
        leeway_secs: cognito["leeway_seconds"].as_u64().unwrap_or(0),
        claims: Vec::new(),
    };

    let (mut tokens, mut both) = (0, 0);
    for (path, case) in corpus_cases(&corpus) {
        let now = case["now"].as_u64().expect("now");
        for token in corpus_tokens(&case["event"]) {
            tokens += 1;
            let what = path.file_name().map(|n| n.to_string_lossy().to_string());
            let what = what.unwrap_or_default();
            if judge(&what, &token, &jwks, &set, &validation, now, Clock::At(now)) == Verdict::Both
            {
                both += 1;
            }
        }
    }
    eprintln!("jwt oracle: {tokens} corpus tokens, {both} admitted by both");
    assert!(
        tokens >= 20 && both >= 5,
        "the corpus has tokens both admit: {tokens}/{both}"
    );
}

/// The corpus's generic OIDC issuers (`[[issuers]]` with `kind = "oidc"`, GitHub Actions'
/// token shape): every corpus token `edgegate_keys::jwt::verify_oidc` admits, jsonwebtoken
/// admits too under a strict `Validation` (RS256, the issuer, the audiences, `exp`/`iss`/
/// `sub`/`aud` required, the issuer's leeway, the case's own `now`), with the same `sub`.
#[test]
fn every_corpus_oidc_token_edgegate_admits_jsonwebtoken_admits() {
    let corpus = repo_root().join("tests/corpus");
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("config.json")).unwrap())
            .expect("config.json");
    let issuers: Vec<&Value> = config["issuers"]
        .as_array()
        .expect("the corpus has [[issuers]]")
        .iter()
        .filter(|i| i["kind"] == "oidc")
        .collect();
    assert!(!issuers.is_empty(), "the corpus has an oidc issuer");
    let cases = corpus_cases(&corpus);
    let (mut judged, mut admitted) = (0, 0);
    for issuer in issuers {
        let jwks_text = issuer["jwks"].as_str().expect("baked jwks");
        let jwks = Jwks::parse(jwks_text.as_bytes()).expect("issuer JWKS");
        let set: JwkSet = serde_json::from_str(jwks_text).expect("jsonwebtoken reads the JWKS");
        let iss = issuer["issuer"].as_str().expect("issuer");
        let audiences: Vec<String> = issuer["audiences"]
            .as_array()
            .expect("audiences")
            .iter()
            .map(|a| a.as_str().expect("audience").to_string())
            .collect();
        let leeway = issuer["leeway_seconds"].as_u64().unwrap_or(0);
        let validation = edgegate_keys::OidcValidation {
            issuer: iss.to_string(),
            audiences: audiences.clone(),
            leeway_secs: leeway,
            claims: Vec::new(),
        };
        for (path, case) in &cases {
            let now = case["now"].as_u64().expect("now");
            for token in corpus_tokens(&case["event"]) {
                if edgegate_keys::jwt::unverified_issuer(&token).as_deref() != Some(iss) {
                    continue;
                }
                judged += 1;
                let ours = edgegate_keys::jwt::verify_oidc(
                    &token,
                    &jwks,
                    &validation,
                    &RingVerifier,
                    UnixTime(now),
                );
                let Ok(ours) = ours else { continue };
                admitted += 1;
                let what = path.display();
                let header = decode_header(&token).expect("header");
                let kid = header.kid.expect("kid");
                let key =
                    DecodingKey::from_jwk(set.find(&kid).expect("kid in the set")).expect("jwk");
                let mut strict = Validation::new(Algorithm::RS256);
                strict.leeway = leeway;
                strict.set_issuer(&[iss]);
                strict.set_audience(&audiences);
                strict.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
                // jsonwebtoken reads the system clock: the case's own `now` is applied here.
                strict.validate_exp = false;
                strict.validate_nbf = false;
                let theirs = decode::<Value>(&token, &key, &strict)
                    .unwrap_or_else(|e| panic!("{what}: edgegate admits, jsonwebtoken: {e}"));
                let exp = theirs.claims["exp"].as_u64().expect("exp");
                assert!(exp + leeway > now, "{what}: expired for the oracle");
                assert_eq!(theirs.claims["sub"], ours.sub.as_str(), "{what}");
            }
        }
    }
    eprintln!("jwt oracle (oidc): {judged} corpus tokens, {admitted} admitted by edgegate");
    assert!(judged >= 5 && admitted >= 3, "{judged}/{admitted}");
}

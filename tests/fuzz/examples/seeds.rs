//! Writes the seed corpus `tests/fuzz/corpus/<target>/` from the shared decision corpus
//! (`tests/corpus/cases/*.json`: events with valid and hostile credentials), the corpus JWKS and
//! configuration, the example deployment config, the test kit's attack lists and a few
//! hand-written inputs per parser.
//!
//! `cargo run -p edgegate-fuzz --example seeds` (deletes and rewrites the seed folders).

use edgegate_edge::boundary;
use edgegate_edge::ViewerRequestEvent;
use edgegate_keys::{cf_base64, PublicKey};
use std::collections::BTreeMap;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../corpus");
    let mut seeds: BTreeMap<&str, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    let mut add = |target: &'static str, name: String, data: Vec<u8>| {
        seeds.entry(target).or_default().push((name, data));
    };

    let mut cases: Vec<_> = std::fs::read_dir(corpus.join("cases"))
        .expect("tests/corpus/cases")
        .map(|e| e.expect("entry").path())
        .collect();
    cases.sort();
    for path in cases {
        let stem = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let case: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("case")).expect("case json");
        let event_json = serde_json::to_vec(&case["event"]).expect("event");
        add("gate_event", stem.clone(), event_json);
        let event: ViewerRequestEvent =
            serde_json::from_value(case["event"].clone()).expect("event shape");
        let Some(req) = event.request() else { continue };
        let (text, lens) = boundary::frame_of(req);
        add(
            "gate_frame",
            stem.clone(),
            edgegate_fuzz::frame_to_bytes(&text, &lens),
        );
        let cookies: Vec<&str> = req.header_values("cookie").collect();
        if !cookies.is_empty() {
            add(
                "cookie_header",
                stem.clone(),
                cookies.join("\n").into_bytes(),
            );
        }
        for value in req.header_values("authorization") {
            if let Some(token) = value.get(7..) {
                add("jwt", stem.clone(), token.as_bytes().to_vec());
            }
        }
        // CloudFront-Policy / Policy values: base64 seeds, and their JSON for the policy parser.
        let cookie_values = cookies.iter().flat_map(|c| c.split(';')).filter_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            Some((k.to_string(), v.to_string()))
        });
        let query_values = req.querystring.split('&').filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((k.to_string(), v.to_string()))
        });
        for (k, v) in cookie_values.chain(query_values) {
            if matches!(
                k.as_str(),
                "CloudFront-Policy" | "Policy" | "CloudFront-Signature" | "Signature"
            ) {
                add("cf_base64", format!("{stem}-{k}"), v.clone().into_bytes());
                if k.ends_with("Policy") {
                    if let Ok(json) = cf_base64::decode(&v) {
                        add("policy_json", stem.clone(), json);
                    }
                }
            }
        }
    }

    let jwks = std::fs::read(corpus.join("jwks.json")).expect("jwks.json");
    let parsed: serde_json::Value = serde_json::from_slice(&jwks).expect("jwks json");
    for (i, key) in parsed["keys"].as_array().expect("keys").iter().enumerate() {
        let one = serde_json::json!({ "keys": [key] });
        add(
            "jwks",
            format!("key-{i}"),
            serde_json::to_vec(&one).expect("json"),
        );
        let jwk: edgegate_keys::Jwks =
            edgegate_keys::Jwks::parse(&serde_json::to_vec(&one).expect("json")).expect("jwk");
        for kid in jwk.kids() {
            if let Some(k) = jwk.get(kid) {
                add("der_key", format!("jwks-{i}"), k.spki_der().to_vec());
            }
        }
    }
    add("jwks", "corpus".into(), jwks);
    add("jwks", "empty".into(), br#"{"keys":[]}"#.to_vec());

    let config = std::fs::read(corpus.join("config.json")).expect("config.json");
    let doc: serde_json::Value = serde_json::from_slice(&config).expect("config json");
    for (i, k) in doc["cloudfront"]["trusted_keys"]
        .as_array()
        .expect("trusted_keys")
        .iter()
        .enumerate()
    {
        let pem = k["public_key"].as_str().expect("pem");
        let key = PublicKey::from_spki_pem(pem).expect("pem key");
        add("der_key", format!("trusted-{i}"), key.spki_der().to_vec());
    }
    add("config", "corpus-json".into(), config);
    let example = root.join("../../infra/cloudformation/example/edgegate.toml");
    add(
        "config",
        "example-toml".into(),
        std::fs::read(example).expect("example edgegate.toml"),
    );
    add(
        "config",
        "access-kinds-toml".into(),
        b"version = 1\n[site]\ndomain = \"downloads.example.com\"\n[cognito]\nregion = \"eu-west-1\"\nuser_pool_id = \"eu-west-1_EdgeTest1\"\napp_client_ids = [\"edgetestclient1\"]\ntoken_use = [\"access\", \"id\"]\njwks_file = \"jwks.json\"\n[[routes]]\nprefix = \"/any\"\naccess = \"authenticated\"\n[[routes]]\nprefix = \"/m2m\"\naccess = \"scopes\"\nscopes = [\"artifacts/read\", \"https://api.example.com/x.y\"]\n[[routes]]\nprefix = \"/releases\"\naccess = \"groups\"\ngroups = [\"downloaders\"]\nscopes = [\"artifacts/read\"]\n".to_vec(),
    );
    add(
        "config",
        "minimal-toml".into(),
        b"version = 1\n[site]\ndomain = \"downloads.example.com\"\n[[routes]]\nprefix = \"/\"\naccess = \"public\"\n".to_vec(),
    );

    // return_to: a few same-site targets, then every payload of the shared open-redirect list
    // (tests/kit/data/attacks/open_redirect.txt).
    let mut targets: Vec<String> = [
        "/",
        "/releases/1.0.0/app.zip?x=1",
        "https://evil.com/",
        "/docs/#frag",
        "/./\\evil",
    ]
    .iter()
    .map(|t| t.to_string())
    .collect();
    targets.extend(edgegate_test_kit::attacks::open_redirects());
    for (i, target) in targets.iter().enumerate() {
        add("return_to", format!("t{i:02}"), target.as_bytes().to_vec());
    }
    for (i, text) in [
        "",
        "a=b; c=d",
        "a=b;;c",
        "CloudFront-Policy=x; CloudFront-Policy=y",
    ]
    .iter()
    .enumerate()
    {
        add(
            "cookie_header",
            format!("hand-{i}"),
            text.as_bytes().to_vec(),
        );
    }
    for (i, text) in ["", "AA__", "A-~_", "=", "QUJD"].iter().enumerate() {
        add("cf_base64", format!("hand-{i}"), text.as_bytes().to_vec());
    }
    add(
        "policy_json",
        "hand-ip".into(),
        br#"{"Statement":[{"Resource":"https://downloads.example.com/releases/*","Condition":{"DateLessThan":{"AWS:EpochTime":1767229200},"IpAddress":{"AWS:SourceIp":"203.0.113.0/24"}}}]}"#.to_vec(),
    );
    add("jwt", "garbage".into(), b"a.b.c".to_vec());

    // cidr: the corpus routes' networks, hand-written edge cases, and viewer addresses.
    for route in doc["routes"].as_array().expect("routes") {
        for n in route["networks"].as_array().into_iter().flatten() {
            let n = n.as_str().expect("network");
            add(
                "cidr",
                format!("corpus-{n}").replace(['/', ':'], "_"),
                n.as_bytes().to_vec(),
            );
        }
    }
    for (i, text) in [
        "0.0.0.0/0",
        "::/0",
        "198.51.100.7",
        "198.51.100.7/32",
        "2001:db8::1/128",
        "::ffff:192.0.2.10",
        "::ffff:192.0.2.0/120",
        "192.0.2.1/24",
        "fe80::1%eth0",
        " 192.0.2.0/24",
        "192.0.2.0/024",
        "2001:0DB8:0000::/32",
        "192.000.2.1",
        "::192.0.2.10",
    ]
    .iter()
    .enumerate()
    {
        add("cidr", format!("hand-{i:02}"), text.as_bytes().to_vec());
    }
    add(
        "cidr",
        "raw-v6".into(),
        vec![0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    );

    for (target, files) in &seeds {
        let dir = root.join("corpus").join(target);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (i, (name, data)) in files.iter().enumerate() {
            std::fs::write(dir.join(format!("{i:03}-{name}")), data).expect("write seed");
        }
        println!("{target}: {} seeds", files.len());
    }
}

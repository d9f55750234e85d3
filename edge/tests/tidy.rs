//! Tidy: the pure crates stay pure. `edgegate-keys` and `edgegate-edge` run inside the
//! Lambda@Edge wasm bundle and in every other deployable; their dependency trees (normal and
//! build dependencies, every target) must never contain an async runtime, an HTTP client or the
//! AWS SDK (design.md, "Dependency direction"). Read from `cargo metadata`, so a new dependency
//! that drags one in fails here, whichever crate brought it.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Package names (or prefixes ending in `-`/`_`) the pure crates must not reach.
const FORBIDDEN: &[&str] = &[
    "tokio",
    "mio",
    "reqwest",
    "hyper",
    "aws-",
    "lambda_runtime",
    "lambda_http",
    "aws_lambda_events",
];

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// Every package reachable from `root` through normal and build dependencies.
fn reachable(meta: &Value, root: &str) -> BTreeSet<String> {
    let names: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: BTreeMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .expect("resolve.nodes")
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let start = names
        .iter()
        .find(|(_, name)| **name == root)
        .map(|(id, _)| *id)
        .unwrap_or_else(|| panic!("{root} is a workspace package"));
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dep in nodes[id]["deps"].as_array().into_iter().flatten() {
            let not_dev_only = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].as_str() != Some("dev"));
            if not_dev_only {
                todo.push(dep["pkg"].as_str().unwrap());
            }
        }
    }
    seen.into_iter().map(|id| names[id].to_string()).collect()
}

#[test]
fn pure_crates_never_depend_on_runtime_http_or_aws_sdk_ok() {
    let meta = metadata();
    for root in ["edgegate-keys", "edgegate-edge"] {
        let deps = reachable(&meta, root);
        let bad: Vec<&String> = deps
            .iter()
            .filter(|d| {
                FORBIDDEN.iter().any(|f| {
                    if f.ends_with('-') || f.ends_with('_') {
                        d.starts_with(f)
                    } else {
                        d.as_str() == *f
                    }
                })
            })
            .collect();
        assert!(bad.is_empty(), "{root} reaches {bad:?}");
        // The walk really ran: the crate's own direct dependencies are there.
        assert!(deps.contains("serde"), "{root}: {deps:?}");
    }
}

#[test]
fn workspace_edges_point_down_the_layers_ok() {
    // keys <- edge <- auth / publish (<- aws) <- cli <- e2e: no crate reaches one above it.
    let meta = metadata();
    let order = [
        "edgegate-keys",
        "edgegate-edge",
        "edgegate-aws",
        "edgegate-publish",
        "edgegate-auth",
        "edgegate-cli",
        "edgegate-e2e",
    ];
    for (i, root) in order.iter().enumerate() {
        let deps = reachable(&meta, root);
        for above in &order[i + 1..] {
            assert!(!deps.contains(*above), "{root} depends on {above}");
        }
    }
    let auth = reachable(&meta, "edgegate-auth");
    for heavy in [
        "aws-sdk-s3",
        "aws-sdk-cloudfront",
        "indicatif",
        "edgegate-publish",
    ] {
        assert!(!auth.contains(heavy), "the auth function builds {heavy}");
    }
}

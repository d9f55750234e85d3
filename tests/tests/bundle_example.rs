//! The two deployables of the deployment example (`infra/cloudformation/example/edgegate.toml`)
//! as `edgegate bundle` ships them: `.ci/run` bundles the example into
//! `$EDGEGATE_EXAMPLE_BUNDLE_DIR` (it needs the wasm32 and x86_64-unknown-linux-musl targets and
//! Debian's musl-tools) and this test opens the zips the way Lambda would.
//!
//! Checked: the viewer-request zip is within edgegate's 150 KB budget and has exactly the
//! handler, host primitive, wasm gate and glue, baked config and JWKS; the origin auth zip has
//! `bootstrap` executable and statically linked (no ELF interpreter, so it loads on
//! provided.al2023 whatever its glibc); both baked configs are the example without the
//! operator-only `[publish]`/`[stack]`, still deployable, and hold no secret value.

use edgegate_edge::config::deployable;
use edgegate_edge::{ConfigDocument, GateConfig};
use edgegate_keys::Jwks;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

fn bundle_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("EDGEGATE_EXAMPLE_BUNDLE_DIR").expect(
        "EDGEGATE_EXAMPLE_BUNDLE_DIR is not set: run `edgegate bundle --config \
         infra/cloudformation/example/edgegate.toml --out DIR` and set it to DIR (see .ci/run)",
    ))
}

/// Every entry of a zip: name -> (unix mode, bytes).
fn entries(name: &str) -> BTreeMap<String, (u32, Vec<u8>)> {
    let path = bundle_dir().join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut zip = zip::ZipArchive::new(file).expect("a zip");
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("entry");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("entry bytes");
        out.insert(
            entry.name().to_string(),
            (entry.unix_mode().unwrap_or(0), bytes),
        );
    }
    out
}

/// The baked config: the example minus `[publish]`/`[stack]`, valid and deployable.
fn check_baked_config(config: &[u8], jwks: &[u8]) {
    let text = std::str::from_utf8(config).expect("UTF-8");
    let doc: ConfigDocument = serde_json::from_str(text).expect("a config document");
    assert!(doc.publish.is_none() && doc.stack.is_none(), "{text}");
    let jwks = Jwks::parse(jwks).expect("the baked JWKS");
    let gate = GateConfig::from_document(&doc, Some(jwks)).expect("valid");
    deployable(&doc, &gate).expect("deployable");
    for secret in ["PRIVATE KEY", "\"secret_value\""] {
        assert!(!text.contains(secret), "{secret} in the baked config");
    }
}

/// Whether an ELF64 little-endian executable has a PT_INTERP program header (dynamic loader).
fn has_interpreter(elf: &[u8]) -> bool {
    assert_eq!(elf.get(..4), Some(&b"\x7fELF"[..]), "an ELF file");
    assert_eq!(elf.get(4), Some(&2), "ELF64");
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap()) as usize;
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    assert!(phnum > 0, "program headers");
    (0..phnum).any(|i| u32_at(phoff + i * phentsize) == 3)
}

#[test]
fn example_viewer_request_zip_has_the_function_within_budget_ok() {
    let path = bundle_dir().join("viewer-request.zip");
    let size = std::fs::metadata(&path).expect("viewer-request.zip").len();
    assert!(size <= 150 * 1024, "{size} bytes");
    let e = entries("viewer-request.zip");
    let names: Vec<&str> = e.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "config.json",
            "edgegate_edge.js",
            "edgegate_edge_bg.wasm",
            "host.js",
            "index.js",
            "jwks.json"
        ]
    );
    assert_eq!(e["edgegate_edge_bg.wasm"].1.get(..4), Some(&b"\0asm"[..]));
    check_baked_config(&e["config.json"].1, &e["jwks.json"].1);
}

#[test]
fn example_origin_auth_zip_has_a_static_executable_bootstrap_ok() {
    let e = entries("origin-auth.zip");
    let names: Vec<&str> = e.keys().map(String::as_str).collect();
    assert_eq!(names, ["bootstrap", "config.json", "jwks.json"]);
    let (mode, bootstrap) = &e["bootstrap"];
    assert_eq!(mode & 0o777, 0o755, "bootstrap mode {mode:o}");
    assert!(
        !has_interpreter(bootstrap),
        "bootstrap is dynamically linked: it would need the host's loader"
    );
    check_baked_config(&e["config.json"].1, &e["jwks.json"].1);
}

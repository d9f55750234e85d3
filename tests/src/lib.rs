//! End-to-end test support, shared by the tests in `tests/tests/*.rs`.
//!
//! - [`Standins`]: the stand-in programs (moto, `@aws-sdk/cloudfront-signer`, botocore, Node's
//!   `crypto`), found through the variables `tests/standins/standins.sh start` writes to
//!   `target/standins/env`. A missing variable fails the test with instructions: these tests
//!   never pass silently without their stand-ins.
//! - [`edgegate_bin`]: the `edgegate` binary, built (or found up to date) by cargo on first use.
//! - [`viewer_request`]: a URL split the way CloudFront hands it to a viewer-request trigger.
//! - [`fault_proxy`]: an HTTP proxy that injects S3 errors and dropped connections.
//! - small helpers: [`TempDir`], [`now`], [`flip_char`], [`query_params`], [`jwt_part`].
#![allow(clippy::missing_panics_doc)] // reason: test support; panicking is how it fails a test.

pub mod fault_proxy;

use edgegate_edge::event::{HeaderEntry, Headers, ViewerRequest};
use edgegate_keys::UnixTime;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// How to start the stand-ins (part of every "missing stand-in" failure).
pub const START_HINT: &str = "start the stand-ins first (from the repository root): \
    `tests/standins/standins.sh install && tests/standins/standins.sh start && \
    source target/standins/env && cargo test -p edgegate-e2e`, then \
    `tests/standins/standins.sh stop`";

/// The repository (workspace) root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A committed throwaway test key from the test kit's `tests/kit/keys/` (PEM text).
pub fn test_key(name: &str) -> String {
    edgegate_test_kit::keys::pem(name).to_string()
}

/// The stand-in programs, as recorded in `target/standins/env`.
#[derive(Clone, Debug)]
pub struct Standins {
    /// `EDGEGATE_MOTO_URL`, e.g. `http://127.0.0.1:40123`.
    pub moto_url: String,
    /// `EDGEGATE_PYTHON`: the stand-ins venv interpreter (moto, boto3, botocore).
    pub python: PathBuf,
    /// `EDGEGATE_NODE_MODULES`: holds `@aws-sdk/cloudfront-signer`.
    pub node_modules: PathBuf,
    /// `EDGEGATE_STANDINS_DIR`: the scripts.
    pub dir: PathBuf,
}

fn required_var(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!("{name} is not set: {START_HINT}"),
    }
}

impl Standins {
    /// Reads the four variables and checks that what they point at exists; panics with
    /// [`START_HINT`] otherwise.
    pub fn require() -> Standins {
        let s = Standins {
            moto_url: required_var("EDGEGATE_MOTO_URL")
                .trim_end_matches('/')
                .to_string(),
            python: required_var("EDGEGATE_PYTHON").into(),
            node_modules: required_var("EDGEGATE_NODE_MODULES").into(),
            dir: required_var("EDGEGATE_STANDINS_DIR").into(),
        };
        assert!(
            s.python.is_file(),
            "EDGEGATE_PYTHON={} does not exist: {START_HINT}",
            s.python.display()
        );
        assert!(
            s.node_modules.join("@aws-sdk/cloudfront-signer").is_dir(),
            "EDGEGATE_NODE_MODULES={} has no @aws-sdk/cloudfront-signer: {START_HINT}",
            s.node_modules.display()
        );
        assert!(
            s.dir.join("sdk_sign.mjs").is_file(),
            "EDGEGATE_STANDINS_DIR={} has no sdk_sign.mjs: {START_HINT}",
            s.dir.display()
        );
        s
    }

    /// A script beside `standins.sh`.
    pub fn script(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn node(&self, script: &str) -> Command {
        let mut cmd = Command::new("node");
        cmd.arg(self.script(script))
            .env("NODE_PATH", &self.node_modules);
        cmd
    }

    fn python(&self, script: &str) -> Command {
        let mut cmd = Command::new(&self.python);
        cmd.arg(self.script(script));
        cmd
    }

    /// Signs with `@aws-sdk/cloudfront-signer` (`sdk_sign.mjs`; contract in the stand-ins
    /// README). One result per request, same order.
    pub fn sdk_sign(&self, requests: &[Value]) -> Vec<Value> {
        signer_results(self.node("sdk_sign.mjs"), requests)
    }

    /// Signs with botocore's `CloudFrontSigner` (`botocore_sign.py`).
    pub fn botocore_sign(&self, requests: &[Value]) -> Vec<Value> {
        signer_results(self.python("botocore_sign.py"), requests)
    }

    /// Verifies signatures with Node's `crypto.verify` (`node_verify.mjs`): one bool per check.
    pub fn node_verify(&self, checks: &[Value]) -> Vec<bool> {
        let out = run_json(self.node("node_verify.mjs"), &Value::from(checks.to_vec()));
        let results = out.as_array().expect("node_verify.mjs prints an array");
        assert_eq!(results.len(), checks.len(), "node_verify.mjs result count");
        results
            .iter()
            .map(|r| match r.get("ok").and_then(Value::as_bool) {
                Some(ok) => ok,
                None => panic!("node_verify.mjs failed a check: {r}"),
            })
            .collect()
    }

    /// Creates a fresh user pool in moto with alice (group `downloaders`) and bob and signs
    /// them in (`cognito_tokens.py`; output described there).
    pub fn cognito_tokens(&self) -> Value {
        let authority = self
            .moto_url
            .split_once("://")
            .map_or(self.moto_url.as_str(), |(_, a)| a);
        if let Err(e) = std::net::TcpStream::connect(authority) {
            panic!(
                "moto is not answering at EDGEGATE_MOTO_URL={} ({e}): {START_HINT}",
                self.moto_url
            );
        }
        let mut cmd = self.python("cognito_tokens.py");
        cmd.args(["--endpoint", &self.moto_url, "--region", "us-east-1"]);
        run_json(cmd, &Value::Null)
    }
}

fn signer_results(cmd: Command, requests: &[Value]) -> Vec<Value> {
    let out = run_json(cmd, &Value::from(requests.to_vec()));
    let results = out.as_array().expect("the signer prints a JSON array");
    assert_eq!(results.len(), requests.len(), "one result per request");
    results.clone()
}

/// Runs `cmd` with `stdin` fed in, returning its output (panics if it cannot be started).
pub fn run_with_stdin(mut cmd: Command, stdin: &[u8]) -> Output {
    let program = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e} ({START_HINT})"));
    {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(stdin)
            .unwrap_or_else(|e| panic!("writing to {program}: {e}"));
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for {program}: {e}"))
}

/// Runs `cmd` with `input` as JSON on stdin (nothing for `null`), requires success and parses
/// stdout as JSON.
pub fn run_json(cmd: Command, input: &Value) -> Value {
    let program = format!("{cmd:?}");
    let stdin = if input.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(input).expect("serialise the input")
    };
    let out = run_with_stdin(cmd, &stdin);
    assert!(
        out.status.success(),
        "{program} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{program} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The `edgegate` binary of this workspace.
///
/// `EDGEGATE_BIN` wins when set. Otherwise cargo builds `edgegate-cli`'s `edgegate` binary
/// (a no-op when it is up to date; same profile as these tests, same target directory through
/// the inherited environment) and reports the executable's path, so a stale binary is never
/// used.
pub fn edgegate_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("EDGEGATE_BIN") {
            let p = PathBuf::from(p);
            assert!(p.is_file(), "EDGEGATE_BIN={} does not exist", p.display());
            return p;
        }
        let cargo = std::env::var_os("CARGO")
            .or_else(|| option_env!("CARGO").map(Into::into))
            .unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(repo_root()).args([
            "build",
            "--quiet",
            "-p",
            "edgegate-cli",
            "--bin",
            "edgegate",
            "--message-format=json",
        ]);
        // The test executable lives in <target>/<profile>/deps/.
        let profile = std::env::current_exe()
            .ok()
            .and_then(|exe| {
                let dir = exe.parent()?.parent()?;
                dir.file_name()?.to_str().map(str::to_string)
            })
            .unwrap_or_else(|| "debug".to_string());
        match profile.as_str() {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        let out = cmd
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo build");
        assert!(out.status.success(), "cargo build -p edgegate-cli failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "edgegate")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported the edgegate executable")
    })
}

/// A fresh `edgegate` command.
pub fn edgegate() -> Command {
    Command::new(edgegate_bin())
}

/// A temporary directory removed on drop (std only).
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `$TMPDIR/edgegate-e2e-<tag>-<pid>-<n>`.
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "edgegate-e2e-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The real current time.
pub fn now() -> UnixTime {
    UnixTime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs(),
    )
}

/// Splits an absolute URL the way CloudFront presents it to a viewer-request trigger: `uri`
/// is the raw path, `querystring` the raw query without `?`, the authority becomes the `Host`
/// header. `headers` are added as `(Name, value)`.
pub fn viewer_request(url: &str, client_ip: &str, headers: &[(&str, &str)]) -> ViewerRequest {
    let (_, rest) = url.split_once("://").expect("absolute URL");
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, path_query) = rest.split_at(host_end);
    let (uri, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let mut map = Headers::new();
    map.insert(
        "host".into(),
        vec![HeaderEntry {
            key: Some("Host".into()),
            value: host.to_string(),
        }],
    );
    for (name, value) in headers {
        map.entry(name.to_ascii_lowercase())
            .or_default()
            .push(HeaderEntry {
                key: Some((*name).to_string()),
                value: (*value).to_string(),
            });
    }
    ViewerRequest {
        client_ip: client_ip.to_string(),
        method: "GET".into(),
        uri: if uri.is_empty() { "/" } else { uri }.to_string(),
        querystring: query.to_string(),
        headers: map,
        other: Default::default(),
    }
}

/// `s` with the character at byte `index` replaced by a different one of the same base64
/// alphabet class (`A`↔`B`), so the encoding stays valid and only the bits change.
pub fn flip_char(s: &str, index: usize) -> String {
    edgegate_test_kit::text::flip_char(s, index)
}

/// The raw `name=value` pairs of a URL's query (no decoding), in order.
pub fn query_params(url: &str) -> Vec<(String, String)> {
    if !url.contains('?') {
        return Vec::new();
    }
    // an empty part (`a=1&&b=2`) is no parameter
    edgegate_test_kit::text::query_pairs(url)
        .into_iter()
        .filter(|(n, v)| !(n.is_empty() && v.is_empty()))
        .collect()
}

/// Replaces the value of query parameter `name` in `url` (raw), keeping everything else.
pub fn replace_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').expect("URL has a query");
    let query: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((n, _)) if n == name => format!("{n}={value}"),
            _ => p.to_string(),
        })
        .collect();
    assert!(
        query_params(url).iter().any(|(n, _)| n == name),
        "{name} not in {url}"
    );
    format!("{base}?{}", query.join("&"))
}

/// The value of query parameter `name` (raw).
pub fn param(url: &str, name: &str) -> String {
    query_params(url)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{name} not in {url}"))
}

/// Decodes segment `index` (0 header, 1 claims) of a compact JWT as JSON.
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("JWT segment");
    let bytes = edgegate_keys::cf_base64::decode_b64url(part).expect("base64url JWT segment");
    serde_json::from_slice(&bytes).expect("JSON JWT segment")
}

//! `edgegate bundle`: builds `viewer-request.zip`, the Lambda@Edge viewer-request function.
//!
//! Contents: `index.js` (the Node.js handler, `index.handler`), `host.js` (the `node:crypto`
//! signature primitive), the wasm-bindgen `--target nodejs` glue and module built from the
//! `edge` crate for `wasm32-unknown-unknown` (profile `wasm`: opt-level 2, LTO, stripped), and the baked
//! `config.json` (validated, public keys inlined) and `jwks.json`. Refuses the dev keys, the
//! dev user pool and `http`, and any zip above the 150 KB budget (platform limit 1,048,576
//! bytes for viewer triggers).

use crate::load::{self, Source};
use crate::{CliError, IoAction};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// edgegate's budget for the zip, in bytes.
pub const BUDGET_BYTES: u64 = 150 * 1024;
/// Lambda@Edge's limit for viewer-trigger packages, in bytes.
pub const PLATFORM_LIMIT_BYTES: u64 = 1_048_576;

const INDEX_JS: &str = include_str!("../../../edge/js/index.js");
const HOST_JS: &str = include_str!("../../../edge/js/host.js");

/// The handler source as shipped: whole-line `//` comments and blank lines removed (about a
/// third of the zip's JavaScript, which the 150 KB budget needs for code), behind one line
/// naming the commented source. Code lines are kept in order, without their indentation. A source
/// where that could cut into a string or a comment (a line with an odd number of backticks: a
/// template literal spanning lines; a `/*` comment) is shipped whole instead.
fn shipped_js(name: &str, source: &str) -> String {
    if source
        .lines()
        .any(|l| l.contains("/*") || l.bytes().filter(|&b| b == b'`').count() % 2 == 1)
    {
        return source.to_string();
    }
    let mut out = String::with_capacity(source.len());
    let mut lines = source.lines().peekable();
    if let Some(first) = lines.next_if(|l| l.trim() == "'use strict';") {
        out.push_str(first);
        out.push('\n');
    }
    out.push_str(&format!(
        "// edgegate {name}: commented source in edge/js/{name} (comments removed by `edgegate bundle`)\n"
    ));
    for line in lines {
        let code = line.trim_start();
        if code.is_empty() || code.starts_with("//") {
            continue;
        }
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The wasm-bindgen glue as shipped: its JSDoc blocks (the Rust items' doc comments, copied by
/// wasm-bindgen; about a third of the glue's zipped bytes) removed, behind one line saying so.
/// Only whole well-formed blocks go: a line that is exactly `/**` (after indentation) through
/// the next line that is exactly `*/`, every line between starting with `*`. The rest is kept
/// in order, without its indentation. A glue where that cannot be done safely (a block comment of any
/// other shape, a line with an odd number of backticks) is shipped whole.
fn shipped_glue(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    out.push_str("// edgegate: wasm-bindgen glue, doc comments removed by `edgegate bundle` (the Rust items' docs)\n");
    let mut in_doc = false;
    for line in source.lines() {
        let t = line.trim();
        if in_doc {
            if t == "*/" {
                in_doc = false;
            } else if !t.starts_with('*') {
                return source.to_string();
            }
            continue;
        }
        if t == "/**" {
            in_doc = true;
            continue;
        }
        if t.contains("/*")
            || t.contains("*/")
            || line.bytes().filter(|&b| b == b'`').count() % 2 == 1
        {
            return source.to_string();
        }
        out.push_str(t);
        out.push('\n');
    }
    if in_doc {
        return source.to_string();
    }
    out
}

/// `bundle` options.
pub struct Args {
    /// edgegate.toml.
    pub config: PathBuf,
    /// JWKS file or URL overriding the config's source.
    pub jwks: Option<String>,
    /// Output folder.
    pub out: PathBuf,
    /// A prebuilt `edgegate_edge.wasm` (skips the cargo build).
    pub wasm: Option<PathBuf>,
    /// A prebuilt `edgegate-auth` binary for `provided.al2023` (skips the musl build).
    pub auth_binary: Option<PathBuf>,
}

/// Why `edgegate bundle` could not build or package a function.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A cross build needs a Rust target that is not installed.
    #[error(
        "{what} needs the Rust target {target}: run `rustup target add {target}` (or pass {skip})"
    )]
    MissingTarget {
        /// What is being built.
        what: &'static str,
        /// The rustc target.
        target: &'static str,
        /// The option that avoids the build.
        skip: &'static str,
    },
    /// A cross build needs a C compiler that is not on `PATH`.
    #[error("{what} needs {compiler} on PATH: install it with `{install}` (or pass {skip})")]
    MissingCompiler {
        /// What is being built.
        what: &'static str,
        /// The compiler's command.
        compiler: &'static str,
        /// How to install it.
        install: &'static str,
        /// The option that avoids the build.
        skip: &'static str,
    },
    /// The edgegate sources are not where this binary was built from.
    #[error("cannot find the edgegate workspace at {} (run from a checkout, or pass --wasm FILE)", .0.display())]
    NoWorkspace(PathBuf),
    /// cargo could not be started.
    #[error("cannot run cargo")]
    Cargo(#[source] std::io::Error),
    /// cargo ran and failed building the wasm gate.
    #[error("the wasm build failed (see cargo's output above)")]
    WasmBuild,
    /// cargo ran and failed building the origin auth function.
    #[error("the origin function build failed (needs `rustup target add {target}` and Debian's musl-tools)")]
    AuthBuild {
        /// The rustc target.
        target: &'static str,
    },
    /// wasm-bindgen refused the module or could not write its output.
    #[error("wasm-bindgen")]
    Bindgen(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The zip could not be written.
    #[error("cannot write the zip {}", path.display())]
    Zip {
        /// The zip file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: zip::result::ZipError,
    },
    /// A zip is over Lambda@Edge's limit for viewer triggers.
    #[error("{} is {size} bytes, over the Lambda@Edge viewer limit of {PLATFORM_LIMIT_BYTES}", path.display())]
    OverPlatformLimit {
        /// The zip file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// A zip is over edgegate's budget.
    #[error("{} is {size} bytes, over edgegate's budget of {BUDGET_BYTES}", path.display())]
    OverBudget {
        /// The zip file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
}

fn workspace_root() -> PathBuf {
    // This crate is infra/cli: the workspace is two levels up.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// What a cross build needs, checked before cargo runs so a missing piece is named in one line
/// (cargo's own failure for a missing target or C compiler is pages long). `rustc_target` must
/// be installed for the active toolchain (checked with `rustup` when it is on `PATH`);
/// `c_compiler` (`musl-gcc` for the musl target: ring compiles C) must be on `PATH`. `skip` is
/// the option that avoids the build.
///
/// # Errors
/// [`BundleError::MissingTarget`] or [`BundleError::MissingCompiler`], naming the missing
/// piece and how to install it.
fn check_build_prerequisites(
    what: &'static str,
    rustc_target: &'static str,
    c_compiler: Option<(&'static str, &'static str)>,
    skip: &'static str,
) -> Result<(), BundleError> {
    if let Ok(out) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(workspace_root())
        .output()
    {
        let installed = String::from_utf8_lossy(&out.stdout);
        if out.status.success() && !installed.lines().any(|l| l.trim() == rustc_target) {
            return Err(BundleError::MissingTarget {
                what,
                target: rustc_target,
                skip,
            });
        }
    }
    if let Some((compiler, install)) = c_compiler {
        let on_path = std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|dir| dir.join(compiler).is_file())
        });
        if !on_path {
            return Err(BundleError::MissingCompiler {
                what,
                compiler,
                install,
                skip,
            });
        }
    }
    Ok(())
}

/// Builds the edge crate for wasm32 and returns the module's path.
pub fn build_wasm() -> Result<PathBuf, CliError> {
    let root = workspace_root();
    if !root.join("edge").join("Cargo.toml").exists() {
        return Err(BundleError::NoWorkspace(root).into());
    }
    check_build_prerequisites(
        "the viewer-request gate",
        "wasm32-unknown-unknown",
        None,
        "--wasm FILE",
    )?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--locked",
            "-p",
            "edgegate-edge",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm",
        ])
        .status()
        .map_err(BundleError::Cargo)?;
    if !status.success() {
        return Err(BundleError::WasmBuild.into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target
        .join("wasm32-unknown-unknown")
        .join("wasm")
        .join("edgegate_edge.wasm"))
}

/// Refuses what must never be deployed ([`edgegate_edge::config::deployable`]: dev keys by
/// fingerprint, the dev pool, plain http, local secret references).
pub fn refuse_dev(loaded: &load::Loaded) -> Result<(), CliError> {
    Ok(edgegate_edge::config::deployable(
        &loaded.document,
        &loaded.gate,
    )?)
}

/// Runs `bundle`, returning the summary to print.
pub async fn run(args: Args) -> Result<String, CliError> {
    let loaded = load::load(&Source::File(args.config.clone()), args.jwks.as_deref()).await?;
    refuse_dev(&loaded)?;
    let wasm = match &args.wasm {
        Some(p) => p.clone(),
        None => build_wasm()?,
    };
    let staging = fresh_dir(args.out.join("viewer-request"))?;
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(&wasm)
        .out_name("edgegate_edge")
        .typescript(false)
        .nodejs(true)
        .map_err(|e| BundleError::Bindgen(e.into()))?;
    bindgen
        .generate(&staging)
        .map_err(|e| BundleError::Bindgen(e.into()))?;
    let glue_path = staging.join("edgegate_edge.js");
    let glue = std::fs::read_to_string(&glue_path)
        .map_err(|e| CliError::io(IoAction::Read, &glue_path, e))?;
    write_file(&glue_path, &shipped_glue(&glue))?;
    write_file(&staging.join("index.js"), &shipped_js("index.js", INDEX_JS))?;
    write_file(&staging.join("host.js"), &shipped_js("host.js", HOST_JS))?;
    write_file(&staging.join("config.json"), &baked_config(&loaded)?)?;
    if let Some(jwks) = &loaded.jwks {
        write_file(&staging.join("jwks.json"), &jwks.to_json())?;
    }
    let zip_path = args.out.join("viewer-request.zip");
    let size = zip_dir(&staging, &zip_path)?;
    if size > PLATFORM_LIMIT_BYTES {
        return Err(BundleError::OverPlatformLimit {
            path: zip_path,
            size,
        }
        .into());
    }
    if size > BUDGET_BYTES {
        return Err(BundleError::OverBudget {
            path: zip_path,
            size,
        }
        .into());
    }
    let digest = sha256_of(&zip_path)?;
    let mut summary = format!(
        "wrote {} ({size} bytes; budget {BUDGET_BYTES}, platform limit {PLATFORM_LIMIT_BYTES})\nsha256 {digest}\nhandler: index.handler (nodejs20.x or nodejs22.x, 128 MB, viewer-request)",
        zip_path.display()
    );
    if loaded.document.auth.is_some() {
        summary.push('\n');
        summary.push_str(&bundle_auth(&loaded, &args)?);
    }
    Ok(summary)
}

/// Builds the origin auth function for Amazon Linux 2023 (static musl, so it loads whatever the
/// glibc there) unless a binary is given.
pub fn build_auth_binary() -> Result<PathBuf, CliError> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = "x86_64-unknown-linux-musl";
    check_build_prerequisites(
        "the origin auth function ([auth])",
        target,
        Some(("musl-gcc", "apt-get install musl-tools")),
        "--auth-binary FILE",
    )?;
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--locked",
            "--release",
            "-p",
            "edgegate-auth",
            "--bin",
            "edgegate-auth",
            "--target",
            target,
        ])
        .status()
        .map_err(BundleError::Cargo)?;
    if !status.success() {
        return Err(BundleError::AuthBuild { target }.into());
    }
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(dir.join(target).join("release").join("edgegate-auth"))
}

/// `origin-auth.zip`: `bootstrap` (the auth function), `config.json`, `jwks.json`.
fn bundle_auth(loaded: &load::Loaded, args: &Args) -> Result<String, CliError> {
    let binary = match &args.auth_binary {
        Some(p) => p.clone(),
        None => build_auth_binary()?,
    };
    let staging = fresh_dir(args.out.join("origin-auth"))?;
    std::fs::copy(&binary, staging.join("bootstrap"))
        .map_err(|e| CliError::io(IoAction::Copy, &binary, e))?;
    write_file(&staging.join("config.json"), &baked_config(loaded)?)?;
    if let Some(jwks) = &loaded.jwks {
        write_file(&staging.join("jwks.json"), &jwks.to_json())?;
    }
    let zip_path = args.out.join("origin-auth.zip");
    let size = zip_dir(&staging, &zip_path)?;
    let digest = sha256_of(&zip_path)?;
    Ok(format!(
        "wrote {} ({size} bytes)\nsha256 {digest}\nhandler: bootstrap (provided.al2023, behind a function URL with OAC at /auth/*)",
        zip_path.display()
    ))
}

/// `dir`, emptied: removed when it exists, then created.
fn fresh_dir(dir: PathBuf) -> Result<PathBuf, CliError> {
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| CliError::io(IoAction::Remove, &dir, e))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| CliError::io(IoAction::Create, &dir, e))?;
    Ok(dir)
}

fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|e| CliError::io(IoAction::Write, path, e))
}

/// The baked `config.json` both functions read.
fn baked_config(loaded: &load::Loaded) -> Result<String, CliError> {
    serde_json::to_string(&loaded.document.baked()).map_err(|source| CliError::Json {
        what: "the baked config",
        source,
    })
}

/// The hex SHA-256 of a file (what the stacks pin).
fn sha256_of(path: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::io(IoAction::Read, path, e))?;
    Ok(edgegate_keys::key::hex(&edgegate_keys::key::sha256(&bytes)))
}

/// Zips every file of `dir` (sorted, fixed timestamps, deflate) into `zip_path`; returns its size.
fn zip_dir(dir: &Path, zip_path: &Path) -> Result<u64, CliError> {
    let zip_err = |source| BundleError::Zip {
        path: zip_path.to_path_buf(),
        source,
    };
    // Paths relative to `dir`: they are the names inside the zip.
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let d = dir.join(&rel);
        let list = |e| CliError::io(IoAction::Read, &d, e);
        for entry in std::fs::read_dir(&d).map_err(list)? {
            let entry = entry.map_err(list)?;
            let name = rel.join(entry.file_name());
            if entry.path().is_dir() {
                stack.push(name);
            } else {
                files.push(name);
            }
        }
    }
    files.sort();
    let file =
        std::fs::File::create(zip_path).map_err(|e| CliError::io(IoAction::Create, zip_path, e))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(24))
        .last_modified_time(zip::DateTime::default());
    for rel in &files {
        let executable = rel.file_name().is_some_and(|n| n == "bootstrap");
        let options = options.unix_permissions(if executable { 0o755 } else { 0o644 });
        let name = rel.to_string_lossy().replace('\\', "/");
        zip.start_file(name, options).map_err(zip_err)?;
        let path = dir.join(rel);
        let data = std::fs::read(&path).map_err(|e| CliError::io(IoAction::Read, &path, e))?;
        zip.write_all(&data)
            .map_err(|e| CliError::io(IoAction::Write, zip_path, e))?;
    }
    zip.finish().map_err(zip_err)?;
    std::fs::metadata(zip_path)
        .map(|m| m.len())
        .map_err(|e| CliError::io(IoAction::Read, zip_path, e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn shipped_js_drops_whole_line_comments_only() {
        let src = "'use strict';\n// a comment\n\nconst a = 1; // kept: not a whole line\n  // indented\nconst u = 'http://x'; // url\n";
        let out = super::shipped_js("t.js", src);
        assert_eq!(
            out,
            "'use strict';\n// edgegate t.js: commented source in edge/js/t.js (comments removed by `edgegate bundle`)\nconst a = 1; // kept: not a whole line\nconst u = 'http://x'; // url\n"
        );
        // Where a line could sit inside a string or a block comment, nothing is removed.
        for whole in [
            "const t = `a\n// inside a template\n`;\n",
            "/* a\n// b\n*/\nx();\n",
        ] {
            assert_eq!(super::shipped_js("t.js", whole), whole);
        }
    }

    #[test]
    fn shipped_glue_drops_whole_doc_blocks_only() {
        let src = "/**\n * The gate.\n */\nclass Gate {\n    /**\n     * Decides.\n     * @returns {string}\n     */\n    decide() { return '/'; }\n}\n";
        let out = super::shipped_glue(src);
        assert_eq!(
            out,
            "// edgegate: wasm-bindgen glue, doc comments removed by `edgegate bundle` (the Rust items' docs)\nclass Gate {\ndecide() { return '/'; }\n}\n"
        );
        // Any other comment shape, a template literal or an unclosed block: shipped whole.
        for whole in [
            "/* a */\nx();\n",
            "/**\n * a\nx();\n */\n",
            "const t = `\n/**\n`;\n",
            "/**\n * never closed\n",
            "x(); /** trailing */\n",
        ] {
            assert_eq!(super::shipped_glue(whole), whole);
        }
    }

    #[test]
    fn shipped_handler_keeps_every_code_line_in_order() {
        for (name, src) in [("index.js", super::INDEX_JS), ("host.js", super::HOST_JS)] {
            let out = super::shipped_js(name, src);
            assert!(out.len() < src.len(), "{name}: comments removed");
            let code = |s: &str| -> Vec<String> {
                s.lines()
                    .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
                    .map(|l| l.trim_start().to_string())
                    .collect()
            };
            assert_eq!(code(&out), code(src), "{name}");
        }
    }

    use super::check_build_prerequisites;
    use crate::local::dev_keys;
    use edgegate_edge::config::{deployable, ConfigDocument};
    use edgegate_edge::GateConfig;

    fn first_refusal(doc: &ConfigDocument) -> Option<String> {
        let jwks = doc.cognito.as_ref().map(|_| dev_keys::jwks().unwrap());
        // A reference of no known kind is already refused by validation.
        GateConfig::from_document(doc, jwks)
            .and_then(|gate| deployable(doc, &gate))
            .err()
            .map(|e| e.field)
    }

    /// Every kind of local-only material is refused, each naming its field, until none is left:
    /// the dev config is mended one refusal at a time.
    #[test]
    fn deployable_refuses_each_kind_of_dev_material_in_turn_fails() {
        let mut doc: ConfigDocument = toml::from_str(&dev_keys::DEV_CONFIG.replace(
            "public_key_file = \"cloudfront-dev-public.pem\"",
            &format!("public_key = {:?}", dev_keys::CLOUDFRONT_DEV_PUBLIC_PEM),
        ))
        .unwrap();
        doc.cognito.as_mut().unwrap().jwks_file = None;
        for issuer in doc.issuers.iter_mut().flatten() {
            issuer.jwks = Some(dev_keys::jwks().unwrap().to_json());
            issuer.jwks_file = None;
        }
        assert_eq!(first_refusal(&doc).as_deref(), Some("site.scheme"));
        doc.site.scheme = None;
        doc.site.domain = "downloads.example.com".into();
        assert_eq!(first_refusal(&doc).as_deref(), Some("auth.hosted_ui"));
        let auth = doc.auth.as_mut().unwrap();
        auth.hosted_ui = "https://auth.example.com".into();
        assert_eq!(
            first_refusal(&doc).as_deref(),
            Some("auth.secrets.cloudfront_private_key")
        );
        let auth = doc.auth.as_mut().unwrap();
        auth.secrets.cloudfront_private_key =
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:cf".into();
        assert_eq!(
            first_refusal(&doc).as_deref(),
            Some("auth.secrets.state_key")
        );
        // A file: reference is for local runs too; an ARN of another service is no secret.
        for local in [
            "file:state.key",
            "arn:aws:ssm:us-east-1:111122223333:parameter/x",
        ] {
            doc.auth.as_mut().unwrap().secrets.state_key = local.into();
            let gate_ok = first_refusal(&doc);
            assert_eq!(
                gate_ok.as_deref(),
                Some("auth.secrets.state_key"),
                "{local}"
            );
        }
        doc.auth.as_mut().unwrap().secrets.state_key =
            "arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:state".into();
        assert_eq!(first_refusal(&doc).as_deref(), Some("cognito.user_pool_id"));
        doc.cognito.as_mut().unwrap().user_pool_id = "us-east-1_Prod123".into();
        assert_eq!(
            first_refusal(&doc).as_deref(),
            Some("cloudfront.trusted_keys[0]")
        );
        let fresh =
            edgegate_keys::sign::generate_ecdsa_p256(&edgegate_keys::sign::SystemRandom::new())
                .unwrap();
        doc.cloudfront.as_mut().unwrap().trusted_keys[0].public_key =
            Some(fresh.public_key.to_spki_pem());
        assert_eq!(first_refusal(&doc).as_deref(), Some("cognito JWKS"));
        // Without Cognito (and so without sign-in) nothing local is left.
        doc.cognito = None;
        doc.auth = None;
        doc.routes.retain(|r| r.prefix != "/releases");
        // The dev OIDC issuer trusts the dev key too.
        assert_eq!(first_refusal(&doc).as_deref(), Some("issuers[0].jwks"));
        doc.issuers = None;
        doc.routes.retain(|r| r.prefix != "/ci");
        assert_eq!(first_refusal(&doc), None);
    }

    #[test]
    fn prerequisites_missing_rust_target_named_with_install_command_fails() {
        let result =
            check_build_prerequisites("the thing", "no-such-target-edgegate", None, "--skip");
        // Without rustup on PATH the target check is skipped (cargo then reports it).
        if std::process::Command::new("rustup")
            .arg("--version")
            .output()
            .is_ok()
        {
            assert_eq!(
                result.unwrap_err().to_string(),
                "the thing needs the Rust target no-such-target-edgegate: run `rustup target add no-such-target-edgegate` (or pass --skip)"
            );
        } else {
            assert!(result.is_ok());
        }
    }

    #[test]
    fn prerequisites_missing_c_compiler_named_with_install_command_fails() {
        let err = check_build_prerequisites(
            "the thing",
            "x86_64-unknown-linux-gnu",
            Some(("no-such-cc-edgegate", "apt-get install something")),
            "--skip",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "the thing needs no-such-cc-edgegate on PATH: install it with `apt-get install something` (or pass --skip)"
        );
    }

    #[test]
    fn prerequisites_host_target_present_ok() {
        assert!(check_build_prerequisites("x", "x86_64-unknown-linux-gnu", None, "--skip").is_ok());
    }
}

//! Loading `edgegate.toml` (or the embedded dev default) into a validated [`GateConfig`]:
//! parse TOML, inline `public_key_file`s, load the JWKS (`jwks_file`, else `jwks_url`), validate.

use crate::local::dev_keys;
use crate::CliError;
use edgegate_edge::{ConfigDocument, GateConfig};
use edgegate_keys::Jwks;
use std::path::{Path, PathBuf};

/// Where a configuration came from.
pub enum Source {
    /// The embedded dev default.
    Dev,
    /// The embedded dev default served at another address (`127.0.0.1:8787` replaced).
    DevAt(String),
    /// A file.
    File(PathBuf),
}

/// A loaded configuration: the resolved document (files inlined) and the validated gate config.
pub struct Loaded {
    /// The document with `public_key_file`s inlined.
    pub document: ConfigDocument,
    /// The validated gate configuration.
    pub gate: GateConfig,
    /// The JWKS, when Cognito is configured.
    pub jwks: Option<Jwks>,
}

/// Parses a TOML document.
pub fn parse_document(text: &str, origin: &str) -> Result<ConfigDocument, CliError> {
    toml::from_str(text).map_err(|e| {
        let msg = e.message().replace('\n', " ");
        let at = e
            .span()
            .map(|span| {
                let before = text.get(..span.start).unwrap_or_default();
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                match key_at(text, span.start) {
                    Some(key) => format!(" (line {line}, column {col}, {key})"),
                    None => format!(" (line {line}, column {col})"),
                }
            })
            .unwrap_or_default();
        CliError::Config(format!("{origin}{at}: {msg}"))
    })
}

/// The dotted name of the key whose line holds byte `offset` of a TOML text
/// (`publish.bucket`): the nearest `[table]` / `[[array]]` header above it and the bare key
/// before the `=`. `None` when the line holds no `key =` (or the key is quoted or dotted
/// oddly), so an error then names only the position.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(line_start..)?.lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let bare = |k: &str| {
        !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
    };
    if !bare(key) {
        return None;
    }
    let table = before
        .get(..line_start)?
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|h| {
            h.trim_start_matches('[')
                .trim_end_matches(']')
                .trim()
                .to_string()
        });
    match table {
        Some(t) if bare(&t) => Some(format!("{t}.{key}")),
        Some(_) => None,
        None => Some(key.to_string()),
    }
}

/// Loads a configuration from `source` (TOML; a `.json` file is read as the same document in
/// JSON). `jwks_override` replaces the JWKS source.
pub async fn load(source: &Source, jwks_override: Option<&str>) -> Result<Loaded, CliError> {
    let (mut doc, base): (ConfigDocument, Option<PathBuf>) = match source {
        Source::Dev => (
            parse_document(dev_keys::DEV_CONFIG, "embedded dev config")?,
            None,
        ),
        Source::DevAt(addr) => (
            parse_document(
                &dev_keys::DEV_CONFIG.replace("127.0.0.1:8787", addr),
                "embedded dev config",
            )?,
            None,
        ),
        Source::File(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::Config(format!("{}: {e}", path.display())))?;
            let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let doc = if path.extension().is_some_and(|e| e == "json") {
                serde_json::from_str(&text)
                    .map_err(|e| CliError::Config(format!("{}: {e}", path.display())))?
            } else {
                parse_document(&text, &path.display().to_string())?
            };
            (doc, Some(base))
        }
    };
    let read = |name: &str, field: &str| -> Result<String, CliError> {
        match &base {
            None => match name {
                "cloudfront-dev-public.pem" => Ok(dev_keys::CLOUDFRONT_DEV_PUBLIC_PEM.to_string()),
                dev_keys::DEV_JWKS_FILE => dev_keys::jwks()
                    .map(|j| j.to_json())
                    .map_err(|e| CliError::Config(format!("{field}: {e}"))),
                _ => Err(CliError::Config(format!(
                    "{field}: no embedded file {name}"
                ))),
            },
            Some(dir) => {
                let p = dir.join(name);
                std::fs::read_to_string(&p)
                    .map_err(|e| CliError::Config(format!("{field}: {}: {e}", p.display())))
            }
        }
    };
    if let Some(cf) = doc.cloudfront.as_mut() {
        for (i, k) in cf.trusted_keys.iter_mut().enumerate() {
            let field = format!("cloudfront.trusted_keys[{i}].public_key_file");
            match (&k.public_key, &k.public_key_file) {
                (Some(_), Some(_)) => {
                    return Err(CliError::Config(format!(
                        "{field}: give public_key or public_key_file, not both"
                    )))
                }
                (None, Some(file)) => {
                    k.public_key = Some(read(file, &field)?);
                    k.public_key_file = None;
                }
                _ => {}
            }
        }
    }
    let jwks = match &doc.cognito {
        None => None,
        Some(c) => {
            let text = match (jwks_override, &c.jwks_file) {
                (Some(src), _) => fetch_or_read(src).await?,
                (None, Some(file)) => read(file, "cognito.jwks_file")?,
                (None, None) => fetch_or_read(&c.jwks_url()).await?,
            };
            Some(
                Jwks::parse(text.as_bytes())
                    .map_err(|e| CliError::Config(format!("cognito JWKS: {e}")))?,
            )
        }
    };
    let gate = GateConfig::from_document(&doc, jwks.clone())
        .map_err(|e| CliError::Config(e.to_string()))?;
    Ok(Loaded {
        document: doc,
        gate,
        jwks,
    })
}

/// Reads a JWKS from a file path or fetches it from an `http(s)://` URL (5 s timeout).
pub async fn fetch_or_read(src: &str) -> Result<String, CliError> {
    if src.starts_with("https://") || src.starts_with("http://") {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| CliError::Config(format!("JWKS fetch: {e}")))?;
        let resp = client
            .get(src)
            .send()
            .await
            .map_err(|e| CliError::Config(format!("JWKS fetch from {src}: {e}")))?;
        if !resp.status().is_success() {
            return Err(CliError::Config(format!(
                "JWKS fetch from {src}: HTTP {}",
                resp.status()
            )));
        }
        resp.text()
            .await
            .map_err(|e| CliError::Config(format!("JWKS fetch from {src}: {e}")))
    } else {
        std::fs::read_to_string(src).map_err(|e| CliError::Config(format!("JWKS file {src}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_document;

    /// A wrong type or an unknown key in any section is refused when the document is read, with
    /// the position and the key (the typed schema: `[publish]` and `[stack]` included).
    #[test]
    fn document_wrong_type_or_unknown_key_names_position_and_key_fails() {
        let base = "version = 1\nroutes = []\n[site]\ndomain = \"d.example.com\"\n";
        for (extra, expect) in [
            ("[publish]\nbucket = 3\n", "line 6, column 10, publish.bucket)"),
            ("[publish]\nbukket = \"x\"\n", "bukket"),
            ("[stack]\nname = \"x\"\nhosted_ui_domain_prefix = \"p\"\ncloudfront_keys = {}\nmfa = 1\n", "stack.mfa)"),
            ("[stack]\nnmae = \"x\"\n", "nmae"),
        ] {
            let text = format!("{base}{extra}");
            let e = parse_document(&text, "edgegate.toml").unwrap_err().to_string();
            assert!(e.contains(expect), "{extra:?}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }
}

//! `edgegate verify DIR|URL --public-key KEY`: checks a release against its signed manifest
//! (`edgegate_publish::verify`). A folder is read in place; a URL (the release's folder as
//! viewers request it, e.g. `https://downloads.example.com/releases/1.4.0/`) is downloaded
//! file by file, each streamed into its SHA-256 and never stored. `--header` adds a request
//! header (a bearer token, a signed-cookie `Cookie`); it is never printed.

use crate::error::{CliError, UsageError};
use edgegate_publish::manifest::MAX_MANIFEST_BYTES;
use edgegate_publish::minisign::PublicKey;
use edgegate_publish::plan::{MANIFEST_NAME, SIGNATURE_NAME};
use edgegate_publish::verify::{self, Found, VerifiedRelease, VerifyError};
use sha2::{Digest, Sha256};
use std::path::Path;

/// `edgegate verify`.
#[derive(clap::Args, Clone, Debug)]
pub struct VerifyArgs {
    /// The release: a folder holding manifest.json, manifest.json.minisig and the files, or its
    /// URL (https://HOST/PREFIX/VERSION/).
    #[arg(value_name = "DIR|URL")]
    pub target: String,
    /// The minisign public key: a .pub file, or its base64 key line.
    #[arg(long)]
    pub public_key: String,
    /// A request header for URL downloads, e.g. "Authorization: Bearer TOKEN" (repeatable).
    #[arg(long = "header")]
    pub headers: Vec<String>,
    /// The release version the signed manifest must name (default for a URL: its last path
    /// segment; for a folder: not checked, the version is printed).
    #[arg(long = "release", value_name = "VERSION")]
    pub version: Option<String>,
}

impl VerifyArgs {
    fn release_version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

/// The last non-empty path segment of a URL (`.../releases/1.4.0/` gives `1.4.0`).
fn last_segment(url: &str) -> Option<&str> {
    let path = url.split(['?', '#']).next()?;
    let after_scheme = path.split_once("://").map_or(path, |(_, rest)| rest);
    let (_, path) = after_scheme.split_once('/')?;
    path.rsplit('/').find(|s| !s.is_empty())
}

fn public_key(arg: &str) -> Result<PublicKey, CliError> {
    let text = if Path::new(arg).is_file() {
        std::fs::read_to_string(arg).map_err(|source| CliError::Io {
            action: crate::error::IoAction::Read,
            path: arg.into(),
            source,
        })?
    } else {
        arg.to_string()
    };
    PublicKey::parse(&text).map_err(|source| CliError::Minisign {
        what: "--public-key".into(),
        source,
    })
}

/// Runs `edgegate verify`, returning the line to print.
///
/// # Errors
/// A bad key or header, a download or read failure, a signature or file that does not match.
pub async fn run(args: VerifyArgs) -> Result<String, CliError> {
    let key = public_key(&args.public_key)?;
    let verified = if args.target.starts_with("https://") || args.target.starts_with("http://") {
        let named = args
            .version
            .clone()
            .or_else(|| last_segment(&args.target).map(str::to_string));
        verify_url(&args.target, &args.headers, &key, named.as_deref()).await?
    } else {
        if !args.headers.is_empty() {
            return Err(UsageError::HeaderWithoutUrl.into());
        }
        verify::verify_dir(Path::new(&args.target), &key, args.release_version())?
    };
    Ok(verified.to_text())
}

async fn verify_url(
    base: &str,
    headers: &[String],
    key: &PublicKey,
    release: Option<&str>,
) -> Result<VerifiedRelease, CliError> {
    let base = if base.ends_with('/') {
        base.to_string()
    } else {
        format!("{base}/")
    };
    let mut map = reqwest::header::HeaderMap::new();
    for h in headers {
        let (name, value) = h.split_once(':').ok_or(UsageError::HeaderFormat)?;
        let name = reqwest::header::HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| UsageError::HeaderName)?;
        let mut value = reqwest::header::HeaderValue::from_str(value.trim())
            .map_err(|_| UsageError::HeaderFormat)?;
        value.set_sensitive(true);
        map.append(name, value);
    }
    let client = reqwest::Client::builder()
        .default_headers(map)
        .connect_timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(CliError::HttpClient)?;
    let manifest = get_small(&client, &format!("{base}{MANIFEST_NAME}")).await?;
    let signature = match get_small(&client, &format!("{base}{SIGNATURE_NAME}")).await {
        Err(VerifyError::Read { reason, .. }) if reason == "HTTP 404" => {
            return Err(VerifyError::Unsigned(base.clone()).into())
        }
        other => other?,
    };
    let signature = String::from_utf8(signature).map_err(|_| {
        VerifyError::Signature(edgegate_publish::minisign::MinisignError::Format {
            what: "signature",
            reason: "not UTF-8",
        })
    })?;
    let (m, verified) = verify::signed_manifest(&manifest, &signature, key, release)?;
    let mut found = Vec::with_capacity(m.files.len());
    for f in &m.files {
        let url = format!("{base}{}", encode_path(&f.path));
        found.push(digest_url(&client, &url).await);
    }
    Ok(verify::conclude(&m, verified, &found)?)
}

/// Each segment percent-encoded except unreserved characters (RFC 3986 §2.3), as the publisher
/// names objects' URL paths.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            seg.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// GETs `url`. A failure or a non-2xx answer is its reason: `HTTP <status>`, with a hint on a
/// 401/403, or what [`reqwest_reason`] says.
async fn get(client: &reqwest::Client, url: &str) -> Result<reqwest::Response, String> {
    let resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| reqwest_reason(&e))?;
    let status = resp.status().as_u16();
    if !resp.status().is_success() {
        let hint = if status == 401 || status == 403 {
            " (a gated release: pass its credential with --header 'Authorization: Bearer TOKEN')"
        } else {
            ""
        };
        return Err(format!("HTTP {status}{hint}"));
    }
    Ok(resp)
}

async fn get_small(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, VerifyError> {
    let failed = |reason: String| VerifyError::Read {
        what: url.to_string(),
        reason,
    };
    let mut resp = get(client, url).await.map_err(failed)?;
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| failed(reqwest_reason(&e)))? {
        out.extend_from_slice(&chunk);
        if out.len() > MAX_MANIFEST_BYTES {
            return Err(failed("larger than a manifest can be".into()));
        }
    }
    Ok(out)
}

async fn digest_url(client: &reqwest::Client, url: &str) -> Found {
    let mut resp = get(client, url).await?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(|e| reqwest_reason(&e))? {
        size = size.saturating_add(chunk.len() as u64);
        hasher.update(&chunk);
    }
    Ok((size, hasher.finalize().into()))
}

/// What failed, without the URL's query (a signed URL's signature) or any header.
fn reqwest_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else if e.is_redirect() {
        "too many redirects".into()
    } else {
        "request failed".into()
    }
}

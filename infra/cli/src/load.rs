//! Loading `edgegate.toml` (or the embedded dev default) into a validated [`GateConfig`]:
//! parse TOML, inline `public_key_file`s, load the JWKS (`jwks_file`, else `jwks_url`), validate.

use crate::local::dev_keys;
use crate::CliError;
use edgegate_edge::{ConfigDocument, GateConfig};
use edgegate_keys::Jwks;
use std::path::{Component, Path, PathBuf};

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

/// Why the configuration document cannot be used as a document (before any setting is looked
/// at): it cannot be read, or it is not TOML (or JSON) of the document's shape.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The file cannot be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Not TOML of the document's shape (a syntax error, a wrong type, an unknown key).
    #[error("{origin}{position}: {message}")]
    Toml {
        /// The file (or `embedded dev config`).
        origin: String,
        /// Where in the text.
        position: TomlPosition,
        /// The parser's message (one line; never the quoted text).
        message: String,
    },
    /// A `.json` document that is not JSON of the document's shape.
    #[error("{}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error (line and column, never the text).
        #[source]
        source: serde_json::Error,
    },
}

/// Where a TOML error is: ` (line L, column C, key)`, or nothing when the parser gave no span.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TomlPosition {
    /// 1-based line and column (characters), when known.
    pub line_column: Option<(usize, usize)>,
    /// The dotted key on that line (`publish.bucket`), when there is a bare one.
    pub key: Option<String>,
}

impl std::fmt::Display for TomlPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.line_column, &self.key) {
            (Some((line, col)), Some(key)) => write!(f, " (line {line}, column {col}, {key})"),
            (Some((line, col)), None) => write!(f, " (line {line}, column {col})"),
            (None, _) => Ok(()),
        }
    }
}

/// Parses a TOML document.
pub fn parse_document(text: &str, origin: &str) -> Result<ConfigDocument, CliError> {
    toml::from_str(text).map_err(|e| {
        let position = e
            .span()
            .map(|span| {
                let before = text.get(..span.start).unwrap_or_default();
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                TomlPosition {
                    line_column: Some((line, col)),
                    key: key_at(text, span.start),
                }
            })
            .unwrap_or_default();
        CliError::Document(DocumentError::Toml {
            origin: origin.to_string(),
            position,
            message: e.message().replace('\n', " "),
        })
    })
}

/// Reads the document at `path` as written: TOML, or the same document in JSON for a `.json`
/// file. Nothing is inlined or validated.
///
/// # Errors
/// [`DocumentError`]: the file cannot be read or parsed.
pub fn read_document(path: &Path) -> Result<ConfigDocument, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| DocumentError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|source| {
            CliError::Document(DocumentError::Json {
                path: path.to_path_buf(),
                source,
            })
        })
    } else {
        parse_document(&text, &path.display().to_string())
    }
}

/// Why the JWKS cannot be had (fetching `jwks_url` or a `--jwks` URL, or reading a `--jwks`
/// file). A JWKS that is not a usable key set is a [`CliError::SettingKey`].
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// The HTTP client cannot be built.
    #[error("JWKS fetch")]
    Client(#[source] reqwest::Error),
    /// The request failed, or its body could not be read.
    #[error("JWKS fetch from {url}")]
    Fetch {
        /// The URL.
        url: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status.
    #[error("JWKS fetch from {url}: HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: reqwest::StatusCode,
    },
    /// The file cannot be read.
    #[error("JWKS file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
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
        Source::File(path) => (
            read_document(path)?,
            Some(path.parent().map(Path::to_path_buf).unwrap_or_default()),
        ),
    };
    let read = |name: &str, field: &str| -> Result<String, CliError> {
        match &base {
            None => match name {
                "cloudfront-dev-public.pem" => Ok(dev_keys::CLOUDFRONT_DEV_PUBLIC_PEM.to_string()),
                dev_keys::DEV_JWKS_FILE => {
                    dev_keys::jwks()
                        .map(|j| j.to_json())
                        .map_err(|source| CliError::SettingKey {
                            field: field.to_string(),
                            source,
                        })
                }
                _ => Err(CliError::config(field, format!("no embedded file {name}"))),
            },
            Some(dir) => {
                let path = dir.join(name);
                std::fs::read_to_string(&path).map_err(|source| CliError::SettingFile {
                    field: field.to_string(),
                    path,
                    source,
                })
            }
        }
    };
    if let Some(cf) = doc.cloudfront.as_mut() {
        for (i, k) in cf.trusted_keys.iter_mut().enumerate() {
            let field = format!("cloudfront.trusted_keys[{i}].public_key_file");
            match (&k.public_key, &k.public_key_file) {
                (Some(_), Some(_)) => {
                    return Err(CliError::config(
                        field,
                        "give public_key or public_key_file, not both",
                    ))
                }
                (None, Some(file)) => {
                    k.public_key = Some(read(file, &field)?);
                    k.public_key_file = None;
                }
                _ => {}
            }
        }
    }
    // `[pages]`: each `*_file` is read into its inline member (the gate validates the text).
    if let Some(pages) = doc.pages.as_mut() {
        let slots = [
            (
                "unauthorized",
                &mut pages.unauthorized,
                &mut pages.unauthorized_file,
            ),
            ("forbidden", &mut pages.forbidden, &mut pages.forbidden_file),
            ("not_found", &mut pages.not_found, &mut pages.not_found_file),
        ];
        for (name, text, file) in slots {
            let field = format!("pages.{name}_file");
            if let Some(name) = file.take() {
                if text.is_some() {
                    return Err(CliError::config(
                        field,
                        "give the page or its file, not both",
                    ));
                }
                // A page is shown to every viewer: only a file inside the config's folder, so
                // a slip (`../.env`, `/etc/...`) cannot publish another file.
                let path = Path::new(&name);
                let inside = path
                    .components()
                    .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
                    && path.components().any(|c| matches!(c, Component::Normal(_)));
                if !inside {
                    return Err(CliError::config(
                        field,
                        "a file path inside the config file's folder (no absolute path, no ..)",
                    ));
                }
                let page = read(&name, &field)?;
                edgegate_edge::pages::check_page(&page)
                    .map_err(|reason| CliError::config(&field, format!("{name}: {reason}")))?;
                *text = Some(page);
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
                Jwks::parse(text.as_bytes()).map_err(|source| CliError::SettingKey {
                    field: "cognito JWKS".into(),
                    source,
                })?,
            )
        }
    };
    // `[[issuers]]` bake their key sets into the document (`jwks`, normalised JSON).
    for (i, d) in doc.issuers.iter_mut().flatten().enumerate() {
        let field = format!("issuers[{i}].jwks_file");
        let text = match (&d.jwks, &d.jwks_file, d.jwks_url()) {
            (Some(_), Some(_), _) => {
                return Err(CliError::config(field, "give jwks or jwks_file, not both"))
            }
            (Some(text), None, _) => text.clone(),
            (None, Some(file), _) => read(file, &field)?,
            (None, None, Some(url)) => fetch_or_read(&url).await?,
            (None, None, None) => {
                return Err(CliError::config(
                    format!("issuers[{i}].jwks_url"),
                    "required for kind = \"oidc\" (or give jwks_file)",
                ))
            }
        };
        let parsed = Jwks::parse(text.as_bytes()).map_err(|source| CliError::SettingKey {
            field: format!("issuers[{i}].jwks"),
            source,
        })?;
        d.jwks = Some(parsed.to_json());
        d.jwks_file = None;
    }
    let gate = GateConfig::from_document(&doc, jwks.clone())?;
    Ok(Loaded {
        document: doc,
        gate,
        jwks,
    })
}

/// Reads a JWKS from a file path or fetches it from an `http(s)://` URL (5 s timeout).
pub async fn fetch_or_read(src: &str) -> Result<String, CliError> {
    if src.starts_with("https://") || src.starts_with("http://") {
        let fetch = |source| JwksError::Fetch {
            url: src.to_string(),
            source,
        };
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(JwksError::Client)?;
        let resp = client.get(src).send().await.map_err(fetch)?;
        if !resp.status().is_success() {
            return Err(JwksError::Status {
                url: src.to_string(),
                status: resp.status(),
            }
            .into());
        }
        Ok(resp.text().await.map_err(fetch)?)
    } else {
        std::fs::read_to_string(src).map_err(|source| {
            CliError::Jwks(JwksError::Read {
                path: PathBuf::from(src),
                source,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_document;

    /// The one-line error of loading the config file at `path` (which must fail).
    async fn load_error(path: &std::path::Path) -> String {
        super::load(&super::Source::File(path.to_path_buf()), None)
            .await
            .err()
            .expect("the config is refused")
            .one_line()
    }

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
            let e = parse_document(&text, "edgegate.toml").unwrap_err().one_line();
            assert!(e.contains(expect), "{extra:?}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }

    /// The README's route kinds in TOML: `authenticated`, `scopes` and `groups` with `scopes`
    /// parse to the document; a misspelt `scope` or a capitalised kind is refused by name.
    #[test]
    fn document_access_kinds_and_scopes_in_toml_ok() {
        use edgegate_edge::config::AccessKind;
        let base = "version = 1\n[site]\ndomain = \"d.example.com\"\n";
        let routes = "[[routes]]\nprefix = \"/releases\"\naccess = \"groups\"\ngroups = [\"downloaders\"]\nscopes = [\"releases/read\"]\n\
                      [[routes]]\nprefix = \"/members\"\naccess = \"authenticated\"\n\
                      [[routes]]\nprefix = \"/artifacts\"\naccess = \"scopes\"\nscopes = [\"artifacts/read\"]\n";
        let doc = parse_document(&format!("{base}{routes}"), "edgegate.toml").unwrap();
        let kinds: Vec<(AccessKind, Option<Vec<String>>)> = doc
            .routes
            .iter()
            .map(|r| (r.access, r.scopes.clone()))
            .collect();
        assert_eq!(
            kinds,
            [
                (AccessKind::Groups, Some(vec!["releases/read".to_string()])),
                (AccessKind::Authenticated, None),
                (AccessKind::Scopes, Some(vec!["artifacts/read".to_string()])),
            ]
        );
        for (bad, expect) in [
            (
                "[[routes]]\nprefix = \"/a\"\naccess = \"scopes\"\nscope = [\"a\"]\n",
                "scope",
            ),
            (
                "[[routes]]\nprefix = \"/a\"\naccess = \"Authenticated\"\n",
                "Authenticated",
            ),
        ] {
            let e = parse_document(&format!("{base}{bad}"), "edgegate.toml")
                .unwrap_err()
                .one_line();
            assert!(e.contains(expect), "{bad:?}: {e}");
        }
    }

    /// `[[issuers]]` in TOML as the README writes them: the loader bakes each issuer's JWKS
    /// (`jwks_file` here) into the document, drops the file reference, and the gate gets the
    /// issuer; an `oidc` issuer with no key source, or both `jwks` and `jwks_file`, is refused
    /// naming the field.
    #[tokio::test]
    async fn issuers_jwks_file_is_baked_into_the_document_ok() {
        use super::{load, Source};
        use edgegate_edge::config::IssuerIndex;
        let dir =
            std::env::temp_dir().join(format!("edgegate-load-issuers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let jwks = crate::local::dev_keys::jwks().unwrap().to_json();
        std::fs::write(dir.join("ci-jwks.json"), &jwks).unwrap();
        let base = "version = 1\n[site]\ndomain = \"d.example.com\"\n\
            [[issuers]]\nid = \"ci\"\nkind = \"oidc\"\n\
            issuer = \"https://token.actions.githubusercontent.com\"\n\
            audiences = [\"https://github.com/example-org\"]\n";
        let routes = "[[routes]]\nprefix = \"/ci\"\naccess = \"authenticated\"\nissuers = [\"ci\"]\n\
            claims = { repository_owner = \"example-org\", environment = [\"prod\", \"staging\"] }\n";
        let write = |extra: &str| {
            let path = dir.join("edgegate.toml");
            std::fs::write(&path, format!("{base}{extra}{routes}")).unwrap();
            path
        };
        let loaded = load(&Source::File(write("jwks_file = \"ci-jwks.json\"\n")), None)
            .await
            .unwrap();
        let issuer = &loaded.document.issuers.as_ref().unwrap()[0];
        assert_eq!(issuer.jwks_file, None);
        assert!(issuer
            .jwks
            .as_deref()
            .is_some_and(|j| j.contains("\"keys\"")));
        assert_eq!(loaded.gate.issuer(IssuerIndex(0)).unwrap().id, "ci");
        let route = &loaded.gate.routes()[0];
        assert_eq!(route.claims.len(), 2);
        assert_eq!(route.claims[1].values, ["prod", "staging"]);
        for (extra, field) in [
            ("", "issuers[0].jwks_url"),
            (
                "jwks_file = \"ci-jwks.json\"\njwks = \"{}\"\n",
                "issuers[0].jwks_file",
            ),
            ("jwks_file = \"missing.json\"\n", "issuers[0].jwks_file"),
        ] {
            let e = load_error(&write(extra)).await;
            assert!(e.contains(field), "{extra:?}: {e}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `[pages]` in TOML: a `*_file` is read (relative to the config file) into the page the
    /// gate renders and the reference dropped, so the baked document carries the text; a page
    /// given both ways, a missing file and a bad placeholder are refused naming the field.
    #[tokio::test]
    async fn pages_files_are_read_into_the_document_ok() {
        use super::{load, Source};
        let dir = std::env::temp_dir().join(format!("edgegate-load-pages-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pages")).unwrap();
        std::fs::write(dir.join("pages/403.html"), "<p>{{status}} no entry</p>").unwrap();
        std::fs::write(dir.join("pages/bad.html"), "<p>{{path}}</p>").unwrap();
        let base = "version = 1\n[site]\ndomain = \"d.example.com\"\n\
            [[routes]]\nprefix = \"/\"\naccess = \"public\"\n[pages]\n";
        let write = |extra: &str| {
            let path = dir.join("edgegate.toml");
            std::fs::write(&path, format!("{base}{extra}")).unwrap();
            path
        };
        let loaded = load(
            &Source::File(write("forbidden_file = \"./pages/403.html\"\n")),
            None,
        )
        .await
        .unwrap();
        let pages = loaded.document.pages.as_ref().unwrap();
        assert_eq!(pages.forbidden_file, None);
        assert_eq!(
            pages.forbidden.as_deref(),
            Some("<p>{{status}} no entry</p>")
        );
        assert_eq!(
            loaded.gate.pages().template(403).map(|t| t.to_string()),
            Some("<p>{{status}} no entry</p>".to_string())
        );
        for (extra, field) in [
            (
                "forbidden_file = \"pages/403.html\"\nforbidden = \"<p>x</p>\"\n",
                "pages.forbidden_file",
            ),
            (
                "not_found_file = \"pages/404.html\"\n",
                "pages.not_found_file",
            ),
            (
                "unauthorized_file = \"pages/bad.html\"\n",
                "pages.unauthorized_file: pages/bad.html: unknown placeholder {{path}}",
            ),
            ("forbidden_file = \"\"\n", "pages.forbidden_file"),
            (
                "not_found_file = \"../secret.env\"\n",
                "pages.not_found_file",
            ),
            (
                "not_found_file = \"/etc/hostname\"\n",
                "pages.not_found_file",
            ),
        ] {
            let e = load_error(&write(extra)).await;
            assert!(e.contains(field), "{extra:?}: {e}");
        }
        // Refused for where it points, before any read: /etc/hostname exists.
        let e = load_error(&write("not_found_file = \"/etc/hostname\"\n")).await;
        assert!(e.contains("inside the config file's folder"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

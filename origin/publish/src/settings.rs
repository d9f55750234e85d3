//! The publisher's settings: validated names (bucket, key prefix, release version, channel,
//! distribution id, git commit) and the `[publish]` section of `edgegate.toml`. Pure: no I/O.
//!
//! ```toml
//! [publish]
//! bucket = "example-artifacts"        # the private origin bucket
//! prefix = "releases/"                # optional, default "releases/"; "" for the bucket root
//! distribution_id = "E2EXAMPLE123"    # optional: without it nothing is invalidated
//! region = "eu-west-1"                # optional: default from the AWS chain (AWS_REGION, profile)
//! ```
//!
//! Command-line flags win over the file. Every value is checked here, and an error names the
//! field (`publish.bucket: ...`). Unknown keys are refused.

use crate::names::url_path;
use edgegate_edge::config::PublishDoc;
use std::fmt;
use std::str::FromStr;

/// The default key prefix for releases.
pub const DEFAULT_PREFIX: &str = "releases/";

/// A value that failed validation; `field` names where it came from (`publish.bucket`,
/// `--release`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct SettingError {
    /// The config field or option.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl SettingError {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> SettingError {
        SettingError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::parse(s)
            }
        }
    };
}

string_newtype!(
    /// An S3 bucket name (3-63 of `a-z 0-9 . -`, starting and ending with a letter or digit).
    Bucket
);
string_newtype!(
    /// The key prefix releases live under: empty, or `/`-separated segments ending in `/`
    /// (`releases/`), with no leading `/`.
    Prefix
);
string_newtype!(
    /// A release version (1-128 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit; not
    /// `channels`, which holds the channel pointers).
    Version
);
string_newtype!(
    /// A channel name (1-64 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit).
    ChannelName
);
string_newtype!(
    /// A CloudFront distribution id (upper-case letters and digits).
    DistributionId
);
string_newtype!(
    /// A git commit id (4-64 hexadecimal digits, stored lower-case).
    GitCommit
);

fn simple_name(s: &str, max: usize, what: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if s.is_empty() || s.len() > max {
        return Err(format!("{what} must be 1-{max} characters"));
    }
    if !s.chars().all(ok_char) {
        return Err(format!(
            "{what} may contain only letters, digits, `.`, `_` and `-`"
        ));
    }
    if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("{what} must start with a letter or digit"));
    }
    Ok(())
}

impl Bucket {
    /// Validates a bucket name.
    ///
    /// # Errors
    /// Why the name is not a valid S3 bucket name.
    pub fn parse(s: &str) -> Result<Bucket, String> {
        let ok = (3..=63).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric());
        if ok {
            Ok(Bucket(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not an S3 bucket name (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)"
            ))
        }
    }
}

impl Prefix {
    /// Validates a key prefix; a missing trailing `/` is added (`releases` -> `releases/`).
    ///
    /// # Errors
    /// A leading `/`, an empty or dot segment, or a segment the gate or S3 would not keep.
    pub fn parse(s: &str) -> Result<Prefix, String> {
        if s.is_empty() {
            return Ok(Prefix(String::new()));
        }
        if s.starts_with('/') {
            return Err(
                "must not start with `/` (S3 keys have none; the URL path is `/` + the key)".into(),
            );
        }
        let normalised = if s.ends_with('/') {
            s.to_string()
        } else {
            format!("{s}/")
        };
        let inner = normalised.trim_end_matches('/');
        for segment in inner.split('/') {
            crate::names::check_name(segment, segment)
                .map_err(|e| format!("segment `{segment}`: {e}"))?;
        }
        edgegate_edge::path::check_canonical(&url_path(&normalised))
            .map_err(|e| format!("not a canonical path ({})", e.detail()))?;
        Ok(Prefix(normalised))
    }

    /// The default, `releases/`.
    pub fn default_prefix() -> Prefix {
        Prefix(DEFAULT_PREFIX.to_string())
    }
}

impl Version {
    /// Validates a release version.
    ///
    /// # Errors
    /// Why it is refused.
    pub fn parse(s: &str) -> Result<Version, String> {
        simple_name(s, 128, "a release version")?;
        if s == crate::plan::CHANNELS_DIR {
            return Err("`channels` is reserved for the channel pointers".into());
        }
        Ok(Version(s.to_string()))
    }
}

impl ChannelName {
    /// Validates a channel name.
    ///
    /// # Errors
    /// Why it is refused.
    pub fn parse(s: &str) -> Result<ChannelName, String> {
        simple_name(s, 64, "a channel name")?;
        Ok(ChannelName(s.to_string()))
    }
}

impl DistributionId {
    /// Validates a CloudFront distribution id.
    ///
    /// # Errors
    /// Why it is refused.
    pub fn parse(s: &str) -> Result<DistributionId, String> {
        if !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            Ok(DistributionId(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not a CloudFront distribution id (upper-case letters and digits, like E2EXAMPLE123)"
            ))
        }
    }
}

impl GitCommit {
    /// Validates a git commit id.
    ///
    /// # Errors
    /// Why it is refused.
    pub fn parse(s: &str) -> Result<GitCommit, String> {
        if (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(GitCommit(s.to_ascii_lowercase()))
        } else {
            Err(format!("`{s}` is not a git commit id (4-64 hex digits)"))
        }
    }
}

/// An AWS region name (`eu-west-1`).
fn parse_region(s: &str) -> Result<String, String> {
    if !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not an AWS region name"))
    }
}

/// The `[publish]` section, validated. Every field is optional here; what a command needs and
/// lacks is reported when the command runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishConfig {
    /// `publish.bucket`.
    pub bucket: Option<Bucket>,
    /// `publish.prefix` (default [`DEFAULT_PREFIX`] when absent everywhere).
    pub prefix: Option<Prefix>,
    /// `publish.distribution_id`.
    pub distribution_id: Option<DistributionId>,
    /// `publish.region`.
    pub region: Option<String>,
}

impl PublishConfig {
    /// Validates the `[publish]` section (`None` when it is absent). The document parser has
    /// already refused unknown keys and wrong types.
    ///
    /// # Errors
    /// The first bad field, named `publish.<field>`.
    pub fn from_doc(doc: Option<&PublishDoc>) -> Result<PublishConfig, SettingError> {
        let Some(doc) = doc else {
            return Ok(PublishConfig::default());
        };
        fn check<T>(
            field: &str,
            value: Option<&String>,
            parse: impl Fn(&str) -> Result<T, String>,
        ) -> Result<Option<T>, SettingError> {
            value
                .map(|v| parse(v).map_err(|e| SettingError::new(field, e)))
                .transpose()
        }
        Ok(PublishConfig {
            bucket: check("publish.bucket", doc.bucket.as_ref(), Bucket::parse)?,
            prefix: check("publish.prefix", doc.prefix.as_ref(), Prefix::parse)?,
            distribution_id: check(
                "publish.distribution_id",
                doc.distribution_id.as_ref(),
                DistributionId::parse,
            )?,
            region: check("publish.region", doc.region.as_ref(), parse_region)?,
        })
    }
}

/// Where releases go: the bucket, the key prefix and (optionally) the distribution to
/// invalidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The bucket.
    pub bucket: Bucket,
    /// The key prefix.
    pub prefix: Prefix,
    /// The distribution that serves the bucket, for invalidations.
    pub distribution_id: Option<DistributionId>,
}

impl Target {
    /// Resolves flags over the config: a flag wins; the bucket is required; the prefix defaults
    /// to [`DEFAULT_PREFIX`].
    ///
    /// # Errors
    /// A bad flag value (named `--bucket`, `--prefix`, `--distribution-id`) or no bucket at all.
    pub fn resolve(
        config: &PublishConfig,
        bucket: Option<&str>,
        prefix: Option<&str>,
        distribution_id: Option<&str>,
    ) -> Result<Target, SettingError> {
        let bucket = match bucket {
            Some(b) => Bucket::parse(b).map_err(|e| SettingError::new("--bucket", e))?,
            None => config.bucket.clone().ok_or_else(|| {
                SettingError::new(
                    "publish.bucket",
                    "no bucket: pass --bucket or set bucket in the [publish] section of edgegate.toml",
                )
            })?,
        };
        let prefix = match prefix {
            Some(p) => Prefix::parse(p).map_err(|e| SettingError::new("--prefix", e))?,
            None => config.prefix.clone().unwrap_or_else(Prefix::default_prefix),
        };
        let distribution_id = match distribution_id {
            Some(d) => Some(
                DistributionId::parse(d).map_err(|e| SettingError::new("--distribution-id", e))?,
            ),
            None => config.distribution_id.clone(),
        };
        Ok(Target {
            bucket,
            prefix,
            distribution_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: serde_json::Value) -> PublishDoc {
        serde_json::from_value(v).unwrap()
    }

    /// Unknown keys and wrong types never reach the settings: the schema refuses them.
    #[test]
    fn publish_section_unknown_key_or_wrong_type_refused_by_the_schema_fails() {
        for v in [json!({"bukket": "x"}), json!({"bucket": 3}), json!("x")] {
            let e = serde_json::from_value::<PublishDoc>(v.clone()).unwrap_err();
            assert!(!e.to_string().is_empty(), "{v}");
        }
    }

    #[test]
    fn publish_section_parses_ok() {
        let v = doc(
            json!({"bucket": "my-artifacts", "prefix": "builds", "distribution_id": "E2EXAMPLE1", "region": "eu-west-1"}),
        );
        let c = PublishConfig::from_doc(Some(&v)).unwrap();
        assert_eq!(c.bucket.unwrap().as_str(), "my-artifacts");
        assert_eq!(c.prefix.unwrap().as_str(), "builds/");
        assert_eq!(c.distribution_id.unwrap().as_str(), "E2EXAMPLE1");
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            PublishConfig::from_doc(None).unwrap(),
            PublishConfig::default()
        );
    }

    #[test]
    fn publish_section_bad_fields_fail_naming_the_field() {
        let cases = [
            (json!({"bucket": "Not_A_Bucket"}), "publish.bucket"),
            (json!({"prefix": "/releases/"}), "publish.prefix"),
            (json!({"prefix": "a/../b"}), "publish.prefix"),
            (
                json!({"distribution_id": "e123"}),
                "publish.distribution_id",
            ),
            (json!({"region": "EU WEST"}), "publish.region"),
        ];
        for (v, field) in cases {
            let e = PublishConfig::from_doc(Some(&doc(v.clone()))).unwrap_err();
            assert_eq!(e.field, field, "{v}");
            assert!(e.to_string().starts_with(&format!("{field}: ")), "{e}");
        }
    }

    #[test]
    fn names_validate() {
        assert!(Version::parse("1.2.3-rc.1").is_ok());
        assert!(Version::parse("2026_05").is_ok());
        for bad in ["", ".hidden", "..", "a/b", "a b", "1+2", "channels", "é"] {
            assert!(Version::parse(bad).is_err(), "{bad}");
        }
        assert!(ChannelName::parse("stable").is_ok());
        assert!(ChannelName::parse("-x").is_err());
        assert_eq!(Prefix::parse("").unwrap().as_str(), "");
        assert_eq!(Prefix::parse("a/b/").unwrap().as_str(), "a/b/");
        assert!(Prefix::parse("a//b").is_err());
        assert!(Prefix::parse("a+b").is_err());
        assert_eq!(GitCommit::parse("ABCDEF12").unwrap().as_str(), "abcdef12");
        assert!(GitCommit::parse("xyz").is_err());
        assert!(Bucket::parse("ab").is_err());
        assert!(Bucket::parse("-ab").is_err());
    }

    #[test]
    fn target_flags_win_over_config() {
        let config = PublishConfig::from_doc(Some(&doc(
            json!({"bucket": "from-config", "distribution_id": "EABC"}),
        )))
        .unwrap();
        let t = Target::resolve(&config, Some("from-flag"), None, None).unwrap();
        assert_eq!(t.bucket.as_str(), "from-flag");
        assert_eq!(t.prefix.as_str(), DEFAULT_PREFIX);
        assert_eq!(t.distribution_id.unwrap().as_str(), "EABC");
        let e = Target::resolve(&PublishConfig::default(), None, None, None).unwrap_err();
        assert_eq!(e.field, "publish.bucket");
    }
}

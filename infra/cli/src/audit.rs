//! The operators' audit trail: one JSON line per credential the CLI mints (`sign-url`,
//! `sign-cookies`) and per change to what is published (a publish, a force-replace, a channel
//! move), so "who handed out what, valid until when" and "who changed a release" have answers.
//!
//! A line is one JSON object, keys in a fixed order: `audit` (the event: `signed_url`,
//! `signed_cookies`, `publish`, `force_replace`, `channel_move`), the event's fields, then `at`
//! (seconds since the epoch), `user` (the OS user: `$USER`, else `$LOGNAME`, else
//! `$USERNAME`; `null` when none is set) and `aws_profile` (`$AWS_PROFILE`, or `null`). The AWS
//! caller identity would need an STS call per command; for the S3 writes CloudTrail's data
//! events record the principal anyway (infra/cloudformation/README.md, "Alarms and the
//! storage audit trail"). A line never
//! holds a signature, a policy document, a token, a key or a secret: only the key pair id, the
//! policy's `Resource`, times and address condition, and object keys.
//!
//! Where lines go ([`AuditSink`]): always to stderr (progress and warnings live there too, so
//! stdout stays the credential or the summary a script reads), and appended to the file given
//! with `--audit-log FILE` (or `$EDGEGATE_AUDIT_LOG`), created mode 0600 when missing. A line
//! is written before a minted credential is printed: a credential whose line cannot be
//! appended is not printed.

use crate::{CliError, IoAction};
use edgegate_keys::policy::CustomPolicy;
use edgegate_publish::publisher::{ChannelReport, PublishReport};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A CloudFront signed URL or signed cookie set minted by the CLI: what it grants, never the
/// signature or the policy bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Minted {
    /// The CloudFront key pair id (public key id) it was signed with.
    pub key_pair_id: String,
    /// Signed with the committed development key pair (dev only).
    pub dev_key: bool,
    /// `canned` or `custom` (CloudFront Developer Guide, "Choosing between canned and custom
    /// policies").
    pub policy: &'static str,
    /// The URL (canned) or the custom policy's `Resource` pattern.
    pub resource: String,
    /// `DateLessThan`: the credential is refused from this second on (seconds since the epoch).
    pub expires: u64,
    /// `DateGreaterThan` of a custom policy (seconds since the epoch).
    pub not_before: Option<u64>,
    /// `IpAddress.AWS:SourceIp` of a custom policy (IPv4 CIDR).
    pub ip: Option<String>,
    /// `sha1` or `sha256`.
    pub hash: &'static str,
}

impl Minted {
    /// The audit fields of a custom policy.
    pub fn custom(
        key_pair_id: String,
        dev_key: bool,
        policy: &CustomPolicy,
        hash: &'static str,
    ) -> Self {
        Minted {
            key_pair_id,
            dev_key,
            policy: "custom",
            resource: policy.resource.clone(),
            expires: policy.date_less_than,
            not_before: policy.date_greater_than,
            ip: policy.source_ip.as_ref().map(ToString::to_string),
            hash,
        }
    }
}

/// One audited event.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "audit", rename_all = "snake_case")]
pub enum Event {
    /// `edgegate sign-url`.
    SignedUrl(Minted),
    /// `edgegate sign-cookies`.
    SignedCookies(Minted),
    /// A release made complete by `edgegate publish` (not a dry run, not a no-op rerun of a
    /// complete release).
    Publish {
        /// The bucket.
        bucket: String,
        /// `<prefix><VERSION>/`.
        release_prefix: String,
        /// The release.
        version: String,
        /// The release's state before the run: `new`, `incomplete` or `replaced`.
        state: String,
        /// Files in the release.
        files: usize,
        /// Files transferred.
        uploaded_files: usize,
        /// The manifest key written.
        manifest: Option<String>,
        /// The minisign key id that signed the manifest (`--sign-key`), if any.
        signed_by: Option<String>,
    },
    /// A complete release replaced with other content (`edgegate publish --force`).
    ForceReplace {
        /// The bucket.
        bucket: String,
        /// `<prefix><VERSION>/`.
        release_prefix: String,
        /// The release.
        version: String,
        /// The CloudFront invalidation id of `/<prefix><VERSION>/*`, when a distribution is set.
        invalidation: Option<String>,
    },
    /// A channel pointer written (`publish --channel`, `channel set`).
    ChannelMove {
        /// The bucket.
        bucket: String,
        /// The channel.
        channel: String,
        /// The version it now points to.
        version: String,
        /// The version it pointed to before (`null`: the channel is new).
        previous: Option<String>,
        /// The pointer's key.
        key: String,
    },
}

/// Who ran the command, from the environment only (no API call).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// `$USER`, else `$LOGNAME`, else `$USERNAME`.
    pub user: Option<String>,
    /// `$AWS_PROFILE`.
    pub aws_profile: Option<String>,
}

impl Actor {
    /// Reads the actor from the process environment (empty values count as unset).
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Actor {
            user: var("USER")
                .or_else(|| var("LOGNAME"))
                .or_else(|| var("USERNAME")),
            aws_profile: var("AWS_PROFILE"),
        }
    }
}

/// One audit line: the event, when (seconds since the epoch) and who.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record<'a> {
    /// The event (its `audit` tag and fields come first).
    #[serde(flatten)]
    pub event: &'a Event,
    /// Seconds since the epoch.
    pub at: u64,
    /// Who ran the command.
    #[serde(flatten)]
    pub actor: &'a Actor,
}

impl Record<'_> {
    /// The line, without its newline.
    ///
    /// # Errors
    /// [`CliError::Json`] (not expected: every field is a string, a number or null).
    pub fn to_line(&self) -> Result<String, CliError> {
        serde_json::to_string(self).map_err(|source| CliError::Json {
            what: "the audit line",
            source,
        })
    }
}

/// The events of a publish run: `publish` when it completed a release, `force_replace` when
/// that replaced one, `channel_move` when it moved a channel. None for a dry run.
pub fn publish_events(report: &PublishReport) -> Vec<Event> {
    use edgegate_publish::plan::ReleaseState;
    let mut events = Vec::new();
    if report.dry_run {
        return events;
    }
    if report.state != ReleaseState::Identical {
        let state = match report.state {
            ReleaseState::New => "new",
            ReleaseState::Incomplete => "incomplete",
            ReleaseState::Replaced | ReleaseState::Identical => "replaced",
        };
        events.push(Event::Publish {
            bucket: report.bucket.clone(),
            release_prefix: report.release_prefix.clone(),
            version: report.version.clone(),
            state: state.to_string(),
            files: report.files,
            uploaded_files: report.uploaded_files,
            manifest: report.manifest.clone(),
            signed_by: report.signature.as_ref().map(|s| s.key_id.clone()),
        });
    }
    if report.state == ReleaseState::Replaced {
        events.push(Event::ForceReplace {
            bucket: report.bucket.clone(),
            release_prefix: report.release_prefix.clone(),
            version: report.version.clone(),
            invalidation: report.release_invalidation.as_ref().map(|i| i.id.clone()),
        });
    }
    if let Some(channel) = &report.channel {
        events.push(channel_event(&report.bucket, channel));
    }
    events
}

/// The `channel_move` event of a channel report.
pub fn channel_event(bucket: &str, channel: &ChannelReport) -> Event {
    Event::ChannelMove {
        bucket: bucket.to_string(),
        channel: channel.channel.clone(),
        version: channel.version.clone(),
        previous: channel.previous.clone(),
        key: channel.key.clone(),
    }
}

/// Where audit lines go: stderr, and the `--audit-log` file when one is given.
#[derive(Clone, Debug)]
pub struct AuditSink {
    file: Option<PathBuf>,
    actor: Actor,
}

impl AuditSink {
    /// Lines to stderr and, when `file` is given, appended to it; the actor read from the
    /// environment.
    pub fn new(file: Option<PathBuf>) -> Self {
        AuditSink {
            file,
            actor: Actor::from_env(),
        }
    }

    /// Writes one line per event, all stamped `at` (seconds since the epoch).
    ///
    /// # Errors
    /// The audit log cannot be opened or appended to.
    pub fn write(&self, events: &[Event], at: u64) -> Result<(), CliError> {
        let mut text = String::new();
        for event in events {
            let record = Record {
                event,
                at,
                actor: &self.actor,
            };
            text.push_str(&record.to_line()?);
            text.push('\n');
        }
        if text.is_empty() {
            return Ok(());
        }
        if let Some(path) = &self.file {
            append(path, &text)?;
        }
        eprint!("{text}");
        Ok(())
    }
}

/// Appends `text` in one write (O_APPEND: lines of concurrent runs do not interleave).
fn append(path: &Path, text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .map_err(|e| CliError::io(IoAction::Write, path, e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| CliError::io(IoAction::Write, path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minted() -> Minted {
        Minted {
            key_pair_id: "K2JCJMDEHXQW5F".into(),
            dev_key: false,
            policy: "canned",
            resource: "https://d.example.com/a.zip".into(),
            expires: 1_900_000_000,
            not_before: None,
            ip: None,
            hash: "sha256",
        }
    }

    #[test]
    fn record_line_has_tag_first_and_actor_last_ok() {
        let actor = Actor {
            user: Some("ops".into()),
            aws_profile: None,
        };
        let event = Event::SignedUrl(minted());
        let line = Record {
            event: &event,
            at: 5,
            actor: &actor,
        }
        .to_line()
        .unwrap();
        assert_eq!(
            line,
            r#"{"audit":"signed_url","key_pair_id":"K2JCJMDEHXQW5F","dev_key":false,"policy":"canned","resource":"https://d.example.com/a.zip","expires":1900000000,"not_before":null,"ip":null,"hash":"sha256","at":5,"user":"ops","aws_profile":null}"#
        );
    }

    #[test]
    fn channel_move_line_names_previous_ok() {
        let actor = Actor {
            user: None,
            aws_profile: Some("prod".into()),
        };
        let event = Event::ChannelMove {
            bucket: "b".into(),
            channel: "stable".into(),
            version: "1.1.0".into(),
            previous: Some("1.0.0".into()),
            key: "releases/channels/stable.json".into(),
        };
        let v: serde_json::Value = serde_json::from_str(
            &Record {
                event: &event,
                at: 7,
                actor: &actor,
            }
            .to_line()
            .unwrap(),
        )
        .unwrap();
        assert_eq!(v["audit"], "channel_move");
        assert_eq!(v["previous"], "1.0.0");
        assert_eq!(v["aws_profile"], "prod");
        assert!(v["user"].is_null());
    }
}

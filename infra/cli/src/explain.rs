//! `edgegate explain`: build the viewer-request event the edge would receive for an absolute
//! URL and run the same `decide` offline.

use crate::load::{self, Source};
use crate::{CliError, UsageError};
use edgegate_edge::event::{CfConfig, HeaderEntry, Headers, ViewerRequest, ViewerRequestEvent};
use edgegate_keys::{RingVerifier, UnixTime};
use std::path::PathBuf;

/// Parsed `explain` options.
pub struct Args {
    /// `--config` (default: the embedded dev config).
    pub config: Option<PathBuf>,
    /// `--url`, as the viewer requested it.
    pub url: String,
    /// `--method`.
    pub method: String,
    /// `--header 'Name: value'`s.
    pub headers: Vec<String>,
    /// `--client-ip`.
    pub client_ip: String,
    /// The time to decide at, seconds since the epoch.
    pub now: u64,
    /// `--jwks`, overriding the config's.
    pub jwks: Option<String>,
    /// `--print-event`: print the event instead of deciding.
    pub print_event: bool,
}

/// Builds the viewer-request event for `url` (see [`build_request`]).
pub fn build_event(
    url: &str,
    method: &str,
    headers: &[String],
    client_ip: &str,
) -> Result<ViewerRequestEvent, CliError> {
    Ok(event_of(build_request(url, method, headers, client_ip)?))
}

/// The event CloudFront would send for `request`.
fn event_of(request: ViewerRequest) -> ViewerRequestEvent {
    ViewerRequestEvent::new(
        CfConfig {
            distribution_domain_name: "d111111abcdef8.cloudfront.net".into(),
            distribution_id: "EDFDVBD6EXAMPLE".into(),
            event_type: "viewer-request".into(),
            request_id: "edgegate-explain".into(),
        },
        request,
    )
}

/// Builds the viewer request for `url` (host from the URL; raw path and query kept as given; a
/// fragment is dropped, as browsers never send it).
pub fn build_request(
    url: &str,
    method: &str,
    headers: &[String],
    client_ip: &str,
) -> Result<ViewerRequest, CliError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(UsageError::UrlScheme)?;
    let rest = rest.split('#').next().unwrap_or_default();
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, path_query) = rest.split_at(host_end);
    if host.is_empty() {
        return Err(UsageError::UrlNoHost.into());
    }
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p, q),
        None => (path_query, ""),
    };
    let uri = if path.is_empty() { "/" } else { path };
    let mut map = Headers::new();
    map.entry("host".into()).or_default().push(HeaderEntry {
        key: Some("Host".into()),
        value: host.to_string(),
    });
    for h in headers {
        let (name, value) = h.split_once(':').ok_or(UsageError::HeaderFormat)?;
        let name = name.trim();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(UsageError::HeaderName.into());
        }
        let lower = name.to_ascii_lowercase();
        if lower == "host" {
            map.remove("host");
        }
        map.entry(lower).or_default().push(HeaderEntry {
            key: Some(name.to_string()),
            value: value.trim_start().to_string(),
        });
    }
    Ok(ViewerRequest {
        client_ip: client_ip.to_string(),
        method: method.to_string(),
        uri: uri.to_string(),
        querystring: query.to_string(),
        headers: map,
        other: Default::default(),
    })
}

/// Runs `explain`, returning the JSON line to print.
pub async fn run(args: Args) -> Result<String, CliError> {
    let request = build_request(&args.url, &args.method, &args.headers, &args.client_ip)?;
    if args.print_event {
        return serde_json::to_string(&event_of(request)).map_err(|source| CliError::Json {
            what: "the event",
            source,
        });
    }
    let source = match args.config {
        Some(p) => Source::File(p),
        None => Source::Dev,
    };
    let loaded = load::load(&source, args.jwks.as_deref()).await?;
    let decision = edgegate_edge::decide(&request, &loaded.gate, &RingVerifier, UnixTime(args.now));
    serde_json::to_string(&decision.explain()).map_err(|source| CliError::Json {
        what: "the decision",
        source,
    })
}

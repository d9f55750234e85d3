//! `edgegate explain`: build the viewer-request event the edge would receive for an absolute
//! URL and run the same `decide` offline.

use crate::load::{self, Source};
use crate::CliError;
use edgegate_edge::event::{CfConfig, HeaderEntry, Headers, ViewerRequest, ViewerRequestEvent};
use edgegate_keys::{RingVerifier, UnixTime};
use std::path::PathBuf;

/// Parsed `explain` options.
pub struct Args {
    pub config: Option<PathBuf>,
    pub url: String,
    pub method: String,
    pub headers: Vec<String>,
    pub client_ip: String,
    pub now: u64,
    pub jwks: Option<String>,
    pub print_event: bool,
}

/// Builds the viewer-request event for `url` (host from the URL; raw path and query kept as
/// given; a fragment is dropped, as browsers never send it).
pub fn build_event(
    url: &str,
    method: &str,
    headers: &[String],
    client_ip: &str,
) -> Result<ViewerRequestEvent, CliError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| CliError::Usage("--url must start with https:// or http://".into()))?;
    let rest = rest.split('#').next().unwrap_or_default();
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, path_query) = rest.split_at(host_end);
    if host.is_empty() {
        return Err(CliError::Usage("--url has no host".into()));
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
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| CliError::Usage("--header must be 'Name: value'".to_string()))?;
        let name = name.trim();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(CliError::Usage("--header name must be a token".into()));
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
    let request = ViewerRequest {
        client_ip: client_ip.to_string(),
        method: method.to_string(),
        uri: uri.to_string(),
        querystring: query.to_string(),
        headers: map,
        other: Default::default(),
    };
    Ok(ViewerRequestEvent::new(
        CfConfig {
            distribution_domain_name: "d111111abcdef8.cloudfront.net".into(),
            distribution_id: "EDFDVBD6EXAMPLE".into(),
            event_type: "viewer-request".into(),
            request_id: "edgegate-explain".into(),
        },
        request,
    ))
}

/// Runs `explain`, returning the JSON line to print.
pub async fn run(args: Args) -> Result<String, CliError> {
    let event = build_event(&args.url, &args.method, &args.headers, &args.client_ip)?;
    if args.print_event {
        return serde_json::to_string(&event).map_err(|e| CliError::Io(e.to_string()));
    }
    let source = match args.config {
        Some(p) => Source::File(p),
        None => Source::Dev,
    };
    let loaded = load::load(&source, args.jwks.as_deref()).await?;
    let request = event
        .request()
        .ok_or_else(|| CliError::Usage("event has no single request".into()))?;
    let decision = edgegate_edge::decide(request, &loaded.gate, &RingVerifier, UnixTime(args.now));
    serde_json::to_string(&decision.explain()).map_err(|e| CliError::Io(e.to_string()))
}

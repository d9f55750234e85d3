//! The directory step: what an allowed request on a route with an index
//! (`routes[N].index`, `.spa`) is served, decided after the gate's decision and on the
//! canonical path it was decided on.
//!
//! - a path ending in `/` is served `<path><index>` (`/docs/` → `/docs/index.html`);
//! - a path whose last segment has no `.` is sent to `<path>/` (302, `/docs` → `/docs/`), so
//!   relative links in the index resolve under the directory; with `spa = true` it is served
//!   the route's own index (`<prefix>/<index>`) instead, as is a path ending in `/`;
//! - anything else (a name with an extension) is served as it is.
//!
//! It never widens what the gate admitted: a rewrite happens only when the rewritten path is
//! covered by the same route (a nested route with its own rule keeps its own decision), and a
//! redirect serves nothing (the viewer's next request is decided afresh). The redirect's
//! `Location` carries the query without the signing parameters, which are never echoed.

use super::decision::{Decision, Redirect, RedirectTo};
use super::detail::Detail;
use crate::config::{DirectoryIndex, GateConfig, Route};

/// Applies `route`'s directory index to an allow on it (any other decision is returned as it
/// is).
/// Out of line: it is off the path of every route without an index.
#[inline(never)]
pub(super) fn serve_index(cfg: &GateConfig, route: &Route, decision: Decision) -> Decision {
    let Some(index) = &route.index else {
        return decision;
    };
    let Decision::Allow(mut forward) = decision else {
        return decision;
    };
    let uri = &forward.request.uri;
    let last = uri.rsplit('/').next().unwrap_or_default();
    let target = if index.spa && !last.contains('.') {
        route_index(route, index)
    } else if last.is_empty() {
        [uri.as_str(), &index.document].concat()
    } else if !last.contains('.') {
        return Decision::Redirect(Redirect {
            location: slash_location(uri, &forward.request.querystring),
            route: forward.route,
            detail: Detail::TrailingSlash,
            rule: forward.rule,
            to: RedirectTo::Directory(forward.identity),
        });
    } else {
        return Decision::Allow(forward);
    };
    if cfg
        .route_for(&target)
        .is_some_and(|r| r.prefix == route.prefix)
    {
        forward.request.uri = target;
    }
    Decision::Allow(forward)
}

/// `<prefix>/<index>` (`/<index>` for the root route).
fn route_index(route: &Route, index: &DirectoryIndex) -> String {
    let prefix = if route.prefix == "/" {
        ""
    } else {
        &route.prefix
    };
    [prefix, "/", &index.document].concat()
}

/// `<uri>/` and the forwarded query (signing parameters already removed). The path is
/// canonical (only characters legal in a URI); query bytes that are not visible ASCII or that
/// RFC 3986 §2 excludes from URIs are percent-encoded so the header is always valid.
fn slash_location(uri: &str, query: &str) -> String {
    let mut out = String::with_capacity(uri.len() + query.len() + 2);
    out.push_str(uri);
    out.push('/');
    if !query.is_empty() {
        out.push('?');
        crate::path::push_percent_encoded(&mut out, query, |b| {
            b.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&b)
        });
    }
    out
}

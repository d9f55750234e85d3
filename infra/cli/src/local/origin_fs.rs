//! The local stand-in for the private S3 origin: serves files from a folder the way S3 serves
//! objects to CloudFront (GET and HEAD, Content-Type, Content-Length, ETag, single `Range`,
//! 304 on `If-None-Match`, 404 for a missing key). Keys are the percent-decoded path.

use bytes::Bytes;
use futures_util::TryStreamExt;
use http::{header, HeaderMap, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use std::path::{Component, Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// The response body type of the dev server.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// A small in-memory body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

fn text(status: StatusCode, msg: &'static str) -> Response<Body> {
    let mut r = Response::new(full(msg));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Maps a canonical request path to a file under `root`, refusing anything that is not a
/// plain relative path after percent-decoding.
pub fn object_path(root: &Path, uri: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(uri.strip_prefix('/')?)
        .decode_utf8()
        .ok()?;
    if decoded.is_empty()
        || decoded.ends_with('/')
        || decoded.contains('\\')
        || decoded.contains('\0')
    {
        return None;
    }
    let rel = Path::new(decoded.as_ref());
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(root.join(rel))
}

/// Parses a single-range `Range: bytes=...` header against a length. `Ok(None)`: serve whole;
/// `Err(())`: unsatisfiable.
fn parse_range(value: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = value.strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None); // multiple ranges: serve the whole object (RFC 9110 §14.2 allows ignoring)
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", "") => return Err(()),
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| ())?;
            if n == 0 || len == 0 {
                return Err(());
            }
            (len.saturating_sub(n), len - 1)
        }
        (s, "") => (s.parse().map_err(|_| ())?, len.saturating_sub(1)),
        (s, e) => {
            let s: u64 = s.parse().map_err(|_| ())?;
            let e: u64 = e.parse().map_err(|_| ())?;
            (s, e.min(len.saturating_sub(1)))
        }
    };
    if start >= len || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// Serves `uri` from `root` for `method` (GET or HEAD).
pub async fn serve(root: &Path, uri: &str, method: &str, headers: &HeaderMap) -> Response<Body> {
    if method != "GET" && method != "HEAD" {
        // The private origin is read-only to viewers (publishing goes through the S3 API).
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed\n");
        r.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let Some(path) = object_path(root, uri) else {
        return text(StatusCode::NOT_FOUND, "NoSuchKey\n");
    };
    let Ok(meta) = tokio::fs::metadata(&path).await else {
        return text(StatusCode::NOT_FOUND, "NoSuchKey\n");
    };
    if !meta.is_file() {
        return text(StatusCode::NOT_FOUND, "NoSuchKey\n");
    }
    let len = meta.len();
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let etag = format!("\"{len:x}-{mtime:x}\"");
    let content_type = mime_guess::from_path(&path)
        .first_or_octet_stream()
        .to_string();

    let mut builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_TYPE, content_type);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(full(Bytes::new()))
            .unwrap_or_else(|_| text(StatusCode::INTERNAL_SERVER_ERROR, "error\n"));
    }
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(v) => match parse_range(v, len) {
            Ok(r) => r,
            Err(()) => {
                return Response::builder()
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                    .body(full(Bytes::new()))
                    .unwrap_or_else(|_| text(StatusCode::INTERNAL_SERVER_ERROR, "error\n"));
            }
        },
    };
    let (start, count) = match range {
        Some((s, e)) => {
            builder = builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_RANGE, format!("bytes {s}-{e}/{len}"));
            (s, e - s + 1)
        }
        None => (0, len),
    };
    builder = builder.header(header::CONTENT_LENGTH, count);
    if method == "HEAD" {
        return builder
            .body(full(Bytes::new()))
            .unwrap_or_else(|_| text(StatusCode::INTERNAL_SERVER_ERROR, "error\n"));
    }
    let Ok(mut file) = tokio::fs::File::open(&path).await else {
        return text(StatusCode::NOT_FOUND, "NoSuchKey\n");
    };
    if file.seek(std::io::SeekFrom::Start(start)).await.is_err() {
        return text(StatusCode::INTERNAL_SERVER_ERROR, "error\n");
    }
    let stream = tokio_util::io::ReaderStream::new(file.take(count)).map_ok(Frame::data);
    builder
        .body(StreamBody::new(stream).boxed())
        .unwrap_or_else(|_| text(StatusCode::INTERNAL_SERVER_ERROR, "error\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_forms() {
        assert_eq!(parse_range("bytes=0-4", 10), Ok(Some((0, 4))));
        assert_eq!(parse_range("bytes=5-", 10), Ok(Some((5, 9))));
        assert_eq!(parse_range("bytes=-3", 10), Ok(Some((7, 9))));
        assert_eq!(parse_range("bytes=8-100", 10), Ok(Some((8, 9))));
        assert_eq!(parse_range("bytes=10-", 10), Err(()));
        assert_eq!(parse_range("bytes=5-2", 10), Err(()));
        assert_eq!(parse_range("bytes=0-1,3-4", 10), Ok(None));
        assert_eq!(parse_range("items=0-1", 10), Ok(None));
    }

    #[test]
    fn object_path_refuses_escapes() {
        let root = Path::new("/srv");
        assert_eq!(
            object_path(root, "/a/b.txt"),
            Some(PathBuf::from("/srv/a/b.txt"))
        );
        assert_eq!(
            object_path(root, "/a%20b.txt"),
            Some(PathBuf::from("/srv/a b.txt"))
        );
        assert_eq!(object_path(root, "/a/../b"), None);
        assert_eq!(object_path(root, "/%2e%2e/b"), None);
        assert_eq!(object_path(root, "/a/"), None);
        assert_eq!(object_path(root, "/"), None);
    }
}

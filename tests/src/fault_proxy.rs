//! A fault-injecting HTTP/1.1 proxy for the publisher's S3 calls.
//!
//! It sits between `edgegate publish` and a real S3 stand-in (s3s-fs) and, for requests that
//! match a [`Rule`], answers with an S3 error, drops the connection before forwarding, or
//! forwards and then drops the answer (the request took effect, the client never hears so).
//! Everything else is forwarded byte for byte, so SigV4 signatures and checksums stay valid:
//! the `Host` header is kept, and the only change is `Connection: close`, which makes every
//! request its own connection (one request head to classify per accept).
//!
//! std only (a thread per connection): it is test support, not a product.
#![allow(clippy::missing_panics_doc)] // reason: test support; panicking is how it fails a test.

use std::io::{BufRead as _, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

/// Which S3 API call a request is, from its method and query (the REST API's shapes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S3Call {
    /// `PUT /bucket/key` without `uploadId`.
    PutObject,
    /// `POST /bucket/key?uploads`.
    CreateMultipartUpload,
    /// `PUT /bucket/key?partNumber=N&uploadId=U`.
    UploadPart,
    /// `POST /bucket/key?uploadId=U`.
    CompleteMultipartUpload,
    /// `DELETE /bucket/key?uploadId=U`.
    AbortMultipartUpload,
    /// Any other request (GET, HEAD, list, ...).
    Other,
}

/// What the proxy does to a matching request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Reads the request, answers `status` with an S3 XML error of this `code`, never forwards.
    Status(u16, &'static str),
    /// Reads the request head, then closes the connection without forwarding or answering.
    DropBeforeForward,
    /// Forwards the request and reads the whole answer (so it took effect), then closes the
    /// client's connection without a byte of it.
    DropAnswer,
    /// Reads the request head and holds the connection open, unanswered and unforwarded,
    /// until [`FaultProxy::release`]; then closes it. A request in flight for as long as a
    /// test needs (a signal sent mid-upload).
    Hold,
}

/// A fault for requests of one call whose path contains `path_contains`.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The S3 call to match.
    pub call: S3Call,
    /// A substring of the request path (percent-encoded as sent), e.g. `"/releases/1.0.0/a"`.
    pub path_contains: String,
    /// Only the request with this 1-based `partNumber` (UploadPart), when set.
    pub part_number: Option<u32>,
    /// The fault to inject.
    pub fault: Fault,
    /// How many matching requests get the fault; `None` is every one (a persistent fault).
    pub times: Option<u32>,
}

/// One request the proxy saw: what it was and whether a fault was injected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// Method.
    pub method: String,
    /// Request target (path and query) as sent.
    pub target: String,
    /// The call it was classified as.
    pub call: S3Call,
    /// The fault injected, if any.
    pub fault: Option<Fault>,
}

#[derive(Debug)]
struct Shared {
    rules: Mutex<Vec<(Rule, u32)>>,
    seen: Mutex<Vec<Seen>>,
    stop: AtomicBool,
    fix_list_parts_root: AtomicBool,
    released: AtomicBool,
}

/// A running proxy; stops accepting when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// Listens on 127.0.0.1 (a free port) and forwards to `upstream` (`host:port`).
    pub fn start(upstream: &str, rules: Vec<Rule>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            rules: Mutex::new(rules.into_iter().map(|r| (r, 0)).collect()),
            seen: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            fix_list_parts_root: AtomicBool::new(false),
            released: AtomicBool::new(false),
        });
        let upstream = upstream.to_string();
        let accept_shared = Arc::clone(&shared);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accept_shared);
                let upstream = upstream.clone();
                thread::spawn(move || {
                    // A broken connection is what some faults are for; nothing to report.
                    let _ = serve(stream, &upstream, &shared);
                });
            }
        });
        FaultProxy { addr, shared }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the rules (their counters start again).
    pub fn set_rules(&self, rules: Vec<Rule>) {
        *lock(&self.shared.rules) = rules.into_iter().map(|r| (r, 0)).collect();
    }

    /// Renames the root element of ListParts answers from `ListPartsResponse` to the
    /// `ListPartsResult` of the S3 API Reference. moto 5.2.5 answers ListParts with the former,
    /// which the AWS SDK for Rust refuses to parse; nothing else of the answer (parts, sizes,
    /// ETags) is touched.
    pub fn fix_list_parts_root(&self) {
        self.shared
            .fix_list_parts_root
            .store(true, Ordering::SeqCst);
    }

    /// Ends every [`Fault::Hold`]: held connections are closed, later ones are closed at once.
    pub fn release(&self) {
        self.shared.released.store(true, Ordering::SeqCst);
    }

    /// Every request seen so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.shared.seen).clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The request line and headers, as read.
struct Head {
    method: String,
    target: String,
    /// Header lines without their CRLF, in order.
    headers: Vec<String>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn query_has(&self, name: &str) -> bool {
        self.query_value(name).is_some()
    }

    fn query_value(&self, name: &str) -> Option<&str> {
        let (_, query) = self.target.split_once('?')?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == name).then_some(v)
        })
    }

    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    fn call(&self) -> S3Call {
        let upload = self.query_has("uploadId");
        match self.method.as_str() {
            "PUT" if upload && self.query_has("partNumber") => S3Call::UploadPart,
            "PUT" if !upload && self.header("x-amz-copy-source").is_none() => S3Call::PutObject,
            "POST" if self.query_has("uploads") => S3Call::CreateMultipartUpload,
            "POST" if upload => S3Call::CompleteMultipartUpload,
            "DELETE" if upload => S3Call::AbortMultipartUpload,
            _ => S3Call::Other,
        }
    }

    /// The head as sent upstream: the same lines, with `Connection: close`.
    fn forwarded(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        for h in &self.headers {
            let name = h.split(':').next().unwrap_or("").trim();
            if !name.eq_ignore_ascii_case("connection") {
                out.push_str(h);
                out.push_str("\r\n");
            }
        }
        out.push_str("Connection: close\r\n\r\n");
        out.into_bytes()
    }
}

fn read_head(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Head>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        headers.push(h.to_string());
    }
    Ok(Some(Head {
        method,
        target,
        headers,
    }))
}

/// The fault for this request, counting it against its rule.
fn choose(shared: &Shared, head: &Head, call: S3Call) -> Option<Fault> {
    let mut rules = lock(&shared.rules);
    let part = head.query_value("partNumber").and_then(|p| p.parse().ok());
    for (rule, fired) in rules.iter_mut() {
        let matches = rule.call == call
            && head.path().contains(&rule.path_contains)
            && rule.part_number.is_none_or(|n| Some(n) == part);
        if matches && rule.times.is_none_or(|t| *fired < t) {
            *fired += 1;
            return Some(rule.fault);
        }
    }
    None
}

fn serve(client: TcpStream, upstream: &str, shared: &Shared) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let Some(head) = read_head(&mut reader)? else {
        return Ok(());
    };
    let call = head.call();
    let fault = choose(shared, &head, call);
    lock(&shared.seen).push(Seen {
        method: head.method.clone(),
        target: head.target.clone(),
        call,
        fault,
    });
    let mut client = client;
    match fault {
        Some(Fault::DropBeforeForward) => {
            client.shutdown(Shutdown::Both)?;
            Ok(())
        }
        Some(Fault::Hold) => {
            while !shared.released.load(Ordering::SeqCst) && !shared.stop.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(10));
            }
            client.shutdown(Shutdown::Both)?;
            Ok(())
        }
        Some(Fault::Status(status, code)) => {
            // Read the whole body first, so the client is not cut off mid-send (unless it waits
            // for `100 Continue`, which a final status refuses: RFC 9110 section 10.1.1).
            let expects_continue = head
                .header("expect")
                .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
            let len: u64 = if expects_continue {
                0
            } else {
                head.header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            };
            std::io::copy(&mut (&mut reader).take(len), &mut std::io::sink())?;
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
                 <Message>injected by the test's fault proxy</Message>\
                 <RequestId>fault-proxy</RequestId></Error>"
            );
            let reason = match status {
                500 => "Internal Server Error",
                503 => "Service Unavailable",
                _ => "Error",
            };
            write!(
                client,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\n\
                 Content-Length: {}\r\nx-amz-request-id: fault-proxy\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
            client.flush()?;
            client.shutdown(Shutdown::Both)?;
            Ok(())
        }
        None | Some(Fault::DropAnswer) => {
            let mut up = TcpStream::connect(upstream)?;
            up.write_all(&head.forwarded())?;
            // The body (and anything buffered after the head) goes up in a second thread while
            // this one carries the answer back.
            let mut up_writer = up.try_clone()?;
            let pump = thread::spawn(move || {
                let _ = std::io::copy(&mut reader, &mut up_writer);
                let _ = up_writer.shutdown(Shutdown::Write);
            });
            let list_parts = head.method == "GET" && head.query_has("uploadId");
            if fault == Some(Fault::DropAnswer) {
                std::io::copy(&mut up, &mut std::io::sink())?;
                client.shutdown(Shutdown::Both)?;
            } else if list_parts && shared.fix_list_parts_root.load(Ordering::SeqCst) {
                let mut answer = Vec::new();
                up.read_to_end(&mut answer)?;
                client.write_all(&rename_list_parts_root(&answer))?;
                client.shutdown(Shutdown::Both)?;
            } else {
                std::io::copy(&mut up, &mut client)?;
                client.shutdown(Shutdown::Both)?;
            }
            let _ = pump.join();
            Ok(())
        }
    }
}

/// See [`FaultProxy::fix_list_parts_root`]: the answer with its root element renamed and its
/// `Content-Length` adjusted (unchanged when it is chunked or not that shape).
fn rename_list_parts_root(answer: &[u8]) -> Vec<u8> {
    let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return answer.to_vec();
    };
    let (head, body) = (&answer[..split], &answer[split + 4..]);
    let head = String::from_utf8_lossy(head);
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return answer.to_vec();
    }
    let body = String::from_utf8_lossy(body)
        .replace("<ListPartsResponse", "<ListPartsResult")
        .replace("</ListPartsResponse>", "</ListPartsResult>");
    let mut out = String::new();
    for line in head.split("\r\n") {
        let is_length = line
            .split(':')
            .next()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case("content-length"));
        if is_length {
            out.push_str(&format!("Content-Length: {}", body.len()));
        } else {
            out.push_str(line);
        }
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&body);
    out.into_bytes()
}

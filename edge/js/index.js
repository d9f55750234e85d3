'use strict';
// edgegate viewer-request handler for Lambda@Edge (nodejs20.x / nodejs22.x). A trampoline: the
// decision is made by the Rust gate compiled to WebAssembly; this file loads it once, sends it
// only the request fields it reads (a "frame"), applies its verdict to the original request
// object in place (so every other member and header, and every original header key, is
// forwarded untouched), logs one JSON line, and fails closed (503, no-store) if anything throws,
// rebuilding the wasm instance for the next request. The frame and verdict formats are
// documented in edge/src/boundary.rs; no auth logic lives here.
const fs = require('node:fs');
const path = require('node:path');

const CONFIG = fs.readFileSync(path.join(__dirname, 'config.json'), 'utf8');
const JWKS_PATH = path.join(__dirname, 'jwks.json');
const JWKS = fs.existsSync(JWKS_PATH) ? fs.readFileSync(JWKS_PATH, 'utf8') : undefined;
const GLUE = path.join(__dirname, 'edgegate_edge.js');
const JWKS_COOLDOWN_MS = 10000;
const JWKS_TIMEOUT_MS = 1500;
const JWKS_MAX_BYTES = 65536;
// Keys added by a refetch are dropped this long (seconds) after the first of them was added: the
// gate is rebuilt from the baked config and JWKS, so a kid the pool removed stops verifying no
// later than this, and a failing reload leaves only the baked keys (fail closed). The value is
// jose's default JWKS cache age (catalogue FLT-04).
const FETCHED_KEYS_MAX_AGE_S = 600;

globalThis.edgegateHost = require('./host.js');

let gate = null;
let readHeaders = [];
const lastJwksFetch = new Map(); // JWKS URL -> milliseconds, on the decision clock (handleAt's nowSecs)
let fetchedKeysAt = null; // nowSecs when this gate first gained fetched keys; null: none
let loaded = false;
let memoHits = 0;

// Instantiates the wasm module (afresh after a failure: a trap may leave its memory inconsistent)
// and builds the gate from the baked config and JWKS.
function load() {
  MEMO.clear();
  if (loaded) delete require.cache[require.resolve(GLUE)];
  loaded = true;
  const glue = require(GLUE);
  const g = new glue.Gate(CONFIG, JWKS);
  readHeaders = glue.readHeaders().split(',');
  return g;
}

const UNAVAILABLE = deepFreeze({
  status: '503',
  statusDescription: 'Service Unavailable',
  headers: {
    'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
    'content-type': [{ key: 'Content-Type', value: 'text/plain; charset=utf-8' }],
    'retry-after': [{ key: 'Retry-After', value: '5' }],
  },
  body: 'unavailable\n',
});

// An event that is not a single viewer request (answered 503 `event_shape`, the gate is kept).
class ShapeError extends Error {}

function requestOf(event) {
  const records = event && event.Records;
  if (!Array.isArray(records) || records.length !== 1) throw new ShapeError('records');
  const cf = records[0] && records[0].cf;
  // Only a viewer request is decided (an event without its config is taken as one); another
  // event type reaching this path (a viewer-response association made by hand) is refused.
  const type = cf && cf.config && cf.config.eventType;
  if (type !== undefined && type !== 'viewer-request') throw new ShapeError('event type');
  const request = cf && cf.request;
  if (request === null || typeof request !== 'object') throw new ShapeError('request');
  return request;
}

// The frame: the fields the gate reads, concatenated (kept in frameText), and their lengths
// (UTF-16 code units); per read header 0 when absent, else entries + 1 followed by each entry's
// length. Returns the lengths, a view of a scratch buffer valid until the next call.
const encoder = new TextEncoder();
let scratch = new Uint8Array(16384);
let lensScratch = new Uint32Array(64);

function field(s) {
  if (typeof s !== 'string') throw new ShapeError('field');
  return s;
}

function frameFields(request) {
  // 4 fields, then per header its count and entries; grown when a header has many entries.
  let lens = lensScratch;
  let n = 0;
  let text = field(request.method);
  lens[n++] = text.length;
  const uri = field(request.uri);
  text += uri;
  lens[n++] = uri.length;
  const query = request.querystring === undefined ? '' : field(request.querystring);
  text += query;
  lens[n++] = query.length;
  const ip = field(request.clientIp);
  keyText = text; // the memo key leaves the viewer address out (see memoKey)
  text += ip;
  lens[n++] = ip.length;
  const headers = request.headers;
  if (headers !== undefined && (headers === null || typeof headers !== 'object')) throw new ShapeError('headers');
  for (let i = 0; i < readHeaders.length; i++) {
    const entries = headers === undefined ? undefined : headers[readHeaders[i]];
    if (entries === undefined) {
      if (n + 1 > lens.length) lens = grow(lens, n + 1);
      lens[n++] = 0;
      continue;
    }
    if (!Array.isArray(entries)) throw new ShapeError('header');
    // Never more than the entries that are there (their values are checked one by one below).
    if (n + 1 + readHeaders.length + entries.length > lens.length) lens = grow(lens, n + 1 + readHeaders.length + entries.length);
    lens[n++] = entries.length + 1;
    for (let j = 0; j < entries.length; j++) {
      const e = entries[j];
      if (e === null || typeof e !== 'object') throw new ShapeError('header');
      const value = field(e.value);
      text += value;
      keyText += value;
      lens[n++] = value.length;
    }
  }
  lensScratch = lens;
  frameText = text;
  frameIp = ip;
  return lens.subarray(0, n);
}

// The last frame: its text (the fields concatenated; what encodeFrame sends), that text without
// the viewer address (for the memo key), and the address.
let frameText = '';
let keyText = '';
let frameIp = '';

// The last frame's text as UTF-8 (a view of the scratch buffer, valid until the next call).
function encodeFrame() {
  const text = frameText;
  // JSON cannot carry a lone surrogate; refuse rather than let it become U+FFFD.
  if (!text.isWellFormed()) throw new ShapeError('utf16');
  let { read, written } = encoder.encodeInto(text, scratch);
  if (read !== text.length) {
    scratch = new Uint8Array(text.length * 3);
    ({ written } = encoder.encodeInto(text, scratch));
  }
  return scratch.subarray(0, written);
}

// The frame of `request`: [UTF-8 text, lengths] (see edge/src/boundary.rs).
function frame(request) {
  const lens = frameFields(request);
  return [encodeFrame(), lens];
}

// Verdicts the gate marked stable (the `s` op, edge/src/boundary.rs), keyed by the exact frame
// but for the viewer address: its length table (the address's length left out) and its text
// without the address, so a repeated request is answered without calling the gate. An entry is
// used only inside its window (`from <= nowSecs < until`, seconds) and, unless the gate said the
// address played no part (`s*`), for the same address (`ip`). The memo is emptied whenever the
// gate is rebuilt (fetched keys expired, a failure), and when full. Only frames of at most
// MEMO_KEY_MAX code units and MEMO_LENS_MAX lengths (a request with a few header entries: a
// repeat never carries hundreds) are memoised, so the keys take at most about 3 MiB (V8 keeps
// a key as the chain of pieces it was built from, some 32 bytes a piece).
const MEMO = new Map();
const MEMO_MAX = 256;
const MEMO_KEY_MAX = 4096;
const MEMO_LENS_MAX = 64;

function memoKey(lens) {
  if (frameText.length > MEMO_KEY_MAX || lens.length > MEMO_LENS_MAX) return null;
  // Every length and entry count is then at most MEMO_KEY_MAX: one UTF-16 code unit each. The
  // table is self-delimiting (each header's count says how many lengths follow).
  return String.fromCharCode(lens[0], lens[1], lens[2]) + String.fromCharCode.apply(null, lens.subarray(4)) + keyText;
}

function grow(lens, need) {
  const bigger = new Uint32Array(Math.max(need, lens.length * 2));
  bigger.set(lens);
  return bigger;
}

// Reading a verdict (see edge/src/boundary.rs): its payload strings are taken in order.
let verdictText = '';
let verdictAt = 0;

function take(n) {
  const len = Number(n);
  if (!Number.isInteger(len) || len < 0 || verdictAt + len > verdictText.length) throw new Error('verdict');
  const s = verdictText.slice(verdictAt, verdictAt + len);
  verdictAt += len;
  return s;
}

const FIELDS = new Set(['clientIp', 'method', 'uri', 'querystring']);

// Generated responses repeat (the same 401 for every request without a credential, the same
// page for a route): each JSON text is parsed once, and the handler answers with that object,
// deep-frozen, shared by every request that gets it (the Lambda runtime only serialises a
// handler's result; a caller that tried to edit one would get a TypeError, never another
// viewer's answer). Bounded.
const RESPONSES = new Map();
const RESPONSES_MAX = 64;

function deepFreeze(v) {
  if (typeof v === 'object' && v !== null) {
    for (const k of Object.keys(v)) deepFreeze(v[k]);
    Object.freeze(v);
  }
  return v;
}

function responseOf(json) {
  let parsed = RESPONSES.get(json);
  if (parsed === undefined) {
    parsed = deepFreeze(JSON.parse(json));
    if (RESPONSES.size >= RESPONSES_MAX) RESPONSES.clear();
    RESPONSES.set(json, parsed);
  }
  return parsed;
}

// A verdict read once (see parse), replayable on any request with the same frame: the log fields
// and the start of the log line, the response to answer with (null: forward the request), the
// edits that make the forwarded request, and the `s` op's window ([from, until] or null).
function parse(verdict) {
  const nl = verdict.indexOf('\n');
  if (nl < 0) throw new Error('verdict');
  const meta = verdict.slice(0, nl).split('\t');
  if (meta.length < 5) throw new Error('verdict');
  const log = { decision: meta[0], status: Number(meta[1]), reason: meta[2], detail: meta[3], route: meta[4] === '' ? null : meta[4] };
  verdictText = verdict;
  verdictAt = nl + 1;
  let response = null;
  let entries = null;
  let window = null;
  const edits = []; // [EDIT_*, name, value]
  for (let i = 5; i < meta.length; i++) {
    const op = meta[i];
    switch (op.charCodeAt(0)) {
      case 0x72: // r<n>: the response JSON
        response = responseOf(take(op.slice(1)));
        break;
      case 0x64: // d<n>: delete the header named so
        edits.push([EDIT_DELETE, take(op.slice(1)), null]);
        break;
      case 0x68: // h<n>: replace the header named so with the e entries that follow
        entries = [];
        edits.push([EDIT_HEADER, take(op.slice(1)), entries]);
        break;
      case 0x65: { // e<k>:<n>: one entry (key, value); no key when k is empty
        const c = op.indexOf(':');
        if (c < 0 || entries === null) throw new Error('verdict');
        const key = c === 1 ? undefined : take(op.slice(1, c));
        const value = take(op.slice(c + 1));
        entries.push(key === undefined ? { value } : { key, value });
        break;
      }
      case 0x66: { // f<field>:<n>: set a request member
        const c = op.indexOf(':');
        const name = op.slice(1, c);
        if (c < 0 || !FIELDS.has(name)) throw new Error('verdict');
        edits.push([EDIT_FIELD, name, take(op.slice(c + 1))]);
        break;
      }
      case 0x73: { // s* or s<from>-<until>: the same frame gets this verdict again (memo)
        if (op === 's*') {
          window = [-Infinity, Infinity];
          break;
        }
        const c = op.indexOf('-');
        const a = Number(op.slice(1, c));
        const b = Number(op.slice(c + 1));
        if (c < 2 || !Number.isInteger(a) || !Number.isInteger(b)) throw new Error('verdict');
        window = [a, b];
        break;
      }
      default:
        throw new Error('verdict');
    }
  }
  if (verdictAt !== verdict.length || (log.decision === 'allow') === (response !== null)) throw new Error('verdict');
  verdictText = '';
  return { log, logHead: logHead(log), response, edits, window };
}

const EDIT_DELETE = 0;
const EDIT_HEADER = 1;
const EDIT_FIELD = 2;

// Carries out a parsed verdict on `request` (in place). Returns the response to answer with (a
// frozen object, see responseOf), or null: forward `request`, which shares nothing with the plan.
function run(plan, request) {
  const edits = plan.edits;
  for (let i = 0; i < edits.length; i++) {
    const [kind, name, value] = edits[i];
    if (kind === EDIT_DELETE) {
      if (request.headers !== undefined) delete request.headers[name];
    } else if (kind === EDIT_HEADER) {
      if (request.headers === undefined) request.headers = {};
      const fresh = new Array(value.length);
      for (let j = 0; j < value.length; j++) {
        const e = value[j];
        fresh[j] = e.key === undefined ? { value: e.value } : { key: e.key, value: e.value };
      }
      request.headers[name] = fresh;
    } else {
      request[name] = value;
    }
  }
  return plan.response;
}

// Applies a verdict to `request` in place. Returns { log, response, window }: the log fields,
// the CloudFront response to answer with (null: forward the request) and the memo window.
function apply(verdict, request) {
  const plan = parse(verdict);
  return { log: plan.log, response: run(plan, request), window: plan.window };
}

// At most one JWKS refetch per issuer per cooldown, on an unknown kid (the gate names the
// issuer's URL); the baked keys stay authoritative.
async function refreshJwks(nowSecs) {
  const url = gate.jwksUrl();
  const now = nowSecs * 1000;
  if (!url || now - (lastJwksFetch.get(url) ?? -Infinity) < JWKS_COOLDOWN_MS) return false;
  lastJwksFetch.set(url, now);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(JWKS_TIMEOUT_MS), redirect: 'error' });
    if (!res.ok) return false;
    const text = await res.text();
    if (text.length > JWKS_MAX_BYTES) return false;
    if (gate.addJwks(text) === 0) return false;
    if (fetchedKeysAt === null) fetchedKeysAt = nowSecs;
    return true;
  } catch (_) {
    return false;
  }
}

// Decides `event` at `nowSecs` (seconds since the epoch). Exported for tests and benchmarks.
async function handleAt(event, nowSecs) {
  const started = performance.now();
  let head; // the log line up to its latency
  let result;
  try {
    if (gate === null || (fetchedKeysAt !== null && nowSecs - fetchedKeysAt >= FETCHED_KEYS_MAX_AGE_S)) {
      gate = load();
      fetchedKeysAt = null;
    }
    const request = requestOf(event);
    let lens = frameFields(request);
    // A frame with a lone surrogate is refused by encodeFrame; it must not reach the memo
    // either (its key leaves the viewer address out).
    const key = frameText.isWellFormed() ? memoKey(lens) : null;
    const hit = key === null ? undefined : MEMO.get(key);
    let plan;
    if (hit !== undefined && hit.plan.window[0] <= nowSecs && nowSecs < hit.plan.window[1] && (hit.ip === null || hit.ip === frameIp)) {
      // The exact frame of a well-formed request the gate decided: nothing to check again.
      plan = hit.plan;
      memoHits++;
    } else {
      plan = parse(gate.decide(encodeFrame(), lens, nowSecs));
      // A denial leaves the request untouched, so it can be decided again with the new keys.
      if (plan.log.detail === 'unknown_kid' && (await refreshJwks(nowSecs))) {
        lens = frameFields(request); // the scratch buffers may have been reused meanwhile
        plan = parse(gate.decide(encodeFrame(), lens, nowSecs));
      } else if (key !== null && plan.window !== null) {
        if (MEMO.size >= MEMO_MAX) MEMO.clear();
        // `s*` (window from -Infinity) holds for any viewer address; any other for this one.
        MEMO.set(key, { plan, ip: plan.window[0] === -Infinity ? null : frameIp });
      }
    }
    const response = run(plan, request);
    head = plan.logHead;
    result = response === null ? request : response;
  } catch (err) {
    let detail = 'exception';
    if (err instanceof ShapeError) detail = 'event_shape';
    else {
      if (err instanceof WebAssembly.RuntimeError) detail = 'wasm_trap';
      gate = null; // a trap or exception: rebuild the instance for the next request
    }
    head = logHead({ decision: 'deny', status: 503, reason: 'unavailable', detail, route: null });
    result = UNAVAILABLE;
  }
  writeLog(head, started, nowSecs);
  return result;
}

// Ends the log line `head` with its latency (microseconds since `started`, a performance.now())
// and, given `nowSecs`, its EMF member at that time (null: a line that counts in no metric), and
// writes it.
function writeLog(head, started, nowSecs) {
  const latency = Math.round((performance.now() - started) * 1000) / 1000;
  exports.logSink(nowSecs === null ? `${head}${latency}}\n` : `${head}${latency},"_aws":{"Timestamp":${Math.round(nowSecs * 1000)},${EMF}}}\n`);
}

// The origin response's headers a function may not add, remove or change in an origin-response,
// as they were: the start of a replaced response's headers.
function readOnlyHeaders(old) {
  const headers = {};
  if (old !== null && typeof old === 'object') for (const name of READ_ONLY_RESPONSE) if (old[name] !== undefined) headers[name] = old[name];
  return headers;
}

// Origin-response: the same function version is associated a second time with the behaviors'
// origin-response event (infra/cloudformation). An origin 404 (a missing object: S3 answers 404,
// not 403, because the distribution may list the bucket) becomes the gate's 404, the `not_found`
// page for a browser navigation or `not_found` as text, `no-store`; the request headers it reads
// (Accept, Sec-Fetch-Mode) reach it through the origin request policy. Any other response passes
// untouched and unlogged (its viewer request was logged). A failure leaves the origin's 404; an
// event without a response is answered 503.
function isOriginResponse(event) {
  const r = event && Array.isArray(event.Records) && event.Records.length === 1 && event.Records[0];
  return !!(r && r.cf && r.cf.config && r.cf.config.eventType === 'origin-response');
}

// Headers a function may not add, remove or change in an origin-response (Lambda@Edge restrictions).
const READ_ONLY_RESPONSE = ['transfer-encoding', 'via'];

async function originResponseAt(event, nowSecs) {
  const started = performance.now();
  const cf = event.Records[0].cf;
  const response = cf.response;
  if (response === null || typeof response !== 'object') return UNAVAILABLE;
  if (response.status !== '404') return channelLink(response, started);
  let detail = 'origin_404';
  try {
    if (gate === null) {
      gate = load();
      fetchedKeysAt = null;
    }
    if (cf.request === null || typeof cf.request !== 'object') throw new ShapeError('request');
    const lens = frameFields(cf.request);
    const json = gate.notFound(encodeFrame(), lens);
    if (json === '') throw new ShapeError('frame');
    const page = responseOf(json);
    const headers = readOnlyHeaders(response.headers);
    for (const name of Object.keys(page.headers)) headers[name] = page.headers[name].map((e) => ({ key: e.key, value: e.value }));
    response.headers = headers;
    response.statusDescription = page.statusDescription;
    response.body = page.body;
    delete response.bodyEncoding;
  } catch (err) {
    detail = err instanceof ShapeError ? 'event_shape' : 'exception';
    if (!(err instanceof ShapeError)) gate = null;
  }
  // The decision line's fields but no EMF: the viewer request's own line already counted this
  // request in the metrics.
  writeLog(logHead({ decision: 'not_found', status: 404, reason: 'not_found', detail, route: null }), started, null);
  return response;
}

// A channel link (an empty object `edgegate channel set` writes at <prefix>channels/<name>/<path>,
// its x-amz-meta-edgegate-location the versioned URL path of the same file) becomes a 302 to that
// path, cacheable 60 s at the edge (a channel move shows within 60 s; `channel set` invalidates
// the links too). The viewer-request gate already decided the channel URL and decides the
// versioned one the viewer is sent to. A location that is not a plain path on this site (another
// host, `..`, a control character) is answered 503: the link was not written by edgegate.
const LINK = 'x-amz-meta-edgegate-location';
const LINK_PATH = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%\/]{0,2047}$/;

function channelLink(response, started) {
  const link = response.headers && response.headers[LINK];
  if (!link || response.status !== '200') return response;
  const location = link[0] && link[0].value;
  const ok = typeof location === 'string' && LINK_PATH.test(location) && !/\/\/|\/\.\.?(\/|$)/.test(location);
  const headers = readOnlyHeaders(response.headers);
  if (ok) {
    headers.location = [{ key: 'Location', value: location }];
    headers['cache-control'] = [{ key: 'Cache-Control', value: 'max-age=60' }];
  }
  const log = ok ? ['redirect', 302, 'ok', 'channel'] : ['deny', 503, 'unavailable', 'bad_channel_link'];
  writeLog(logHead({ decision: log[0], status: log[1], reason: log[2], detail: log[3], route: null }), started, null);
  if (!ok) return UNAVAILABLE;
  response.status = '302';
  response.statusDescription = 'Found';
  response.headers = headers;
  response.body = '';
  delete response.bodyEncoding;
  return response;
}

// A JSON string literal; the log fields are static identifiers and a validated route prefix, so
// the escape is almost never needed.
const UNSAFE = /["\\\u0000-\u001f\u007f-\uffff]/;
const quoted = (s) => (UNSAFE.test(s) ? JSON.stringify(s) : `"${s}"`);
const FN = `"function":${quoted(process.env.AWS_LAMBDA_FUNCTION_NAME || 'edgegate')}`;
const EMF = '"CloudWatchMetrics":[{"Namespace":"edgegate","Dimensions":[["function","http","reason"]],"Metrics":[{"Name":"latency_us","Unit":"Microseconds"}]}]';

// The log line up to the value of latency_us: the same JSON (same fields, same order) as
// JSON.stringify of { decision, status, reason, detail, route, http, function, latency_us, _aws }
// once the latency and the `_aws` member (CloudWatch Embedded Metric Format: the decision's
// time in ms and EMF) are appended. Built once per verdict (a memoised one keeps it); only the
// latency and the time vary. The metric: latency_us (its SampleCount counts decisions) in
// namespace edgegate by function, http (the status as a string) and reason (a fixed set).
function logHead(log) {
  const route = log.route === null ? 'null' : quoted(log.route);
  const status = Number.isFinite(log.status) ? log.status : null;
  return `{"decision":${quoted(log.decision)},"status":${status},"reason":${quoted(log.reason)},"detail":${quoted(log.detail)},"route":${route},"http":"${status}",${FN},"latency_us":`;
}

exports.handleAt = handleAt;
// Verdicts answered from the memo since the module loaded, and the memo's size (tests, benchmarks).
exports.memoStats = () => ({ hits: memoHits, size: MEMO.size });
// The boundary's two halves, for tests and benchmarks.
exports.boundary = { requestOf, frame, apply };
exports.originResponseAt = originResponseAt;
// One handler for both associations: the event says which it is.
exports.handler = (event) => (isOriginResponse(event) ? originResponseAt : handleAt)(event, Date.now() / 1000);
// One structured JSON line per decision (reason code, route, latency, EMF; never a credential), given
// as the line's text (newline included) and written to stdout (fd 1) in one write. Replaceable for
// tests. `fs.writeSync` spares the first request building the `process.stdout` stream (a few ms
// of a cold start); if fd 1 refuses (a non-blocking pipe that is full) or takes only part of the
// line, the rest goes through `process.stdout`, which queues it.
exports.logSink = (line) => {
  let written = 0;
  try {
    written = fs.writeSync(1, line);
  } catch (_) {
    written = 0;
  }
  if (written !== line.length && written < Buffer.byteLength(line)) {
    process.stdout.write(written === 0 ? line : Buffer.from(line).subarray(written));
  }
};

try {
  gate = load();
} catch (err) {
  gate = null; // every request will retry the load and answer 503 until it succeeds
  // The decision line's shape and EMF (counted as a 503 `unavailable`), plus the cause: a config
  // or JWKS error names a field, never a credential (none is baked).
  const head = logHead({ decision: 'init_error', status: 503, reason: 'unavailable', detail: 'init_error', route: null });
  const error = JSON.stringify(String(err && err.message).slice(0, 200));
  exports.logSink(`${head}0,"error":${error},"_aws":{"Timestamp":${Date.now()},${EMF}}}\n`);
}

'use strict';
// edgegate viewer-request handler for Lambda@Edge (nodejs20.x / nodejs22.x). A trampoline: the
// decision is made by the Rust gate compiled to WebAssembly; this file loads it once, feeds it
// the event, logs one JSON line, and fails closed (503, no-store) if anything throws, rebuilding
// the wasm instance for the next request.
const fs = require('node:fs');
const path = require('node:path');

const CONFIG = fs.readFileSync(path.join(__dirname, 'config.json'), 'utf8');
const JWKS_PATH = path.join(__dirname, 'jwks.json');
const JWKS = fs.existsSync(JWKS_PATH) ? fs.readFileSync(JWKS_PATH, 'utf8') : undefined;
const GLUE = path.join(__dirname, 'edgegate_edge.js');
const JWKS_COOLDOWN_MS = 10000;
const JWKS_TIMEOUT_MS = 1500;
const JWKS_MAX_BYTES = 65536;

globalThis.edgegateHost = require('./host.js');

let gate = null;
let lastJwksFetch = -Infinity;

function load() {
  delete require.cache[require.resolve(GLUE)];
  const { Gate } = require(GLUE);
  return new Gate(CONFIG, JWKS);
}

const UNAVAILABLE = {
  status: '503',
  statusDescription: 'Service Unavailable',
  headers: {
    'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
    'content-type': [{ key: 'Content-Type', value: 'text/plain; charset=utf-8' }],
    'retry-after': [{ key: 'Retry-After', value: '5' }],
  },
  body: 'unavailable\n',
};

// At most one JWKS refetch per cooldown, on an unknown kid; the baked keys stay authoritative.
async function refreshJwks() {
  const url = gate.jwksUrl();
  const now = Date.now();
  if (!url || now - lastJwksFetch < JWKS_COOLDOWN_MS) return false;
  lastJwksFetch = now;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(JWKS_TIMEOUT_MS), redirect: 'error' });
    if (!res.ok) return false;
    const text = await res.text();
    if (text.length > JWKS_MAX_BYTES) return false;
    return gate.addJwks(text) > 0;
  } catch (_) {
    return false;
  }
}

// Decides `event` at `nowSecs` (seconds since the epoch). Exported for tests and benchmarks.
async function handleAt(event, nowSecs) {
  const started = process.hrtime.bigint();
  let out;
  try {
    if (gate === null) gate = load();
    const input = JSON.stringify(event);
    out = JSON.parse(gate.handle(input, nowSecs));
    if (out.log.detail === 'unknown_kid' && (await refreshJwks())) {
      out = JSON.parse(gate.handle(input, nowSecs));
    }
  } catch (err) {
    gate = null; // a trap or exception: rebuild the instance for the next request
    out = {
      kind: 'response',
      response: UNAVAILABLE,
      log: { decision: 'deny', status: 503, reason: 'unavailable', detail: err instanceof WebAssembly.RuntimeError ? 'wasm_trap' : 'exception', route: null },
    };
  }
  out.log.latency_us = Number(process.hrtime.bigint() - started) / 1000;
  exports.logSink(out.log);
  return out.kind === 'request' ? out.request : out.response;
}

exports.handleAt = handleAt;
exports.handler = async (event) => handleAt(event, Date.now() / 1000);
// One structured JSON line per decision (reason code, route, latency; never a credential).
// Replaceable for tests and benchmarks.
exports.logSink = (log) => console.log(JSON.stringify(log));

try {
  gate = load();
} catch (err) {
  gate = null; // every request will retry the load and answer 503 until it succeeds
  console.log(JSON.stringify({ decision: 'init_error', detail: String(err && err.message).slice(0, 200) }));
}

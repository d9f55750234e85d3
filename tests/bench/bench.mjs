#!/usr/bin/env node
// edgegate's Lambda@Edge viewer-request bundle vs the two anchors (issue 3, "Benchmarks").
//
//   node setup.mjs                 # once: keys, edgegate.toml, `edgegate bundle`, anchors
//   nice -n 10 node bench.mjs      # the full run (a few minutes)
//   node bench.mjs --quick         # CI smoke: tiny counts, allow/deny agreement, exit 1 on mismatch
//
// Handlers (all three loaded in one measuring process for the warm measurements):
//   edgegate        build/edgegate/viewer-request/index.js: exports.handler, as deployed (its log
//                   line on, one JSON line per decision to stdout)
//   aws-jwt-verify  handlers/anchor.cjs: CognitoJwtVerifier + cacheJwks + verifySync + group check
//   cognito-at-edge handlers/cae.cjs: Authenticator.handle, ID token in its cookie, JWKS pre-cached
// Each handler logs what it logs by default (the aws-jwt-verify handler nothing, cognito-at-edge's
// pino logger is at its default level, silent). As the Lambda runtime does, every measuring process
// (this script re-spawned with --measure, the cold-start children, the RSS children) has its
// stdout redirected to a file (build/handler-log.jsonl, build/rss-log-<handler>.jsonl); reports
// come back on stderr (forwarded here to stdout) or on fd 3.
//
// Options: --quick, --edgegate=PATH/index.js, --cold-runs=N (20), --first=N (5000), --repeat=N (20000), --deny=N (5000),
//          --none=N (20000), --rss-requests=N (1000000), --skip-cold, --skip-rss, --skip-breakdown.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const BUILD = path.join(HERE, 'build');

// ---- options ---------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, dflt) => {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : dflt;
};
const QUICK = flag('quick');
// The report: in the measuring child stdout is the handlers' log file, so it goes to stderr.
const say = (...xs) => process.stderr.write(`${xs.join(' ')}\n`);
const CFG = QUICK
  ? { coldRuns: 0, first: 20, warmFirst: 10, repeat: 200, deny: 50, none: 200, rss: 0, batch: 10, warmup: 100 }
  : {
      coldRuns: opt('cold-runs', 20), first: opt('first', 5000), warmFirst: 500,
      repeat: opt('repeat', 20000), deny: opt('deny', 5000), none: opt('none', 20000), rss: opt('rss-requests', 1_000_000),
      batch: 100, warmup: 3000,
    };

if (!fs.existsSync(path.join(BUILD, 'meta.json'))) {
  console.error('bench: build/ is missing: run `node setup.mjs` first');
  process.exit(2);
}
const META = JSON.parse(fs.readFileSync(path.join(BUILD, 'meta.json'), 'utf8'));
const B = (rel) => path.resolve(BUILD, rel);
// Where the measuring processes' stdout goes (the handlers' log lines), as the Lambda runtime
// captures a function's stdout.
const LOG_FILE = B('handler-log.jsonl');
const COLD_LOG_FILE = B('cold-log.jsonl');
const rssLogFile = (name) => B(`rss-log-${name}.jsonl`);
// --edgegate=DIR/viewer-request/index.js: measure another edgegate bundle (same config and keys),
// e.g. one built with a different wasm profile, against the same anchors.
const EG_ARG = argv.find((a) => a.startsWith('--edgegate='));
if (EG_ARG) META.edgegate = path.resolve(EG_ARG.slice('--edgegate='.length));

// ---- credentials -----------------------------------------------------------------------------
const NOW = Math.floor(Date.now() / 1000);
const jwtKey = crypto.createPrivateKey(fs.readFileSync(B(META.jwtPrivateKey)));
const cfKey = crypto.createPrivateKey(fs.readFileSync(B(META.cloudfrontPrivateKey)));
const b64u = (s) => Buffer.from(s).toString('base64url');
const cfB64 = (buf) => Buffer.from(buf).toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');

/** A Cognito ID token (the shape Cognito issues), RS256, signed with the pool's first key. */
function mintIdToken(user, { groups = [META.group], exp = NOW + 6 * 3600 } = {}) {
  const header = { kid: META.kid, alg: 'RS256' };
  const payload = {
    sub: crypto.randomUUID(),
    'cognito:groups': groups,
    email_verified: true,
    iss: META.issuer,
    'cognito:username': user,
    origin_jti: crypto.randomUUID(),
    aud: META.clientId,
    event_id: crypto.randomUUID(),
    token_use: 'id',
    auth_time: NOW - 600,
    exp,
    iat: NOW - 60,
    jti: crypto.randomUUID(),
    email: `${user}@example.com`,
  };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return { user, token: `${input}.${crypto.sign('sha256', Buffer.from(input), jwtKey).toString('base64url')}` };
}

/** The same token with one signature byte flipped: well-formed, fails only at RSA verification. */
function badSignature({ user, token }) {
  const [h, p, s] = token.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[100] ^= 0x01;
  return { user, token: `${h}.${p}.${sig.toString('base64url')}` };
}

/** CloudFront signed cookies: custom policy over /releases/*, ECDSA P-256 / SHA-256. */
function signedCookies(expires) {
  const policy = JSON.stringify({
    Statement: [{ Resource: `https://${META.domain}/releases/*`, Condition: { DateLessThan: { 'AWS:EpochTime': expires } } }],
  });
  const sig = crypto.sign('sha256', Buffer.from(policy), { key: cfKey, dsaEncoding: 'der' });
  return `CloudFront-Policy=${cfB64(policy)}; CloudFront-Signature=${cfB64(sig)}; CloudFront-Key-Pair-Id=${META.keyPairId}; CloudFront-Hash-Algorithm=SHA256`;
}

// ---- events ----------------------------------------------------------------------------------
const h1 = (key, value) => [{ key, value }];
/** A CloudFront viewer-request event for a browser-ish GET of one of 50 release assets. */
function cfEvent(i, extra) {
  return {
    Records: [{
      cf: {
        config: {
          distributionDomainName: 'd111111abcdef8.cloudfront.net',
          distributionId: 'EDFDVBD6EXAMPLE',
          eventType: 'viewer-request',
          requestId: 'MRVMF7KydIvxMWfJIglgwHQwZsbG2IhRJ07sn9AkKUFSHS9EXAMPLE==',
        },
        request: {
          clientIp: '203.0.113.178',
          headers: {
            host: h1('Host', META.domain),
            'user-agent': h1('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'),
            accept: h1('Accept', '*/*'),
            'accept-encoding': h1('Accept-Encoding', 'gzip, deflate, br, zstd'),
            'accept-language': h1('Accept-Language', 'en-GB,en;q=0.5'),
            ...extra,
          },
          method: 'GET',
          querystring: '',
          uri: `/releases/v1.4.2/asset-${i % 50}.tar.gz`,
        },
      },
    }],
  };
}
const bearerEvent = (i, t) => cfEvent(i, { authorization: h1('Authorization', `Bearer ${t.token}`) });
const idCookieEvent = (i, t) => {
  const base = `CognitoIdentityServiceProvider.${META.clientId}`;
  return cfEvent(i, { cookie: h1('Cookie', `${base}.${t.user}.idToken=${t.token}; ${base}.LastAuthUser=${t.user}`) });
};
const cfCookieEvent = (i, c) => cfEvent(i, { cookie: h1('Cookie', c) });
// `ev` for a URL no other request of the run uses (the memo is keyed by the whole request).
let spreadSerial = 0;
const spreadEvent = (ev, i) => {
  ev.Records[0].cf.request.uri = `/releases/v1.4.2/part-${i}-${spreadSerial++}.bin`;
  return ev;
};

// ---- handlers --------------------------------------------------------------------------------
const NAMES = ['edgegate', 'anchor', 'cae'];
const LABEL = { edgegate: 'edgegate', anchor: 'aws-jwt-verify', cae: 'cognito-at-edge' };

// Every handler as deployed: its `handler` export, logging what it logs by default.
function loadHandler(name, bundled = false) {
  return require(B(META[bundled ? `${name}Bundled` : name])).handler;
}

const verdictOf = (r) => (r && typeof r.uri === 'string' && !('status' in r) ? 'allow' : 'deny');

/**
 * The event kinds. `ev[name](i)` builds a fresh event for handler `name` (null: not applicable);
 * `expect` is the verdict every applicable handler must give.
 */
function kinds(creds) {
  const { first, hot, bad, outsider, cookie } = creds;
  return {
    first: {
      title: 'first-seen bearer token', expect: 'allow',
      ev: { edgegate: (i) => bearerEvent(i, first[i]), anchor: (i) => bearerEvent(i, first[i]), cae: (i) => idCookieEvent(i, first[i]) },
    },
    repeated: {
      title: 'repeated bearer token', expect: 'allow',
      ev: { edgegate: (i) => bearerEvent(i, hot), anchor: (i) => bearerEvent(i, hot), cae: (i) => idCookieEvent(i, hot) },
    },
    // The same token for a new URL every request: the handler's memo of whole frames never
    // hits, so this is the gate's verified-credential cache (a download of many files).
    spread: {
      title: 'repeated bearer token, a new URL each request', expect: 'allow',
      ev: {
        edgegate: (i) => spreadEvent(bearerEvent(i, hot), i),
        anchor: (i) => spreadEvent(bearerEvent(i, hot), i),
        cae: (i) => spreadEvent(idCookieEvent(i, hot), i),
      },
    },
    cookie: {
      title: 'signed cookie (cae: repeated ID-token cookie)', expect: 'allow',
      ev: { edgegate: (i) => cfCookieEvent(i, cookie), anchor: null, cae: (i) => idCookieEvent(i, hot) },
    },
    deny: {
      title: 'denial: bad signature', expect: 'deny',
      ev: { edgegate: (i) => bearerEvent(i, bad), anchor: (i) => bearerEvent(i, bad), cae: (i) => idCookieEvent(i, bad) },
    },
    none: {
      title: 'no credential (edgegate/aws-jwt-verify 401, cognito-at-edge 302)', expect: 'deny',
      ev: { edgegate: (i) => cfEvent(i, {}), anchor: (i) => cfEvent(i, {}), cae: (i) => cfEvent(i, {}) },
    },
    // Agreement-only kind (--quick and the pre-flight check), not timed.
    group: {
      title: 'valid token, not in group (cae: no group check)', expect: 'deny', check: true,
      ev: { edgegate: (i) => bearerEvent(i, outsider), anchor: (i) => bearerEvent(i, outsider), cae: null },
    },
  };
}

// ---- stats -----------------------------------------------------------------------------------
function stats(xs) {
  const s = Float64Array.from(xs).sort();
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}
const f1 = (x) => (x === undefined || Number.isNaN(x) ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ms = (us) => (us / 1000).toFixed(2);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
function table(head, rows) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? pad(c, w[i]) : lpad(c, w[i]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}
const hr = () => process.hrtime.bigint();

// ---- agreement -------------------------------------------------------------------------------
async function agreement(handlers, K) {
  const rows = [];
  let failures = 0;
  const sameButOrder = new Set();
  const statusOf = (r) => (verdictOf(r) === 'allow' ? 'request' : r.status);
  for (const [kind, k] of Object.entries(K)) {
    const row = [kind];
    const seen = {};
    for (const [name, h] of Object.entries(handlers)) {
      const base = name.replace('-bundled', '');
      const make = k.ev[base];
      if (!make) { row.push('n/a'); continue; }
      const r = await h(make(0));
      const v = verdictOf(r);
      seen[name] = r;
      if (v !== k.expect) failures++;
      row.push(`${v === k.expect ? '' : 'MISMATCH '}${v} (${statusOf(r)})`);
    }
    rows.push(row);
    // Same CloudFront request forwarded by edgegate and the aws-jwt-verify handler?
    if (k.expect === 'allow' && seen.edgegate && seen.anchor) {
      const canon = (v) => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1))) : x));
      const a = canon(seen.edgegate), b = canon(seen.anchor);
      const cut = (x) => (x.length > 400 ? `${x.slice(0, 400)}...` : x);
      if (a !== b) say(`note: ${kind}: edgegate and aws-jwt-verify forward different requests:\n  edgegate ${cut(a)}\n  anchor   ${cut(b)}`);
      else if (JSON.stringify(seen.edgegate) !== JSON.stringify(seen.anchor)) sameButOrder.add(kind);
    }
    if (k.expect === 'deny' && seen.edgegate && seen.anchor && seen.edgegate.status !== seen.anchor.status) {
      say(`note: ${kind}: status edgegate ${seen.edgegate.status} vs aws-jwt-verify ${seen.anchor.status}`);
    }
  }
  if (sameButOrder.size) say(`note: ${[...sameButOrder].join(', ')}: edgegate and aws-jwt-verify forward the same request up to key order`);
  say(table(['event kind (expected)', ...Object.keys(handlers).map((n) => LABEL[n] || n)],
    rows.map((r) => [`${r[0]} (${K[r[0]].expect})`, ...r.slice(1)])));
  return failures;
}

// ---- warm latency (interleaved) ---------------------------------------------------------------
async function warmRun(handlers, K) {
  const samples = {};
  let errors = 0;
  const plan = [['first', CFG.first], ['repeated', CFG.repeat], ['spread', CFG.repeat], ['cookie', CFG.repeat], ['deny', CFG.deny], ['none', CFG.none]];
  for (const [kind, count] of plan) {
    const k = K[kind];
    const names = NAMES.filter((n) => k.ev[n]);
    for (const n of names) samples[`${kind}/${n}`] = [];
    let round = 0;
    for (let start = 0; start < count; start += CFG.batch, round++) {
      const end = Math.min(count, start + CFG.batch);
      // Rotate the order every batch so drift and noise hit all handlers alike.
      for (let j = 0; j < names.length; j++) {
        const n = names[(round + j) % names.length];
        const h = handlers[n];
        const make = k.ev[n];
        const out = samples[`${kind}/${n}`];
        for (let i = start; i < end; i++) {
          const ev = make(i);
          const t0 = hr();
          const r = await h(ev);
          const t1 = hr();
          out.push(Number(t1 - t0) / 1000);
          if (verdictOf(r) !== k.expect) errors++;
        }
      }
    }
  }
  return { samples, errors };
}

// ---- edgegate breakdown: where a request's time goes ----------------------------------------------
// A second Gate from the same wasm module, called directly. Bundles with the narrow boundary
// (Gate.decide, the handler's `boundary` export) are timed as frame (JS: read the fields the gate
// needs, encode them) / wasm decide / host verify / apply (JS: the verdict onto the request);
// older bundles (Gate.handle on the event JSON) as JSON.stringify / wasm handle / verify / parse.
async function breakdown(K, creds) {
  const dir = path.dirname(B(META.edgegate));
  const glue = require(path.join(dir, 'edgegate_edge.js')); // already loaded by the handler
  const { Gate } = glue;
  const gate = new Gate(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'), fs.readFileSync(path.join(dir, 'jwks.json'), 'utf8'));
  const narrow = typeof Gate.prototype.decide === 'function';
  const boundary = narrow ? require(B(META.edgegate)).boundary : null;
  const host = globalThis.edgegateHost;
  const realVerify = host.verifySignature;
  let verifyNs = 0n;
  host.verifySignature = function timed(...args) {
    const t = hr();
    try { return realVerify.apply(this, args); } finally { verifyNs += hr() - t; }
  };
  const rows = [];
  try {
    const cases = [
      ['first', (i) => K.first.ev.edgegate(i), creds.extra.length],
      ['repeated', (i) => K.repeated.ev.edgegate(i), 5000],
      ['cookie', (i) => K.cookie.ev.edgegate(i), 5000],
      ['deny', (i) => K.deny.ev.edgegate(i), 2000],
      ['none (401, no crypto)', (i) => K.none.ev.edgegate(i), 5000],
    ];
    for (const [label, make0, count] of cases) {
      const make = label === 'first' ? (i) => bearerEvent(i, creds.extra[i]) : make0;
      const parts = { encode: [], wasm: [], verify: [], decode: [], total: [] };
      let inBytes = 0, outBytes = 0;
      for (let i = 0; i < count; i++) {
        const ev = make(i);
        verifyNs = 0n;
        let t0, t1, t2, t3;
        if (narrow) {
          t0 = hr();
          const request = boundary.requestOf(ev);
          const [text, lens] = boundary.frame(request);
          t1 = hr();
          const o = gate.decide(text, lens, NOW);
          t2 = hr();
          boundary.apply(o, request);
          t3 = hr();
          inBytes = text.length + 4 * lens.length; outBytes = o.length;
        } else {
          t0 = hr();
          const s = JSON.stringify(ev);
          t1 = hr();
          const o = gate.handle(s, NOW);
          t2 = hr();
          JSON.parse(o);
          t3 = hr();
          inBytes = s.length; outBytes = o.length;
        }
        parts.encode.push(Number(t1 - t0) / 1000);
        parts.wasm.push(Number(t2 - t1 - verifyNs) / 1000);
        parts.verify.push(Number(verifyNs) / 1000);
        parts.decode.push(Number(t3 - t2) / 1000);
        parts.total.push(Number(t3 - t0) / 1000);
      }
      const p = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, stats(v)]));
      rows.push([label, f1(p.encode.p50), f1(p.wasm.p50), f1(p.verify.p50), f1(p.decode.p50), f1(p.total.p50), f1(p.total.p99), `${inBytes}/${outBytes}`]);
    }
  } finally {
    host.verifySignature = realVerify;
  }
  const head = narrow
    ? ['kind', 'frame (JS)', 'wasm decide (excl. verify)', 'host verify', 'apply verdict (JS)', 'total p50', 'total p99', 'bytes in/out']
    : ['kind', 'JSON.stringify', 'wasm handle (excl. verify)', 'host verify', 'JSON.parse', 'total p50', 'total p99', 'bytes in/out'];
  // Bare primitives for reference.
  const rsaPub = crypto.createPublicKey(jwtKey);
  const [hh, pp, ss] = creds.hot.token.split('.');
  const rsaMsg = Buffer.from(`${hh}.${pp}`), rsaSig = Buffer.from(ss, 'base64url');
  const ecPub = crypto.createPublicKey(cfKey);
  const ecMsg = Buffer.from('{"Statement":[]}'), ecSig = crypto.sign('sha256', ecMsg, { key: cfKey, dsaEncoding: 'der' });
  const prim = [];
  for (const [label, fn] of [
    ['bare crypto.verify RSA-2048/SHA-256', () => crypto.verify('sha256', rsaMsg, rsaPub, rsaSig)],
    ['bare crypto.verify ECDSA P-256/SHA-256', () => crypto.verify('sha256', ecMsg, { key: ecPub, dsaEncoding: 'der' }, ecSig)],
    ['JSON.stringify + JSON.parse of a cookie event', () => JSON.parse(JSON.stringify(K.cookie.ev.edgegate(1)))],
  ]) {
    const xs = [];
    for (let i = 0; i < 3000; i++) { const t = hr(); fn(); xs.push(Number(hr() - t) / 1000); }
    const st = stats(xs);
    prim.push([label, f1(st.p50), f1(st.p99)]);
  }
  return { head, rows, prim };
}

// ---- cold starts (fresh processes) -----------------------------------------------------------------
function coldRuns(eventFiles) {
  const targets = [
    ['edgegate', 'handler', B(META.edgegate), eventFiles.bearer],
    ['aws-jwt-verify', 'handler', B(META.anchor), eventFiles.bearer],
    ['aws-jwt-verify (esbuild, 1 file)', 'handler', B(META.anchorBundled), eventFiles.bearer],
    ['cognito-at-edge', 'handler', B(META.cae), eventFiles.idcookie],
    ['cognito-at-edge (esbuild, 1 file)', 'handler', B(META.caeBundled), eventFiles.idcookie],
    ['edgegate steps', 'egsteps', B(META.edgegate), eventFiles.bearer],
    ['edgegate wasm compile', 'wasmcompile', B(META.edgegate), eventFiles.bearer],
  ];
  const res = Object.fromEntries(targets.map(([l]) => [l, []]));
  const child = path.join(HERE, 'cold-child.cjs');
  // The children's stdout (the handlers' log lines) goes to a file; each reports on fd 3.
  const logFd = fs.openSync(COLD_LOG_FILE, 'w');
  try {
    for (let run = 0; run < CFG.coldRuns; run++) {
      // Round-robin, rotated, so machine noise spreads over all targets.
      for (let j = 0; j < targets.length; j++) {
        const [label, mode, mod, evf] = targets[(run + j) % targets.length];
        const t0 = hr();
        const p = spawnSync(process.execPath, [child, mode, mod, evf], { stdio: ['ignore', logFd, 'pipe', 'pipe'], encoding: 'utf8' });
        const wall = Number(hr() - t0) / 1000;
        if (p.status !== 0) throw new Error(`cold ${label}: ${p.stderr}`);
        res[label].push({ ...JSON.parse(p.output[3]), wall });
      }
    }
  } finally {
    fs.closeSync(logFd);
  }
  return res;
}

// ---- RSS over 1M requests (one fresh process per handler) -----------------------------------------
async function rssChild(name, inputFile) {
  const input = JSON.parse(fs.readFileSync(inputFile, 'utf8'));
  // Observe the size of edgegate's wasm linear memory (not exported by the glue): record the
  // instance's memory export as it is created. No effect on the handler's behaviour.
  const memories = [];
  const RealInstance = WebAssembly.Instance;
  WebAssembly.Instance = new Proxy(RealInstance, {
    construct(target, args) {
      const inst = Reflect.construct(target, args);
      if (inst.exports.memory) memories.push(inst.exports.memory);
      return inst;
    },
  });
  const h = loadHandler(name);
  WebAssembly.Instance = RealInstance;
  const total = input.requests;
  // stdout is the handler's log file: the samples go to fd 3.
  const out = (o) => fs.writeSync(3, JSON.stringify(o) + '\n');
  const every = Math.max(1, Math.floor(total / 20));
  const mem = (at) => {
    const m = process.memoryUsage();
    out({ at, rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, wasm: memories.reduce((a, x) => a + x.buffer.byteLength, 0) });
  };
  const pool = input.tokens; // [{user, token}]
  const cookies = input.cookies; // CloudFront cookie strings
  // The mix: alternate a repeated bearer token (100-user pool) and a signed cookie (100 cookie
  // sets). aws-jwt-verify has no cookie path: bearer only. cognito-at-edge: its ID-token cookie.
  const make = {
    edgegate: (i) => ((i & 1) === 0 ? bearerEvent(i, pool[(i >> 1) % pool.length]) : cfCookieEvent(i, cookies[(i >> 1) % cookies.length])),
    anchor: (i) => bearerEvent(i, pool[(i >> 1) % pool.length]),
    cae: (i) => idCookieEvent(i, pool[(i >> 1) % pool.length]),
  }[name];
  let bad = 0;
  mem(0);
  const t0 = hr();
  for (let i = 1; i <= total; i++) {
    const r = await h(make(i));
    if (verdictOf(r) !== 'allow') bad++;
    if (i % every === 0) mem(i);
  }
  const elapsed = Number(hr() - t0) / 1000 / total;
  let afterGc = null;
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    const m = process.memoryUsage();
    afterGc = { rss: m.rss, heapUsed: m.heapUsed };
  }
  out({ done: true, bad, us_per_request: elapsed, afterGc });
}

// ---- the parent: runs the measuring child with stdout to a file, then checks the log lines ------
// Every log file must hold JSON lines only, and never a credential (no JWT, no Bearer value, no
// CloudFront cookie value); edgegate's lines carry their fields. A failure exits 1 (like a
// verdict mismatch). Nothing timed is asserted.
function checkLog(file) {
  if (!fs.existsSync(file)) return null;
  const text = fs.readFileSync(file, 'latin1');
  for (const secret of ['eyJ', 'Bearer', 'CloudFront-Signature', 'CloudFront-Policy']) {
    if (text.includes(secret)) throw new Error(`${path.relative(HERE, file)}: a log line contains "${secret}"`);
  }
  let lines = 0, decisions = 0;
  const fields = ['decision', 'status', 'reason', 'detail', 'route', 'latency_us'];
  // Big files (the RSS runs): every line's shape is checked on the first 10,000 and the count on all.
  let at = 0;
  while (at < text.length) {
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    if (lines < 10000) {
      const line = JSON.parse(text.slice(at, nl));
      if ('decision' in line) {
        const missing = fields.filter((k) => !(k in line));
        if (missing.length) throw new Error(`${path.relative(HERE, file)}: log line without ${missing.join(', ')}: ${text.slice(at, nl)}`);
      }
    }
    if (text.startsWith('{"decision"', at)) decisions++;
    lines++;
    at = nl + 1;
  }
  return { lines, decisions, bytes: text.length };
}

async function parent() {
  for (const f of [LOG_FILE, COLD_LOG_FILE, ...NAMES.map(rssLogFile)]) fs.rmSync(f, { force: true });
  const logFd = fs.openSync(LOG_FILE, 'w');
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv, '--measure'], { stdio: ['ignore', logFd, 'pipe'] });
  fs.closeSync(logFd);
  child.stderr.pipe(process.stdout);
  const code = await new Promise((resolve) => child.on('close', (c, sig) => resolve(c === null ? `signal ${sig}` : c)));
  if (code !== 0) {
    console.log(`bench: the measuring process failed (${code})`);
    process.exit(typeof code === 'number' ? code : 1);
  }
  const rows = [];
  for (const f of [LOG_FILE, COLD_LOG_FILE, ...NAMES.map(rssLogFile)]) {
    const r = checkLog(f);
    if (r) rows.push([path.relative(HERE, f), r.lines, r.decisions, (r.bytes / r.lines || 0).toFixed(0)]);
  }
  console.log('\n== Log lines written to the measuring processes\' stdout (JSON, every field present, no credential)');
  console.log(table(['file', 'lines', 'edgegate decisions', 'bytes/line'], rows));
}

// ---- main ----------------------------------------------------------------------------------------
async function main() {
  const rssIdx = argv.indexOf('--rss-child');
  if (rssIdx >= 0) return rssChild(argv[rssIdx + 1], argv[rssIdx + 2]);
  if (!flag('measure')) return parent();

  const started = Date.now();
  const egDir = path.dirname(B(META.edgegate));
  const wasmBytes = fs.statSync(path.join(egDir, 'edgegate_edge_bg.wasm')).size;
  const zipFile = path.join(path.dirname(egDir), 'viewer-request.zip');
  const zip = fs.existsSync(zipFile) ? `${fs.statSync(zipFile).size} bytes` : 'n/a';
  say(`edgegate bench${QUICK ? ' --quick' : ''}: node ${process.version}, ${os.cpus().length} x ${os.cpus()[0].model}, loadavg ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const ver = (dir) => JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules', dir, 'package.json'), 'utf8')).version;
  say(`packages: aws-jwt-verify ${ver('aws-jwt-verify')}, cognito-at-edge ${ver('cognito-at-edge')} (its own aws-jwt-verify ${ver('cognito-at-edge/node_modules/aws-jwt-verify')}), esbuild ${ver('esbuild')}`);
  say(`edgegate bundle ${egDir}: viewer-request.zip ${zip}, wasm ${wasmBytes} bytes`);
  say(`logging as deployed: each handler's own default (edgegate one JSON line per decision, cognito-at-edge pino silent, aws-jwt-verify handler nothing); this process's stdout is ${path.relative(HERE, LOG_FILE)}`);

  // Credentials.
  const t0 = Date.now();
  const creds = {
    hot: mintIdToken('hot-user'),
    outsider: mintIdToken('outsider', { groups: ['viewers'] }),
    first: Array.from({ length: CFG.first }, (_, i) => mintIdToken(`user${i}`)),
    warm: Array.from({ length: CFG.warmFirst }, (_, i) => mintIdToken(`warm${i}`)),
    extra: QUICK ? [] : Array.from({ length: 2000 }, (_, i) => mintIdToken(`extra${i}`)),
    cookie: signedCookies(NOW + 6 * 3600),
  };
  creds.bad = badSignature(creds.hot);
  say(`minted ${2 + creds.first.length + creds.warm.length + creds.extra.length} RS256 ID tokens (iss ${META.issuer}) in ${Date.now() - t0} ms`);
  const K = kinds(creds);

  // Load the three handlers in this process (plus the bundled anchors for the agreement check).
  const handlers = Object.fromEntries(NAMES.map((n) => [n, loadHandler(n)]));
  const all = { ...handlers, 'anchor-bundled': loadHandler('anchor', true), 'cae-bundled': loadHandler('cae', true) };
  LABEL['anchor-bundled'] = 'aws-jwt-verify (esbuild)';
  LABEL['cae-bundled'] = 'cognito-at-edge (esbuild)';

  say('\n== Agreement (allow/deny per event kind; every applicable handler must give the expected verdict)');
  const failures = await agreement(all, K);
  if (failures) {
    say(`\nFAIL: ${failures} verdict(s) differ from the expected ones`);
    process.exit(1);
  }

  // Warm-up: JIT, wasm tier-up, key objects.
  {
    const warmK = { ...K, first: { ...K.first, ev: Object.fromEntries(NAMES.map((n) => [n, (i) => (n === 'cae' ? idCookieEvent : bearerEvent)(i, creds.warm[i % creds.warm.length])])) } };
    for (const n of NAMES) {
      for (let i = 0; i < CFG.warmup; i++) {
        const kind = ['first', 'repeated', 'cookie', 'deny', 'none'][i % 5];
        const make = warmK[kind].ev[n];
        if (make) await handlers[n](make(i));
      }
    }
  }

  say(`\n== Warm per-request latency, microseconds (one process, batches of ${CFG.batch} alternating between handlers, order rotated per batch; time of \`await handler(event)\`, event built outside the clock)`);
  const { samples, errors } = await warmRun(handlers, K);
  const S = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)]));
  const rows = [];
  for (const kind of ['first', 'repeated', 'spread', 'cookie', 'deny', 'none']) {
    for (const n of NAMES) {
      const st = S[`${kind}/${n}`];
      if (!st) { rows.push([`${kind}`, LABEL[n], 'n/a', '', '', '', '', '']); continue; }
      const anc = S[`${kind === 'cookie' ? 'repeated' : kind}/anchor`];
      rows.push([kind, LABEL[n], st.n, f1(st.p50), f1(st.p90), f1(st.p99), f1(st.mean), `${(anc.p50 / st.p50).toFixed(2)}x`]);
    }
  }
  say(table(['kind', 'handler', 'n', 'p50', 'p90', 'p99', 'mean', 'anchor p50 / p50'], rows));
  say('kinds: first = each of the first-seen tokens used once per handler; repeated = one token again and again (50 URLs in turn);');
  say('       spread = that token for a URL no other request used (edgegate: its memo of whole requests misses, the verified-token cache answers);');
  say('       cookie = edgegate: CloudFront signed cookies (custom policy /releases/*, ECDSA P-256 SHA-256), cognito-at-edge: repeated ID-token cookie, aws-jwt-verify: n/a (ratio vs its repeated-token p50);');
  say('       deny = one token with a flipped signature byte (edgegate/aws-jwt-verify 401, cognito-at-edge 302 to the hosted UI);');
  say('       none = no credential at all (edgegate/aws-jwt-verify 401, cognito-at-edge 302).');
  say('       cognito-at-edge always gets the same token in its cookie instead of the Authorization header.');
  {
    const eg = require(B(META.edgegate));
    if (typeof eg.memoStats === 'function') {
      const m = eg.memoStats();
      say(`       edgegate's memo of stable verdicts answered ${m.hits.toLocaleString('en')} requests of this process (warm-up included); ${m.size} entries at the end.`);
    }
  }
  if (errors) say(`WARNING: ${errors} unexpected verdicts during the warm run`);

  if (QUICK) {
    if (errors) {
      say('\nFAIL: unexpected verdicts during the timed loops');
      process.exit(1);
    }
    say(`\nquick: OK, handlers agree (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return;
  }

  let bd = null;
  const glue = require(path.join(path.dirname(B(META.edgegate)), 'edgegate_edge.js'));
  const gateProto = glue.Gate?.prototype;
  if (!flag('skip-breakdown') && typeof gateProto?.decide !== 'function' && typeof gateProto?.handle !== 'function') {
    say('\n(edgegate breakdown skipped: this bundle has neither Gate.decide nor Gate.handle)');
  } else if (!flag('skip-breakdown')) {
    bd = await breakdown(K, creds);
    say('\n== edgegate breakdown, p50 microseconds per part (a second Gate from the same wasm module, called directly; verify = time inside the node:crypto host import)');
    say(table(bd.head, bd.rows));
    say(table(['reference primitive', 'p50', 'p99'], bd.prim));
  }

  let cold = null;
  if (!flag('skip-cold') && CFG.coldRuns > 0) {
    const evDir = B('events');
    fs.mkdirSync(evDir, { recursive: true });
    const coldTok = mintIdToken('cold-user');
    const eventFiles = { bearer: path.join(evDir, 'cold-bearer.json'), idcookie: path.join(evDir, 'cold-idcookie.json') };
    fs.writeFileSync(eventFiles.bearer, JSON.stringify(bearerEvent(0, coldTok)));
    fs.writeFileSync(eventFiles.idcookie, JSON.stringify(idCookieEvent(0, coldTok)));
    cold = coldRuns(eventFiles);
    say(`\n== Cold start, milliseconds: ${CFG.coldRuns} fresh \`node\` processes per row, spawned round-robin; measured inside the child from just before require() to the first event's answer`);
    const crow = [];
    for (const [label, runs] of Object.entries(cold)) {
      if (label.startsWith('edgegate ')) continue;
      const init = stats(runs.map((r) => r.init)), first = stats(runs.map((r) => r.first)), total = stats(runs.map((r) => r.total));
      const wall = stats(runs.map((r) => r.wall)), boot = stats(runs.map((r) => r.boot));
      const verdicts = [...new Set(runs.map((r) => r.verdict))].join(',');
      crow.push([label, ms(init.p50), ms(init.p99), ms(first.p50), ms(first.p99), ms(total.p50), ms(total.p99), ms(boot.p50), ms(wall.p50), verdicts]);
    }
    say(table(['handler', 'import+init p50', 'p99', 'first event p50', 'p99', 'init+first p50', 'p99', 'node boot p50', 'spawn wall p50', 'verdict'], crow));
    const st = cold['edgegate steps'], wc = cold['edgegate wasm compile'];
    const m = (k, runs) => ms(stats(runs.map((r) => r[k])).p50);
    say(`edgegate init steps (p50 ms, separate processes): require host.js ${m('host', st)}; require glue (read + compile + instantiate wasm) ${m('glue', st)}; new Gate (config + JWKS parse) ${m('gate', st)}; first event ${m('first', st)}; total ${m('total', st)}. Standalone: read wasm ${m('read', wc)}, new WebAssembly.Module ${m('compile', wc)} (${wc[0].bytes} bytes).`);
  }

  let rss = null;
  if (!flag('skip-rss') && CFG.rss > 0) {
    const input = B('events/rss-input.json');
    fs.mkdirSync(path.dirname(input), { recursive: true });
    fs.writeFileSync(input, JSON.stringify({
      requests: CFG.rss,
      tokens: Array.from({ length: 100 }, (_, i) => (i === 0 ? creds.hot : creds.first[i])),
      cookies: Array.from({ length: 100 }, (_, i) => signedCookies(NOW + 6 * 3600 + i)),
    }));
    rss = {};
    for (const n of NAMES) {
      const logFd = fs.openSync(rssLogFile(n), 'w');
      const p = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--rss-child', n, input, ...(EG_ARG ? [EG_ARG] : [])], { stdio: ['ignore', logFd, 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 20 });
      fs.closeSync(logFd);
      if (p.status !== 0) throw new Error(`rss ${n}: ${p.stderr}`);
      rss[n] = p.output[3].trim().split('\n').map((l) => JSON.parse(l));
      rss[n].logBytes = fs.statSync(rssLogFile(n)).size;
    }
    say(`\n== RSS, MiB, one fresh process per handler, ${CFG.rss.toLocaleString('en')} requests each (edgegate: alternating repeated bearer tokens from a 100-user pool and signed cookies from 100 cookie sets; aws-jwt-verify: the bearer tokens only; cognito-at-edge: the same tokens as ID-token cookies)`);
    const MiB = (b) => (b / 1048576).toFixed(1);
    const q = CFG.rss / 4;
    const quarters = [0, q, 2 * q, 3 * q, 4 * q];
    const rrow = NAMES.map((n) => {
      const pts = rss[n].filter((x) => x.at !== undefined);
      const done = rss[n].find((x) => x.done);
      const last = pts[pts.length - 1];
      const at = (k) => pts.find((x) => x.at >= k) || last;
      const later = pts.filter((x) => x.at >= q);
      const range = `${MiB(Math.min(...later.map((x) => x.rss)))}-${MiB(Math.max(...later.map((x) => x.rss)))}`;
      const wasm = last.wasm ? `${MiB(pts[0].wasm)} -> ${MiB(Math.max(...pts.map((x) => x.wasm)))}` : '-';
      return [LABEL[n], ...quarters.map((k) => MiB(at(k).rss)), range, MiB(last.heapTotal), MiB(last.heapUsed), MiB(last.external), wasm, MiB(done.afterGc.rss), MiB(done.afterGc.heapUsed), f1(done.us_per_request), done.bad];
    });
    say(table(['handler', 'at 0', `${q / 1000}k`, `${(2 * q) / 1000}k`, `${(3 * q) / 1000}k`, `${CFG.rss / 1000}k`, `RSS min-max ${q / 1000}k..end`, 'heapTotal', 'heapUsed', 'external', 'wasm memory 0 -> max', 'RSS after gc()', 'heapUsed after gc()', 'us/request', 'non-allow'], rrow));
    say('(RSS sampled every 5% of the run, no forced GC during it; heap*/external at the end; one gc() after the last request; us/request includes building the event)');
    fs.writeFileSync(B('events/rss-samples.json'), JSON.stringify(rss, null, 1));
  }

  // ---- targets ----
  // Issue 11: the bundle as deployed (log line on) against the aws-jwt-verify handler.
  say('\n== Targets (issue 11; medians, this run only)');
  const tg = [];
  const yes = (b) => (b ? 'HIT' : 'MISS');
  const A = (k) => S[`${k}/anchor`].p50;
  const E = (k) => S[`${k}/edgegate`].p50;
  tg.push(['repeated valid bearer token (cached)', `${f1(E('repeated'))} us`, `${f1(A('repeated'))} us`, '<= 1/5 of the anchor', `${(A('repeated') / E('repeated')).toFixed(2)}x`, yes(5 * E('repeated') <= A('repeated'))]);
  tg.push(['  same, a new URL each request', `${f1(E('spread'))} us`, `${f1(A('spread'))} us`, '(not a target)', `${(A('spread') / E('spread')).toFixed(2)}x`, '']);
  tg.push(['no credential (401)', `${f1(E('none'))} us`, `${f1(A('none'))} us`, '<= 2 us', '', yes(E('none') <= 2)]);
  tg.push(['tampered token (401, verify fails)', `${f1(E('deny'))} us`, `${f1(A('deny'))} us`, '<= the anchor', `${(A('deny') / E('deny')).toFixed(2)}x`, yes(E('deny') <= A('deny'))]);
  if (cold) {
    const p50 = (label, k) => stats(cold[label].map((r) => r[k])).p50;
    const eg = p50('edgegate', 'total');
    const ab = p50('aws-jwt-verify (esbuild, 1 file)', 'total');
    const ap = p50('aws-jwt-verify', 'total');
    tg.push(['import + init + first event (fresh process)', `${ms(eg)} ms (${ms(p50('edgegate', 'init'))} + ${ms(p50('edgegate', 'first'))})`, `${ms(ab)} ms bundled, ${ms(ap)} ms plain`, '<= bundled anchor', `${(ab / eg).toFixed(2)}x`, yes(eg <= ab)]);
  }
  if (rss) {
    const end = (n) => rss[n].filter((x) => x.at !== undefined).at(-1).rss;
    const MiB = (b) => `${(b / 1048576).toFixed(1)} MiB`;
    tg.push([`RSS after ${CFG.rss.toLocaleString('en')} events`, MiB(end('edgegate')), MiB(end('anchor')), 'below the anchor', `${(end('anchor') / end('edgegate')).toFixed(2)}x`, yes(end('edgegate') < end('anchor'))]);
  }
  say(table(['case', 'edgegate', 'aws-jwt-verify handler', 'target', 'anchor / edgegate', 'result'], tg));

  // Issue 3's other targets, for reference.
  const t3 = [];
  t3.push(['first-seen token no slower than aws-jwt-verify handler (p50)', `edgegate ${f1(E('first'))} us vs ${f1(A('first'))} us`, yes(E('first') <= A('first'))]);
  t3.push(['signed cookie >= 5x faster than aws-jwt-verify handler (p50, its repeated token)', `${(A('repeated') / E('cookie')).toFixed(2)}x (${f1(E('cookie'))} vs ${f1(A('repeated'))} us)`, yes(A('repeated') >= 5 * E('cookie'))]);
  if (rss) {
    const q = CFG.rss / 4;
    const pts = (n) => rss[n].filter((x) => x.at !== undefined && (x.at === 0 || x.at >= q)).map((x) => x.rss);
    const e = pts('edgegate'); // e[1]: the first sample at or after the first quarter
    const growth = e[e.length - 1] - e[1];
    const below = NAMES.slice(1).every((n) => e[e.length - 1] < pts(n)[pts(n).length - 1]);
    t3.push(['RSS flat (<= 2 MiB growth from the first quarter to the end) and below both anchors', `growth ${(growth / 1048576).toFixed(1)} MiB; ${(e[e.length - 1] / 1048576).toFixed(1)} MiB vs ${NAMES.slice(1).map((n) => (pts(n)[pts(n).length - 1] / 1048576).toFixed(1)).join(' / ')} MiB`, yes(growth <= 2 * 1048576 && below)]);
  }
  say('\n== Other targets (issue 3)');
  say(table(['target', 'measured', 'result'], t3));
  say(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});

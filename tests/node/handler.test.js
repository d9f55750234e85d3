'use strict';
// The Node.js handler of the built bundle: CloudFront shapes, secret-free logs, fail-closed on a
// wasm trap or exception (then rebuilt), the JWKS refetch on an unknown kid (one per cooldown,
// failure refuses), and the verified-credential cache never changing a verdict.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { bundleDir, copyBundle, freshBundle, repoDir } = require('./helpers.js');

const SRC = bundleDir();
const CONFIG = JSON.parse(fs.readFileSync(path.join(SRC, 'config.json'), 'utf8'));
const JWKS = JSON.parse(fs.readFileSync(path.join(SRC, 'jwks.json'), 'utf8'));
const COGNITO_KEY = fs.readFileSync(path.join(repoDir, 'tests', 'kit', 'keys', 'cognito-test-private.pem'), 'utf8');
const ISSUER = `https://cognito-idp.${CONFIG.cognito.region}.amazonaws.com/${CONFIG.cognito.user_pool_id}`;
const CLIENT = CONFIG.cognito.app_client_ids[0];
const GROUP_ROUTE = CONFIG.routes.find((r) => r.access === 'groups');
const NOW = Math.floor(Date.now() / 1000);

// A fresh copy of the bundle gets its own module state (gate instance, JWKS cooldown).
const freshCopy = (mutateConfig) => freshBundle('bundle', mutateConfig);

function jwt(key, kid, claims) {
  const b64u = (x) => Buffer.from(x).toString('base64url');
  const input = `${b64u(JSON.stringify({ kid, alg: 'RS256' }))}.${b64u(JSON.stringify(claims))}`;
  return `${input}.${b64u(crypto.sign('sha256', Buffer.from(input), key))}`;
}

function claims(extra) {
  return Object.assign(
    { sub: 'u-1', iss: ISSUER, token_use: 'access', client_id: CLIENT, iat: NOW - 10, exp: NOW + 600, 'cognito:groups': GROUP_ROUTE.groups },
    extra,
  );
}

function event(headers, uri) {
  return {
    Records: [{
      cf: {
        config: { distributionDomainName: 'd111111abcdef8.cloudfront.net', distributionId: 'EDFDVBD6EXAMPLE', eventType: 'viewer-request', requestId: 'req-1' },
        request: {
          clientIp: '203.0.113.10',
          method: 'GET',
          uri: uri || `${GROUP_ROUTE.prefix}/1.0.0/app.zip`,
          querystring: '',
          headers: Object.assign({ host: [{ key: 'Host', value: CONFIG.site.domain }] }, headers),
        },
      },
    }],
  };
}

const bearer = (t) => ({ authorization: [{ key: 'Authorization', value: `Bearer ${t}` }] });

function assertCloudFrontResponse(res) {
  assert.strictEqual(typeof res.status, 'string');
  for (const [name, entries] of Object.entries(res.headers)) {
    assert.strictEqual(name, name.toLowerCase());
    for (const h of entries) {
      assert.strictEqual(typeof h.value, 'string');
      assert.ok(!/[\r\n]/.test(h.value), `CR/LF in ${name}`);
    }
  }
  assert.strictEqual(res.headers['cache-control'][0].value, 'no-store');
  assert.ok(JSON.stringify(res).length < 40 * 1024);
}

test('valid bearer token: request forwarded without Authorization; log line has no token', async () => {
  const { handler, logs } = freshCopy();
  const kid = JWKS.keys[0].kid;
  const token = jwt(COGNITO_KEY, kid, claims());
  const out = await handler.handleAt(event(bearer(token)), NOW);
  assert.strictEqual(out.uri, `${GROUP_ROUTE.prefix}/1.0.0/app.zip`);
  assert.strictEqual(out.headers.authorization, undefined);
  assert.strictEqual(logs.length, 1);
  const log = JSON.parse(logs[0]);
  assert.deepStrictEqual([log.decision, log.status, log.reason], ['allow', 200, 'ok']);
  // Built as one string: exactly JSON.stringify of the fields in order, one newline.
  assert.deepStrictEqual(Object.keys(log), ['decision', 'status', 'reason', 'detail', 'route', 'http', 'function', 'latency_us', '_aws']);
  // CloudWatch Embedded Metric Format: every metric a number on the root, every dimension a string.
  assert.strictEqual(log._aws.Timestamp, Math.round(NOW * 1000));
  for (const d of log._aws.CloudWatchMetrics) {
    assert.strictEqual(d.Namespace, 'edgegate');
    for (const m of d.Metrics) assert.strictEqual(typeof log[m.Name], 'number', m.Name);
    for (const set of d.Dimensions) for (const k of set) assert.strictEqual(typeof log[k], 'string', k);
  }
  assert.strictEqual(log.http, '200');
  assert.strictEqual(logs[0], `${JSON.stringify(log)}\n`);
  assert.ok(typeof log.latency_us === 'number');
  assert.ok(!logs[0].includes(token.split('.')[2].slice(0, 20)));
});

test('tampered token: 401 in CloudFront shape, no token in the response or the log', async () => {
  const { handler, logs } = freshCopy();
  const token = jwt(COGNITO_KEY, JWKS.keys[0].kid, claims());
  const tampered = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const res = await handler.handleAt(event(bearer(tampered)), NOW);
  assert.strictEqual(res.status, '401');
  assertCloudFrontResponse(res);
  assert.ok(!JSON.stringify(res).includes(tampered.split('.')[1]));
  assert.ok(!logs.join('\n').includes(tampered.split('.')[1]));
});

test('cache never changes a verdict: the same token is refused once expired', async () => {
  const { handler, logs } = freshCopy();
  const token = jwt(COGNITO_KEY, JWKS.keys[0].kid, claims({ exp: NOW + 60 }));
  for (let i = 0; i < 5; i++) assert.ok((await handler.handleAt(event(bearer(token)), NOW)).uri);
  const leeway = CONFIG.cognito.leeway_seconds || 0;
  const res = await handler.handleAt(event(bearer(token)), NOW + 60 + leeway);
  assert.strictEqual(res.status, '401');
  assert.strictEqual(JSON.parse(logs.at(-1)).detail, 'expired');
  // and a group check still runs per request: same token on a route it lacks the group for
  const other = CONFIG.routes.find((r) => r.access === 'groups' && !r.groups.some((g) => GROUP_ROUTE.groups.includes(g)));
  if (other) {
    const denied = await handler.handleAt(event(bearer(token), `${other.prefix}/x`), NOW);
    assert.strictEqual(denied.status, '403');
  }
});

test('a wasm trap or exception fails closed with 503 no-store, then the instance is rebuilt', async () => {
  const { handler, logs } = freshCopy();
  const token = jwt(COGNITO_KEY, JWKS.keys[0].kid, claims({ sub: 'trap' }));
  const host = globalThis.edgegateHost;
  const original = host.verifySignature;
  host.verifySignature = () => { throw new WebAssembly.RuntimeError('unreachable'); };
  try {
    const res = await handler.handleAt(event(bearer(token)), NOW);
    assert.strictEqual(res.status, '503');
    assertCloudFrontResponse(res);
    assert.strictEqual(JSON.parse(logs.at(-1)).detail, 'wasm_trap');
  } finally {
    host.verifySignature = original;
  }
  const again = await handler.handleAt(event(bearer(token)), NOW);
  assert.strictEqual(again.uri, `${GROUP_ROUTE.prefix}/1.0.0/app.zip`);
});

function jwksServer(respond) {
  const hits = { count: 0 };
  const server = http.createServer((req, res) => {
    hits.count++;
    respond(req, res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, hits, url: `http://127.0.0.1:${server.address().port}/jwks.json` })));
}

test('unknown kid: one JWKS refetch per cooldown adds the new key; repeats do not refetch', async () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const rotated = { keys: [...JWKS.keys, { kty: 'RSA', kid: 'rotated-1', alg: 'RS256', use: 'sig', n: jwk.n, e: jwk.e }] };
  const { server, hits, url } = await jwksServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(rotated));
  });
  try {
    const { handler } = freshCopy((cfg) => { cfg.cognito.jwks_url = url; delete cfg.cognito.jwks_file; });
    const token = jwt(privateKey, 'rotated-1', claims());
    const out = await handler.handleAt(event(bearer(token)), NOW);
    assert.ok(out.uri, 'the rotated key was fetched and the token admitted');
    assert.strictEqual(hits.count, 1);
    const stranger = jwt(privateKey, 'never-seen', claims());
    for (let i = 0; i < 3; i++) {
      const res = await handler.handleAt(event(bearer(stranger)), NOW);
      assert.strictEqual(res.status, '401');
    }
    assert.strictEqual(hits.count, 1, 'no refetch inside the cooldown');
  } finally {
    server.close();
  }
});

test('JWKS outage on an unknown kid refuses the request (never admits)', async () => {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { server, hits, url } = await jwksServer((req, res) => {
    res.writeHead(500);
    res.end('down');
  });
  try {
    const { handler, logs } = freshCopy((cfg) => { cfg.cognito.jwks_url = url; delete cfg.cognito.jwks_file; });
    const res = await handler.handleAt(event(bearer(jwt(privateKey, 'rotated-2', claims()))), NOW);
    assert.strictEqual(res.status, '401');
    assert.strictEqual(hits.count, 1);
    assert.strictEqual(JSON.parse(logs.at(-1)).detail, 'unknown_kid');
  } finally {
    server.close();
  }
  // and with nothing listening at all
  const { handler } = freshCopy((cfg) => { cfg.cognito.jwks_url = 'http://127.0.0.1:9/jwks.json'; delete cfg.cognito.jwks_file; });
  const res = await handler.handleAt(event(bearer(jwt(privateKey, 'rotated-3', claims()))), NOW);
  assert.strictEqual(res.status, '401');
});

test('malformed event shape fails closed with 503', async () => {
  const { handler } = freshCopy();
  const res = await handler.handleAt({ Records: [] }, NOW);
  assert.strictEqual(res.status, '503');
  assertCloudFrontResponse(res);
});

test('the original request object is edited in place: unread members, headers and keys untouched', async () => {
  const { handler, logs } = freshCopy();
  const token = jwt(COGNITO_KEY, JWKS.keys[0].kid, claims());
  const ev = event({
    ...bearer(token),
    'x-custom': [{ key: 'X-CuStOm', value: 'one' }, { value: 'two, no key' }],
    cookie: [{ key: 'cookie', value: 'a=1; CloudFront-Policy=x' }, { key: 'Cookie', value: 'b=é😀' }],
  });
  const request = ev.Records[0].cf.request;
  request.body = { action: 'read-only', data: '', encoding: 'base64', inputTruncated: false };
  request.querystring = 'q=ü&x=1';
  const before = structuredClone(request);
  const out = await handler.handleAt(ev, NOW);
  assert.strictEqual(out, request, 'the same object is forwarded');
  assert.strictEqual(JSON.parse(logs.at(-1)).decision, 'allow');
  assert.strictEqual(out.headers.authorization, undefined);
  assert.deepStrictEqual(out.headers.cookie, [{ key: 'Cookie', value: 'a=1; b=é😀' }]);
  const rest = (r) => { const c = structuredClone(r); delete c.headers.authorization; delete c.headers.cookie; return c; };
  assert.deepStrictEqual(rest(out), rest(before));
});

test('a read header with many entries (more than the first length table holds) is read whole', async () => {
  const { handler, logs } = freshCopy();
  const token = jwt(COGNITO_KEY, JWKS.keys[0].kid, claims());
  const many = Array.from({ length: 200 }, (_, i) => ({ key: 'Cookie', value: `c${i}=${i}` }));
  const out = await handler.handleAt(event({ ...bearer(token), cookie: many }), NOW);
  assert.strictEqual(JSON.parse(logs.at(-1)).decision, 'allow');
  assert.deepStrictEqual(out.headers.cookie, [{ key: 'Cookie', value: many.map((c) => c.value).join('; ') }]);
  // And the next, ordinary request still frames correctly.
  const again = await handler.handleAt(event(bearer(token)), NOW);
  assert.strictEqual(again.headers.authorization, undefined);
  assert.strictEqual(JSON.parse(logs.at(-1)).decision, 'allow');
});

test('every entry of a read header is seen: two Authorization entries are refused', async () => {
  const { handler, logs } = freshCopy();
  const token = jwt(COGNITO_KEY, JWKS.keys[0].kid, claims());
  const two = { authorization: [{ key: 'Authorization', value: `Bearer ${token}` }, { key: 'Authorization', value: `Bearer ${token}` }] };
  const res = await handler.handleAt(event(two), NOW);
  assert.strictEqual(res.status, '400');
  assert.strictEqual(JSON.parse(logs.at(-1)).detail, 'multiple_authorization_headers');
});

test('a request member or read header of the wrong type fails closed with 503 event_shape', async () => {
  const { handler, logs } = freshCopy();
  const token = jwt(COGNITO_KEY, JWKS.keys[0].kid, claims());
  const shapes = [
    (r) => { r.uri = 42; },
    (r) => { r.querystring = null; },
    (r) => { r.headers = 'host: x'; },
    (r) => { r.headers.authorization = { value: `Bearer ${token}` }; },
    (r) => { r.headers.cookie = [{ key: 'Cookie' }]; },
    (r) => { r.headers.cookie = [null]; },
    (r) => { r.headers.host = [{ key: 'Host', value: 'a\ud800' }]; },
  ];
  for (const mutate of shapes) {
    const ev = event(bearer(token));
    mutate(ev.Records[0].cf.request);
    const res = await handler.handleAt(ev, NOW);
    assert.strictEqual(res.status, '503', String(mutate));
    assertCloudFrontResponse(res);
    assert.strictEqual(JSON.parse(logs.at(-1)).detail, 'event_shape');
  }
  // The gate was kept: a good request right after is decided normally.
  const ok = await handler.handleAt(event(bearer(token)), NOW);
  assert.strictEqual(ok.headers.authorization, undefined);
  assert.strictEqual(typeof ok.uri, 'string');
});

test('requests decided while a JWKS refetch is pending keep their own verdicts', async () => {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { server, hits, url } = await jwksServer((req, res) => {
    // Slow, and without the unknown kid: the refetch adds nothing.
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(JWKS));
    }, 200);
  });
  try {
    const { handler } = freshCopy((cfg) => { cfg.cognito.jwks_url = url; delete cfg.cognito.jwks_file; });
    const good = jwt(COGNITO_KEY, JWKS.keys[0].kid, claims());
    const stranger = handler.handleAt(event(bearer(jwt(privateKey, 'rotated-4', claims()))), NOW);
    const others = [];
    for (let i = 0; i < 5; i++) {
      others.push(handler.handleAt(event(bearer(good)), NOW));
      others.push(handler.handleAt(event({}), NOW));
    }
    const settled = await Promise.all(others);
    for (let i = 0; i < settled.length; i += 2) {
      assert.strictEqual(typeof settled[i].uri, 'string', 'the valid token is admitted');
      assert.strictEqual(settled[i].headers.authorization, undefined);
      assert.strictEqual(settled[i + 1].status, '401', 'no credential is refused');
    }
    const res = await stranger;
    assert.strictEqual(res.status, '401', 'the unknown kid is still refused after the refetch');
    assert.strictEqual(hits.count, 1);
  } finally {
    server.close();
  }
});

test('a config the gate refuses: one init_error line with EMF (a 503 unavailable), then 503s', async () => {
  const { spawnSync } = require('node:child_process');
  const dir = copyBundle('init', (cfg) => { cfg.version = 2; });
  const script = `const h = require(${JSON.stringify(path.join(dir, 'index.js'))});
    h.logSink = () => {};
    h.handleAt(${JSON.stringify(event({}))}, ${NOW}).then((r) => process.stderr.write(r.status));`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.strictEqual(run.status, 0, run.stderr);
  assert.strictEqual(run.stderr, '503', 'requests are answered 503 while the config is refused');
  const out = run.stdout;
  const lines = out.trim().split('\n');
  assert.strictEqual(lines.length, 1, out);
  const line = JSON.parse(lines[0]);
  assert.deepStrictEqual(
    [line.decision, line.status, line.reason, line.detail, line.http, line.route],
    ['init_error', 503, 'unavailable', 'init_error', '503', null],
  );
  assert.match(line.error, /version/);
  const emf = line._aws.CloudWatchMetrics[0];
  assert.strictEqual(emf.Namespace, 'edgegate');
  assert.deepStrictEqual(emf.Dimensions, [['function', 'http', 'reason']]);
  assert.strictEqual(typeof line._aws.Timestamp, 'number');
  assert.strictEqual(line.latency_us, 0);
});

'use strict';
// The JWKS refetch of the built bundle against slow and hostile JWKS endpoints (catalogue FLT-02,
// FLT-05; the key rules JWT-K-11..14 on a fetched set). A token under a kid that only the fetched
// document names must never be admitted unless the document is a good JWKS; the request is
// answered well inside the 5 s viewer-request limit; the keys baked into the bundle keep working.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { bundleDir, copyBundle, repoDir } = require('./helpers.js');

const SRC = bundleDir();
const CONFIG = JSON.parse(fs.readFileSync(path.join(SRC, 'config.json'), 'utf8'));
const JWKS = JSON.parse(fs.readFileSync(path.join(SRC, 'jwks.json'), 'utf8'));
const POOL_KEY = fs.readFileSync(path.join(repoDir, 'tests', 'kit', 'keys', 'cognito-test-private.pem'), 'utf8');
const ISSUER = `https://cognito-idp.${CONFIG.cognito.region}.amazonaws.com/${CONFIG.cognito.user_pool_id}`;
const ROUTE = CONFIG.routes.find((r) => r.access === 'groups');
const NOW = Math.floor(Date.now() / 1000);

// Its own copy of the bundle (own cooldown state), the JWKS URL pointing at `url`.
function bundleFetchingFrom(url) {
  const dir = copyBundle('jwks', (cfg) => {
    cfg.cognito.jwks_url = url;
    delete cfg.cognito.jwks_file;
  });
  const handler = require(path.join(dir, 'index.js'));
  const logs = [];
  handler.logSink = (line) => logs.push(JSON.parse(line)); // one JSON line per decision
  return { handler, logs };
}

function signJwt(key, kid, exp = NOW + 600) {
  const b64u = (x) => Buffer.from(x).toString('base64url');
  const claims = {
    sub: 'u-1', iss: ISSUER, token_use: 'access', client_id: CONFIG.cognito.app_client_ids[0],
    iat: NOW - 10, exp, 'cognito:groups': ROUTE.groups,
  };
  const input = `${b64u(JSON.stringify({ kid, alg: 'RS256' }))}.${b64u(JSON.stringify(claims))}`;
  return `${input}.${b64u(crypto.sign('sha256', Buffer.from(input), key))}`;
}

function request(token) {
  return {
    Records: [{
      cf: {
        config: { distributionDomainName: 'd111111abcdef8.cloudfront.net', distributionId: 'EDFDVBD6EXAMPLE', eventType: 'viewer-request', requestId: 'jwks-1' },
        request: {
          clientIp: '203.0.113.10',
          method: 'GET',
          uri: `${ROUTE.prefix}/1.0.0/app.zip`,
          querystring: '',
          headers: {
            host: [{ key: 'Host', value: CONFIG.site.domain }],
            authorization: [{ key: 'Authorization', value: `Bearer ${token}` }],
          },
        },
      },
    }],
  };
}

function serve(respond) {
  const hits = { count: 0 };
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    hits.count++;
    respond(req, res);
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  const close = () => { for (const s of sockets) s.destroy(); server.close(); };
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ hits, close, url: `http://127.0.0.1:${server.address().port}/jwks.json` })));
}

const rsaJwk = (publicKey, kid, extra) => Object.assign(
  { kty: 'RSA', kid, alg: 'RS256', use: 'sig' },
  (({ n, e }) => ({ n, e }))(publicKey.export({ format: 'jwk' })),
  extra,
);

// Serves `body(kid, publicKey)` for a fresh key pair; asserts the token under `kid` is refused
// after exactly one fetch, and that the baked pool key still admits.
async function refusedAfterFetch(kid, respond) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { hits, close, url } = await serve((req, res) => respond(req, res, publicKey));
  try {
    const { handler, logs } = bundleFetchingFrom(url);
    const started = Date.now();
    const out = await handler.handleAt(request(signJwt(privateKey, kid)), NOW);
    const took = Date.now() - started;
    assert.strictEqual(out.status, '401', 'never admitted');
    assert.strictEqual(logs.at(-1).detail, 'unknown_kid');
    assert.strictEqual(hits.count, 1);
    assert.ok(took < 2500, `answered in ${took} ms`);
    const baked = await handler.handleAt(request(signJwt(POOL_KEY, JWKS.keys[0].kid)), NOW);
    assert.ok(baked.uri, 'the baked key still admits');
  } finally {
    close();
  }
}

const json = (res, status, value, headers) => {
  res.writeHead(status, Object.assign({ 'content-type': 'application/json' }, headers));
  res.end(typeof value === 'string' ? value : JSON.stringify(value));
};

test('slow JWKS endpoint: the request is refused within the fetch deadline (FLT-02)', async () => {
  await refusedAfterFetch('slow-1', (req, res, pub) => {
    setTimeout(() => json(res, 200, { keys: [rsaJwk(pub, 'slow-1')] }), 4000);
  });
});

test('JWKS endpoint trickling bytes: refused within the deadline (FLT-02)', async () => {
  await refusedAfterFetch('trickle-1', (req, res, pub) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const text = JSON.stringify({ keys: [rsaJwk(pub, 'trickle-1')] });
    let i = 0;
    const timer = setInterval(() => {
      if (i >= text.length || res.destroyed) { clearInterval(timer); res.end(); return; }
      res.write(text[i++]);
    }, 200);
  });
});

test('hostile JWKS documents are not trusted (FLT-05)', async () => {
  const cases = {
    html: (res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>hi</html>'); },
    'empty object': (res) => json(res, 200, {}),
    'keys not an array': (res) => json(res, 200, { keys: {} }),
    'server error with keys': (res, pub) => json(res, 500, { keys: [rsaJwk(pub, 'hostile')] }),
    'redirect to another host': (res) => { res.writeHead(302, { location: 'http://127.0.0.2:9/jwks.json' }); res.end(); },
    'over 64 KiB': (res, pub) => json(res, 200, { keys: [rsaJwk(pub, 'hostile')], pad: 'x'.repeat(70 * 1024) }),
    'more than 20 keys': (res, pub) => json(res, 200, {
      keys: Array.from({ length: 21 }, (_, i) => rsaJwk(pub, i === 0 ? 'hostile' : `k${i}`)),
    }),
  };
  for (const [name, respond] of Object.entries(cases)) {
    await test.test(name, () => refusedAfterFetch('hostile', (req, res, pub) => respond(res, pub)));
  }
});

test('fetched keys obey the JWKS key rules (JWT-K-11, -12, -13, -14)', async () => {
  const weak = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
  const e3 = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
  const cases = {
    '1024-bit key signs the token': [weak.privateKey, (kid) => [rsaJwk(weak.publicKey, kid)]],
    'exponent 3': [e3.privateKey, (kid) => [rsaJwk(e3.publicKey, kid)]],
  };
  for (const [name, [key, keys]] of Object.entries(cases)) {
    await test.test(name, async () => {
      const { hits, close, url } = await serve((req, res) => json(res, 200, { keys: keys('rule-1') }));
      try {
        const { handler } = bundleFetchingFrom(url);
        const out = await handler.handleAt(request(signJwt(key, 'rule-1')), NOW);
        assert.strictEqual(out.status, '401');
        assert.strictEqual(hits.count, 1);
      } finally {
        close();
      }
    });
  }
  const flagged = {
    'use enc': { use: 'enc' },
    'key_ops encrypt only': { key_ops: ['encrypt'] },
    'alg RS512': { alg: 'RS512' },
  };
  for (const [name, extra] of Object.entries(flagged)) {
    await test.test(name, () => refusedAfterFetch('flagged', (req, res, pub) => json(res, 200, { keys: [rsaJwk(pub, 'flagged', extra)] })));
  }
  await test.test('duplicate kid', () => refusedAfterFetch('twice', (req, res, pub) => json(res, 200, {
    keys: [rsaJwk(pub, 'twice'), rsaJwk(pub, 'twice')],
  })));
});

test('a failed JWKS fetch also starts the cooldown: a kid storm makes one fetch (FLT-03, B33)', async () => {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { hits, close, url } = await serve((req, res) => { res.writeHead(503); res.end('busy'); });
  try {
    const { handler } = bundleFetchingFrom(url);
    const started = Date.now();
    for (let i = 0; i < 50; i++) {
      const out = await handler.handleAt(request(signJwt(privateKey, `storm-${i}`)), NOW);
      assert.strictEqual(out.status, '401');
    }
    assert.strictEqual(hits.count, 1, 'one fetch per cooldown, failures included');
    assert.ok(Date.now() - started < 2500);
  } finally {
    close();
  }
});

test('keys added by a refetch are dropped after 600 s: a rotated-out kid stops verifying, a failing reload fails closed (FLT-04)', async () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  let phase = 'up';
  const { hits, close, url } = await serve((req, res) => {
    if (phase === 'down') { res.writeHead(503); res.end('busy'); return; }
    json(res, 200, { keys: phase === 'rotated' ? [] : [rsaJwk(publicKey, 'rotating')] });
  });
  try {
    const { handler, logs } = bundleFetchingFrom(url);
    const token = signJwt(privateKey, 'rotating', NOW + 7200);
    const at = async (t) => handler.handleAt(request(token), t);
    assert.ok((await at(NOW)).uri, 'admitted once fetched');
    assert.strictEqual(hits.count, 1);
    assert.ok((await at(NOW + 599)).uri, 'kept for 599 s without another fetch');
    assert.strictEqual(hits.count, 1);

    // At 600 s the fetched key is gone; the reload fails: refused, not served from the old key.
    phase = 'down';
    const down = await at(NOW + 600);
    assert.strictEqual(down.status, '401');
    assert.strictEqual(logs.at(-1).detail, 'unknown_kid');
    assert.strictEqual(hits.count, 2);

    // The pool rotated the kid out: a later reload does not bring it back.
    phase = 'rotated';
    assert.strictEqual((await at(NOW + 611)).status, '401');
    assert.strictEqual(hits.count, 3);

    // The baked key admitted throughout; a kid the pool serves again is fetched again.
    assert.ok((await handler.handleAt(request(signJwt(POOL_KEY, JWKS.keys[0].kid, NOW + 7200)), NOW + 611)).uri);
    phase = 'up';
    assert.ok((await at(NOW + 622)).uri, 'the kid is back in the pool: admitted after a fetch');
    assert.strictEqual(hits.count, 4);
  } finally {
    close();
  }
});

test('an unknown kid refetches the JWKS of the token\'s own issuer, each issuer with its own cooldown', async () => {
  const ci = CONFIG.issuers.find((i) => i.kind === 'oidc');
  const route = CONFIG.routes.find((r) => (r.issuers || []).includes(ci.id) && r.claims);
  const ciKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const poolKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ciServer = await serve((req, res) => json(res, 200, { keys: [rsaJwk(ciKey.publicKey, 'ci-rotated')] }));
  const poolServer = await serve((req, res) => json(res, 200, { keys: [rsaJwk(poolKey.publicKey, 'pool-rotated')] }));
  try {
    const dir = copyBundle('issuers', (cfg) => {
      cfg.cognito.jwks_url = poolServer.url;
      delete cfg.cognito.jwks_file;
      cfg.issuers.find((i) => i.id === ci.id).jwks_url = ciServer.url;
    });
    const handler = require(path.join(dir, 'index.js'));
    const logs = [];
    handler.logSink = (line) => logs.push(JSON.parse(line));
    const b64u = (x) => Buffer.from(x).toString('base64url');
    const claims = Object.fromEntries(route.claims ? Object.entries(route.claims).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]) : []);
    Object.assign(claims, { sub: 'repo:example-org/app:environment:prod', iss: ci.issuer, aud: ci.audiences[0], iat: NOW - 5, exp: NOW + 300 });
    const input = `${b64u(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: 'ci-rotated' }))}.${b64u(JSON.stringify(claims))}`;
    const ciToken = `${input}.${b64u(crypto.sign('sha256', Buffer.from(input), ciKey.privateKey))}`;
    const event = request(ciToken);
    event.Records[0].cf.request.uri = `${route.prefix}/app/1.0.0/app.tar.gz`;
    const out = await handler.handleAt(event, NOW);
    assert.ok(out.uri, `the CI token is admitted with the CI issuer's fetched key: ${JSON.stringify(logs.at(-1))}`);
    assert.deepStrictEqual([ciServer.hits.count, poolServer.hits.count], [1, 0], 'only the CI issuer\'s JWKS was fetched');
    // One second later, within the CI issuer's cooldown: the pool's own refetch still happens.
    const pooled = await handler.handleAt(request(signJwt(poolKey.privateKey, 'pool-rotated')), NOW + 1);
    assert.ok(pooled.uri, 'the pool token is admitted with the pool\'s fetched key');
    assert.deepStrictEqual([ciServer.hits.count, poolServer.hits.count], [1, 1]);
    // The CI issuer's fetched key never verifies a token naming the pool.
    const crossed = await handler.handleAt(request(signJwt(ciKey.privateKey, 'ci-rotated')), NOW + 2);
    assert.strictEqual(crossed.status, '401');
    assert.strictEqual(logs.at(-1).detail, 'unknown_kid');
  } finally {
    ciServer.close();
    poolServer.close();
  }
});

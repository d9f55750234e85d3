'use strict';
// The pages people see, through the built bundle (issue 13): a refused browser navigation gets
// the gate's HTML page with its CSP, curl the reason code as text; the origin-response path turns
// an origin 404 into the 404 page (or `not_found`), keeps the headers Lambda@Edge makes
// read-only, passes every other response untouched, and fails to the origin's own 404. Operator
// pages baked into config.json replace the built-in ones.

const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { bundleDir, freshBundle } = require('./helpers.js');

const SRC = bundleDir();
const CONFIG = JSON.parse(fs.readFileSync(path.join(SRC, 'config.json'), 'utf8'));
const GROUP_ROUTE = CONFIG.routes.find((r) => r.access === 'groups');
const NOW = Math.floor(Date.now() / 1000);
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const freshCopy = (mutateConfig) => freshBundle('pages', mutateConfig);

const NAVIGATE = {
  accept: [{ key: 'Accept', value: 'text/html,application/xhtml+xml,*/*;q=0.8' }],
  'sec-fetch-mode': [{ key: 'Sec-Fetch-Mode', value: 'navigate' }],
};
const CURL = { accept: [{ key: 'Accept', value: '*/*' }] };

function request(headers, uri, host) {
  return {
    clientIp: '203.0.113.10',
    method: 'GET',
    uri,
    querystring: '',
    headers: Object.assign({ host: [{ key: 'Host', value: host || CONFIG.site.domain }] }, headers),
  };
}

function viewerEvent(headers, uri) {
  return { Records: [{ cf: { config: { eventType: 'viewer-request', requestId: 'r' }, request: request(headers, uri) } }] };
}

// An origin-response event as CloudFront gives it for S3: the request as forwarded to the origin
// (host is the bucket's; Accept and Sec-Fetch-Mode forwarded by the origin request policy).
function originEvent(headers, status) {
  return {
    Records: [{
      cf: {
        config: { eventType: 'origin-response', requestId: 'r' },
        request: request(headers, `${GROUP_ROUTE.prefix}/9.9.9/missing.zip`, 'artifacts.s3.us-east-1.amazonaws.com'),
        response: {
          status,
          statusDescription: status === '404' ? 'Not Found' : 'OK',
          headers: {
            'content-type': [{ key: 'Content-Type', value: 'application/xml' }],
            'content-length': [{ key: 'Content-Length', value: '243' }],
            'transfer-encoding': [{ key: 'Transfer-Encoding', value: 'chunked' }],
            via: [{ key: 'Via', value: '1.1 abc.cloudfront.net (CloudFront)' }],
            'x-amz-request-id': [{ key: 'x-amz-request-id', value: 'R1' }],
          },
        },
      },
    }],
  };
}

const value = (res, name) => (res.headers[name] ? res.headers[name][0].value : undefined);

test('a refused browser navigation gets the HTML page with its CSP; curl gets the reason code', async () => {
  const { handler } = freshCopy();
  const uri = `${GROUP_ROUTE.prefix}/1.0.0/app.zip`;
  const page = await handler.handleAt(viewerEvent(NAVIGATE, uri), NOW);
  assert.strictEqual(page.status, '401');
  assert.strictEqual(value(page, 'content-type'), 'text/html; charset=utf-8');
  assert.strictEqual(value(page, 'content-security-policy'), CSP);
  assert.strictEqual(value(page, 'cache-control'), 'no-store');
  assert.match(page.body, /^<!doctype html>/);
  assert.match(page.body, /<code>401 missing_credential<\/code>/);
  assert.ok(!page.body.includes(GROUP_ROUTE.prefix), 'the path is not reflected');
  const text = await handler.handleAt(viewerEvent(CURL, uri), NOW);
  assert.strictEqual(text.status, '401');
  assert.strictEqual(text.body, 'missing_credential\n');
  assert.strictEqual(value(text, 'content-type'), 'text/plain; charset=utf-8');
  assert.strictEqual(value(text, 'content-security-policy'), undefined);
  // the memo keys on Accept and Sec-Fetch-Mode: repeats keep their own variant
  assert.strictEqual((await handler.handleAt(viewerEvent(NAVIGATE, uri), NOW)).status, '401');
  assert.match((await handler.handleAt(viewerEvent(NAVIGATE, uri), NOW)).body, /^<!doctype html>/);
  assert.strictEqual((await handler.handleAt(viewerEvent(CURL, uri), NOW)).body, 'missing_credential\n');
  // no route: the 403 page
  const none = await handler.handleAt(viewerEvent(NAVIGATE, '/nowhere/x'), NOW);
  assert.strictEqual(none.status, '403');
  assert.match(none.body, /<code>403 no_route<\/code>/);
});

test('origin-response: an origin 404 becomes the 404 page or not_found, read-only headers kept', async () => {
  const { handler, logs } = freshCopy();
  const page = await handler.handler(originEvent(NAVIGATE, '404'));
  assert.strictEqual(page.status, '404');
  assert.strictEqual(value(page, 'content-type'), 'text/html; charset=utf-8');
  assert.strictEqual(value(page, 'content-security-policy'), CSP);
  assert.strictEqual(value(page, 'cache-control'), 'no-store');
  assert.match(page.body, /<title>Not found<\/title>/);
  assert.ok(!page.body.includes('missing.zip'));
  assert.strictEqual(value(page, 'transfer-encoding'), 'chunked');
  assert.strictEqual(value(page, 'via'), '1.1 abc.cloudfront.net (CloudFront)');
  assert.strictEqual(page.headers['content-length'], undefined, "S3's length no longer applies");
  assert.strictEqual(page.headers['x-amz-request-id'], undefined);
  const text = await handler.originResponseAt(originEvent(CURL, '404'), NOW);
  assert.strictEqual(text.body, 'not_found\n');
  assert.strictEqual(value(text, 'content-type'), 'text/plain; charset=utf-8');
  assert.strictEqual(logs.length, 2);
  const line = JSON.parse(logs[0]);
  assert.deepStrictEqual([line.decision, line.status, line.reason, line.detail], ['not_found', 404, 'not_found', 'origin_404']);
  // a 200 (or a 403) passes untouched and unlogged
  for (const status of ['200', '403', '304']) {
    const ev = originEvent(NAVIGATE, status);
    const before = JSON.stringify(ev.Records[0].cf.response);
    const out = await handler.originResponseAt(ev, NOW);
    assert.strictEqual(JSON.stringify(out), before);
    assert.strictEqual(out.body, undefined);
  }
  assert.strictEqual(logs.length, 2);
});

test("origin-response: a request the frame cannot carry leaves the origin's 404", async () => {
  const { handler, logs } = freshCopy();
  const ev = originEvent(NAVIGATE, '404');
  ev.Records[0].cf.request.headers.accept = [{ key: 'Accept', value: 42 }];
  const out = await handler.originResponseAt(ev, NOW);
  assert.strictEqual(out.status, '404');
  assert.strictEqual(out.body, undefined);
  assert.strictEqual(value(out, 'content-type'), 'application/xml');
  assert.strictEqual(JSON.parse(logs[0]).detail, 'event_shape');
});

test('operator pages baked into config.json replace the built-in ones', async () => {
  const { handler } = freshCopy((cfg) => {
    cfg.pages = { unauthorized: '<!doctype html><p>Who? {{status}}</p>', not_found: '<!doctype html><p>Gone: {{reason}}</p>' };
  });
  const page = await handler.handleAt(viewerEvent(NAVIGATE, `${GROUP_ROUTE.prefix}/1.0.0/app.zip`), NOW);
  assert.strictEqual(page.body, '<!doctype html><p>Who? 401</p>');
  const gone = await handler.originResponseAt(originEvent(NAVIGATE, '404'), NOW);
  assert.strictEqual(gone.body, '<!doctype html><p>Gone: not_found</p>');
});

test('the event type decides the path: a viewer request with a response member is still gated; other types fail closed', async () => {
  const { handler, logs } = freshCopy();
  const uri = `${GROUP_ROUTE.prefix}/1.0.0/app.zip`;
  // A viewer-request event that also carries `response` is decided by the gate, never passed.
  const sneaky = viewerEvent(CURL, uri);
  sneaky.Records[0].cf.response = { status: '200', headers: {} };
  const gated = await handler.handler(sneaky);
  assert.strictEqual(gated.status, '401');
  assert.strictEqual(gated.body, 'missing_credential\n');
  // A viewer-response association (made by hand) is refused, not decided or rewritten.
  const vr = originEvent(NAVIGATE, '404');
  vr.Records[0].cf.config.eventType = 'viewer-response';
  const refused = await handler.handler(vr);
  assert.strictEqual(refused.status, '503');
  assert.strictEqual(JSON.parse(logs[logs.length - 1]).detail, 'event_shape');
  // An origin-response event without a response: 503, nothing passed through.
  const empty = originEvent(NAVIGATE, '404');
  delete empty.Records[0].cf.response;
  assert.strictEqual((await handler.handler(empty)).status, '503');
  // The origin-response line carries no EMF (the viewer request's line counted the request).
  await handler.handler(originEvent(CURL, '404'));
  const line = JSON.parse(logs[logs.length - 1]);
  assert.strictEqual(line.decision, 'not_found');
  assert.strictEqual(line._aws, undefined);
});

// A channel link as S3 returns it to origin-response: an empty 200 carrying the link metadata.
function linkEvent(location) {
  const ev = originEvent(CURL, '200');
  ev.Records[0].cf.request.uri = '/releases/channels/stable/app.zip';
  const h = ev.Records[0].cf.response.headers;
  h['content-length'] = [{ key: 'Content-Length', value: '0' }];
  h.etag = [{ key: 'ETag', value: '"d41d8cd98f00b204e9800998ecf8427e"' }];
  if (location !== undefined) h['x-amz-meta-edgegate-location'] = [{ key: 'x-amz-meta-edgegate-location', value: location }];
  return ev;
}

test('origin-response: a channel link becomes a 302 to the versioned path, cacheable 60 s', async () => {
  const { handler, logs } = freshCopy();
  const out = await handler.handler(linkEvent('/releases/1.2.0/app.zip'));
  assert.strictEqual(out.status, '302');
  assert.strictEqual(value(out, 'location'), '/releases/1.2.0/app.zip');
  assert.strictEqual(value(out, 'cache-control'), 'max-age=60');
  assert.strictEqual(out.body, '');
  assert.strictEqual(value(out, 'transfer-encoding'), 'chunked', 'read-only headers kept');
  assert.strictEqual(value(out, 'via'), '1.1 abc.cloudfront.net (CloudFront)');
  for (const gone of ['etag', 'content-length', 'content-type', 'x-amz-meta-edgegate-location', 'x-amz-request-id']) {
    assert.strictEqual(out.headers[gone], undefined, gone);
  }
  const line = JSON.parse(logs[logs.length - 1]);
  assert.deepStrictEqual([line.decision, line.status, line.detail], ['redirect', 302, 'channel']);
  // Percent-encoded paths are kept as written.
  assert.strictEqual(value(await handler.handler(linkEvent('/releases/1.2.0/docs/new%20notes.txt')), 'location'), '/releases/1.2.0/docs/new%20notes.txt');
  // An ordinary object (no link metadata) passes untouched.
  const plain = linkEvent(undefined);
  const before = JSON.stringify(plain.Records[0].cf.response);
  assert.strictEqual(JSON.stringify(await handler.handler(plain)), before);
});

test('origin-response: a link that is not a plain path of this site is answered 503, never followed', async () => {
  const { handler, logs } = freshCopy();
  for (const bad of ['//evil.example/x', 'https://evil.example/x', '/releases/../secret', '/releases/./x', '/a//b', '/a b', '/a\r\nSet-Cookie: x=1', '', `/${'a'.repeat(2048)}`]) {
    const out = await handler.handler(linkEvent(bad));
    assert.strictEqual(out.status, '503', JSON.stringify(bad));
    assert.strictEqual(out.headers.location, undefined);
    const line = JSON.parse(logs[logs.length - 1]);
    assert.strictEqual(line.detail, 'bad_channel_link');
    assert.ok(!logs[logs.length - 1].includes('evil'), 'the location is not logged');
  }
});

'use strict';
// The handler's memo of stable verdicts (edge/js/index.js; the `s` op of edge/src/boundary.rs):
// a repeated frame is answered without calling the gate, with exactly the gate's answer and log
// line, only inside the verdict's window, and never for a frame that merely concatenates to the
// same text. The native side (edge/tests/boundary.rs) proves the window against the gate.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { bundleDir, repoDir } = require('./helpers.js');

const handler = require(path.join(bundleDir(), 'index.js'));
let lines = [];
handler.logSink = (line) => { lines.push(line); };

const casesDir = path.join(repoDir, 'tests', 'corpus', 'cases');
const cases = fs.readdirSync(casesDir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => ({ file: f, ...JSON.parse(fs.readFileSync(path.join(casesDir, f), 'utf8')) }));
const byFile = (prefix) => {
  const c = cases.find((k) => k.file.startsWith(prefix));
  if (c === undefined) throw new Error(`no corpus case ${prefix}`);
  return c;
};

// Decides `event` at `now`: the answer, the log line without latency, whether the memo answered.
async function decide(event, now) {
  const before = handler.memoStats().hits;
  lines = [];
  const out = await handler.handleAt(structuredClone(event), now);
  assert.strictEqual(lines.length, 1);
  const log = JSON.parse(lines[0]);
  // Only the latency and the time vary per request; the time is the request's own.
  delete log.latency_us;
  assert.strictEqual(log._aws.Timestamp, Math.round(now * 1000));
  delete log._aws.Timestamp;
  return { out, log, memo: handler.memoStats().hits - before };
}

// Details decided with no credential examined, or by a verified credential: memoised.
const STABLE = new Set([
  'public_route', 'valid_token', 'valid_signed_url', 'valid_signed_cookies', 'not_in_group',
  'missing_scope', 'not_in_group_or_scope', 'issuer_not_trusted', 'claim_mismatch',
  'no_credential', 'no_signature', 'no_route', 'method_not_allowed', 'host', 'query_bad_character',
  'url_too_large', 'cookie_too_large', 'multiple_authorization_headers', 'authorization_not_bearer',
  'bearer_not_accepted_on_signed_route', 'sign_in_loop', 'network', 'network_not_allowed', 'trailing_slash',
]);

test('a repeated corpus request gets the same answer and log line, from the memo when stable', async () => {
  let hits = 0;
  let refused = 0;
  for (const c of cases) {
    const first = await decide(c.event, c.now);
    const again = await decide(c.event, c.now);
    assert.deepStrictEqual(again.out, first.out, c.name);
    assert.deepStrictEqual(again.log, first.log, c.name);
    if (first.log.decision === 'allow') {
      assert.strictEqual(again.memo, 1, `${c.name}: every allow is memoised`);
    }
    if (!STABLE.has(first.log.detail) && !first.log.detail.startsWith('path_')) {
      assert.strictEqual(again.memo, 0, `${c.name}: ${first.log.detail} is decided by the gate every time`);
      refused++;
    }
    hits += again.memo;
  }
  assert.ok(hits >= 60 && refused >= 40, `memo answered ${hits}, gate kept ${refused}`);
});

test('a memoised token allow ends when the token expires, and is not used before it was made', async () => {
  const c = byFile('001-bearer-id-token-in-group-allow');
  const token = c.event.Records[0].cf.request.headers.authorization[0].value.split(' ')[1];
  const { exp } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  const leeway = 0; // tests/corpus/config.json sets none
  // The first test memoised this frame at c.now: earlier than that, the gate decides.
  const at = c.now - 50;
  const first = await decide(c.event, at);
  assert.deepStrictEqual([first.log.detail, first.memo], ['valid_token', 0]);
  const later = await decide(c.event, exp + leeway - 0.5);
  assert.deepStrictEqual([later.log.detail, later.memo], ['valid_token', 1]);
  const expired = await decide(c.event, exp + leeway);
  assert.deepStrictEqual([expired.log.detail, expired.out.status, expired.memo], ['expired', '401', 0]);
  const earlier = await decide(c.event, at - 1);
  assert.deepStrictEqual([earlier.log.detail, earlier.memo], ['valid_token', 0]);
});

test('a frame that concatenates to a memoised frame text is decided afresh', async () => {
  const c = byFile('001-bearer-id-token-in-group-allow');
  assert.strictEqual((await decide(c.event, c.now)).log.detail, 'valid_token');
  // Move the "B" of "Bearer" to the end of the Host value: the same frame text, other lengths.
  const shifted = structuredClone(c.event);
  const req = shifted.Records[0].cf.request;
  req.headers.host = [{ key: 'Host', value: `${req.headers.host[0].value}B` }];
  req.headers.authorization[0].value = req.headers.authorization[0].value.slice(1);
  const got = await decide(shifted, c.now);
  assert.strictEqual(got.memo, 0);
  assert.notStrictEqual(got.log.decision, 'allow');
});

test('a signed URL allow is memoised per viewer address and query, never across them', async () => {
  const c = byFile('024-signed-url-canned-rsa-sha1-allow');
  assert.strictEqual((await decide(c.event, c.now)).log.decision, 'allow');
  const other = structuredClone(c.event);
  other.Records[0].cf.request.clientIp = '198.51.100.7';
  const got = await decide(other, c.now);
  assert.deepStrictEqual([got.log.decision, got.memo], ['allow', 0]);
  const tampered = structuredClone(c.event);
  tampered.Records[0].cf.request.querystring += 'x';
  const bad = await decide(tampered, c.now);
  assert.deepStrictEqual([bad.log.decision, bad.memo], ['deny', 0]);
});

test('a verdict that read no credential is replayed for any viewer address; a credential verdict only for its own', async () => {
  const none = byFile('017-missing-credential-groups-route');
  await decide(none.event, none.now);
  const elsewhere = structuredClone(none.event);
  elsewhere.Records[0].cf.request.clientIp = '2001:db8::99';
  const got = await decide(elsewhere, none.now);
  assert.deepStrictEqual([got.log.detail, got.memo], ['no_credential', 1]);
  const token = byFile('001-bearer-id-token-in-group-allow');
  await decide(token.event, token.now);
  const moved = structuredClone(token.event);
  moved.Records[0].cf.request.clientIp = '198.51.100.200';
  const fresh = await decide(moved, token.now);
  assert.deepStrictEqual([fresh.log.detail, fresh.memo], ['valid_token', 0]);
});

test('a network-route verdict is replayed only for its own viewer address', async () => {
  // access = "network": admitted from 198.51.100.7 without a credential.
  const inside = byFile('191-network-route-inside-no-credential-allow');
  const first = await decide(inside.event, inside.now);
  assert.deepStrictEqual([first.log.detail, (await decide(inside.event, inside.now)).memo], ['network', 1]);
  const outside = structuredClone(inside.event);
  outside.Records[0].cf.request.clientIp = '192.0.2.10';
  const refused = await decide(outside, inside.now);
  assert.deepStrictEqual([refused.out.status, refused.log.detail, refused.memo], ['403', 'network_not_allowed', 0]);
  const neighbour = structuredClone(inside.event);
  neighbour.Records[0].cf.request.clientIp = '198.51.100.8';
  const also = await decide(neighbour, inside.now);
  assert.deepStrictEqual([also.log.detail, also.memo], ['network', 0]);
  // Refused from outside: the same request from inside is decided afresh, and admitted.
  const out = byFile('194-network-route-outside-forbidden');
  await decide(out.event, out.now);
  assert.strictEqual((await decide(out.event, out.now)).memo, 1);
  const moved = structuredClone(out.event);
  moved.Records[0].cf.request.clientIp = '::ffff:198.51.100.7';
  const admitted = await decide(moved, out.now);
  assert.deepStrictEqual([admitted.log.decision, admitted.log.detail, admitted.memo], ['allow', 'network', 0]);
});

test('a network-gated route\'s no-credential verdict is not replayed for another address', async () => {
  const none = byFile('189-network-gated-inside-no-credential-401');
  const first = await decide(none.event, none.now);
  assert.deepStrictEqual([first.log.detail, (await decide(none.event, none.now)).memo], ['no_credential', 1]);
  for (const ip of ['198.51.100.7', '2001:db9::1', 'not an address']) {
    const elsewhere = structuredClone(none.event);
    elsewhere.Records[0].cf.request.clientIp = ip;
    const got = await decide(elsewhere, none.now);
    assert.deepStrictEqual([got.out.status, got.log.detail, got.memo], ['403', 'network_not_allowed', 0], ip);
  }
  // One entry per frame: the last address's verdict replaced it. Decided again, and then
  // far later from the same address still the memo (the verdict reads no clock).
  assert.deepStrictEqual([(await decide(none.event, none.now)).memo], [0]);
  const later = await decide(none.event, none.now + 10 * 365 * 86400);
  assert.deepStrictEqual([later.log.detail, later.memo], ['no_credential', 1]);
});

test('a request the gate refuses as malformed is never answered from the memo', async () => {
  const pub = byFile('022-public-route-strips-credentials-allow');
  await decide(pub.event, pub.now);
  const odd = structuredClone(pub.event);
  odd.Records[0].cf.request.clientIp = '192.0.2.\ud800';
  const got = await decide(odd, pub.now);
  assert.deepStrictEqual([got.out.status, got.log.detail, got.memo], ['503', 'event_shape', 0]);
});

test('a request with many header entries is decided by the gate every time', async () => {
  const c = byFile('017-missing-credential-groups-route');
  const many = structuredClone(c.event);
  many.Records[0].cf.request.headers.cookie = Array.from({ length: 80 }, (_, i) => ({ key: 'Cookie', value: `k${i}=v` }));
  const first = await decide(many, c.now);
  const again = await decide(many, c.now);
  assert.deepStrictEqual([first.log.detail, again.log.detail, again.memo], ['no_credential', 'no_credential', 0]);
});

test('the memo stays bounded', async () => {
  const c = byFile('017-missing-credential-groups-route');
  for (let i = 0; i < 1000; i++) {
    const e = structuredClone(c.event);
    e.Records[0].cf.request.uri = `/releases/${i}/x`;
    await handler.handleAt(e, c.now);
  }
  assert.ok(handler.memoStats().size <= 256, `size ${handler.memoStats().size}`);
});

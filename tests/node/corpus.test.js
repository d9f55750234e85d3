'use strict';
// Parity: every case of the shared corpus (tests/corpus/cases/*.json, also run natively by
// edge/tests/corpus.rs) through the built Lambda@Edge bundle in Node. Same decision, status,
// reason and detail; deny and redirect responses in CloudFront's shape with the reason as body; allowed
// requests forwarded with the credentials stripped exactly as the native gate strips them.
// Each case runs twice, so the second pass goes through the verified-credential cache.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { bundleDir, repoDir } = require('./helpers.js');

const handler = require(path.join(bundleDir(), 'index.js'));
let lastLog = null;
handler.logSink = (line) => { lastLog = JSON.parse(line); };

const casesDir = path.join(repoDir, 'tests', 'corpus', 'cases');
const cases = fs.readdirSync(casesDir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(fs.readFileSync(path.join(casesDir, f), 'utf8')));

test('the corpus is not empty', () => {
  assert.ok(cases.length >= 40, `only ${cases.length} cases`);
});

for (const c of cases) {
  test(`corpus ${c.name}`, async () => {
    for (const pass of ['first', 'cached']) {
      const out = await handler.handleAt(structuredClone(c.event), c.now);
      const log = lastLog;
      assert.deepStrictEqual(
        { decision: log.decision, status: log.status, reason: log.reason, detail: log.detail },
        { decision: c.expect.decision, status: c.expect.status, reason: c.expect.reason, detail: c.expect.detail },
        `${pass} pass`,
      );
      if (c.expect.decision === 'deny') {
        assert.strictEqual(out.status, String(c.expect.status));
        assert.strictEqual(out.body, `${c.expect.reason}\n`);
        assert.strictEqual(out.headers['cache-control'][0].value, 'no-store');
      } else if (c.expect.decision === 'redirect') {
        assert.strictEqual(out.status, '302');
        assert.strictEqual(out.headers.location[0].value, c.expect.location);
        assert.strictEqual(out.headers['cache-control'][0].value, 'no-store');
      } else {
        const served = c.expect.forward && c.expect.forward.uri;
        assert.strictEqual(out.uri, served || c.event.Records[0].cf.request.uri);
        assert.strictEqual(out.headers.authorization, undefined);
        if (c.expect.forward) {
          assert.strictEqual(out.querystring, c.expect.forward.querystring);
          const cookie = out.headers.cookie ? out.headers.cookie.map((h) => h.value).join('; ') : null;
          assert.strictEqual(cookie, c.expect.forward.cookie);
        }
      }
    }
  });
}

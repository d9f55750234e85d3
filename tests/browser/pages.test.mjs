// The pages people see, in headless Chromium (issue 13): `edgegate dev` on its embedded default
// shows a browser the 403 page for a signed-only route and a path no route covers, and the 404
// page for a missing file; a fetch() from the page gets the plain reason code; no request data
// is reflected. Then with an operator's `[pages]` whose 403 page carries an inline script:
// Chromium renders the operator's page and the page's Content-Security-Policy stops the script.
//
// Run as tests/browser/signin.test.mjs says (the stand-ins' playwright-core, Debian's Chromium,
// the edgegate binary): node --test tests/browser/

import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHROMIUM_FLAGS, Dev, REPO, chromiumPath, freePort, playwright } from './harness.mjs';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

let browser;
let page;
const violations = [];

before(async () => {
  const { chromium } = playwright();
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_FLAGS });
  page = await browser.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
});

after(async () => {
  if (browser) await browser.close();
});

/** Navigates to `url` and returns what Chromium got and rendered. */
async function visit(url) {
  const res = await page.goto(url, { waitUntil: 'load' });
  return {
    status: res.status(),
    headers: res.headers(),
    title: await page.title(),
    text: await page.locator('body').innerText(),
    html: await page.content(),
  };
}

test('the embedded default: 403 and 404 pages for a browser, the reason code for fetch()', async () => {
  const dev = await Dev.start([], await freePort());
  try {
    const signed = await visit(`${dev.base}/shared/zqx-report.pdf?q=<zqx>`);
    assert.equal(signed.status, 403);
    assert.equal(signed.title, 'Access denied');
    assert.match(signed.text, /403 missing_credential/);
    assert.equal(signed.headers['content-security-policy'], CSP);
    assert.equal(signed.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(signed.headers['cache-control'], 'no-store');
    assert.ok(!signed.html.includes('zqx'), 'nothing from the request in the page');

    const none = await visit(`${dev.base}/nowhere/zqx`);
    assert.equal(none.status, 403);
    assert.match(none.text, /403 no_route/);

    const missing = await visit(`${dev.base}/public/zqx-missing.txt`);
    assert.equal(missing.status, 404);
    assert.equal(missing.title, 'Not found');
    assert.match(missing.text, /404 not_found/);
    assert.equal(missing.headers['content-security-policy'], CSP);
    assert.ok(!missing.html.includes('zqx'));

    // A fetch() (Sec-Fetch-Mode: cors) is not a navigation: plain text. From a served file's
    // page: the 404 page's own CSP allows no fetch at all (connect-src falls back to 'none').
    const blocked = await page.evaluate(async (base) => fetch(`${base}/public/README.txt`).then(() => 'fetched', () => 'blocked'), dev.base);
    assert.equal(blocked, 'blocked', "the page's CSP blocks fetch() from it");
    await page.goto(`${dev.base}/public/README.txt`, { waitUntil: 'load' });
    const fetched = await page.evaluate(async (base) => {
      const r = await fetch(`${base}/public/zqx-missing.txt`, { headers: { accept: 'text/html' } });
      return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
    }, dev.base);
    assert.deepEqual(fetched, { status: 404, type: 'text/plain; charset=utf-8', body: 'not_found\n' });

    // An existing public file is served as it is.
    const file = await page.evaluate(async (base) => {
      const r = await fetch(`${base}/public/README.txt`);
      return { status: r.status, body: await r.text() };
    }, dev.base);
    assert.equal(file.status, 200);
    assert.equal(file.body, readFileSync(path.join(REPO, 'examples/artifacts/public/README.txt'), 'utf8'));
  } finally {
    await dev.stop();
  }
});

test("an operator's [pages]: Chromium renders them and their CSP blocks the page's script", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgegate-pages-'));
  const port = await freePort();
  try {
    writeFileSync(
      path.join(dir, '404.html'),
      '<!doctype html><html><head><title>Operator 404</title></head><body><p>Lost: {{status}} {{reason}}</p></body></html>',
    );
    writeFileSync(
      path.join(dir, 'edgegate.toml'),
      [
        'version = 1',
        '[site]',
        `domain = "127.0.0.1:${port}"`,
        'scheme = "http"',
        '[[routes]]',
        'prefix = "/public"',
        'access = "public"',
        '[pages]',
        `forbidden = "<!doctype html><html><head><title>Operator 403</title><script>document.title = 'script ran'</script></head><body><p>No: {{status}} {{reason}}</p><img src=x onerror=\\"document.title = 'handler ran'\\"></body></html>"`,
        'not_found_file = "404.html"',
        '',
      ].join('\n'),
    );
    const dev = await Dev.start(['--config', path.join(dir, 'edgegate.toml')], port);
    try {
      violations.length = 0;
      const denied = await visit(`${dev.base}/elsewhere/x`);
      assert.equal(denied.status, 403);
      assert.match(denied.text, /No: 403 no_route/);
      assert.equal(denied.title, 'Operator 403', 'neither the inline script nor the handler ran');
      assert.equal(denied.headers['content-security-policy'], CSP);
      assert.ok(violations.length >= 1, 'Chromium reported the blocked script');

      const lost = await visit(`${dev.base}/public/nothing-here.bin`);
      assert.equal(lost.status, 404);
      assert.equal(lost.title, 'Operator 404');
      assert.match(lost.text, /Lost: 404 not_found/);
    } finally {
      await dev.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

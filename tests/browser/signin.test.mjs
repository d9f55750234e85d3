// Browser sign-in, end to end, in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): `edgegate dev` in front of
//   (a) the development Hosted UI stand-in it serves itself at /_dev/idp (user picker, token,
//       revoke, logout), with short-lived tokens: deep link -> sign-in -> back on the deep link
//       with its query -> download -> cookies expire -> transparent refresh -> sign-out
//       (revocation) -> a user without groups -> a fetch() without cookies;
//   (b) cognito-local (npm; real /oauth2/authorize login form and /oauth2/token with PKCE):
//       deep link -> login form -> back on the deep link -> download -> refresh grant after
//       the CloudFront cookies are deleted (one browser), and after they expire (another).
//       cognito-local has no /logout and no /oauth2/revoke: sign-out and revocation are tested
//       in (a) only.
// The two suites run concurrently (each in its own Chromium).
// Timing: the auth function sets a loop marker cookie (Path=/, Max-Age LOOP_MARKER_MAX_AGE,
// 120 s today) at every sign-in and refresh; while it is present the gate answers a navigation
// without a valid credential with the "Sign-in did not complete" page instead of /auth/login.
// So a refresh is only transparent once the marker is gone: the tests wait for the later of the
// CloudFront cookies' and the marker's expiry (read from the browser's cookie jar), and (b) uses
// tokens that outlive the marker so that its CloudFront cookies are still valid when deleted.
// Along the way: no response header other than Set-Cookie (or the Hosted UI's own redirect to
// /auth/callback) carries a token, code, verifier or refresh token; every response that sets
// cookies is `Cache-Control: no-store`; no request line that `edgegate dev` logs holds `eyJ`,
// `code=` or a query string.
//
// Run (from the repository root, after `tests/standins/standins.sh install && ... start`,
// `source target/standins/env` and `cargo build -p edgegate-cli`):
//   node --test tests/browser/
// Environment: EDGEGATE_NODE_MODULES (playwright-core), EDGEGATE_COGNITO_LOCAL_URL (b),
// EDGEGATE_CHROMIUM (default /usr/bin/chromium), EDGEGATE_BIN (default target/debug/edgegate),
// EDGEGATE_BROWSER_TOKEN_LIFETIME (dev stand-in, seconds, default 20),
// EDGEGATE_BROWSER_COGNITO_TOKEN_LIFETIME (cognito-local app client, seconds, default 130).
// A missing stand-in, binary or variable fails the tests.

import { describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHROMIUM_FLAGS, Dev, REPO, chromiumPath, edgegateBin, freePort, missing, playwright, sleep, suite } from './harness.mjs';

const DEEP_PATH = '/releases/1.0.0/hello.txt?build=42&x=a%20b';
const FILE = readFileSync(path.join(REPO, 'examples/artifacts/releases/1.0.0/hello.txt'));
const TOKEN_LIFETIME = Number(process.env.EDGEGATE_BROWSER_TOKEN_LIFETIME || 20);
const COGNITO_TOKEN_LIFETIME = Number(process.env.EDGEGATE_BROWSER_COGNITO_TOKEN_LIFETIME || 130);

function cognitoLocalUrl() {
  const u = process.env.EDGEGATE_COGNITO_LOCAL_URL;
  if (!u) throw missing('EDGEGATE_COGNITO_LOCAL_URL is not set (cognito-local is started by standins.sh start)');
  return u.replace(/\/+$/, '');
}

// ---------------------------------------------------------------------------------------------
// Chromium with a request/response recorder
// ---------------------------------------------------------------------------------------------

class Browser {
  static async launch() {
    const { chromium } = playwright();
    const executablePath = chromiumPath();
    const dir = mkdtempSync(path.join(tmpdir(), 'edgegate-chromium-'));
    const context = await chromium.launchPersistentContext(dir, {
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    const b = new Browser(context, dir);
    b.page = context.pages()[0] ?? (await context.newPage());
    return b;
  }

  constructor(context, dir) {
    this.context = context;
    this.dir = dir;
    this.navs = []; // main-frame navigation requests (every redirect hop is one)
    this.responses = []; // every response: { url, status, nav, headers: [{name, value}] }
    this.pending = [];
    context.on('request', (req) => {
      try {
        if (req.isNavigationRequest() && req.frame().parentFrame() === null) this.navs.push(req.url());
      } catch {
        // service-worker requests have no frame
      }
    });
    context.on('response', (res) => {
      const entry = { url: res.url(), status: res.status(), nav: res.request().isNavigationRequest(), headers: [] };
      this.responses.push(entry);
      this.pending.push(
        res
          .headersArray()
          .then((h) => {
            entry.headers = h;
          })
          .catch(() => {}),
      );
    });
  }

  mark() {
    return { navs: this.navs.length, responses: this.responses.length };
  }

  navsSince(mark) {
    return this.navs.slice(mark.navs);
  }

  async responsesSince(mark) {
    await Promise.all(this.pending);
    return this.responses.slice(mark.responses);
  }

  async all() {
    await Promise.all(this.pending);
    return this.responses;
  }

  /** Every cookie the browser holds for the host of `url`, at any path. */
  async cookies(url) {
    const { hostname } = new URL(url);
    return (await this.context.cookies()).filter((c) => c.domain === hostname || c.domain === `.${hostname}`);
  }

  async close() {
    await this.context.close().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const header = (entry, name) => entry.headers.filter((h) => h.name.toLowerCase() === name).map((h) => h.value);

/** Navigates and returns the final main-frame response (after redirects). */
async function goto(page, url) {
  const res = await page.goto(url, { waitUntil: 'load' });
  assert.ok(res, `no response navigating to ${url}`);
  return res;
}

/** Runs `action` (a click or submit) and waits for the main frame to load `url`. */
async function actAndLand(page, url, action) {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url() === url && r.request().isNavigationRequest() && r.status() < 300, { timeout: 15_000 }),
    action(),
  ]);
  await page.waitForLoadState('load');
  return res;
}

async function assertServesFile(page, res, deep) {
  assert.equal(page.url(), deep, 'landed exactly on the deep link, query intact');
  assert.equal(res.status(), 200);
  assert.deepEqual(await res.body(), FILE, 'the downloaded body equals examples/artifacts/releases/1.0.0/hello.txt');
  assert.equal((await page.textContent('body')).trim(), FILE.toString().trim(), 'the page shows the file');
  // The same download as a non-navigation request with the cookies.
  const fetched = await page.evaluate(async (u) => {
    const r = await fetch(u);
    return { status: r.status, text: await r.text() };
  }, deep);
  assert.equal(fetched.status, 200);
  assert.equal(fetched.text, FILE.toString());
}

function cloudFront(cookies) {
  return cookies.filter((c) => c.name.startsWith('CloudFront-'));
}

/** edgegate's loop marker (`edgegate-dev-loop` on plain http), if the browser holds one. */
function loopMarker(cookies) {
  return cookies.find((c) => /^(__Secure-)?edgegate(-dev)?-loop$/.test(c.name));
}

/** Sleeps until `epochSeconds` + `slackMs`; returns how long it slept, in seconds. */
async function sleepUntil(epochSeconds, slackMs = 1500) {
  const ms = Math.max(0, epochSeconds * 1000 - Date.now() + slackMs);
  await sleep(ms);
  return Math.round(ms / 100) / 10;
}

/**
 * No header other than Set-Cookie carries a secret. Site responses: no JWT, code, verifier or
 * refresh token anywhere (Location included); the Hosted UI's own redirect to /auth/callback
 * carries the code by protocol and is the only exception. Every site response that sets a cookie
 * is `Cache-Control: no-store`.
 */
function assertNoLeaks(responses, site, idpOrigin) {
  const secrets = new Set();
  for (const r of responses) {
    for (const loc of header(r, 'location')) {
      const u = new URL(loc, r.url);
      if (u.pathname === '/auth/callback' && u.searchParams.get('code')) secrets.add(u.searchParams.get('code'));
    }
    for (const c of header(r, 'set-cookie')) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (!value) continue;
      if (/-flow-/.test(name)) secrets.add(value.split('.').slice(1).join('.')); // the PKCE verifier
      if (/-refresh$/.test(name)) secrets.add(value);
    }
  }
  assert.ok(secrets.size >= 3, `the flow produced codes, verifiers and refresh tokens to look for (${secrets.size})`);
  let checked = 0;
  for (const r of responses) {
    const fromIdp = r.url.startsWith(idpOrigin + '/');
    const fromSite = r.url.startsWith(site + '/') && !fromIdp;
    if (!fromSite && !fromIdp) continue;
    for (const { name, value } of r.headers) {
      const n = name.toLowerCase();
      if (n === 'set-cookie') continue;
      if (fromIdp && n === 'location' && new URL(value, r.url).pathname === '/auth/callback') continue;
      checked += 1;
      assert.doesNotMatch(value, /eyJ[\w-]+\.eyJ[\w-]+\./, `a JWT in ${name} of ${r.status} ${r.url}`);
      assert.doesNotMatch(value, /code_verifier|refresh_token|id_token|access_token/i, `${name} of ${r.url}`);
      for (const s of secrets) assert.ok(!value.includes(s), `a secret value in ${name} of ${r.status} ${r.url}`);
    }
    if (fromSite && header(r, 'set-cookie').length > 0) {
      assert.deepEqual(header(r, 'cache-control'), ['no-store'], `Set-Cookie without Cache-Control: no-store on ${r.url}`);
    }
  }
  assert.ok(checked > 10, 'headers were checked');
  return `${responses.length} responses, ${checked} headers checked for ${secrets.size} code/verifier/refresh-token values`;
}

function assertQuietLog(dev, minLines) {
  const lines = dev.requestLines();
  assert.ok(lines.length >= minLines, `edgegate dev logged ${lines.length} request lines (expected >= ${minLines})`);
  for (const l of lines) {
    assert.ok(!l.includes('eyJ'), `log line holds a JWT: ${l}`);
    assert.ok(!l.includes('code='), `log line holds a code: ${l}`);
    assert.ok(!/^[A-Z]+ \S*\?/.test(l), `log line holds a query string: ${l}`);
  }
  for (const word of ['eyJ', 'code=']) assert.ok(!dev.stderr.includes(word), `edgegate dev stderr holds ${word}`);
  return `${lines.length} edgegate dev request log lines checked`;
}

// ---------------------------------------------------------------------------------------------
// (b) helpers: cognito-local's JSON API and the edgegate.toml for it
// ---------------------------------------------------------------------------------------------

const USER = { email: 'dana@example.com', password: 'Corr3ct-Horse-battery!' };

async function cognito(url, target, body) {
  const r = await fetch(`${url}/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `AWSCognitoIdentityProviderService.${target}` },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`cognito-local ${target}: HTTP ${r.status} ${text}`);
  return JSON.parse(text);
}

const jwtPayload = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

function configToml({ port, pool, client, cl }) {
  const pem = path.join(REPO, 'infra/cli/dev/cloudfront-dev-public.pem');
  return `version = 1

[site]
domain = "127.0.0.1:${port}"
scheme = "http"

[cognito]
region = "local"
user_pool_id = "${pool}"
issuer_format = "original"
app_client_ids = ["${client}"]
token_use = ["access", "id"]
jwks_url = "${cl}/${pool}/.well-known/jwks.json"

[[cloudfront.trusted_keys]]
key_pair_id = "KEDGEGATEDEV01"
public_key_file = ${JSON.stringify(pem)}

[[routes]]
prefix = "/releases"
access = "groups"
groups = ["downloaders"]

[[routes]]
prefix = "/shared"
access = "signed"

[[routes]]
prefix = "/public"
access = "public"

[auth]
hosted_ui = "${cl}"
client_id = "${client}"
key_pair_id = "KEDGEGATEDEV01"
scopes = ["openid"]

[auth.secrets]
cloudfront_private_key = "dev:cloudfront-private-key"
state_key = "dev:state-key"
`;
}

// ---------------------------------------------------------------------------------------------
// (a) the dev Hosted UI stand-in
// ---------------------------------------------------------------------------------------------

describe('browser sign-in', { concurrency: 2 }, () => {
  suite('browser sign-in through edgegate dev and its Hosted UI stand-in', ({ setup, step }) => {
    let dev;
    let browser;
    let page;
    let base;
    let deep;
    let idp;
    let refreshBeforeLogout;

    setup(async () => {
      playwright();
      chromiumPath();
      dev = await Dev.start(['--token-lifetime', String(TOKEN_LIFETIME)]);
      base = dev.base;
      deep = base + DEEP_PATH;
      idp = `${base}/_dev/idp`;
      browser = await Browser.launch();
      page = browser.page;
    });

    after(async () => {
      if (browser) await browser.close();
      if (dev) await dev.stop();
    });

    step('a fetch() without cookies gets 401, not a redirect (B40)', async (t) => {
      const res = await goto(page, `${base}/public/README.txt`);
      assert.equal(res.status(), 200);
      const m = browser.mark();
      const r = await page.evaluate(async () => {
        const x = await fetch('/releases/1.0.0/hello.txt?build=42');
        return { status: x.status, redirected: x.redirected, url: x.url, www: x.headers.get('www-authenticate') };
      });
      assert.equal(r.status, 401);
      assert.equal(r.redirected, false);
      assert.match(r.www ?? '', /^Bearer /);
      assert.deepEqual(browser.navsSince(m), [], 'no navigation');
      // Observation only (design.md counts `Accept: text/html` as a navigation even when the
      // browser says Sec-Fetch-Mode: cors).
      const html = await page.evaluate(async () => {
        const x = await fetch('/releases/1.0.0/hello.txt', { headers: { Accept: 'text/html' } });
        const u = new URL(x.url);
        return { status: x.status, redirected: x.redirected, landed: u.origin + u.pathname };
      });
      t.diagnostic(`fetch() with Accept: text/html: ${JSON.stringify(html)}`);
    });

    step('deep link -> /auth/login -> user picker -> alice -> back on the deep link, file served', async () => {
      const m = browser.mark();
      const res = await goto(page, deep);
      assert.equal(res.status(), 200);
      assert.ok(page.url().startsWith(`${idp}/oauth2/authorize?`), `on the stand-in's authorize page: ${page.url()}`);
      const navs = browser.navsSince(m);
      assert.equal(navs[0], deep);
      const login = new URL(navs[1]);
      assert.equal(login.origin + login.pathname, `${base}/auth/login`);
      assert.equal(login.searchParams.get('return_to'), DEEP_PATH, 'return_to carries the path and the query');
      const authorize = new URL(navs[2]);
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(authorize.searchParams.get('redirect_uri'), `${base}/auth/callback`);
      assert.equal(navs.length, 3, navs.join('\n'));
      assert.ok(await page.isVisible('#user-alice'));

      const m2 = browser.mark();
      const landed = await actAndLand(page, deep, () => page.click('#user-alice'));
      await assertServesFile(page, landed, deep);
      const after = browser.navsSince(m2).map((u) => new URL(u).pathname);
      assert.deepEqual(after, ['/_dev/idp/oauth2/approve', '/auth/callback', '/releases/1.0.0/hello.txt']);
    });

    step('CloudFront cookies: Path=/releases, HttpOnly, SameSite=Lax, host-only; refresh cookie at /auth/', async () => {
      const cookies = await browser.cookies(base);
      const cf = cloudFront(cookies);
      const names = cf.map((c) => c.name).sort();
      assert.deepEqual(names, ['CloudFront-Hash-Algorithm', 'CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature']);
      const now = Date.now() / 1000;
      for (const c of cf) {
        assert.equal(c.path, '/releases', c.name);
        assert.equal(c.httpOnly, true, c.name);
        assert.equal(c.sameSite, 'Lax', c.name);
        assert.equal(c.domain, '127.0.0.1', `${c.name} is host-only`);
        assert.ok(c.expires > now && c.expires <= now + TOKEN_LIFETIME + 2, `${c.name} expires with the ID token`);
      }
      assert.equal(cf.find((c) => c.name === 'CloudFront-Key-Pair-Id').value, 'KEDGEGATEDEV01');
      const refresh = cookies.find((c) => c.name === 'edgegate-dev-refresh');
      assert.ok(refresh, 'refresh cookie set');
      assert.equal(refresh.path, '/auth/');
      assert.equal(refresh.httpOnly, true);
      // The raw Set-Cookie lines of the callback: no Domain attribute anywhere.
      const callback = (await browser.all()).filter((r) => r.url.startsWith(`${base}/auth/callback?`));
      assert.equal(callback.length, 1);
      const setCookies = header(callback[0], 'set-cookie');
      assert.ok(setCookies.length >= 5);
      for (const c of setCookies) {
        assert.doesNotMatch(c, /;\s*domain=/i, c);
        assert.match(c, /; HttpOnly; SameSite=Lax$/, c);
      }
      for (const c of setCookies.filter((c) => /^CloudFront-\w[\w-]*=[^;]/.test(c))) assert.match(c, /; Path=\/releases;/, c);
    });

    step('after the CloudFront cookies expire, the next navigation is refreshed without the Hosted UI', async (t) => {
      const jar = await browser.cookies(base);
      const expires = Math.max(...cloudFront(jar).map((c) => c.expires));
      const marker = loopMarker(jar);
      assert.ok(marker, 'the sign-in set the loop marker');
      if (marker.expires > expires + 2) {
        // Observation only: a navigation while the marker outlives the cookies.
        await sleepUntil(expires);
        const early = await goto(page, deep);
        t.diagnostic(
          `cookies expired, loop marker still set (${Math.round(marker.expires - expires)} s longer): ` +
            `${early.status()} "${(await page.textContent('h1').catch(() => '')) ?? ''}" at ${new URL(page.url()).pathname}`,
        );
      }
      const slept = await sleepUntil(Math.max(expires, marker.expires));
      t.diagnostic(`waited until the cookies and the loop marker expired (${slept} s more)`);
      assert.deepEqual(cloudFront(await browser.cookies(base)), [], 'the browser dropped the expired cookies');
      const m = browser.mark();
      const res = await goto(page, deep);
      await assertServesFile(page, res, deep);
      const navs = browser.navsSince(m);
      assert.deepEqual(
        navs.map((u) => new URL(u).pathname),
        ['/releases/1.0.0/hello.txt', '/auth/login', '/releases/1.0.0/hello.txt'],
        `refreshed through /auth/login only:\n${navs.join('\n')}`,
      );
      assert.ok(!navs.some((u) => u.startsWith(idp)), 'the Hosted UI was not shown');
      const loginHop = (await browser.responsesSince(m)).find((r) => r.url.startsWith(`${base}/auth/login?`));
      assert.equal(loginHop.status, 302);
      assert.deepEqual(header(loginHop, 'location'), [deep]);
      const fresh = cloudFront(await browser.cookies(base));
      assert.equal(fresh.length, 4);
      assert.ok(Math.min(...fresh.map((c) => c.expires)) > expires, 'new cookies, later expiry');
    });

    step('sign-out: stand-in /logout, back to the site, cookies gone, refresh token revoked', async () => {
      refreshBeforeLogout = (await browser.cookies(base)).find((c) => c.name === 'edgegate-dev-refresh');
      assert.ok(refreshBeforeLogout, 'a refresh cookie before sign-out');
      const m = browser.mark();
      await goto(page, `${base}/auth/logout`);
      assert.equal(page.url(), `${base}/`, 'back on the site');
      const navs = browser.navsSince(m);
      assert.equal(navs.length, 3, navs.join('\n'));
      const logout = new URL(navs[1]);
      assert.equal(logout.origin + logout.pathname, `${idp}/logout`);
      assert.equal(logout.searchParams.get('logout_uri'), `${base}/`);
      const left = (await browser.cookies(base)).map((c) => c.name);
      assert.deepEqual(left.filter((n) => n.startsWith('CloudFront-') || n.startsWith('edgegate-dev-')), [], `left: ${left}`);

      // A new navigation shows the user picker again.
      await goto(page, deep);
      assert.ok(page.url().startsWith(`${idp}/oauth2/authorize?`), `picker again: ${page.url()}`);

      // The old refresh token was revoked at the stand-in: put it back, and /auth/login's refresh
      // grant fails (invalid_grant) into a new Hosted UI flow, expiring the cookie.
      await browser.context.addCookies([
        { name: refreshBeforeLogout.name, value: refreshBeforeLogout.value, domain: '127.0.0.1', path: '/auth/', httpOnly: true, sameSite: 'Lax' },
      ]);
      const m2 = browser.mark();
      await goto(page, deep);
      assert.ok(page.url().startsWith(`${idp}/oauth2/authorize?`), `revoked token -> picker: ${page.url()}`);
      const login = (await browser.responsesSince(m2)).find((r) => r.url.startsWith(`${base}/auth/login?`));
      assert.ok(header(login, 'set-cookie').some((c) => c.startsWith('edgegate-dev-refresh=;') && /Max-Age=0/.test(c)), 'the dead refresh cookie is expired');
      assert.ok(!(await browser.cookies(base)).some((c) => c.name === 'edgegate-dev-refresh'));
    });

    step("bob (no groups) gets 'No access' with a sign-out link, and no loop", async () => {
      assert.ok(page.url().startsWith(`${idp}/oauth2/authorize?`));
      const m = browser.mark();
      await page.click('#user-bob');
      await page.waitForLoadState('load');
      await sleep(1500); // a loop would keep navigating
      const navs = browser.navsSince(m);
      assert.ok(navs.length < 10, `navigations: ${navs.length}\n${navs.join('\n')}`);
      assert.deepEqual(navs.map((u) => new URL(u).pathname), ['/_dev/idp/oauth2/approve', '/auth/callback']);
      assert.equal(await page.textContent('h1'), 'No access');
      const callback = (await browser.responsesSince(m)).find((r) => r.url.startsWith(`${base}/auth/callback?`));
      assert.equal(callback.status, 403);
      assert.equal(cloudFront(await browser.cookies(base)).length, 0, 'no CloudFront cookies for bob');
      const signOut = page.locator('a[href="/auth/logout"]');
      assert.equal(await signOut.count(), 1, 'a sign-out link');

      // Going back to the file: sign-in again (the picker), not a loop.
      const m2 = browser.mark();
      await goto(page, deep);
      assert.ok(page.url().startsWith(`${idp}/oauth2/authorize?`));
      assert.ok(browser.navsSince(m2).length < 10);

      // The No-access page's sign-out link works.
      await page.click('#user-bob');
      await page.waitForLoadState('load');
      const m3 = browser.mark();
      await Promise.all([page.waitForURL(`${base}/`), page.locator('a[href="/auth/logout"]').click()]);
      assert.deepEqual(browser.navsSince(m3).map((u) => new URL(u).pathname), ['/auth/logout', '/_dev/idp/logout', '/']);
    });

    step('a stale CloudFront cookie set at a deeper path (an older config) never loops', async (t) => {
      // Sent together with the new set at /releases, it makes duplicate CloudFront-* names: an
      // invalid credential the auth function cannot expire (it does not know that path).
      await browser.context.addCookies(
        ['CloudFront-Policy', 'CloudFront-Signature', 'CloudFront-Key-Pair-Id'].map((name) => ({
          name,
          value: 'stale',
          domain: '127.0.0.1',
          path: '/releases/1.0.0',
          httpOnly: true,
          sameSite: 'Lax',
        })),
      );
      await goto(page, deep);
      assert.ok(page.url().startsWith(`${idp}/oauth2/authorize?`), page.url());
      const m = browser.mark();
      await page.click('#user-alice');
      await page.waitForLoadState('load');
      await sleep(1500); // a loop would keep navigating
      const navs = browser.navsSince(m);
      assert.ok(navs.length < 10, `navigations: ${navs.length}\n${navs.join('\n')}`);
      const heading = await page.textContent('h1').catch(() => null);
      t.diagnostic(`ended after ${navs.length} navigations on ${new URL(page.url()).pathname}: "${heading}"`);
      if (heading !== null) {
        assert.equal(heading, 'Sign-in did not complete');
        assert.equal(await page.locator('a[href="/auth/logout"]').count(), 1, 'a sign-out link');
      } else {
        assert.equal((await page.textContent('body')).trim(), FILE.toString().trim());
      }
      await goto(page, `${base}/auth/logout`);
      await browser.context.clearCookies();
    });

    step('no token, code or verifier in a response header or an edgegate dev log line', async (t) => {
      t.diagnostic(assertNoLeaks(await browser.all(), base, idp));
      t.diagnostic(assertQuietLog(dev, 15));
    });
  });

  // ---------------------------------------------------------------------------------------------
  // (b) cognito-local
  // ---------------------------------------------------------------------------------------------

  suite('browser sign-in through edgegate dev and cognito-local (authorize + token with PKCE)', ({ setup, step }) => {
    let cl;
    let pool;
    let dev;
    let browser; // signs in, then lets its cookies expire
    let page;
    let other; // signs in, then has its CloudFront cookies deleted
    let base;
    let deep;
    let dir;

    setup(async () => {
      playwright();
      chromiumPath();
      cl = cognitoLocalUrl();
      const health = await fetch(`${cl}/health`).catch((e) => ({ status: `unreachable (${e.cause?.code ?? e.message})` }));
      if (health.status !== 200) throw missing(`cognito-local at EDGEGATE_COGNITO_LOCAL_URL=${cl} answers ${health.status} on /health`);
      edgegateBin();
      pool = (await cognito(cl, 'CreateUserPool', { PoolName: `edgegate-${Date.now()}` })).UserPool.Id;
      await cognito(cl, 'CreateGroup', { UserPoolId: pool, GroupName: 'downloaders' });
      await cognito(cl, 'AdminCreateUser', {
        UserPoolId: pool,
        Username: USER.email,
        TemporaryPassword: 'Temp-Passw0rd!',
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: USER.email },
          { Name: 'email_verified', Value: 'true' },
        ],
      });
      await cognito(cl, 'AdminSetUserPassword', { UserPoolId: pool, Username: USER.email, Password: USER.password, Permanent: true });
      await cognito(cl, 'AdminAddUserToGroup', { UserPoolId: pool, Username: USER.email, GroupName: 'downloaders' });
      dir = mkdtempSync(path.join(tmpdir(), 'edgegate-cognito-local-'));
      // The app client's callback URL names the port, so pick one first (retry if it is taken).
      let lastError;
      for (let attempt = 0; attempt < 3 && !dev; attempt += 1) {
        const port = await freePort();
        const client = await cognito(cl, 'CreateUserPoolClient', {
          UserPoolId: pool,
          ClientName: 'edgegate-web',
          CallbackURLs: [`http://127.0.0.1:${port}/auth/callback`],
          LogoutURLs: [`http://127.0.0.1:${port}/`],
          ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
          AllowedOAuthFlows: ['code'],
          AllowedOAuthScopes: ['openid'],
          AllowedOAuthFlowsUserPoolClient: true,
          SupportedIdentityProviders: ['COGNITO'],
          IdTokenValidity: COGNITO_TOKEN_LIFETIME,
          AccessTokenValidity: COGNITO_TOKEN_LIFETIME,
          TokenValidityUnits: { IdToken: 'seconds', AccessToken: 'seconds', RefreshToken: 'days' },
        });
        const clientId = client.UserPoolClient.ClientId;
        const file = path.join(dir, 'edgegate.toml');
        writeFileSync(file, configToml({ port, pool, client: clientId, cl }));
        try {
          dev = await Dev.start(['--config', file], port);
          dev.clientId = clientId;
        } catch (e) {
          lastError = e;
        }
      }
      if (!dev) throw lastError;
      base = dev.base;
      deep = base + DEEP_PATH;
      browser = await Browser.launch();
      page = browser.page;
      other = await Browser.launch();
    });

    after(async () => {
      if (browser) await browser.close();
      if (other) await other.close();
      if (dev) await dev.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Deep link -> login form -> submit -> the deep link (checks the hops). */
    async function signIn(b) {
      const m = b.mark();
      await goto(b.page, deep);
      assert.ok(b.page.url().startsWith(`${cl}/oauth2/authorize?`), `on cognito-local's login form: ${b.page.url()}`);
      const navs = b.navsSince(m);
      assert.equal(navs.length, 3, navs.join('\n'));
      const login = new URL(navs[1]);
      assert.equal(login.origin + login.pathname, `${base}/auth/login`);
      assert.equal(login.searchParams.get('return_to'), DEEP_PATH);
      assert.equal(new URL(b.page.url()).searchParams.get('code_challenge_method'), 'S256');
      await b.page.fill('input[name="username"]', USER.email);
      await b.page.fill('input[name="password"]', USER.password);
      const m2 = b.mark();
      const landed = await actAndLand(b.page, deep, () => b.page.click('button[type="submit"]'));
      await assertServesFile(b.page, landed, deep);
      assert.deepEqual(
        b.navsSince(m2).map((u) => new URL(u).origin + new URL(u).pathname),
        [`${cl}/oauth2/authorize`, `${base}/auth/callback`, `${base}/releases/1.0.0/hello.txt`],
      );
    }

    /** The next navigation to the deep link is refreshed at cognito-local, with no login form. */
    async function assertRefreshed(b) {
      const m = b.mark();
      const res = await goto(b.page, deep);
      await assertServesFile(b.page, res, deep);
      const navs = b.navsSince(m);
      assert.deepEqual(
        navs.map((u) => new URL(u).pathname),
        ['/releases/1.0.0/hello.txt', '/auth/login', '/releases/1.0.0/hello.txt'],
        navs.join('\n'),
      );
      assert.ok(!navs.some((u) => u.startsWith(cl)), 'no login form');
      const loginHop = (await b.responsesSince(m)).find((r) => r.url.startsWith(`${base}/auth/login?`));
      assert.deepEqual(header(loginHop, 'location'), [deep], 'the refresh grant at cognito-local answered /auth/login');
      assert.equal(cloudFront(await b.cookies(base)).length, 4);
    }

    step('cognito-local: JWKS URL, issuer, and what it lacks (/logout, /oauth2/revoke)', async (t) => {
      const jwks = await (await fetch(`${cl}/${pool}/.well-known/jwks.json`)).json();
      assert.equal(jwks.keys.length, 1);
      assert.equal(jwks.keys[0].kid, 'CognitoLocal');
      const auth = await cognito(cl, 'InitiateAuth', {
        ClientId: dev.clientId,
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: USER.email, PASSWORD: USER.password },
      });
      const id = jwtPayload(auth.AuthenticationResult.IdToken);
      assert.equal(id.iss, `https://cognito-idp.local.amazonaws.com/${pool}`, 'real-form issuer for region "local"');
      assert.deepEqual(id['cognito:groups'], ['downloaders']);
      assert.equal(id.aud, dev.clientId);
      const logout = await fetch(`${cl}/logout?client_id=${dev.clientId}&logout_uri=${encodeURIComponent(base + '/')}`, { redirect: 'manual' });
      const revoke = await fetch(`${cl}/oauth2/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `token=x&client_id=${dev.clientId}`,
      });
      t.diagnostic(`cognito-local limitations: GET /logout -> ${logout.status}, POST /oauth2/revoke -> ${revoke.status} (sign-out and revocation are tested against the dev stand-in)`);
      assert.equal(logout.status, 404, 'cognito-local has no /logout (if this changes, test sign-out here too)');
      assert.equal(revoke.status, 404, 'cognito-local has no /oauth2/revoke (if this changes, test revocation here too)');
    });

    step('deep link -> login form -> submit -> back on the deep link with its query, file served', async () => {
      await signIn(browser);
      const jar = await browser.cookies(base);
      const cf = cloudFront(jar);
      assert.deepEqual(cf.map((c) => c.name).sort(), ['CloudFront-Hash-Algorithm', 'CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature']);
      const now = Date.now() / 1000;
      for (const c of cf) {
        assert.equal(c.path, '/releases', c.name);
        assert.equal(c.httpOnly, true, c.name);
        assert.equal(c.sameSite, 'Lax', c.name);
        assert.equal(c.domain, '127.0.0.1', `${c.name} is host-only`);
        assert.ok(c.expires > now && c.expires <= now + COGNITO_TOKEN_LIFETIME + 2, `${c.name} expires with cognito-local's ID token`);
      }
      assert.ok(jar.some((c) => c.name === 'edgegate-dev-refresh' && c.path === '/auth/' && c.httpOnly));
      // A second browser signs in too (its CloudFront cookies get deleted below).
      await signIn(other);
    });

    step('CloudFront cookies deleted (refresh cookie kept) -> refresh grant at cognito-local, no login form', async (t) => {
      const jar = await other.cookies(base);
      const marker = loopMarker(jar);
      assert.ok(marker, 'the sign-in set the loop marker');
      const slept = await sleepUntil(marker.expires);
      t.diagnostic(`waited ${slept} s for the loop marker to expire`);
      const cf = cloudFront(await other.cookies(base));
      assert.equal(
        cf.length,
        4,
        `the CloudFront cookies expired before the loop marker: set EDGEGATE_BROWSER_COGNITO_TOKEN_LIFETIME above the marker's lifetime (now ${COGNITO_TOKEN_LIFETIME} s)`,
      );
      await other.context.clearCookies({ name: /^CloudFront-/ });
      assert.equal(cloudFront(await other.cookies(base)).length, 0);
      assert.ok((await other.cookies(base)).some((c) => c.name === 'edgegate-dev-refresh'), 'the refresh cookie is kept');
      await assertRefreshed(other);
    });

    step('CloudFront cookies expire -> refreshed at cognito-local on the next navigation', async (t) => {
      const jar = await browser.cookies(base);
      const expires = Math.max(...cloudFront(jar).map((c) => c.expires));
      const marker = loopMarker(jar);
      const slept = await sleepUntil(Math.max(expires, marker ? marker.expires : 0));
      t.diagnostic(`waited ${slept} s more for the cookies (and the loop marker) to expire`);
      assert.equal(cloudFront(await browser.cookies(base)).length, 0, 'the browser dropped the expired cookies');
      await assertRefreshed(browser);
    });

    step('no token, code or verifier in a response header or an edgegate dev log line', async (t) => {
      t.diagnostic(assertNoLeaks(await browser.all(), base, cl));
      t.diagnostic(assertNoLeaks(await other.all(), base, cl));
      t.diagnostic(assertQuietLog(dev, 12));
    });
  });
});

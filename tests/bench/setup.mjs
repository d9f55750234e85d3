#!/usr/bin/env node
// Benchmark setup (issue 3, "Benchmarks"). Generates, deterministically from a fixed seed and
// with node:crypto only, the throwaway keys of a fake Cognito user pool and a CloudFront key
// group, writes an edgegate.toml, runs `edgegate bundle`, and lays out the two anchor handlers
// (plain and esbuild-bundled). Everything lands in ./build (git-ignored).
//
//   EDGEGATE_BIN=/work/main/target/debug/edgegate node setup.mjs
//
// Keys: RSA-2048 primes and the P-256 scalar come from a SHA-256 counter stream over SEED, the
// primes are tested with crypto.checkPrimeSync and the key objects built from JWK components
// with crypto.createPrivateKey, so the same SEED gives byte-identical PEMs and JWKS on every run.
// These keys are for this benchmark only: never trust them anywhere.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BUILD = path.join(HERE, 'build');
const EDGEGATE_BIN = process.env.EDGEGATE_BIN || '/work/main/target/debug/edgegate';
const SEED = 'edgegate-bench-v1';

export const SETTINGS = {
  domain: 'downloads.example.com',
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_EdgeBench1',
  clientId: '4bench5edgegate6client7id8',
  group: 'downloaders',
  keyPairId: 'K2EDGEGATEBENCH1',
};

// ---- deterministic byte stream -------------------------------------------------------------
function stream(label) {
  let counter = 0;
  return (n) => {
    const out = [];
    let len = 0;
    while (len < n) {
      const block = crypto.createHash('sha256').update(`${SEED}/${label}/${counter++}`).digest();
      out.push(block);
      len += block.length;
    }
    return Buffer.concat(out).subarray(0, n);
  };
}

const toBig = (buf) => BigInt('0x' + buf.toString('hex'));
function toBuf(n, len) {
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const b = Buffer.from(hex, 'hex');
  return len && b.length < len ? Buffer.concat([Buffer.alloc(len - b.length), b]) : b;
}
const b64u = (n, len) => toBuf(n, len).toString('base64url');

function modInverse(a, m) {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new Error('not invertible');
  return ((oldS % m) + m) % m;
}

function prime(next, bits, e) {
  for (;;) {
    const b = next(bits / 8);
    b[0] |= 0xc0; // top two bits: p*q has exactly 2*bits bits
    b[b.length - 1] |= 1;
    const p = toBig(b);
    if (p % e !== 1n && crypto.checkPrimeSync(p, { checks: 64 })) return p;
  }
}

/** A deterministic RSA-2048 private key (e = 65537) from `label`. */
export function deterministicRsa(label) {
  const next = stream(label);
  const e = 65537n;
  const p = prime(next, 1024, e);
  let q;
  do q = prime(next, 1024, e); while (q === p);
  const n = p * q;
  const d = modInverse(e, (p - 1n) * (q - 1n));
  const jwk = {
    kty: 'RSA', n: b64u(n), e: b64u(e),
    d: b64u(d), p: b64u(p), q: b64u(q),
    dp: b64u(d % (p - 1n)), dq: b64u(d % (q - 1n)), qi: b64u(modInverse(q, p)),
  };
  return crypto.createPrivateKey({ key: jwk, format: 'jwk' });
}

/** A deterministic ECDSA P-256 private key from `label`. */
export function deterministicP256(label) {
  const order = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const d = (toBig(stream(label)(48)) % (order - 1n)) + 1n;
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(toBuf(d, 32));
  const pub = ecdh.getPublicKey(); // 04 || x || y
  const jwk = {
    kty: 'EC', crv: 'P-256',
    x: pub.subarray(1, 33).toString('base64url'),
    y: pub.subarray(33, 65).toString('base64url'),
    d: toBuf(d, 32).toString('base64url'),
  };
  return crypto.createPrivateKey({ key: jwk, format: 'jwk' });
}

/** A Cognito-style kid: base64 of the SHA-256 of the public key (Cognito kids look like that). */
const kidOf = (publicKey) =>
  crypto.createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('base64');

function write(rel, data) {
  const file = path.join(BUILD, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  return file;
}

async function main() {
  const t0 = Date.now();
  fs.rmSync(BUILD, { recursive: true, force: true });
  fs.mkdirSync(BUILD, { recursive: true });

  // A user pool publishes two signing keys (ID and access tokens); tokens here use the first.
  const jwtKeys = [deterministicRsa('cognito-jwt-1'), deterministicRsa('cognito-jwt-2')];
  const jwks = {
    keys: jwtKeys.map((k) => {
      const pub = crypto.createPublicKey(k);
      const { n, e } = pub.export({ format: 'jwk' });
      return { alg: 'RS256', e, kid: kidOf(pub), kty: 'RSA', n, use: 'sig' };
    }),
  };
  write('keys/jwt-rsa.pem', jwtKeys[0].export({ format: 'pem', type: 'pkcs8' }));
  write('jwks.json', JSON.stringify(jwks, null, 2) + '\n');

  const cfKey = deterministicP256('cloudfront-p256');
  write('keys/cloudfront-private.pem', cfKey.export({ format: 'pem', type: 'pkcs8' }));
  write('keys/cloudfront-public.pem', crypto.createPublicKey(cfKey).export({ format: 'pem', type: 'spki' }));

  const S = SETTINGS;
  const issuer = `https://cognito-idp.${S.region}.amazonaws.com/${S.userPoolId}`;
  write('edgegate.toml', `# Generated by tests/bench/setup.mjs: throwaway keys, benchmark only.
version = 1

[site]
domain = "${S.domain}"

[cognito]
region = "${S.region}"
user_pool_id = "${S.userPoolId}"
issuer_format = "original"
app_client_ids = ["${S.clientId}"]
token_use = ["access", "id"]
jwks_file = "jwks.json"

[[cloudfront.trusted_keys]]
key_pair_id = "${S.keyPairId}"
public_key_file = "keys/cloudfront-public.pem"

[[routes]]
prefix = "/releases"
access = "groups"
groups = ["${S.group}"]

[[routes]]
prefix = "/shared"
access = "signed"
`);

  write('meta.json', JSON.stringify({
    ...S, issuer, kid: jwks.keys[0].kid,
    jwtPrivateKey: 'keys/jwt-rsa.pem', cloudfrontPrivateKey: 'keys/cloudfront-private.pem',
    edgegate: 'edgegate/viewer-request/index.js',
    anchor: 'anchor/index.cjs', anchorBundled: 'anchor-bundled/index.js',
    cae: 'cae/index.cjs', caeBundled: 'cae-bundled/index.js',
  }, null, 2) + '\n');

  // edgegate's bundle.
  if (!fs.existsSync(EDGEGATE_BIN)) {
    throw new Error(`EDGEGATE_BIN ${EDGEGATE_BIN} not found (cd /work/main && cargo build -p edgegate-cli)`);
  }
  execFileSync(EDGEGATE_BIN, ['bundle', '--config', path.join(BUILD, 'edgegate.toml'), '--out', path.join(BUILD, 'edgegate')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });

  // The anchors: the handler source plus a settings.json (the JWKS baked in, like edgegate).
  const settings = JSON.stringify({ region: S.region, userPoolId: S.userPoolId, clientId: S.clientId, group: S.group, jwks });
  for (const [name, src] of [['anchor', 'anchor.cjs'], ['cae', 'cae.cjs']]) {
    write(`${name}/settings.json`, settings);
    fs.copyFileSync(path.join(HERE, 'handlers', src), path.join(BUILD, name, 'index.cjs'));
  }
  // One-file Lambda packages, as a team would ship them.
  const esbuild = await import('esbuild');
  for (const name of ['anchor', 'cae']) {
    await esbuild.build({
      entryPoints: [path.join(BUILD, name, 'index.cjs')],
      outfile: path.join(BUILD, `${name}-bundled`, 'index.js'),
      bundle: true, minify: true, platform: 'node', target: 'node20', format: 'cjs',
      logLevel: 'warning',
    });
  }
  const zip = path.join(BUILD, 'edgegate', 'viewer-request.zip');
  console.log(`setup: keys, edgegate.toml, edgegate bundle (${fs.statSync(zip).size} bytes zipped), anchors in ${BUILD} (${Date.now() - t0} ms)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`setup: ${err.stack || err}`);
    process.exit(1);
  });
}

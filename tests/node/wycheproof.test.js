'use strict';
// Wycheproof RSA PKCS#1 v1.5 vectors through the wasm build's verification path: key parsing in
// Rust (PublicKey::from_spki_der), the primitive in node:crypto. "acceptable" counts as reject.
// The native build runs the same files through ring (keys/tests/wycheproof.rs): both must match
// the vectors' verdicts, hence each other.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { bundleDir, wycheproofDir } = require('./helpers.js');

globalThis.edgegateHost = require(path.join(bundleDir(), 'host.js'));
const glue = require(path.join(bundleDir(), 'edgegate_edge.js'));

function load(name) {
  const file = path.join(wycheproofDir(), name);
  assert.ok(fs.existsSync(file), `${file} missing (vendored under keys/tests/vectors/wycheproof)`);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

const ALG = { 'SHA-1': 'rsa-sha1', 'SHA-256': 'rsa-sha256' };

// edgegate's key policy (RFC 7518 §3.3; issue "The gate"): RSA 2048-4096 bits, e = 65537. A
// vector whose key breaks it must be refused whatever its verdict.
function keyAllowed(group) {
  const e = (group.publicKey && group.publicKey.publicExponent) || group.e || '';
  const bits = group.keySize || group.keysize || 0;
  return e.replace(/^0+/, '') === '10001' && bits >= 2048 && bits <= 4096;
}

function run(doc) {
  let count = 0;
  let refusedByPolicy = 0;
  const wrong = [];
  for (const group of doc.testGroups) {
    const alg = ALG[group.sha];
    if (!alg) continue; // SHA-384/512 groups: not a CloudFront or RS256 algorithm
    const spki = Buffer.from(group.publicKeyDer || group.keyDer, 'hex');
    const allowed = keyAllowed(group);
    for (const t of group.tests) {
      const got = glue.verifyDetached(alg, spki, Buffer.from(t.msg, 'hex'), Buffer.from(t.sig, 'hex'));
      const want = t.result === 'valid' && allowed;
      if (t.result === 'valid' && !allowed) refusedByPolicy++;
      if (got !== want) wrong.push(`tcId ${t.tcId} (${t.result}, ${t.comment}): got ${got}`);
      count++;
    }
  }
  return { count, wrong, refusedByPolicy };
}

test('wycheproof rsa_signature_2048_sha256 through wasm + node:crypto matches every verdict', () => {
  const { count, wrong, refusedByPolicy } = run(load('rsa_signature_2048_sha256_test.json'));
  assert.strictEqual(count, 259);
  assert.strictEqual(refusedByPolicy, 2); // tcId 258, 259: valid signatures under e = 3 keys
  assert.deepStrictEqual(wrong, []);
});

test('wycheproof legacy_rsa_signature (PKCS#1 v1.5 verify) through wasm + node:crypto matches', () => {
  const { count, wrong } = run(load('legacy_rsa_signature_test.json'));
  assert.ok(count >= 200, `only ${count} tests found`);
  assert.deepStrictEqual(wrong, []);
});

'use strict';
// The one host import of the edgegate wasm module: the RSA/ECDSA primitive, done by node:crypto
// (OpenSSL). Parsing, policies, claims and decisions stay in Rust. Key objects are cached by the
// key's SHA-256 fingerprint. Any error is "not verified".
const crypto = require('node:crypto');

const keys = new Map();
const ALGORITHMS = {
  'rsa-sha1': { hash: 'sha1', type: 'rsa', der: false },
  'rsa-sha256': { hash: 'sha256', type: 'rsa', der: false },
  'ecdsa-p256-sha256': { hash: 'sha256', type: 'ec', der: true },
};

exports.verifySignature = function verifySignature(algorithm, keyId, spki, message, signature) {
  const alg = ALGORITHMS[algorithm];
  if (alg === undefined) return false;
  try {
    let key = keys.get(keyId);
    if (key === undefined) {
      key = crypto.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      keys.set(keyId, key);
    }
    if (key.asymmetricKeyType !== alg.type) return false;
    const opts = alg.der ? { key, dsaEncoding: 'der' } : key;
    return crypto.verify(alg.hash, message, opts, signature) === true;
  } catch (_) {
    return false;
  }
};

#!/usr/bin/env node
// Independent signature check for edgegate's interop tests: node:crypto.verify (OpenSSL).
// No dependencies beyond Node itself.
//
// stdin:  JSON array of checks
//   {"publicKeyPem": "-----BEGIN PUBLIC KEY-----...",   // RSA or EC P-256 (SPKI PEM)
//    "hash": "sha1" | "sha256",
//    "signature": "...",                               // ECDSA: DER, as CloudFront and JWS-less signers send it
//    "signatureEncoding": "cloudfront" | "base64url",  // CloudFront base64 (+ -> -, = -> _, / -> ~) or RFC 4648 §5
//    and the signed message as exactly one of:
//    "message": "<utf-8 text>",                        // e.g. a JWT's "header.payload"
//    "policyBase64": "<CloudFront base64>",            // a custom policy as sent in Policy=
//    "cannedUrl": "https://...", "expires": <epoch s>} // the canned policy, built as the AWS SDK builds it
// stdout: JSON array, same order: {"ok": true|false} | {"error": "..."}
import { createPublicKey, verify } from "node:crypto";

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}


function fromCloudFrontBase64(s) {
  return Buffer.from(s.replace(/-/g, "+").replace(/_/g, "=").replace(/~/g, "/"), "base64");
}

function checkOne(c) {
  const key = createPublicKey(c.publicKeyPem);
  let hash;
  if (c.hash === "sha1") hash = "sha1";
  else if (c.hash === "sha256") hash = "sha256";
  else throw new Error(`unknown hash ${JSON.stringify(c.hash)}`);
  let signature;
  if (c.signatureEncoding === "cloudfront") signature = fromCloudFrontBase64(c.signature);
  else if (c.signatureEncoding === "base64url") signature = Buffer.from(c.signature, "base64url");
  else throw new Error(`unknown signatureEncoding ${JSON.stringify(c.signatureEncoding)}`);
  let message;
  if (typeof c.message === "string") message = Buffer.from(c.message, "utf8");
  else if (typeof c.policyBase64 === "string") message = fromCloudFrontBase64(c.policyBase64);
  else if (typeof c.cannedUrl === "string" && Number.isSafeInteger(c.expires)) {
    // Same construction as @aws-sdk/cloudfront-signer's buildPolicy (JSON.stringify, this order).
    message = Buffer.from(JSON.stringify({
      Statement: [{ Resource: c.cannedUrl, Condition: { DateLessThan: { "AWS:EpochTime": c.expires } } }],
    }), "utf8");
  } else throw new Error("give message, policyBase64 or cannedUrl + expires");
  return { ok: verify(hash, message, key, signature) };
}

const input = await readStdin();
let checks;
try {
  checks = JSON.parse(input);
} catch (e) {
  process.stderr.write(`node_verify.mjs: stdin is not JSON: ${e.message}\n`);
  process.exit(2);
}
if (!Array.isArray(checks)) {
  process.stderr.write("node_verify.mjs: stdin must be a JSON array\n");
  process.exit(2);
}
const results = checks.map((c) => {
  try {
    return checkOne(c);
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
});
process.stdout.write(JSON.stringify(results) + "\n");

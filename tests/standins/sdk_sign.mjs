#!/usr/bin/env node
// Independent CloudFront signer for edgegate's interop tests: @aws-sdk/cloudfront-signer.
//
// stdin:  JSON array of requests
//   {"kind": "url" | "cookies",
//    "url": "https://...",                 // required for canned; optional with "policy" for url
//    "keyPairId": "K...",
//    "privateKeyPem": "-----BEGIN ...",    // RSA or EC P-256 (PKCS#1, SEC1 or PKCS#8 PEM)
//    "dateLessThan": 2000000000,           // epoch SECONDS (integer); canned policy
//    "policy": "{...}",                    // optional custom policy JSON string, signed verbatim
//    "hash": "sha1" | "sha256",            // optional, default sha1
//    "dateGreaterThan": 1700000000,        // optional extension: SDK builds a custom policy
//    "ipAddress": "192.0.2.0/24"}          // optional extension: SDK builds a custom policy
// stdout: JSON array of results, same order:
//   {"url": "<signed url>"} | {"cookies": {"CloudFront-...": "..."}} | {"error": "..."}
//
// The SDK treats a *number* dateLessThan as milliseconds (new Date(n)), so seconds are
// passed as a Date built from seconds * 1000; the SDK then rounds ms / 1000, which is exact.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { getSignedUrl, getSignedCookies } = require("@aws-sdk/cloudfront-signer");

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

function epochSecondsToDate(name, v) {
  if (!Number.isSafeInteger(v)) {
    throw new Error(`${name} must be an integer number of epoch seconds`);
  }
  return new Date(v * 1000);
}

function signOne(req) {
  if (req === null || typeof req !== "object" || Array.isArray(req)) {
    throw new Error("request must be an object");
  }
  const { kind, url, keyPairId, privateKeyPem, dateLessThan, policy } = req;
  if (kind !== "url" && kind !== "cookies") throw new Error(`unknown kind ${JSON.stringify(kind)}`);
  if (typeof keyPairId !== "string") throw new Error("keyPairId must be a string");
  if (typeof privateKeyPem !== "string") throw new Error("privateKeyPem must be a string");
  const hash = req.hash ?? "sha1";
  let algorithm;
  if (hash === "sha1") algorithm = "SHA1";
  else if (hash === "sha256") algorithm = "SHA256";
  else throw new Error(`unknown hash ${JSON.stringify(hash)}`);

  const opts = { keyPairId, privateKey: privateKeyPem, algorithm };
  if (url !== undefined && url !== null) {
    if (typeof url !== "string") throw new Error("url must be a string");
    opts.url = url;
  }
  if (policy !== undefined && policy !== null) {
    if (typeof policy !== "string") throw new Error("policy must be a JSON string");
    if (dateLessThan !== undefined && dateLessThan !== null) {
      throw new Error("give either policy or dateLessThan, not both");
    }
    opts.policy = policy;
  } else {
    if (dateLessThan === undefined || dateLessThan === null) {
      throw new Error("dateLessThan (epoch seconds) is required without a policy");
    }
    opts.dateLessThan = epochSecondsToDate("dateLessThan", dateLessThan);
    if (req.dateGreaterThan !== undefined && req.dateGreaterThan !== null) {
      opts.dateGreaterThan = epochSecondsToDate("dateGreaterThan", req.dateGreaterThan);
    }
    if (req.ipAddress !== undefined && req.ipAddress !== null) {
      opts.ipAddress = String(req.ipAddress);
    }
  }

  if (kind === "url") {
    return { url: getSignedUrl(opts) };
  }
  const raw = getSignedCookies(opts);
  const cookies = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v !== undefined) cookies[k] = String(v);
  }
  return { cookies };
}

const input = await readStdin();
let requests;
try {
  requests = JSON.parse(input);
} catch (e) {
  process.stderr.write(`sdk_sign.mjs: stdin is not JSON: ${e.message}\n`);
  process.exit(2);
}
if (!Array.isArray(requests)) {
  process.stderr.write("sdk_sign.mjs: stdin must be a JSON array of requests\n");
  process.exit(2);
}
const results = requests.map((req) => {
  try {
    return signOne(req);
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
});
process.stdout.write(JSON.stringify(results) + "\n");

#!/usr/bin/env python3
"""Independent CloudFront signer for edgegate's interop tests: botocore's CloudFrontSigner.

Run with the stand-ins venv ($EDGEGATE_PYTHON). Same stdin/stdout contract as sdk_sign.mjs:

stdin:  JSON array of requests
  {"kind": "url" | "cookies", "url": "...", "keyPairId": "...", "privateKeyPem": "...",
   "dateLessThan": <epoch seconds, int>, "policy": "<custom policy JSON>" (optional),
   "hash": "sha1" | "sha256" (optional, default sha1),
   "dateGreaterThan": <epoch seconds> (optional extension), "ipAddress": "a.b.c.d[/n]" (optional
   extension): with either, botocore's build_policy() makes a custom policy}
stdout: JSON array of results: {"url": ...} | {"cookies": {...}} | {"error": ...}

botocore facts this relies on (botocore/signers.py, CloudFrontSigner):
- generate_presigned_url(url, date_less_than=datetime | policy=str) appends
  canned `Expires, Signature, Key-Pair-Id` / custom `Policy, Signature, Key-Pair-Id` after
  '?' (or '&' when the url already contains '?'); the url itself is not re-encoded.
- The signing callback receives the policy bytes; botocore has no hash-algorithm option
  and never emits Hash-Algorithm, so "hash": "sha256" is answered with an error.
- There is no cookie helper: cookies are assembled here from build_policy(), the callback
  and the signer's CloudFront base64 (_url_b64encode), exactly as generate_presigned_url does.
"""

import json
import sys
from datetime import datetime, timezone

from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


def epoch_to_datetime(name, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer number of epoch seconds")
    return datetime.fromtimestamp(value, tz=timezone.utc)


def make_signer_callback(private_key_pem):
    key = serialization.load_pem_private_key(private_key_pem.encode("utf-8"), password=None)
    if isinstance(key, rsa.RSAPrivateKey):
        return lambda message: key.sign(message, padding.PKCS1v15(), hashes.SHA1())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        # botocore does not care what the callback does; ECDSA (DER) over SHA-1.
        return lambda message: key.sign(message, ec.ECDSA(hashes.SHA1()))
    raise ValueError(f"unsupported key type {type(key).__name__}")


def sign_one(req):
    if not isinstance(req, dict):
        raise ValueError("request must be an object")
    kind = req.get("kind")
    if kind not in ("url", "cookies"):
        raise ValueError(f"unknown kind {kind!r}")
    hash_name = req.get("hash") or "sha1"
    if hash_name == "sha256":
        return {"error": "unsupported: botocore CloudFrontSigner has no Hash-Algorithm/SHA-256 support"}
    if hash_name != "sha1":
        raise ValueError(f"unknown hash {hash_name!r}")
    key_pair_id = req.get("keyPairId")
    pem = req.get("privateKeyPem")
    if not isinstance(key_pair_id, str) or not isinstance(pem, str):
        raise ValueError("keyPairId and privateKeyPem must be strings")
    url = req.get("url")
    policy = req.get("policy")
    dlt = req.get("dateLessThan")

    callback = make_signer_callback(pem)
    signer = CloudFrontSigner(key_pair_id, callback)

    if policy is not None:
        if not isinstance(policy, str):
            raise ValueError("policy must be a JSON string")
        if dlt is not None:
            raise ValueError("give either policy or dateLessThan, not both")
        canned_expires = None
    else:
        if dlt is None:
            raise ValueError("dateLessThan (epoch seconds) is required without a policy")
        if not isinstance(url, str):
            raise ValueError("url must be a string")
        dgt = req.get("dateGreaterThan")
        ip = req.get("ipAddress")
        if dgt is not None or ip is not None:
            policy = signer.build_policy(
                url,
                epoch_to_datetime("dateLessThan", dlt),
                date_greater_than=epoch_to_datetime("dateGreaterThan", dgt) if dgt is not None else None,
                ip_address=ip,
            )
            canned_expires = None
        else:
            canned_expires = epoch_to_datetime("dateLessThan", dlt)

    if kind == "url":
        if not isinstance(url, str):
            raise ValueError("url must be a string (botocore needs it even with a policy)")
        if canned_expires is not None:
            return {"url": signer.generate_presigned_url(url, date_less_than=canned_expires)}
        return {"url": signer.generate_presigned_url(url, policy=policy)}

    # kind == "cookies"
    if canned_expires is not None:
        signed_policy = signer.build_policy(url, canned_expires)
    else:
        signed_policy = policy
    policy_bytes = signed_policy.encode("utf-8")
    signature = signer._url_b64encode(callback(policy_bytes)).decode("ascii")
    cookies = {}
    if canned_expires is not None:
        cookies["CloudFront-Expires"] = str(dlt)
    else:
        cookies["CloudFront-Policy"] = signer._url_b64encode(policy_bytes).decode("ascii")
    cookies["CloudFront-Signature"] = signature
    cookies["CloudFront-Key-Pair-Id"] = key_pair_id
    return {"cookies": cookies}


def main():
    try:
        requests = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    except ValueError as e:
        print(f"botocore_sign.py: stdin is not JSON: {e}", file=sys.stderr)
        return 2
    if not isinstance(requests, list):
        print("botocore_sign.py: stdin must be a JSON array of requests", file=sys.stderr)
        return 2
    results = []
    for req in requests:
        try:
            results.append(sign_one(req))
        except Exception as e:  # noqa: BLE001 - every refusal becomes {"error": ...}
            results.append({"error": f"{type(e).__name__}: {e}"})
    sys.stdout.write(json.dumps(results) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

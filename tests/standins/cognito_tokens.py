#!/usr/bin/env python3
"""Make real-shaped Cognito tokens from moto for edgegate's end-to-end tests.

Run with the stand-ins venv ($EDGEGATE_PYTHON):

    cognito_tokens.py --endpoint "$EDGEGATE_MOTO_URL" [--region us-east-1]

Creates a fresh user pool with an app client (no secret; USER_PASSWORD_AUTH + refresh), a
second "foreign" app client, group `downloaders`, user `alice` (in the group) and `bob` (not),
signs each in with USER_PASSWORD_AUTH (alice also through the foreign client), fetches the
pool's JWKS from moto and prints one JSON object on stdout:

  {"region", "user_pool_id", "client_id", "foreign_client_id", "issuer", "jwks_url",
   "jwks": {...}, "tokens": {"alice": {"id", "access", "refresh"}, "bob": {...},
   "alice_foreign": {...}}, "passwords": {"alice": "...", "bob": "..."}}

`issuer` is the `iss` claim as found in the tokens (checked to be
https://cognito-idp.<region>.amazonaws.com/<poolId>); `jwks_url` is moto's URL for the JWKS.
Every call makes a new pool, so runs against one moto server do not collide.
"""

import argparse
import base64
import json
import os
import sys
import urllib.request
import uuid

import boto3

GROUP = "downloaders"
PASSWORDS = {"alice": "Alice-Passw0rd!", "bob": "Bob-Passw0rd!"}


def jwt_part(token, index):
    part = token.split(".")[index]
    part += "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(part))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoint", default=os.environ.get("EDGEGATE_MOTO_URL"),
                    help="moto server URL (default: $EDGEGATE_MOTO_URL)")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--pool-name", default=None, help="default: edgegate-<random>")
    args = ap.parse_args()
    if not args.endpoint:
        ap.error("--endpoint (or EDGEGATE_MOTO_URL) is required")
    endpoint = args.endpoint.rstrip("/")
    region = args.region

    idp = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )

    pool_name = args.pool_name or f"edgegate-{uuid.uuid4().hex[:8]}"
    pool_id = idp.create_user_pool(PoolName=pool_name)["UserPool"]["Id"]

    def make_client(name):
        return idp.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=name,
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]

    client_id = make_client("edgegate")
    foreign_client_id = make_client("foreign")

    idp.create_group(UserPoolId=pool_id, GroupName=GROUP)
    for user, password in PASSWORDS.items():
        idp.admin_create_user(UserPoolId=pool_id, Username=user, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=pool_id, Username=user, Password=password, Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username="alice", GroupName=GROUP)

    def login(user, cid):
        res = idp.initiate_auth(
            ClientId=cid,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": user, "PASSWORD": PASSWORDS[user]},
        )
        if "AuthenticationResult" not in res:
            raise SystemExit(f"login of {user} returned a challenge: {res.get('ChallengeName')}")
        ar = res["AuthenticationResult"]
        return {"id": ar["IdToken"], "access": ar["AccessToken"], "refresh": ar.get("RefreshToken")}

    tokens = {
        "alice": login("alice", client_id),
        "bob": login("bob", client_id),
        "alice_foreign": login("alice", foreign_client_id),
    }

    jwks_url = f"{endpoint}/{pool_id}/.well-known/jwks.json"
    with urllib.request.urlopen(jwks_url, timeout=10) as r:
        jwks = json.loads(r.read())

    issuer = jwt_part(tokens["alice"]["id"], 1)["iss"]
    expected = f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
    if issuer != expected:
        raise SystemExit(f"unexpected iss {issuer!r}, wanted {expected!r}")
    for who, pair in tokens.items():
        for use in ("id", "access"):
            iss = jwt_part(pair[use], 1).get("iss")
            if iss != issuer:
                raise SystemExit(f"{who} {use} token has iss {iss!r}, wanted {issuer!r}")

    out = {
        "region": region,
        "user_pool_id": pool_id,
        "client_id": client_id,
        "foreign_client_id": foreign_client_id,
        "issuer": issuer,
        "jwks_url": jwks_url,
        "jwks": jwks,
        "tokens": tokens,
        "passwords": PASSWORDS,
    }
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

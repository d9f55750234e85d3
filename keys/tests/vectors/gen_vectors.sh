#!/bin/sh
# Regenerates the derived vector files in this directory from the throwaway keys of the test kit
# ($KEYS, tests/kit/keys).
# Needs OpenSSL 3 and coreutils (basenc, xxd). Run from this directory: ./gen_vectors.sh
# The outputs are committed; re-running changes nothing except the ECDSA signatures (random k).
set -eu

KEYS=../../../tests/kit/keys

# base64url (no padding) of the RSA modulus of a PEM key
n_b64url() {
    openssl rsa -in "$1" -noout -modulus | cut -d= -f2 | xxd -r -p | basenc --base64url -w0 | tr -d '='
}

# --- cognito_jwks.json: a Cognito-shaped JWKS (members in the order Cognito serves them) -----
KID_A='M8BGf6hE43/QGbiElQoDzWtRZwsau0GWrruNWz/bQ6c='
KID_B='QWkw5tgrxIwthJJLgYtrej8XirEcd7OsbVueMbjWk3U='
cat > cognito_jwks.json <<JWKS
{"keys":[{"alg":"RS256","e":"AQAB","kid":"$KID_A","kty":"RSA","n":"$(n_b64url $KEYS/rsa2048_a.pem)","use":"sig"},{"alg":"RS256","e":"AQAB","kid":"$KID_B","kty":"RSA","n":"$(n_b64url $KEYS/rsa2048_b.pem)","use":"sig"}]}
JWKS

# --- cloudfront_signed_openssl.txt: signed URLs made by OpenSSL, not by edgegate ------------
# CloudFront base64: standard base64 with padding, then + -> -, = -> _, / -> ~
cf_b64() { openssl base64 -A | tr '+=/' '-_~'; }
# sign <key> <sha1|sha256> <policy bytes>
sign() { printf '%s' "$3" | openssl dgst "-$2" -sign "$1" | cf_b64; }

OUT=cloudfront_signed_openssl.txt
cat > $OUT <<'HEAD'
# CloudFront signed URLs produced with OpenSSL (see gen_vectors.sh), independent of edgegate's
# signer. Parameters are in the order of the AWS guide's examples (Expires/Policy, Signature,
# Key-Pair-Id), not the order edgegate's signer uses. Key names a file in tests/kit/keys and
# KeyPairId the id it is trusted under in the test. Result = P (verifies) or the VerifyError variant expected.
HEAD

D=https://d111111abcdef8.cloudfront.net
KP_RSA=K2JCJMDEHXQW5F
KP_EC=K1ECDSAP256TEST

# 1, 2: canned policy, RSA SHA-1 (CloudFront's default) and RSA SHA-256.
URL="$D/releases/1.0.0/app.zip"
POLICY="{\"Statement\":[{\"Resource\":\"$URL\",\"Condition\":{\"DateLessThan\":{\"AWS:EpochTime\":2000000000}}}]}"
SIG1=$(sign $KEYS/rsa2048_a.pem sha1 "$POLICY")
SIG256=$(sign $KEYS/rsa2048_a.pem sha256 "$POLICY")
cat >> $OUT <<CASE

# canned, RSA SHA-1, one second before Expires
Key = rsa2048_a
KeyPairId = $KP_RSA
Url = $URL?Expires=2000000000&Signature=$SIG1&Key-Pair-Id=$KP_RSA
ClientIp = 192.0.2.10
Now = 1999999999
Result = P

# canned, RSA SHA-1, at Expires (DateLessThan is exclusive)
Key = rsa2048_a
KeyPairId = $KP_RSA
Url = $URL?Expires=2000000000&Signature=$SIG1&Key-Pair-Id=$KP_RSA
ClientIp = 192.0.2.10
Now = 2000000000
Result = Expired

# canned, RSA SHA-256 (Hash-Algorithm=SHA256)
Key = rsa2048_a
KeyPairId = $KP_RSA
Url = $URL?Expires=2000000000&Signature=$SIG256&Key-Pair-Id=$KP_RSA&Hash-Algorithm=SHA256
ClientIp = 192.0.2.10
Now = 1999999999
Result = P

# canned, the SHA-256 signature presented without Hash-Algorithm (so verified as SHA-1)
Key = rsa2048_a
KeyPairId = $KP_RSA
Url = $URL?Expires=2000000000&Signature=$SIG256&Key-Pair-Id=$KP_RSA
ClientIp = 192.0.2.10
Now = 1999999999
Result = BadSignature
CASE

# 3: the AWS guide's first custom-policy example (one object, a range of IPs), whitespace removed.
URL="http://d111111abcdef8.cloudfront.net/game_download.zip"
POLICY='{"Statement":[{"Resource":"http://d111111abcdef8.cloudfront.net/game_download.zip","Condition":{"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"},"DateLessThan":{"AWS:EpochTime":1357034400}}}]}'
P64=$(printf '%s' "$POLICY" | cf_b64)
SIG=$(sign $KEYS/rsa2048_a.pem sha1 "$POLICY")
cat >> $OUT <<CASE

# AWS example "one object from a range of IP addresses", RSA SHA-1, viewer inside 192.0.2.0/24
Key = rsa2048_a
KeyPairId = $KP_RSA
Url = $URL?Policy=$P64&Signature=$SIG&Key-Pair-Id=$KP_RSA
ClientIp = 192.0.2.77
Now = 1357034399
Result = P

# same URL, viewer outside the range
Key = rsa2048_a
KeyPairId = $KP_RSA
Url = $URL?Policy=$P64&Signature=$SIG&Key-Pair-Id=$KP_RSA
ClientIp = 198.51.100.1
Now = 1357034399
Result = IpMismatch

# same URL, an IPv6 viewer (IPv6 is not supported in IpAddress)
Key = rsa2048_a
KeyPairId = $KP_RSA
Url = $URL?Policy=$P64&Signature=$SIG&Key-Pair-Id=$KP_RSA
ClientIp = 2001:db8::1
Now = 1357034399
Result = IpMismatch
CASE

# 4: the AWS guide's second example (all objects in a directory), ECDSA P-256 SHA-256.
POLICY='{"Statement":[{"Resource":"http://d111111abcdef8.cloudfront.net/training/*","Condition":{"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"},"DateLessThan":{"AWS:EpochTime":1357034400}}}]}'
P64=$(printf '%s' "$POLICY" | cf_b64)
SIG=$(sign $KEYS/ec_p256_a.pem sha256 "$POLICY")
cat >> $OUT <<CASE

# AWS example "all objects in a directory", ECDSA P-256 SHA-256 (DER signature)
Key = ec_p256_a
KeyPairId = $KP_EC
Url = http://d111111abcdef8.cloudfront.net/training/orientation.pdf?Policy=$P64&Signature=$SIG&Key-Pair-Id=$KP_EC&Hash-Algorithm=SHA256
ClientIp = 192.0.2.1
Now = 1357034399
Result = P

# same policy and signature, a path outside training/
Key = ec_p256_a
KeyPairId = $KP_EC
Url = http://d111111abcdef8.cloudfront.net/trainingx/orientation.pdf?Policy=$P64&Signature=$SIG&Key-Pair-Id=$KP_EC&Hash-Algorithm=SHA256
ClientIp = 192.0.2.1
Now = 1357034399
Result = ResourceMismatch

# ECDSA key without Hash-Algorithm: ECDSA with SHA-1 is refused
Key = ec_p256_a
KeyPairId = $KP_EC
Url = http://d111111abcdef8.cloudfront.net/training/orientation.pdf?Policy=$P64&Signature=$SIG&Key-Pair-Id=$KP_EC
ClientIp = 192.0.2.1
Now = 1357034399
Result = UnsupportedAlgorithm
CASE

# 5: the AWS guide's third example (any object, one IP, a start and an end date), RSA SHA-1.
POLICY='{"Statement":[{"Resource":"http://*","Condition":{"IpAddress":{"AWS:SourceIp":"192.0.2.10/32"},"DateGreaterThan":{"AWS:EpochTime":1357034400},"DateLessThan":{"AWS:EpochTime":1357120800}}}]}'
P64=$(printf '%s' "$POLICY" | cf_b64)
SIG=$(sign $KEYS/rsa2048_a.pem sha1 "$POLICY")
cat >> $OUT <<CASE

# AWS example "all objects associated with a key pair from one IP", at DateGreaterThan (inclusive)
Key = rsa2048_a
KeyPairId = $KP_RSA
Url = http://d111111abcdef8.cloudfront.net/training/orientation.pdf?Policy=$P64&Signature=$SIG&Key-Pair-Id=$KP_RSA
ClientIp = 192.0.2.10
Now = 1357034400
Result = P

# same, one second before DateGreaterThan
Key = rsa2048_a
KeyPairId = $KP_RSA
Url = http://d111111abcdef8.cloudfront.net/training/orientation.pdf?Policy=$P64&Signature=$SIG&Key-Pair-Id=$KP_RSA
ClientIp = 192.0.2.10
Now = 1357034399
Result = NotYetValid

# same, from the neighbouring address (/32 is exactly one address)
Key = rsa2048_a
KeyPairId = $KP_RSA
Url = http://d111111abcdef8.cloudfront.net/training/orientation.pdf?Policy=$P64&Signature=$SIG&Key-Pair-Id=$KP_RSA
ClientIp = 192.0.2.11
Now = 1357034400
Result = IpMismatch

# same, https: "http://*" does not cover https URLs
Key = rsa2048_a
KeyPairId = $KP_RSA
Url = https://d111111abcdef8.cloudfront.net/training/orientation.pdf?Policy=$P64&Signature=$SIG&Key-Pair-Id=$KP_RSA
ClientIp = 192.0.2.10
Now = 1357034400
Result = ResourceMismatch
CASE

'use strict';
// The anchor: what a team would write instead of edgegate, on awslabs/aws-jwt-verify.
// Bearer ID/access token from the user pool, JWKS baked in (no network), group check.
const { CognitoJwtVerifier } = require('aws-jwt-verify');
const settings = require('./settings.json'); // { userPoolId, clientId, group, jwks }

const verifier = CognitoJwtVerifier.create({ userPoolId: settings.userPoolId, tokenUse: null, clientId: settings.clientId });
verifier.cacheJwks(settings.jwks);

const deny = (status, statusDescription, extra) => ({
  status, statusDescription,
  headers: { 'cache-control': [{ key: 'Cache-Control', value: 'no-store' }], ...extra },
});

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const auth = request.headers.authorization;
  if (!auth || auth.length !== 1 || !auth[0].value.startsWith('Bearer ')) {
    return deny('401', 'Unauthorized', { 'www-authenticate': [{ key: 'WWW-Authenticate', value: 'Bearer' }] });
  }
  let payload;
  try {
    payload = verifier.verifySync(auth[0].value.slice(7));
  } catch (_) {
    return deny('401', 'Unauthorized', { 'www-authenticate': [{ key: 'WWW-Authenticate', value: 'Bearer error="invalid_token"' }] });
  }
  if (!(payload['cognito:groups'] || []).includes(settings.group)) return deny('403', 'Forbidden');
  delete request.headers.authorization;
  return request;
};

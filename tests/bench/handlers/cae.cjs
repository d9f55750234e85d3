'use strict';
// awslabs/cognito-at-edge's Authenticator as a viewer-request handler. It reads the ID token
// from its cookie (CognitoIdentityServiceProvider.<clientId>.<user>.idToken) and verifies it
// with its own (nested) aws-jwt-verify CognitoJwtVerifier, tokenUse 'id'. No group check
// (cognito-at-edge has none). Logging: its pino logger at its default level, 'silent'.
const { Authenticator } = require('cognito-at-edge');
const settings = require('./settings.json'); // { region, userPoolId, clientId, jwks }

const authenticator = new Authenticator({
  region: settings.region,
  userPoolId: settings.userPoolId,
  userPoolAppId: settings.clientId,
  userPoolDomain: 'auth.downloads.example.com',
});
// JWKS without network: `_jwtVerifier` is the instance's CognitoJwtVerifier (a TypeScript-
// private field, plain property at runtime); cacheJwks() is aws-jwt-verify's public API to
// pre-load the JWKS for the pool's issuer(s).
authenticator._jwtVerifier.cacheJwks(settings.jwks);
// Belt and braces: any JWKS download attempt fails loudly instead of going to the network.
authenticator._jwtVerifier.jwksCache.fetcher = {
  fetch: async (uri) => { throw new Error(`bench: network disabled (tried ${uri})`); },
};

exports.handler = async (event) => authenticator.handle(event);

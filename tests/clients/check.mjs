// A service in Node verifying keycard tokens (run by tests/clients/run): jose's
// createRemoteJWKSet + jwtVerify against the published key set, then POST /introspect.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const { KEYCARD_URL: url, TOKEN: token, ISSUER: issuer, AUDIENCE: audience } = process.env;
const algorithm = process.env.ALGORITHM;
const expectActive = process.env.EXPECT_ACTIVE === 'true';

const jwks = createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`));
const { payload, protectedHeader } = await jwtVerify(token, jwks, {
  issuer,
  audience,
  algorithms: [algorithm],
});
if (protectedHeader.alg !== algorithm) throw new Error(`alg ${protectedHeader.alg}`);

for (const wrong of [{ audience: 'someone-else' }, { issuer: 'https://evil.example' }]) {
  const refused = await jwtVerify(token, jwks, { issuer, audience, algorithms: [algorithm], ...wrong })
    .then(() => false, () => true);
  if (!refused) throw new Error(`node: accepted a token for the wrong ${Object.keys(wrong)[0]}`);
}

const basic = Buffer.from(`${process.env.CLIENT}:${process.env.CLIENT_SECRET}`).toString('base64');
const response = await fetch(`${url}/introspect`, {
  method: 'POST',
  headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/json' },
  body: JSON.stringify({ token }),
});
if (response.status !== 200) throw new Error(`introspection: ${response.status}`);
const answer = await response.json();
if (expectActive) {
  if (answer.active !== true || answer.sub !== payload.sub || answer.sid !== payload.sid) {
    throw new Error(`introspection: ${JSON.stringify(answer)}`);
  }
} else if (JSON.stringify(answer) !== '{"active":false}') {
  throw new Error(`introspection after sign-out: ${JSON.stringify(answer)}`);
}
const unauthorised = await fetch(`${url}/introspect`, { method: 'POST', body: new URLSearchParams({ token }) });
if (unauthorised.status !== 401 || !unauthorised.headers.get('www-authenticate')?.startsWith('Basic')) {
  throw new Error(`introspection without credentials: ${unauthorised.status}`);
}
console.log(`node (jose): verified offline, introspection active=${answer.active}`);

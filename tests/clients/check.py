"""A service in Python verifying keycard tokens (run by tests/clients/run).

Offline: PyJWT's PyJWKClient fetches /.well-known/jwks.json and picks the key by the
token's kid; iss, aud and exp are checked. Online: POST /introspect with HTTP Basic.
"""

import base64
import json
import os
import sys
import urllib.parse
import urllib.request

import jwt

url = os.environ["KEYCARD_URL"]
token = os.environ["TOKEN"]
issuer = os.environ["ISSUER"]
audience = os.environ["AUDIENCE"]
algorithm = os.environ["ALGORITHM"]
expect_active = os.environ["EXPECT_ACTIVE"] == "true"


def introspect(token):
    credentials = f"{os.environ['CLIENT']}:{os.environ['CLIENT_SECRET']}".encode()
    request = urllib.request.Request(
        f"{url}/introspect",
        data=urllib.parse.urlencode({"token": token}).encode(),
        headers={"Authorization": "Basic " + base64.b64encode(credentials).decode()},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


jwks = jwt.PyJWKClient(f"{url}/.well-known/jwks.json")
key = jwks.get_signing_key_from_jwt(token)
claims = jwt.decode(
    token, key.key, algorithms=[algorithm], issuer=issuer, audience=audience
)
assert claims["iss"] == issuer and claims["aud"] == audience, claims

for wrong in ({"audience": "someone-else"}, {"issuer": "https://evil.example"}):
    options = {"issuer": issuer, "audience": audience, **wrong}
    try:
        jwt.decode(token, key.key, algorithms=[algorithm], **options)
    except jwt.InvalidTokenError:
        pass
    else:
        sys.exit(f"python: a token for the wrong {list(wrong)[0]} was accepted")

# The key set with the algorithm confused: HS256 keyed with the public key is refused.
try:
    jwt.decode(token, key.key, algorithms=["HS256"], issuer=issuer, audience=audience)
except (jwt.InvalidTokenError, jwt.exceptions.PyJWKError, TypeError, ValueError):
    pass
else:
    sys.exit("python: accepted a token under another algorithm")

answer = introspect(token)
if expect_active:
    assert answer["active"] is True, answer
    assert answer["sub"] == claims["sub"] and answer["jti"] == claims["jti"], answer
else:
    assert answer == {"active": False}, answer
print(f"python (PyJWT {jwt.__version__}): verified offline, introspection active={answer['active']}")

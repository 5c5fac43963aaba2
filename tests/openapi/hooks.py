"""schemathesis hooks for keycard (loaded by tests/openapi/run through SCHEMATHESIS_HOOKS).

Every generated request is made as the admin the run script created, with a Bearer token
from POST /login. The token is fetched again whenever keycard answers 401: the fuzzer
calls /logout, /me/logout-all, /admin/revoke-all and the like with it, and those end it.
POST /introspect is authenticated as the introspection client instead (HTTP Basic).

The sign-in's CSRF value (its `csrf_token` cookie, bound to that session) goes along as
the cookie and the X-CSRF-Token header, so that form bodies, which always need it, reach
the handlers too instead of all ending in 403.
"""

import base64
import os

import requests
import schemathesis

URL = os.environ["KEYCARD_URL"]
ADMIN = os.environ["KEYCARD_ADMIN"]
PASSWORD = os.environ["KEYCARD_ADMIN_PASSWORD"]
CLIENT = os.environ["INTROSPECTION_CLIENT"]
CLIENT_SECRET = os.environ["INTROSPECTION_SECRET"]


@schemathesis.auth()
class KeycardAuth:
    def get(self, case, context):
        response = requests.post(
            f"{URL}/login",
            json={"username": ADMIN, "password": PASSWORD},
            headers={"Accept": "application/json"},
            timeout=10,
        )
        response.raise_for_status()
        return {"token": response.json()["token"], "csrf": response.cookies["csrf_token"]}

    def set(self, case, data, context):
        case.headers = case.headers or {}
        if case.operation.path == "/introspect":
            pair = base64.b64encode(f"{CLIENT}:{CLIENT_SECRET}".encode()).decode()
            case.headers["Authorization"] = f"Basic {pair}"
        else:
            case.headers["Authorization"] = f"Bearer {data['token']}"
            case.headers["X-CSRF-Token"] = data["csrf"]
            case.cookies = {**(case.cookies or {}), "csrf_token": data["csrf"]}

"""An authenticator app no one here wrote (run by tests/clients/run): pyotp reads the
otpauth:// URI keycard gave at setup and makes the codes that turn the second factor on
and complete a two-step sign-in (contract §8).
"""

import importlib.metadata
import json
import os
import time
import urllib.error
import urllib.request

import pyotp

url = os.environ["KEYCARD_URL"]
username = os.environ["USERNAME"]
password = os.environ["PASSWORD"]


def post(path, body, token=None):
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"{url}{path}", data=json.dumps(body).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


status, signed_in = post("/login", {"username": username, "password": password})
assert status == 200, (status, signed_in)
token = signed_in["token"]

status, setup = post("/me/2fa/setup", {"password": password}, token)
assert status == 200, (status, setup)
totp = pyotp.parse_uri(setup["otpauth_uri"])
assert isinstance(totp, pyotp.TOTP), setup["otpauth_uri"]
assert totp.issuer == "keycard" and totp.name == username, (totp.issuer, totp.name)
assert totp.secret == setup["secret"] and totp.digits == 6 and totp.interval == 30

status, enabled = post("/me/2fa/enable", {"code": totp.now()}, token)
assert status == 200 and len(enabled["recovery_codes"]) == 10, (status, enabled)

status, problem = post("/login", {"username": username, "password": password})
assert status == 401 and problem["mfa_required"] is True, (status, problem)
# The code of the next step: the current one confirmed the setup and is used up.
code = totp.at(time.time() + 30)
status, done = post("/login/2fa", {"mfa_token": problem["mfa_token"], "code": code})
assert status == 200 and done["user"]["two_factor"] is True, (status, done)
status, again = post("/login", {"username": username, "password": password, "code": code})
assert status == 401 and again["detail"] == "wrong or already used code", (status, again)
print(f"python (pyotp {importlib.metadata.version('pyotp')}): enrolled from the otpauth URI and signed in with its code")

"""Drives a whole session of keycard as a browser and as a program (run by
tests/ops/run): sign-up, sign-in (form and JSON), refresh, a password change, the
second factor (setup, enable, a two-step sign-in, a recovery code), and an admin's
role change, reset link and the reset itself. Scrapes /metrics before and after with
Prometheus's own text parser. Writes every secret it used, one per line, to SECRETS.
"""

import http.cookiejar
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pyotp
from prometheus_client.parser import text_string_to_metric_families

url = os.environ["KEYCARD_URL"]
metrics_url = os.environ["METRICS_URL"]
admin_name = os.environ["ADMIN"]
admin_password = os.environ["ADMIN_PASSWORD"]
secrets = [admin_password]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def client(jar=None):
    handlers = [NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    return urllib.request.build_opener(*handlers)


def call(opener, method, path, body=None, token=None, form=False, headers=None):
    all_headers = {"Accept": "application/json"}
    if form:
        all_headers["Accept"] = "text/html"
    all_headers.update(headers or {})
    data = None
    if body is not None:
        if form:
            data = urllib.parse.urlencode(body).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{url}{path}", data=data, headers=all_headers, method=method)
    try:
        with opener.open(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def json_of(status_body, expected):
    status, body = status_body
    assert status == expected, (status, body)
    return json.loads(body) if body else None


def scrape():
    with urllib.request.urlopen(f"{metrics_url}/metrics") as response:
        text = response.read().decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def sample(families, name, **labels):
    family = families[name]
    for s in family.samples:
        if s.name in (name, name + "_total") and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return 0.0


program = client()
before = scrape()
expected_families = {
    "keycard_http_requests": "counter",
    "keycard_http_request_duration_seconds": "histogram",
    "keycard_sign_ins": "counter",
    "keycard_revocations": "counter",
    "keycard_token_verifications": "counter",
    "keycard_db_pool_connections": "gauge",
    "keycard_password_hashes": "gauge",
    "keycard_build_info": "gauge",
}

# A program: sign-up, sign-in, refresh, password change.
user = f"ops_{int(time.time())}"
password = "ops-first-passphrase"
new_password = "ops-second-passphrase"
secrets += [password, new_password]
json_of(call(program, "POST", "/users", {"username": user, "password": password}), 201)
token = json_of(call(program, "POST", "/login", {"username": user, "password": password}), 200)["token"]
refreshed = json_of(call(program, "POST", "/refresh", {}, token=token), 200)["token"]
changed = json_of(
    call(program, "POST", "/me/password", {"current_password": password, "new_password": new_password}, token=refreshed),
    200,
)["token"]
secrets += [token, refreshed, changed]

# A browser: the form sign-in with its cookies and CSRF value.
jar = http.cookiejar.CookieJar()
browser = client(jar)
status, page = call(browser, "GET", "/login", form=True)
csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
status, _ = call(browser, "POST", "/login", {"username": user, "password": new_password, "csrf_token": csrf}, form=True)
assert status == 303, status
cookies = {c.name: c.value for c in jar}
secrets += [csrf, cookies["access_token"], cookies["csrf_token"]]
status, _ = call(browser, "POST", "/me", {"display_name": "Ops", "csrf_token": cookies["csrf_token"]}, form=True)
assert status == 303, status

# The second factor, with pyotp as the authenticator.
setup = json_of(call(program, "POST", "/me/2fa/setup", {"password": new_password}, token=changed), 200)
totp = pyotp.parse_uri(setup["otpauth_uri"])
first_code = totp.now()
codes = json_of(call(program, "POST", "/me/2fa/enable", {"code": first_code}, token=changed), 200)["recovery_codes"]
problem = json_of(call(program, "POST", "/login", {"username": user, "password": new_password}), 401)
mfa_token = problem["mfa_token"]
second_code = totp.at(time.time() + 30)
signed = json_of(call(program, "POST", "/login/2fa", {"mfa_token": mfa_token, "code": second_code}), 200)["token"]
recovered = json_of(
    call(program, "POST", "/login", {"username": user, "password": new_password, "code": codes[0]}), 200
)
secrets += [setup["secret"], setup["otpauth_uri"], first_code, second_code, mfa_token, signed, recovered["token"]] + codes

# An admin: a role change, a reset link, and the reset.
admin = json_of(call(program, "POST", "/login", {"username": admin_name, "password": admin_password}), 200)["token"]
secrets.append(admin)
user_id = json_of(call(program, "GET", "/me", token=signed), 200)["id"]
json_of(call(program, "POST", f"/admin/users/{user_id}/role", {"role": "admin"}, token=admin), 200)
link = json_of(call(program, "POST", f"/admin/users/{user_id}/reset-link", {}, token=admin), 200)
reset_password = "ops-third-passphrase"
status, _ = call(program, "POST", link["path"], {"new_password": reset_password})
assert status == 204, status
secrets += [link["path"].rsplit("/", 1)[1], reset_password]
json_of(call(program, "GET", "/admin/audit?per_page=5", token=admin), 200)

after = scrape()
for name, kind in expected_families.items():
    assert name in after, (name, sorted(after))
    assert after[name].type == kind, (name, after[name].type)
assert sample(after, "keycard_sign_ins", outcome="success") > sample(before, "keycard_sign_ins", outcome="success")
assert sample(after, "keycard_sign_ins", outcome="second_factor_required") >= 1
assert sample(after, "keycard_revocations", kind="refresh") >= 1
assert sample(after, "keycard_http_requests", route="/admin/users/{id}/role", method="POST", status="200", format="json") == 1
for family in after.values():
    for s in family.samples:
        for value in s.labels.values():
            assert user not in value and str(user_id) != value, (s.name, s.labels)

with open(os.environ["SECRETS"], "w") as out:
    out.write("\n".join(secrets) + "\n")
print(f"flows: {len(secrets)} secrets used; {len(after)} metric families parsed by prometheus_client, counters moved")

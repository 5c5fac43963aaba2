"""Reads keycard's log of the flows (JSON, trace level) and fails when any secret the
flows used appears in it, or when a line is not JSON, or when the access lines lack
their fields (run by tests/ops/run)."""

import json
import os
import re
import sys

with open(os.environ["SECRETS"]) as f:
    secrets = [line.strip() for line in f if line.strip()]
with open(os.environ["LOG"]) as f:
    lines = f.read().splitlines()

problems = []
access = 0
for number, line in enumerate(lines, 1):
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        problems.append(f"line {number} is not JSON: {line[:120]}")
        continue
    if entry.get("target") == "keycard::access":
        access += 1
        fields = entry.get("fields", {})
        span = entry.get("span", {})
        for key in ("route", "status", "duration_ms", "format"):
            if key not in fields:
                problems.append(f"access line {number} has no {key}: {line[:200]}")
        if "request_id" not in span:
            problems.append(f"access line {number} has no request id: {line[:200]}")
text = "\n".join(lines)
for secret in secrets:
    # Six-digit codes could occur inside timestamps' fractions: look for them as whole numbers.
    pattern = rf"(?<![0-9.]){re.escape(secret)}(?![0-9])" if secret.isdigit() else re.escape(secret)
    if re.search(pattern, text):
        problems.append(f"a secret ({len(secret)} characters, starting {secret[:3]!r}) is in the log")
if access < 15:
    problems.append(f"only {access} access lines")
if problems:
    sys.exit("\n".join(problems))
print(f"logs: {len(lines)} JSON lines at trace level ({access} access lines), none holds any of {len(secrets)} secrets")

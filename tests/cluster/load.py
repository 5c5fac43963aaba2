"""Steady load on the cluster, and what it saw (tests/cluster/run uses it).

  load.py run URL OUT STOP_FILE   # until STOP_FILE exists (at most 120 s)
  load.py restarts OUT            # the rolling-restart verdict
  load.py outage OUT STOP_ISSUED STOPPED START_ISSUED BACK   # the outage verdict

`run` needs TOKEN (a Bearer token), USER_ID, LOGIN_USER and LOGIN_PASSWORD in the
environment; RATE (requests/s, default 300) and THREADS (default 6). Each thread keeps
one connection to nginx and sends, in turn, requests that need the database (GET /me,
GET /users/{id}, POST /login) and requests that do not (GET /healthz, GET / anonymous),
paced to the rate. Every request is written to OUT as one JSON line: start and end
(Unix time, the shell's clock), route, status (0 when the connection failed), whether
the answer had Retry-After. Only the standard library.
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

DATABASE_ROUTES = {"GET /me", "GET /users/{id}", "POST /login"}


def plan():
    token, user_id = os.environ["TOKEN"], os.environ["USER_ID"]
    login = json.dumps({"username": os.environ["LOGIN_USER"], "password": os.environ["LOGIN_PASSWORD"]})
    json_get = {"Accept": "application/json"}
    bearer = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
    return [
        ("GET /me", "GET", "/me", None, bearer),
        ("GET /healthz", "GET", "/healthz", None, json_get),
        ("GET /users/{id}", "GET", f"/users/{user_id}", None, bearer),
        ("GET /", "GET", "/", None, json_get),
        ("GET /me", "GET", "/me", None, bearer),
        ("GET /healthz", "GET", "/healthz", None, json_get),
        ("POST /login", "POST", "/login", login, {**json_get, "Content-Type": "application/json"}),
        ("GET /", "GET", "/", None, json_get),
    ]


def worker(url, stop_file, interval, offset, deadline, records):
    parts = urllib.parse.urlsplit(url)
    conn = None
    requests = plan()
    i = offset
    next_at = time.time() + offset * interval / 8
    while time.time() < deadline and not os.path.exists(stop_file):
        now = time.time()
        if next_at > now:
            time.sleep(next_at - now)
        # Paced, never bursting to catch up after a slow answer.
        next_at = max(next_at + interval, time.time())
        name, method, path, body, headers = requests[i % len(requests)]
        i += 1
        started = time.time()
        status, retry_after = 0, False
        try:
            if conn is None:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            response.read()
            status, retry_after = response.status, response.getheader("Retry-After") is not None
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            if conn is not None:
                conn.close()
            conn = None
        records.append((started, time.time(), name, status, retry_after))


def run(url, out, stop_file):
    rate = float(os.environ.get("RATE", "300"))
    threads = int(os.environ.get("THREADS", "6"))
    deadline = time.time() + 120
    records = []
    pool = [
        threading.Thread(target=worker, args=(url, stop_file, threads / rate, n, deadline, records))
        for n in range(threads)
    ]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    with open(out, "w") as f:
        for r in sorted(records):
            f.write(json.dumps(r) + "\n")


def load(out):
    with open(out) as f:
        return [tuple(json.loads(line)) for line in f]


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def restarts(out):
    records = load(out)
    failed = [r for r in records if r[3] == 0 or r[3] >= 500]
    seconds = records[-1][1] - records[0][0]
    by_status = {}
    for r in records:
        by_status[r[3]] = by_status.get(r[3], 0) + 1
    print(f"rolling restart: {len(records)} requests in {seconds:.1f} s "
          f"({len(records) / seconds:.0f}/s), {len(failed)} failed or 5xx, statuses {by_status}")
    for r in failed[:10]:
        print(f"  failed: {r}")
    return not failed and len(records) > 0


def outage(out, stop_issued, stopped, start_issued, back):
    records = load(out)
    ok = True

    def fail(message):
        nonlocal ok
        ok = False
        print(f"  FAIL: {message}")

    # 503 is the expected answer of a database route here; everything else 5xx is not.
    errors = [r for r in records if r[3] == 0 or (r[3] >= 500 and r[3] != 503)]
    if errors:
        fail(f"{len(errors)} requests failed or got a 5xx other than 503: {errors[:5]}")
    plain = [r for r in records if r[2] not in DATABASE_ROUTES]
    not_ok = [r for r in plain if r[3] != 200]
    if not_ok:
        fail(f"{len(not_ok)} requests needing no database were not 200: {not_ok[:5]}")
    during = [r for r in records if r[2] in DATABASE_ROUTES and stopped <= r[0] < start_issued]
    wrong = [r for r in during if r[3] != 503 or not r[4]]
    if wrong:
        fail(f"{len(wrong)} database requests during the outage were not 503 with Retry-After: {wrong[:5]}")
    latencies = [(r[1] - r[0]) * 1000 for r in during]
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    if not during or p99 >= 100:
        fail(f"database requests during the outage: p99 {p99:.1f} ms (at most 100 ms)")
    stopping = [r for r in records if r[2] in DATABASE_ROUTES and stop_issued <= r[0] < stopped]
    after = [r for r in records if r[2] in DATABASE_ROUTES and r[0] >= start_issued]
    last_bad = max((r[1] for r in after if r[3] != 200), default=back)
    recovery = max(0.0, last_bad - back)
    if recovery > 2.0 or not any(r[3] == 200 and r[0] > last_bad for r in after):
        fail(f"full service {recovery:.2f} s after the database returned (at most 2 s)")
    seconds = records[-1][1] - records[0][0]
    print(f"outage: {len(records)} requests in {seconds:.1f} s ({len(records) / seconds:.0f}/s), "
          f"{len(errors)} failed or 5xx other than 503; database down {start_issued - stopped:.1f} s")
    print(f"  database routes while down: {len(during)} answers, all 503: {not wrong}, "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies, default=0):.1f} ms")
    print(f"  while PostgreSQL was shutting down ({stopped - stop_issued:.2f} s): {len(stopping)} database "
          f"requests, statuses {sorted({r[3] for r in stopping})}, "
          f"max {max(((r[1] - r[0]) * 1000 for r in stopping), default=0):.1f} ms")
    print(f"  /healthz and / throughout: {len(plain)} requests, {len(plain) - len(not_ok)} x 200")
    print(f"  full service {recovery:.2f} s after PostgreSQL was back")
    return ok


def main(argv):
    command = argv[1]
    if command == "run":
        run(argv[2], argv[3], argv[4])
        return 0
    if command == "restarts":
        return 0 if restarts(argv[2]) else 1
    if command == "outage":
        times = [float(t) for t in argv[3:7]]
        return 0 if outage(argv[2], *times) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Sign-in burst and latency probe against a running keycard (benches/signin.sh runs it).

  python3 benches/signin_load.py hash   URL USER PASSWORD        # median single sign-in
  python3 benches/signin_load.py probe  URL TOKEN SECONDS RATE   # GET /me at a fixed rate
  python3 benches/signin_load.py burst  URL USER PASSWORD CONNS SECONDS

Only the standard library: one keep-alive connection per thread, latencies measured
around each request with a monotonic clock.
"""
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse


def connect(url):
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)


def sign_in(conn, user, password):
    body = json.dumps({"username": user, "password": password})
    conn.request("POST", "/login", body, {"Content-Type": "application/json", "Accept": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status


def hash_time(url, user, password):
    conn = connect(url)
    times = []
    for _ in range(15):
        started = time.perf_counter()
        status = sign_in(conn, user, password)
        times.append(time.perf_counter() - started)
        assert status == 200, status
    print(json.dumps({"median_ms": statistics.median(times) * 1000}))


def probe(url, token, seconds, rate):
    conn = connect(url)
    latencies, statuses = [], {}
    interval = 1.0 / rate
    deadline = time.perf_counter() + seconds
    next_at = time.perf_counter()
    while next_at < deadline:
        now = time.perf_counter()
        if now < next_at:
            time.sleep(next_at - now)
        started = time.perf_counter()
        conn.request("GET", "/me", headers={"Accept": "application/json", "Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        next_at += interval
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(json.dumps({"n": len(latencies), "p50_ms": pick(0.50), "p99_ms": pick(0.99), "statuses": statuses}))


def burst(url, user, password, conns, seconds):
    statuses, lock = {}, threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker():
        conn = connect(url)
        while time.perf_counter() < deadline:
            try:
                status = sign_in(conn, user, password)
            except (OSError, http.client.HTTPException):
                conn = connect(url)
                status = "error"
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ok = statuses.get(200, 0)
    print(json.dumps({"statuses": {str(k): v for k, v in statuses.items()}, "elapsed_s": elapsed, "signins_per_s": ok / elapsed}))


if __name__ == "__main__":
    kind, args = sys.argv[1], sys.argv[2:]
    if kind == "hash":
        hash_time(*args)
    elif kind == "probe":
        probe(args[0], args[1], float(args[2]), float(args[3]))
    elif kind == "burst":
        burst(args[0], args[1], args[2], int(args[3]), float(args[4]))
    else:
        sys.exit(f"unknown kind {kind}")

#!/usr/bin/env python3
"""Soak under load (issue 20 point 3; not a test, a script with figures for docs/benchmarks.md).

A demo installation (`ipgo demo`, release build) takes mixed traffic on loopback for
SOAK_SECONDS (default 1800): page views, API searches, uploads of documents with a file,
signatures of versions with the demo heads' key files, discussions with a poll and their
votes, and clients holding the live stream (SSE) open. Half-way through, the server is killed
with SIGKILL and started again; the traffic goes on.

What it checks and prints:
  * errors: every answer that is not the expected one (any 5xx, any unexpected 4xx, a broken
    connection) outside the restart gap, per route;
  * nothing acknowledged is lost: every upload answered 201 is there after the run, byte for
    byte (its file's SHA-256); every signature answered 201 is listed on its version; every
    ballot answered 200/201 is counted by its poll;
  * no access-log entry lost: every request that got an answer carries an `X-Request-Id`;
    each of them is in `ipgo audit export` exactly once (counted);
  * `ipgo verify` clean at the end;
  * resident memory sampled every second (CSV and SVG), flat after warm-up and under the
    configured ceiling; p50/p99 per route in the first and the last five minutes.

The readers are paced (--page-rate 25 per page client, --search-rate 10 per search client;
0 saturates), and 60 discussions are created before the clock starts (--seed-discussions), so
that the first and last windows compare the same steady state.

Usage: cargo build --release && python3 benches/soak.py [--binary target/release/ipgo]
Environment: SOAK_SECONDS (1800), IPGO_CORPUS (the regulations, for texts and queries).
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(__file__))
from memory import corpus_lines, status_kb, svg  # noqa: E402
from portal_server import free_port  # noqa: E402

PASSWORD = "Soak-load-2026!"
LOGINS = ["dev.employee", "dev.head", "fin.head", "econ.head"]


class Record:
    """Every answer: (time since start, route, status, seconds, request id, phase)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []
        self.t0 = time.monotonic()
        self.restart = None  # (killed at, ready again at), seconds since start

    def add(self, route, status, seconds, rid):
        with self.lock:
            self.rows.append((time.monotonic() - self.t0, route, status, seconds, rid))

    def in_gap(self, t):
        if not self.restart:
            return False
        killed, ready = self.restart
        # Requests in flight at the kill get no answer; those after it until ready are refused.
        return killed - 2 <= t <= (ready or 1e12) + 2


class Session:
    """A signed-in person over one keep-alive connection (re-opened when dropped)."""

    def __init__(self, port, login, rec):
        self.port, self.login, self.rec = port, login, rec
        self.conn, self.cookie, self.csrf = None, "", ""

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self.conn

    def raw(self, method, path, body=None, headers=None):
        """One request; a kept-alive connection found dead (the server was restarted while it
        idled) is opened again once, as any HTTP client does, before counting a failure."""
        reused = self.conn is not None
        status, rid, data, r = self._raw(method, path, body, headers)
        if status == 0 and reused:
            status, rid, data, r = self._raw(method, path, body, headers)
        if status == 0:
            time.sleep(0.2)  # refused: the server is restarting
        return status, rid, data, r

    def _raw(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        if method != "GET" and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        try:
            c = self._conn()
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            return r.status, r.getheader("x-request-id", ""), data, r
        except (OSError, http.client.HTTPException):
            if self.conn:
                self.conn.close()
            self.conn = None
            return 0, "", b"", None

    def sign_in(self):
        body = json.dumps({"login": self.login, "password": PASSWORD})
        self.cookie = ""
        status, rid, data, r = self.raw("POST", "/api/v1/session", body, {"Content-Type": "application/json"})
        if status == 200:
            self.csrf = json.loads(data)["csrf"]
            cookie = r.getheader("set-cookie", "")
            self.cookie = cookie.split(";")[0]
        return status, rid

    def call(self, route, method, path, body=None, headers=None, ok=(200,)):
        """One request, recorded under `route`; signs in again once when the session is gone
        (sessions do not survive the kill)."""
        t = time.monotonic()
        status, rid, data, _ = self.raw(method, path, body, headers)
        if status == 401:
            self.rec.add("session", *self.sign_in_timed())
            t = time.monotonic()
            status, rid, data, _ = self.raw(method, path, body, headers)
        self.rec.add(route, status, time.monotonic() - t, rid)
        return status, data

    def sign_in_timed(self):
        t = time.monotonic()
        status, rid = self.sign_in()
        return status, time.monotonic() - t, rid


def multipart(meta, name, content):
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n'.encode()
        + json.dumps(meta, ensure_ascii=False).encode() + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: text/plain\r\n\r\n".encode() + content + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


class Pace:
    """A fixed request rate for one client (0: as fast as the server answers). A client that
    falls behind (a slow answer, the restart) starts again from now instead of bursting to
    catch up, so the server never sees more than the rate."""

    def __init__(self, rate):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next = time.monotonic()

    def wait(self, stop):
        if not self.interval:
            return
        self.next += self.interval
        delay = self.next - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        else:
            self.next = time.monotonic()


class Load:
    def __init__(self, args, port, rec, data_dir):
        self.args, self.port, self.rec, self.data_dir = args, port, rec, data_dir
        self.stop = threading.Event()
        self.lines = corpus_lines()
        self.words = sorted({w for l in self.lines[:4000] for w in l.split() if len(w) > 6 and w.isalpha()})
        self.uploads = []  # (id, sha256 of the file)
        self.signatures = []  # (document id, version, signature id)
        self.ballots = []  # (poll id, login)
        self.sse_events = [0]
        self.docs = []
        self.lock = threading.Lock()

    def session(self, login):
        s = Session(self.port, login, self.rec)
        while not self.stop.is_set() and s.sign_in()[0] != 200:
            time.sleep(0.5)
        return s

    def pages(self, login, seed):
        rnd = random.Random(seed)
        s = self.session(login)
        docs, listed_at = [], 0.0
        pace = Pace(self.args.page_rate)
        while not self.stop.is_set():
            pace.wait(self.stop)
            # The documents this person may read (others' are answered 404 by design).
            if time.monotonic() - listed_at > 30:
                status, data = s.call("GET /api/v1/documents", "GET", "/api/v1/documents")
                if status == 200:
                    docs = [d["id"] for d in json.loads(data)["documents"]] or docs
                listed_at = time.monotonic()
            doc = rnd.choice(docs) if docs else 1
            path, route = rnd.choice([
                ("/", "GET /"), ("/documents", "GET /documents"), (f"/documents/{doc}", "GET /documents/{id}"),
                ("/inbox", "GET /inbox"), ("/discussions", "GET /discussions"),
                (f"/search?q={quote(rnd.choice(self.words))}", "GET /search"),
            ])
            s.call(route, "GET", path, headers={"Accept-Encoding": "gzip"})

    def searches(self, seed):
        rnd = random.Random(seed)
        s = self.session("dev.employee")
        pace = Pace(self.args.search_rate)
        while not self.stop.is_set():
            pace.wait(self.stop)
            q = " ".join(rnd.sample(self.words, rnd.choice([1, 1, 2])))
            s.call("GET /api/v1/search", "GET", f"/api/v1/search?q={quote(q)}")

    def upload(self):
        s = self.session("dev.employee")
        rnd = random.Random(7)
        n = 0
        while not self.stop.is_set():
            n += 1
            text = "\n".join(rnd.sample(self.lines, 12))
            content = ("\n".join(rnd.sample(self.lines, 400))).encode()
            meta = {"title": f"Нагрузочный документ {n}", "text": text}
            body, headers = multipart(meta, f"attachment-{n}.txt", content)
            status, data = s.call("POST /api/v1/documents", "POST", "/api/v1/documents", body, headers, ok=(201,))
            if status == 201:
                doc = json.loads(data)
                with self.lock:
                    self.uploads.append((doc["id"], hashlib.sha256(content).hexdigest()))
                    self.docs.append(doc["id"])
            self.stop.wait(self.args.upload_every)

    def sign(self):
        s = self.session("dev.head")
        p12 = os.path.join(self.data_dir, "demo-signing", "dev.head.p12")
        work = tempfile.mkdtemp()
        while not self.stop.is_set():
            self.stop.wait(self.args.sign_every)
            with self.lock:
                signed = {d for d, _, _ in self.signatures}
                todo = [d for d, _ in self.uploads if d not in signed]
            if not todo:
                continue
            doc = todo[0]
            status, manifest = s.call("GET manifest", "GET", f"/api/v1/documents/{doc}/versions/1/manifest")
            if status != 200:
                continue
            with open(os.path.join(work, "m.txt"), "wb") as f:
                f.write(manifest)
            subprocess.run([self.args.binary, "sign", "--p12", p12, "--manifest", os.path.join(work, "m.txt"),
                            "--out", os.path.join(work, "s.p7s")], env=dict(os.environ, IPGO_P12_PASSWORD="demo"),
                           check=True, capture_output=True)
            cms = open(os.path.join(work, "s.p7s"), "rb").read()
            status, data = s.call("POST signature", "POST", f"/api/v1/documents/{doc}/versions/1/signatures", cms,
                                  {"Content-Type": "application/pkcs7-signature"}, ok=(201,))
            if status == 201:
                with self.lock:
                    self.signatures.append((doc, 1, json.loads(data).get("id")))
        shutil.rmtree(work, ignore_errors=True)

    def vote(self):
        head = self.session("dev.head")
        voters = {l: self.session(l) for l in ["fin.head", "econ.head"]}
        while not self.stop.is_set():
            self.stop.wait(self.args.vote_every)
            with self.lock:
                doc = self.docs[-1] if self.docs else None
            if doc is None:
                continue
            ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7200))
            body = json.dumps({"document_id": doc, "members": list(voters), "ends_at": ends})
            status, data = head.call("POST /api/v1/discussions", "POST", "/api/v1/discussions", body,
                                     {"Content-Type": "application/json"}, ok=(201,))
            if status != 201:
                continue
            poll = json.loads(data)["poll"]["id"]
            for login, v in voters.items():
                status, _ = v.call("POST ballot", "POST", f"/api/v1/polls/{poll}/ballot",
                                   json.dumps({"choice": "for"}), {"Content-Type": "application/json"}, ok=(200, 201))
                if status in (200, 201):
                    with self.lock:
                        self.ballots.append((poll, login))

    def sse(self, login):
        s = self.session(login)
        while not self.stop.is_set():
            sock = None
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                sock.sendall((f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {s.cookie}\r\n"
                              "Accept: text/event-stream\r\n\r\n").encode())
                head = sock.recv(4096)
                status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
                self.rec.add("GET /api/v1/events", status, 0.0, "")
                if status == 401:
                    s.sign_in()
                    continue
                while not self.stop.is_set():
                    try:
                        chunk = sock.recv(65536)
                    except socket.timeout:
                        continue
                    if not chunk:
                        break
                    self.sse_events[0] += chunk.count(b"\nevent:") + chunk.count(b"\ndata:")
            except OSError:
                self.stop.wait(0.5)
            finally:
                if sock:
                    sock.close()


def start_demo(binary, data, port, env):
    proc = subprocess.Popen([binary, "demo", "--data", data, "--listen", f"127.0.0.1:{port}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(os.path.dirname(data), "server.log"), "ab"))
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}")
        time.sleep(0.1)
    sys.exit("the server did not become ready")


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/ipgo")
    ap.add_argument("--out", default="target/soak")
    ap.add_argument("--upload-every", type=float, default=2.0)
    ap.add_argument("--sign-every", type=float, default=5.0)
    ap.add_argument("--vote-every", type=float, default=10.0)
    ap.add_argument("--page-rate", type=float, default=25.0,
                    help="page views per second per page client (4 clients); 0: saturate")
    ap.add_argument("--search-rate", type=float, default=10.0,
                    help="API searches per second per search client (2 clients); 0: saturate")
    ap.add_argument("--seed-discussions", type=int, default=60,
                    help="discussions created before the timed load, so that the discussion list "
                         "is a full page (50) from the first window on, as on a portal in use")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    seconds = int(os.environ.get("SOAK_SECONDS", "1800"))
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="ipgo-soak-")
    data = os.path.join(work, "data")
    env = dict(os.environ, IPGO_STORAGE__KEYS_DIR=os.path.join(work, "keys"), IPGO_LOG="warn")
    port = free_port()
    proc = start_demo(args.binary, data, port, env)
    for login in LOGINS:
        subprocess.run([args.binary, "user", "reset-password", "--data", data, "--login", login,
                        "--password-stdin"], input=PASSWORD.encode(), env=env, check=True, capture_output=True)
    rec = Record()
    load = Load(args, port, rec, data)
    first = Session(port, "dev.employee", rec)
    first.sign_in()
    _, _, listing, _ = first.raw("GET", "/api/v1/documents")
    load.docs = [d["id"] for d in json.loads(listing).get("documents", [])][:200] or [1]
    # Steady state before the clock starts: pages whose length follows the data (the
    # discussion list, paged by 50) are compared between windows at the same length.
    seeder = Session(port, "dev.head", Record())
    seeder.sign_in()
    ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds + 7200))
    for i in range(args.seed_discussions):
        body = json.dumps({"document_id": load.docs[i % len(load.docs)], "members": ["fin.head", "econ.head"],
                           "ends_at": ends})
        status, _, answer, _ = seeder.raw("POST", "/api/v1/discussions", body, {"Content-Type": "application/json"})
        if status != 201:
            sys.exit(f"seeding discussion {i}: {status} {answer[:300]!r}")
    rec.t0 = time.monotonic()

    sampler_samples = []
    current = {"pid": proc.pid}

    def sampler():
        while not load.stop.is_set():
            try:
                s = status_kb(current["pid"])
                load1 = float(open("/proc/loadavg").read().split()[0])
                sampler_samples.append((time.monotonic() - rec.t0, "soak", s["RssAnon"] / 1024, s["RssFile"] / 1024,
                                        load1))
            except (FileNotFoundError, ProcessLookupError, KeyError):
                pass
            time.sleep(1)

    def guarded(f, *a):
        def run():
            while not load.stop.is_set():
                try:
                    f(*a)
                except Exception as e:  # a failure of the load itself must show, not end it
                    rec.add(f"exception in {f.__name__}", -1, 0.0, "")
                    print(f"{f.__name__}: {e!r}", file=sys.stderr, flush=True)
                    time.sleep(1)
        return run

    threads = [threading.Thread(target=sampler, daemon=True)]
    threads += [threading.Thread(target=guarded(load.pages, l, i), daemon=True)
                for i, l in enumerate(["dev.employee", "fin.head", "econ.head", "dev.employee"])]
    threads += [threading.Thread(target=guarded(load.searches, i), daemon=True) for i in range(2)]
    threads += [threading.Thread(target=guarded(f), daemon=True) for f in (load.upload, load.sign, load.vote)]
    threads += [threading.Thread(target=guarded(load.sse, l), daemon=True) for l in LOGINS]
    for t in threads:
        t.start()
    print(f"soak: {seconds} s of mixed load on port {port}; kill -9 at {seconds // 2} s", flush=True)

    time.sleep(seconds / 2)
    with load.lock:
        acknowledged_before = len(load.uploads)
    killed = time.monotonic() - rec.t0
    rec.restart = (killed, None)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc = start_demo(args.binary, data, port, env)
    current["pid"] = proc.pid
    ready = time.monotonic() - rec.t0
    rec.restart = (killed, ready)
    print(f"killed at {killed:.0f} s with {acknowledged_before} uploads acknowledged; ready again after "
          f"{ready - killed:.2f} s", flush=True)
    time.sleep(max(0, seconds - (time.monotonic() - rec.t0)))
    load.stop.set()
    for t in threads[1:]:
        t.join(timeout=60)

    # Nothing acknowledged lost.
    check = Session(port, "dev.employee", Record())
    check.sign_in()
    lost_uploads = []
    for doc, sha in load.uploads:
        status, _, body, _ = check.raw("GET", f"/api/v1/documents/{doc}")
        if status != 200:
            lost_uploads.append((doc, status))
            continue
        files = json.loads(body).get("files") or json.loads(body).get("versions", [{}])[-1].get("files", [])
        if not any(f.get("sha256") == sha for f in files):
            lost_uploads.append((doc, "file sha256 differs"))
    head = Session(port, "dev.head", Record())
    head.sign_in()
    lost_signatures = []
    for doc, version, sid in load.signatures:
        status, _, body, _ = head.raw("GET", f"/api/v1/documents/{doc}/versions/{version}/signatures")
        listed = json.loads(body) if status == 200 else {}
        items = listed.get("signatures", listed) if isinstance(listed, dict) else listed
        if not any(str(s.get("id")) == str(sid) for s in items or []):
            lost_signatures.append((doc, sid))
    polls = {}
    for poll, _ in load.ballots:
        polls[poll] = polls.get(poll, 0) + 1
    lost_ballots = []
    for poll, n in polls.items():
        status, _, body, _ = head.raw("GET", f"/api/v1/polls/{poll}")
        voted = json.loads(body).get("voted") if status == 200 else None
        if voted is None or voted < n:
            lost_ballots.append((poll, n, voted))
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)

    # Every answered request has its access-log entry, exactly once.
    export = subprocess.run([args.binary, "audit", "export", "--format", "jsonl", "--data", data], env=env,
                            check=True, capture_output=True).stdout.decode()
    counts = {}
    entries = 0
    for line in export.splitlines():
        if line.strip():
            entries += 1
            rid = json.loads(line).get("request_id", "")
            counts[rid] = counts.get(rid, 0) + 1
    answered = [r for r in rec.rows if r[4]]
    missing = [r for r in answered if counts.get(r[4], 0) == 0]
    doubled = [r for r in answered if counts.get(r[4], 0) > 1]
    verify = subprocess.run([args.binary, "verify", "--data", data], env=env, capture_output=True)

    # Errors outside the restart gap.
    expected = {"POST /api/v1/documents": (201,), "POST signature": (201,), "POST /api/v1/discussions": (201,),
                "POST ballot": (200, 201)}
    errors = {}
    gap = 0
    for t, route, status, secs, rid in rec.rows:
        if rec.in_gap(t):
            gap += 1
            continue
        if status not in expected.get(route, (200,)):
            errors.setdefault(route, {}).setdefault(status, 0)
            errors[route][status] += 1

    # Latency per route: first and last five minutes.
    window = min(300, seconds / 4)
    end = max(r[0] for r in rec.rows)
    print(f"\n| route | requests | p50 ms first {window/60:.0f} min | p99 first | p50 last | p99 last |")
    print("|---|---:|---:|---:|---:|---:|")
    for route in sorted({r[1] for r in rec.rows if r[1] not in ("GET /api/v1/events", "session")}):
        rows = [r for r in rec.rows if r[1] == route and r[2] in expected.get(route, (200,))]
        a = [r[3] * 1000 for r in rows if r[0] <= window]
        b = [r[3] * 1000 for r in rows if r[0] >= end - window]
        print(f"| {route} | {len(rows)} | {percentile(a, 50):.1f} | {percentile(a, 99):.1f} | "
              f"{percentile(b, 50):.1f} | {percentile(b, 99):.1f} |")

    rss = [s[2] for s in sampler_samples]
    loads = {"first": [s[4] for s in sampler_samples if s[0] <= window],
             "last": [s[4] for s in sampler_samples if s[0] >= end - window]}
    warm = [s[2] for s in sampler_samples if window <= s[0] <= killed - 5]
    late = [s[2] for s in sampler_samples if s[0] >= end - window]
    summary = {
        "seconds": seconds, "requests_answered": len(answered), "in_restart_gap": gap,
        "errors": errors, "uploads": len(load.uploads), "signatures": len(load.signatures),
        "ballots": len(load.ballots), "polls": len(polls), "sse_events": load.sse_events[0],
        "lost_uploads": lost_uploads, "lost_signatures": lost_signatures, "lost_ballots": lost_ballots,
        "log_entries": entries, "log_missing": len(missing), "log_doubled": len(doubled),
        "restart_seconds": round(rec.restart[1] - rec.restart[0], 2),
        "verify_exit": verify.returncode,
        "paced": {"page_rate_per_client": args.page_rate, "search_rate_per_client": args.search_rate},
        "seeded_discussions": args.seed_discussions,
        "load1": {k: [min(v), max(v)] if v else None for k, v in loads.items()},
        "rss_mib": {"max": round(max(rss), 1) if rss else None,
                    "warm_first_half_max": round(max(warm), 1) if warm else None,
                    "last_window_max": round(max(late), 1) if late else None},
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if missing[:5]:
        print("missing entries, e.g.:", missing[:5])
    with open(os.path.join(args.out, "memory.csv"), "w") as f:
        f.write("seconds,private_mib,file_mib,load1\n")
        for t, _, a, b, l in sampler_samples:
            f.write(f"{t:.0f},{a:.1f},{b:.1f},{l:.2f}\n")
    ceiling = 32 + 96 + 100  # db_cache_mb + search.writer_memory_mb + the rest (admin guide: Sizing)
    svg([s[:4] for s in sampler_samples], ceiling, os.path.join(args.out, "memory.svg"))
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, ensure_ascii=False, indent=1)
    shutil.rmtree(work, ignore_errors=True)
    bad = errors or lost_uploads or lost_signatures or lost_ballots or missing or doubled or verify.returncode
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

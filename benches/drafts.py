#!/usr/bin/env python3
"""Draft-approval benchmark (issue 7): one full approval cycle through the API with 20
approving agencies and 5 versions (versions 1–4 rejected by one agency after the others
approved, version 5 approved by all, the Chancellery accepts, 20 heads vote, accepted),
with real CMS signatures made by openssl and mail delivered to a real SMTP server
(aiosmtpd, Maildir); then mail delivered per second for a burst of notices.

Baselines in the same run: a signed-in `GET /api/v1/me` (the portal's request floor) and
Python's smtplib sending the same number of messages straight to the same SMTP server
(the relay's ceiling).

Usage: cargo build --release && python3 benches/drafts.py [--binary target/release/ipgo]
"""

import argparse
import http.cookiejar
import json
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from portal_server import free_port, run, serve  # noqa: E402

PASSWORD = "Bench-secret-2026"


class Client:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None
        self.server_seconds = 0.0
        self.requests = 0

    def call(self, method, path, body=None, content_type=None, expect=(200, 201)):
        headers = {}
        if self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        t0 = time.perf_counter()
        try:
            with self.opener.open(req) as res:
                data = res.read()
                status = res.status
        except urllib.error.HTTPError as e:
            data, status = e.read(), e.code
        self.server_seconds += time.perf_counter() - t0
        self.requests += 1
        if status not in expect:
            raise SystemExit(f"{method} {path}: {status} {data[:300]!r}")
        return data

    def json(self, method, path, value=None):
        body = None if value is None else json.dumps(value).encode()
        out = self.call(method, path, body, "application/json" if body else None)
        return json.loads(out) if out else None

    def login(self, login):
        out = self.json("POST", "/api/v1/session", {"login": login, "password": PASSWORD})
        self.csrf = out["csrf"]


def multipart(meta):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n"
            + json.dumps(meta) + f"\r\n--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Pki:
    """A CA and one signing certificate per head, made with openssl."""

    def __init__(self, work):
        self.dir = os.path.join(work, "pki")
        os.makedirs(self.dir)
        ext = os.path.join(self.dir, "ext.cnf")
        with open(ext, "w") as f:
            f.write("[v3]\nbasicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature,nonRepudiation\n")
        self.ext = ext
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", self.path("ca.key"), "-out", self.path("ca.pem"), "-subj", "/CN=Bench CA", "-days", "30",
             "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        self.serial = 100

    def path(self, name):
        return os.path.join(self.dir, name)

    def person(self, name):
        self.serial += 1
        run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", self.path(f"{name}.key"), "-out", self.path(f"{name}.csr"), "-subj", f"/CN={name}"])
        run(["openssl", "x509", "-req", "-in", self.path(f"{name}.csr"), "-CA", self.path("ca.pem"), "-CAkey",
             self.path("ca.key"), "-set_serial", str(self.serial), "-days", "30", "-extfile", self.ext,
             "-extensions", "v3", "-out", self.path(f"{name}.pem")])
        return self.path(f"{name}.pem")

    def sign(self, name, content):
        src = self.path(f"in-{uuid.uuid4().hex}")
        with open(src, "wb") as f:
            f.write(content)
        out = run(["openssl", "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256", "-in", src,
                   "-signer", self.path(f"{name}.pem"), "-inkey", self.path(f"{name}.key")]).stdout
        os.remove(src)
        return out


def maildir_count(path):
    new = os.path.join(path, "new")
    return len(os.listdir(new)) if os.path.isdir(new) else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/ipgo")
    ap.add_argument("--agencies", type=int, default=20)
    ap.add_argument("--versions", type=int, default=5)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="ipgo-drafts-bench-")
    data, maildir = os.path.join(work, "data"), os.path.join(work, "maildir")
    smtp_port, port = free_port(), free_port()
    smtp = None
    env = dict(os.environ, IPGO_LOG="warn", IPGO_MAIL__ENABLED="true", IPGO_MAIL__PORT=str(smtp_port),
               IPGO_SIGNATURES__REQUIRE_CRL="false", IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP="100000",
               IPGO_DRAFTS__CHANCELLERY_AGENCY="KPM", IPGO_MAIL__MAX_RETRY_DELAY_SECONDS="1",
               IPGO_MAIL__MAX_ATTEMPTS="1000")
    server = None
    try:
        pki = Pki(work)
        codes = [f"A{i:02d}" for i in range(args.agencies)]
        cli = lambda *a, stdin=None: run([binary, *a, "--data", data], env=env, input=stdin)
        cli("init")
        for code in ["DEV", "KPM", *codes]:
            cli("agency", "add", "--code", code, "--name-ru", f"Орган {code}", "--name-kk", f"{code} органы")
        people = [("dev", "DEV", ["employee"]), ("devhead", "DEV", ["employee", "head"]), ("okdo", "KPM", ["employee", "okdo_officer"])]
        people += [(f"h{c.lower()}", c, ["employee", "head"]) for c in codes]
        cli("trust", "add", pki.path("ca.pem"))
        for login, agency, roles in people:
            role_args = [x for r in roles for x in ("--role", r)]
            cli("user", "add", "--login", login, "--agency", agency, "--email", f"{login}@bench.test", *role_args,
                "--password-stdin", stdin=PASSWORD.encode())
            if "head" in roles:
                cli("cert", "register", "--login", login, pki.person(login))
        server, base = serve(binary, data, env, port)
        clients = {}
        for login, _, _ in people:
            c = Client(base)
            c.login(login)
            clients[login] = c
        for c in clients.values():
            c.server_seconds, c.requests = 0.0, 0

        # Baseline: the floor of a signed-in API request.
        me = clients["dev"]
        t0 = time.perf_counter()
        for _ in range(200):
            me.json("GET", "/api/v1/me")
        floor_ms = (time.perf_counter() - t0) / 200 * 1000
        me.server_seconds, me.requests = 0.0, 0

        sign_seconds = 0.0
        t_cycle = time.perf_counter()
        body, ctype = multipart({"title": "Бенчмарк: проект", "text": "Статья 1.", "approving": codes})
        draft = json.loads(clients["dev"].call("POST", "/api/v1/drafts", body, ctype))
        did, doc = draft["id"], draft["document_id"]
        for version in range(1, args.versions + 1):
            if version > 1:
                body, ctype = multipart({"title": "Бенчмарк: проект", "text": f"Статья 1 (ред. {version})."})
                clients["dev"].call("POST", f"/api/v1/drafts/{did}/versions", body, ctype)
            manifest = clients["devhead"].call("GET", f"/api/v1/documents/{doc}/versions/{version}/manifest")
            t = time.perf_counter()
            cms = pki.sign("devhead", manifest)
            sign_seconds += time.perf_counter() - t
            clients["devhead"].call("POST", f"/api/v1/drafts/{did}/developer-signature", cms, "application/pkcs7-signature")
            for i, code in enumerate(codes):
                head = clients[f"h{code.lower()}"]
                head.json("POST", f"/api/v1/drafts/{did}/letter", {"number": f"{version}-{i}"})
                if version < args.versions and i == len(codes) - 1:
                    head.json("POST", f"/api/v1/drafts/{did}/rejection", {"reason": f"Замечания к версии {version}"})
                    continue
                t = time.perf_counter()
                cms = pki.sign(f"h{code.lower()}", manifest)
                sign_seconds += time.perf_counter() - t
                head.call("POST", f"/api/v1/drafts/{did}/approval", cms, "application/pkcs7-signature")
        okdo = clients["okdo"]
        okdo.json("POST", f"/api/v1/drafts/{did}/chancellery", {"accepted": True, "reason": ""})
        heads = [f"h{c.lower()}" for c in codes]
        okdo.json("POST", f"/api/v1/drafts/{did}/vote", {"heads": heads})
        for h in heads:
            ballot = clients[h].call("GET", f"/api/v1/drafts/{did}/ballot?choice=for")
            t = time.perf_counter()
            cms = pki.sign(h, ballot)
            sign_seconds += time.perf_counter() - t
            clients[h].call("POST", f"/api/v1/drafts/{did}/ballot?choice=for", cms, "application/pkcs7-signature")
        final = okdo.json("POST", f"/api/v1/drafts/{did}/decision", {"accepted": True, "reason": ""})
        cycle = time.perf_counter() - t_cycle
        assert final["stage"] == "accepted", final
        requests = sum(c.requests for c in clients.values())
        server_time = sum(c.server_seconds for c in clients.values())
        # Mail: the relay was down during the cycle, so every notice waits in the outbox.
        # Start it and measure how fast the backlog drains (first to last delivered message).
        smtp = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{smtp_port}", "-c",
                                 "aiosmtpd.handlers.Mailbox", maildir], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        last, stable = -1, 0
        while stable < 4:
            time.sleep(1.0)
            n = maildir_count(maildir)
            stable = stable + 1 if n == last and n > 0 else 0
            last = n
        files = [os.path.join(maildir, "new", f) for f in os.listdir(os.path.join(maildir, "new"))]
        times = sorted(os.path.getmtime(f) for f in files)
        cycle_mails = len(files)
        mail_rate = cycle_mails / max(times[-1] - times[0], 1e-3)

        # Baseline: smtplib straight to the same server, the same number of messages.
        n = max(cycle_mails, 100)
        t = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", smtp_port) as s:
            for i in range(n):
                m = EmailMessage()
                m["From"], m["To"], m["Subject"] = "bench@bench.test", "x@bench.test", f"baseline {i}"
                m.set_content("Проверка доставки")
                s.send_message(m)
        smtplib_rate = n / (time.perf_counter() - t)

        print(f"approval cycle: {args.agencies} approving agencies, {args.versions} versions, {requests} API requests")
        print(f"  wall clock                {cycle:8.2f} s   (of which openssl signing on the client {sign_seconds:.2f} s)")
        print(f"  server time per request   {server_time / requests * 1000:8.2f} ms  (baseline GET /api/v1/me: {floor_ms:.2f} ms)")
        print(f"  cycle without client signing {cycle - sign_seconds:6.2f} s")
        print(f"mail: {cycle_mails} notices of the cycle delivered from the outbox at {mail_rate:.1f} mails/s")
        print(f"  baseline smtplib → same server: {smtplib_rate:.1f} mails/s")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        if smtp:
            smtp.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

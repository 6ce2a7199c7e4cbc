#!/usr/bin/env python3
"""Government meeting benchmark (I385 §38–§47, issue 12): one meeting of 40 members (heads of
40 agencies) with 30 questions × 5 materials, through the real server with real CMS
signatures made by openssl:

  create the meeting; compose the agenda (150 materials); publish it (manifest + signature);
  40 signed attendance answers; the live page (`GET /meetings/{id}`, HTML, and its JSON) as a
  member; SSE fan-out: 40 open event streams, the secretary moves to the next question, time
  until each stream has the change; a vote on a resolution with 40 signed ballots.

Client-side openssl signing is timed apart and left out of the server figures.
Baselines in the same run: a signed-in `GET /api/v1/me` (the portal's request floor) and
`GET /meetings` (a small page through the same templates) — the figures above them are what
the meeting itself costs.

Reuses the draft bench's client and PKI (`benches/drafts.py`); the server runs with the
test-controlled clock so the meeting can begin without waiting.

Usage: cargo build --release && python3 benches/meetings.py [--binary target/release/ipgo]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drafts import PASSWORD, Client, Pki, free_port, run  # noqa: E402
from portal_server import serve  # noqa: E402


def document(client, title, content):
    """Posts a document readable by everyone with one text file; returns its id."""
    boundary = uuid.uuid4().hex
    meta = json.dumps({"title": title, "text": title + ".\n", "access": "all"})
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\n"
            f"Content-Type: application/json\r\n\r\n{meta}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"material.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    out = client.call("POST", "/api/v1/documents", body, f"multipart/form-data; boundary={boundary}")
    return json.loads(out)["id"]


def timed(fn, n):
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), max(samples)


class Stream(threading.Thread):
    """One open `GET /api/v1/events` of a member; notes when the meeting's change arrives."""

    def __init__(self, client, topic):
        super().__init__(daemon=True)
        self.client, self.topic = client, topic.encode()
        self.ready = threading.Event()
        self.seen = []  # perf_counter of each change event of the topic

    def run(self):
        req = urllib.request.Request(self.client.base + "/api/v1/events")
        with self.client.opener.open(req, timeout=120) as res:
            while True:
                line = res.readline()
                if not line:
                    return
                if line.startswith(b"event: inbox"):
                    self.ready.set()
                if line.startswith(b"data:") and self.topic in line and b"change" in line:
                    self.seen.append(time.perf_counter())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/ipgo")
    ap.add_argument("--members", type=int, default=40)
    ap.add_argument("--questions", type=int, default=30)
    ap.add_argument("--materials", type=int, default=5)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="ipgo-meetings-bench-")
    data = os.path.join(work, "data")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPGO_")}
    env.update(IPGO_LOG="warn", IPGO_SIGNATURES__REQUIRE_CRL="false", IPGO_MAIL__ENABLED="false",
               IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP="100000", IPGO_TESTING__CONTROLLABLE_CLOCK="true")
    server = None
    try:
        pki = Pki(work)
        cli = lambda *a, stdin=None: run([binary, *a, "--data", data], env=env, input=stdin)
        cli("init")
        codes = [f"A{i:02d}" for i in range(args.members)]
        for code in ["GOV", *codes]:
            cli("agency", "add", "--code", code, "--name-ru", f"Министерство {code}", "--name-kk", f"{code} министрлігі")
        cli("trust", "add", pki.path("ca.pem"))
        heads = [f"h{c.lower()}" for c in codes]
        people = [("okdo", "GOV", ["employee", "okdo_officer"])] + [(h, c, ["employee", "head"]) for h, c in zip(heads, codes)]
        for login, agency, roles in people:
            role_args = [x for r in roles for x in ("--role", r)]
            cli("user", "add", "--login", login, "--agency", agency, "--email", f"{login}@bench.test", *role_args,
                "--password-stdin", stdin=PASSWORD.encode())
            cli("cert", "register", "--login", login, pki.person(login))
        server, base = serve(binary, data, env, port)
        clients = {}
        for login, _, _ in people:
            clients[login] = Client(base)
            clients[login].login(login)
        okdo = clients["okdo"]
        member = clients[heads[0]]

        # Baselines: the floor of a signed-in API request and a small page.
        floor_ms, _ = timed(lambda: member.call("GET", "/api/v1/me"), 200)
        list_ms, _ = timed(lambda: member.call("GET", "/meetings"), 100)

        # Materials (setup, reported apart): 30 × 5 documents.
        t = time.perf_counter()
        materials = [[document(okdo, f"Материал {q + 1}.{k + 1}", f"Материал {q + 1}.{k + 1}\n".encode() * 200)
                      for k in range(args.materials)] for q in range(args.questions)]
        upload_s = time.perf_counter() - t

        starts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
        t = time.perf_counter()
        meeting = okdo.json("POST", "/api/v1/meetings", {
            "title": "Заседание Правительства (бенчмарк)", "starts_at": starts, "place": "",
            "members": heads, "invited": [], "majority": "simple", "quorum_percent": 50})
        create_ms = (time.perf_counter() - t) * 1000
        mid = meeting["id"]
        agenda = {"questions": [{"title": f"Вопрос {q + 1}: о ходе цифровизации, этап {q + 1}", "materials": m}
                                for q, m in enumerate(materials)]}
        t = time.perf_counter()
        okdo.json("POST", f"/api/v1/meetings/{mid}/agenda", agenda)
        compose_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        manifest = okdo.call("GET", f"/api/v1/meetings/{mid}/agenda/manifest")
        manifest_ms = (time.perf_counter() - t) * 1000
        cms = pki.sign("okdo", manifest)
        t = time.perf_counter()
        okdo.call("POST", f"/api/v1/meetings/{mid}/agenda/signature", cms, "application/pkcs7-signature")
        sign_ms = (time.perf_counter() - t) * 1000

        # Attendance: every member attends, signed.
        answer_ms = []
        for h in heads:
            c = clients[h]
            t = time.perf_counter()
            text = c.call("GET", f"/api/v1/meetings/{mid}/attendance/text?answer=attend")
            first = time.perf_counter() - t
            cms = pki.sign(h, text)
            t = time.perf_counter()
            c.call("POST", f"/api/v1/meetings/{mid}/attendance?answer=attend", cms, "application/pkcs7-signature")
            answer_ms.append((first + time.perf_counter() - t) * 1000)

        # The meeting begins.
        run([binary, "clock", "--advance", "11m", "--data", data], env=env)
        for login, c in clients.items():  # sessions may have idled out on the moved clock
            c.login(login)
        okdo.json("POST", f"/api/v1/meetings/{mid}/current", {"item": 1})
        page = member.call("GET", f"/meetings/{mid}")
        live_ms, live_max = timed(lambda: member.call("GET", f"/meetings/{mid}"), 50)
        json_ms, json_max = timed(lambda: member.call("GET", f"/api/v1/meetings/{mid}"), 50)

        # SSE fan-out: 40 open streams; the secretary moves to the next question.
        streams = [Stream(clients[h], f"meeting:{mid}") for h in heads]
        for s in streams:
            s.start()
        for s in streams:
            if not s.ready.wait(30):
                raise SystemExit("an event stream did not open")
        fanout = []
        for item in range(2, 7):
            before = [len(s.seen) for s in streams]
            t0 = time.perf_counter()
            okdo.json("POST", f"/api/v1/meetings/{mid}/current", {"item": item})
            deadline = time.time() + 20
            while any(len(s.seen) <= b for s, b in zip(streams, before)) and time.time() < deadline:
                time.sleep(0.001)
            got = [s.seen[b] for s, b in zip(streams, before) if len(s.seen) > b]
            if len(got) != len(streams):
                raise SystemExit(f"only {len(got)} of {len(streams)} streams got the move")
            fanout.append(((max(got) - t0) * 1000, statistics.median([(g - t0) * 1000 for g in got])))
            time.sleep(0.2)

        # The vote on the first question's resolution: 40 signed ballots.
        t = time.perf_counter()
        okdo.json("POST", f"/api/v1/meetings/{mid}/polls", {"question": 1, "resolution": "Одобрить", "minutes": 60})
        open_ms = (time.perf_counter() - t) * 1000
        ballot_ms = []
        for h in heads:
            c = clients[h]
            t = time.perf_counter()
            text = c.call("GET", f"/api/v1/meetings/{mid}/polls/1/ballot?choice=for")
            first = time.perf_counter() - t
            cms = pki.sign(h, text)
            t = time.perf_counter()
            c.call("POST", f"/api/v1/meetings/{mid}/polls/1/ballot?choice=for", cms, "application/pkcs7-signature")
            ballot_ms.append((first + time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        result = okdo.json("POST", f"/api/v1/meetings/{mid}/polls/1/close")
        close_ms = (time.perf_counter() - t) * 1000
        assert result["polls"][0]["outcome"] == "accepted", result["polls"][0]

        n_mat = args.questions * args.materials
        print(f"meeting: {args.members} members, {args.questions} questions × {args.materials} materials ({n_mat} documents)")
        print(f"  baseline GET /api/v1/me            {floor_ms:8.2f} ms (median of 200)")
        print(f"  baseline GET /meetings (page)      {list_ms:8.2f} ms (median of 100)")
        print(f"  materials posted (setup)           {upload_s:8.2f} s  ({upload_s / n_mat * 1000:.1f} ms each)")
        print(f"  create the meeting                 {create_ms:8.2f} ms")
        print(f"  compose the agenda                 {compose_ms:8.2f} ms")
        print(f"  get the manifest                   {manifest_ms:8.2f} ms ({len(manifest)} bytes)")
        print(f"  post the signature = publish       {sign_ms:8.2f} ms (40 notices queued)")
        print(f"  publish total (compose+manifest+signature) {compose_ms + manifest_ms + sign_ms:8.2f} ms")
        print(f"  attendance answer (text + signed)  {statistics.median(answer_ms):8.2f} ms median, {max(answer_ms):.2f} max")
        print(f"  live page GET /meetings/{{id}}      {live_ms:8.2f} ms median, {live_max:.2f} max ({len(page)} bytes)")
        print(f"  meeting JSON GET /api/v1/meetings/{{id}} {json_ms:8.2f} ms median, {json_max:.2f} max")
        print("  SSE fan-out to 40 open streams, 5 moves (last stream / median stream):")
        for last, med in fanout:
            print(f"    {last:8.2f} ms / {med:8.2f} ms")
        print(f"  open the vote                      {open_ms:8.2f} ms")
        print(f"  ballot (text + signed cast)        {statistics.median(ballot_ms):8.2f} ms median, {max(ballot_ms):.2f} max")
        print(f"  close the vote (40 ballots)        {close_ms:8.2f} ms")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

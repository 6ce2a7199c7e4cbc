"""A release `ipgo serve` for the benchmarks that load it over HTTP (ingest.py, memory.py):
a fresh data directory with one agency and one employee, the server on a free loopback
port, signed in with curl (cookie jar and CSRF token for the API)."""

import http.client
import json
import os
import socket
import subprocess
import time
import urllib.request

MB = 1024 * 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, **kw)


def serve(binary, data, env, port=None):
    """Starts `ipgo serve` on a free loopback port and waits until `/healthz` answers
    (at most 20 s); returns (the process, the base URL)."""
    port = port or free_port()
    server = subprocess.Popen([binary, "serve", "--data", data, "--listen", f"127.0.0.1:{port}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except Exception:
            time.sleep(0.05)
    return server, base


def make_pdf(path, size):
    """A file the portal accepts as PDF (header and end marker) of exactly `size` bytes."""
    head, tail = b"%PDF-1.7\n", b"\n%%EOF\n"
    with open(path, "wb") as f:
        f.write(head)
        left = size - len(head) - len(tail)
        chunk = os.urandom(MB)
        while left > 0:
            n = min(left, len(chunk))
            f.write(chunk[:n])
            left -= n
        f.write(tail)


class Portal:
    """`with Portal(binary, work, password) as p:` — p.base, p.jar, p.csrf, p.cookie,
    p.server (the process), p.data, p.env; the server is stopped on leaving."""

    def __init__(self, binary, work, password, login="bench"):
        self.binary, self.password, self.login = binary, password, login
        self.data, keys = os.path.join(work, "data"), os.path.join(work, "keys")
        self.jar = os.path.join(work, "cookies")
        self.env = dict(os.environ, IPGO_STORAGE__KEYS_DIR=keys, IPGO_LOG="warn")
        self.server = None

    def cli(self, *args, **kw):
        return run([self.binary, *args, "--data", self.data], env=self.env, **kw)

    def __enter__(self):
        run([self.binary, "init", "--data", self.data], env=self.env)
        self.cli("agency", "add", "--code", "BENCH", "--name-ru", "Бенчмарк", "--name-kk", "Бенчмарк")
        self.cli("user", "add", "--login", self.login, "--agency", "BENCH", "--role", "employee",
                 "--password-stdin", input=self.password.encode())
        self.server, self.base = serve(self.binary, self.data, self.env)
        login = run(["curl", "-sf", "-c", self.jar, "-H", "content-type: application/json", "-d",
                     json.dumps({"login": self.login, "password": self.password}), self.base + "/api/v1/session"])
        self.csrf = json.loads(login.stdout)["csrf"]
        token = [l.split("\t")[6].strip() for l in open(self.jar) if "ipgo_session" in l][0]
        self.cookie = f"Cookie: ipgo_session={token}"
        return self

    def post_document(self, meta, file=None):
        """POST /api/v1/documents (multipart) with curl; raises unless it succeeds."""
        # The JSON goes through a file (`<`): curl's -F ends an inline value at a `;` (a text
        # holding "…;\n…" would be cut and refused as malformed JSON).
        meta_file = os.path.join(os.path.dirname(self.jar), "meta.json")
        with open(meta_file, "w", encoding="utf-8") as f:
            json.dump(meta, f)
        cmd = ["curl", "-sf", "-o", "/dev/null", "-b", self.jar, "-H", f"X-CSRF-Token: {self.csrf}",
               "-F", f"meta=<{meta_file};type=application/json"]
        if file:
            cmd += ["-F", f"file=@{file}"]
        run(cmd + [self.base + "/api/v1/documents"])

    def uploader(self):
        """A client that keeps its connection, as a browser does between uploads."""
        return Uploader(self)

    def __exit__(self, *exc):
        if self.server:
            self.server.terminate()
            self.server.wait(timeout=30)


class Uploader:
    """POST /api/v1/documents over one kept-alive connection, the file streamed from disk in
    64 KiB pieces inside the multipart body: the client costs what a browser's upload costs,
    not a process start per file (curl cost 10 ms per 1 MB document on the 2-core machine,
    measured against a sink that only reads the body: two thirds of the portal's cycle)."""

    BOUNDARY = "ipgo-bench-7d3a1c"

    def __init__(self, portal):
        self.portal = portal
        host, port = portal.base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=300)

    def post_document(self, meta, file):
        b = self.BOUNDARY
        head = (f"--{b}\r\nContent-Disposition: form-data; name=\"meta\"\r\n"
                f"Content-Type: application/json\r\n\r\n{json.dumps(meta)}\r\n"
                f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"{os.path.basename(file)}\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode()
        tail = f"\r\n--{b}--\r\n".encode()
        size = os.path.getsize(file)

        def body():
            yield head
            with open(file, "rb") as f:
                while piece := f.read(64 * 1024):
                    yield piece
            yield tail

        self.conn.request("POST", "/api/v1/documents", body=body(), headers={
            "Content-Type": f"multipart/form-data; boundary={b}",
            "Content-Length": str(len(head) + size + len(tail)),
            "X-CSRF-Token": self.portal.csrf,
            "Cookie": self.portal.cookie.removeprefix("Cookie: "),
        })
        res = self.conn.getresponse()
        answer = res.read()
        if res.status != 201:
            raise RuntimeError(f"upload refused: {res.status} {answer[:300]!r}")

    def close(self):
        self.conn.close()

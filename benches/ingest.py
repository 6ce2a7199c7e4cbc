#!/usr/bin/env python3
"""Ingest benchmark (issue: documents): documents of 1 MB and 60 MB posted over HTTP to a
release `ipgo serve`, beside the machine's hash-and-write ceiling measured in the same run
on the same files. Two ways, each beside its own baseline:
- kept: one kept-alive connection from this script (as a browser uploads), beside SHA-256
  (hashlib, which is OpenSSL's) + copy + os.sync() in this script;
- curl: a curl process per file, beside `openssl dgst -sha256` + `cp` + `sync` processes per
  file (the first form of this benchmark; process starts weigh on both sides).
Also the server's resident memory growth during the uploads (streaming, not buffering).

Usage: cargo build --release && python3 benches/ingest.py [--binary target/release/ipgo]
Figures go to stdout; copy them into docs/benchmarks.md with the date and the machine.
"""

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time

from portal_server import MB, Portal, make_pdf, run


def rss_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def baseline_processes(paths, dest):
    """The first baseline: a process per step, as a shell script would do it."""
    for p in paths:
        run(["openssl", "dgst", "-sha256", p])
        shutil.copyfile(p, os.path.join(dest, os.path.basename(p)))
        run(["sync"])


def baseline_in_process(paths, dest):
    """The same work without process starts: SHA-256 (Python's hashlib is OpenSSL's), copy,
    sync — the ceiling for a client that keeps its connection."""
    for p in paths:
        h = hashlib.sha256()
        with open(p, "rb") as f:
            while piece := f.read(MB):
                h.update(piece)
        shutil.copyfile(p, os.path.join(dest, os.path.basename(p)))
        os.sync()


def timed_baseline(fn, paths, work):
    dest = os.path.join(work, "baseline")
    os.makedirs(dest, exist_ok=True)
    t0 = time.perf_counter()
    fn(paths, dest)
    elapsed = time.perf_counter() - t0
    shutil.rmtree(dest)
    run(["sync"])
    return elapsed


def timed_portal(portal_server, post, paths):
    """Seconds for posting every file, and the growth of the server's peak resident memory."""
    server = portal_server.server
    hwm_before = rss_kb(server.pid, "VmHWM")
    t0 = time.perf_counter()
    for p in paths:
        post({"title": "bench"}, p)
    elapsed = time.perf_counter() - t0
    return elapsed, rss_kb(server.pid, "VmHWM") - hwm_before


def measure(portal_server, args, work, files):
    """Both sizes, both clients, each beside its baseline; prints the table."""
    uploader = portal_server.uploader()
    rows = []
    for label, size, count in (("1 MB", MB, args.small), ("60 MB", 60 * MB - 4096, args.large)):
        paths = []
        for i in range(count):
            p = os.path.join(files, f"{label.replace(' ', '')}-{i}.pdf")
            make_pdf(p, size)
            paths.append(p)
        run(["sync"])
        total_mb = size * count / MB
        methods = [
            ("kept", uploader.post_document, baseline_in_process),
            ("curl", portal_server.post_document, baseline_processes),
        ]
        if args.client != "both":
            methods = [m for m in methods if m[0] == args.client]
        for client, post, baseline in methods:
            base = timed_baseline(baseline, paths, work)
            rss = rss_kb(portal_server.server.pid, "VmRSS")
            portal, growth = timed_portal(portal_server, post, paths)
            rows.append((label, count, client, total_mb / portal, total_mb / base, rss, growth))
        for p in paths:
            os.remove(p)
    uploader.close()

    print(f"{'size':>6} {'docs':>5} {'client':>6} {'portal MB/s':>12} {'baseline MB/s':>14} {'ratio':>6} "
          f"{'RSS before':>11} {'peak growth':>12}")
    for label, count, client, portal, base_rate, rss, growth in rows:
        print(f"{label:>6} {count:>5} {client:>6} {portal:>12.1f} {base_rate:>14.1f} {portal / base_rate:>6.2f} "
              f"{rss / 1024:>9.1f}MB {growth / 1024:>10.1f}MB")
    print("portal = multipart POST /api/v1/documents, encrypted, hashed twice, fsynced, recorded, "
          "logged and indexed;\n  kept: one kept-alive connection from this script, beside "
          "hashlib SHA-256 + copy + os.sync() in this script;\n  curl: a curl process per file, "
          "beside openssl dgst -sha256 + cp + sync processes per file")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/ipgo")
    ap.add_argument("--small", type=int, default=40, help="number of 1 MB documents")
    ap.add_argument("--large", type=int, default=4, help="number of 60 MB documents")
    ap.add_argument("--client", choices=("kept", "curl", "both"), default="both",
                    help="kept-alive connection, a curl process per file, or both (default)")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="ipgo-ingest-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    files = os.path.join(work, "files")
    os.makedirs(files)
    try:
        with Portal(binary, work, "Ingest-secret-2026") as portal_server:
            measure(portal_server, args, work, files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

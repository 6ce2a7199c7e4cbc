#!/usr/bin/env python3
"""Ingest benchmark (issue: documents): documents of 1 MB and 60 MB posted over HTTP to a
release `ipgo serve`, beside the machine's hash-and-write ceiling measured in the same run:
`openssl dgst -sha256` + `cp` + `sync` of the same files (coreutils sha256sum is several times
slower here and is not the baseline). Also the server's resident memory growth during 60 MB
uploads (streaming, not buffering).

Usage: cargo build --release && python3 benches/ingest.py [--binary target/release/ipgo]
Figures go to stdout; copy them into docs/benchmarks.md with the date and the machine.
"""

import argparse
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


def measure(portal_server, args, work, files):
    """Both sizes through the portal and through the baseline; prints the table."""
    server = portal_server.server
    results = []
    for label, size, count in (("1 MB", MB, args.small), ("60 MB", 60 * MB - 4096, args.large)):
        paths = []
        for i in range(count):
            p = os.path.join(files, f"{label.replace(' ', '')}-{i}.pdf")
            make_pdf(p, size)
            paths.append(p)
        run(["sync"])
        # Baseline: hash, copy, make durable — the same bytes, the same disk.
        dest = os.path.join(work, "baseline")
        os.makedirs(dest, exist_ok=True)
        t0 = time.perf_counter()
        for p in paths:
            run(["openssl", "dgst", "-sha256", p])
            shutil.copyfile(p, os.path.join(dest, os.path.basename(p)))
            run(["sync"])
        baseline = time.perf_counter() - t0
        shutil.rmtree(dest)
        hwm_before = rss_kb(server.pid, "VmHWM")
        rss_before = rss_kb(server.pid, "VmRSS")
        t0 = time.perf_counter()
        for p in paths:
            portal_server.post_document({"title": "bench"}, p)
        portal = time.perf_counter() - t0
        hwm_after = rss_kb(server.pid, "VmHWM")
        total_mb = size * count / MB
        results.append((label, count, total_mb / portal, total_mb / baseline, rss_before, hwm_after - hwm_before))
        for p in paths:
            os.remove(p)

    print(f"{'size':>6} {'docs':>5} {'portal MB/s':>12} {'baseline MB/s':>14} {'ratio':>6} {'RSS before':>11} {'peak growth':>12}")
    for label, count, portal, base_rate, rss, growth in results:
        print(f"{label:>6} {count:>5} {portal:>12.1f} {base_rate:>14.1f} {portal / base_rate:>6.2f} "
              f"{rss / 1024:>9.1f}MB {growth / 1024:>10.1f}MB")
    print("baseline = openssl dgst -sha256 + cp + sync of the same files; portal = HTTP multipart POST "
          "/api/v1/documents (curl), encrypted, hashed twice, fsynced, recorded and logged")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/ipgo")
    ap.add_argument("--small", type=int, default=40, help="number of 1 MB documents")
    ap.add_argument("--large", type=int, default=4, help="number of 60 MB documents")
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

#!/usr/bin/env python3
"""Memory under load (not a test): the resident memory of a release `ipgo serve`, sampled
every second while it is loaded and while it rests afterwards, beside the ceiling its
configuration promises (docs/admin-guide.md, chapter 23 "Sizing").

Phases, in one run:
  1. idle (10 s);
  2. pages: `wrk -t2 -c32` on the signed-in dashboard `GET /` (PAGES_SECONDS, 60);
  3. rest (REST_SECONDS, 70): memory must come back near idle within a minute;
  4. mixed (MIXED_SECONDS, 600): pages (wrk), searches (wrk with a Lua list of queries over
     /api/v1/search) and uploads (1 MB PDF documents posted one after another) at once;
  5. rest (REST_SECONDS).

Prints a table of the phases (resident private memory and mapped files, MiB), counts the
access-log entries against the requests completed, writes the samples as CSV and the curve
as SVG (`--out`, default target/memory-bench/).

Usage: cargo build --release && python3 benches/memory.py [--binary target/release/ipgo] [--caches 16,32,128]
Environment: PAGES_SECONDS, REST_SECONDS, MIXED_SECONDS, DOCS (documents seeded, 400).
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from portal_server import MB, Portal, make_pdf

PASSWORD = "Memory-load-2026"  # must not contain the login "bench"


def status_kb(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def corpus_lines():
    """Lines of the regulations (kk/ru) for document texts and queries."""
    root = os.environ.get("IPGO_CORPUS") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus")
    lines = []
    for name in sorted(os.listdir(root)):
        if name.endswith(".txt"):
            with open(os.path.join(root, name), encoding="utf-8") as f:
                lines += [l.strip() for l in f if len(l.strip()) > 40]
    return lines


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.phase, self.stop = pid, [], "idle", False
        self.t0 = time.monotonic()

    def run(self):
        while not self.stop:
            try:
                s = status_kb(self.pid)
            except FileNotFoundError:
                return
            self.samples.append((time.monotonic() - self.t0, self.phase, s["RssAnon"] / 1024, s["RssFile"] / 1024))
            time.sleep(1)


def wrk(args, seconds, out):
    return subprocess.Popen(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency"] + args,
                            stdout=out, stderr=subprocess.STDOUT)


def wrk_requests(path):
    with open(path) as f:
        for line in f:
            if "requests in" in line:
                return int(line.split()[0])
    return 0


def svg(samples, ceiling, path):
    """The curve: private memory (solid) and mapped files (dashed), phases shaded."""
    w, h, left, bottom, top = 900, 360, 60, 40, 20
    tmax = max(t for t, *_ in samples) or 1
    vmax = max(max(a + f for _, _, a, f in samples), ceiling) * 1.1
    x = lambda t: left + (w - left - 20) * t / tmax
    y = lambda v: h - bottom - (h - bottom - top) * v / vmax
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>']
    start, phase = 0, samples[0][1]
    shades = {"pages": "#e8f0fe", "mixed": "#fde8e8"}
    for t, p, *_ in samples + [(tmax, None, 0, 0)]:
        if p != phase:
            if phase in shades:
                parts.append(f'<rect x="{x(start):.1f}" y="{top}" width="{x(t) - x(start):.1f}" height="{h - bottom - top}" fill="{shades[phase]}"/>')
            parts.append(f'<text x="{x(start) + 3:.1f}" y="{top + 12}">{phase}</text>')
            start, phase = t, p
    for v in range(0, int(vmax) + 1, max(50, int(vmax / 6) // 50 * 50)):
        parts.append(f'<line x1="{left}" x2="{w - 20}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    for m in range(0, int(tmax) + 1, 60):
        parts.append(f'<text x="{x(m):.1f}" y="{h - bottom + 16}" text-anchor="middle">{m // 60} min</text>')
    parts.append(f'<line x1="{left}" x2="{w - 20}" y1="{y(ceiling):.1f}" y2="{y(ceiling):.1f}" stroke="#c00" stroke-dasharray="6 4"/>')
    parts.append(f'<text x="{w - 24}" y="{y(ceiling) - 4:.1f}" text-anchor="end" fill="#c00">configured ceiling {ceiling:.0f} MiB</text>')
    for idx, style, label in ((2, 'stroke="#1a56db" stroke-width="2"', "private (heap, caches)"),
                              (3, 'stroke="#666" stroke-dasharray="3 3"', "mapped files (index)")):
        pts = " ".join(f"{x(s[0]):.1f},{y(s[idx]):.1f}" for s in samples)
        parts.append(f'<polyline fill="none" {style} points="{pts}"/>')
    parts.append(f'<text x="{left + 10}" y="{h - 8}">MiB resident — blue: private (heap, caches); grey dashed: mapped index files</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/ipgo")
    ap.add_argument("--out", default="target/memory-bench")
    ap.add_argument("--caches", default="",
                    help="comma-separated storage.db_cache_mb values run one after another in this run "
                         "(issue 22 point 5: choose the default); empty: the configured default only")
    args = ap.parse_args()
    caches = [int(c) for c in args.caches.split(",") if c.strip()]
    if not caches:
        run_one(args, None)
        return
    rows = []
    for cache in caches:
        os.environ["IPGO_STORAGE__DB_CACHE_MB"] = str(cache)
        print(f"\n## storage.db_cache_mb = {cache}")
        rows.append((cache, run_one(args, cache)))
    os.environ.pop("IPGO_STORAGE__DB_CACHE_MB", None)
    print("\n| db_cache_mb | load before/after | pages req/s (pages phase) | pages / searches req/s (mixed) | uploads | "
          "private MiB: idle / after pages / 60 s after / mixed peak / 60 s after mixed |")
    print("|---:|---|---:|---:|---:|---|")
    for cache, r in rows:
        print(f"| {cache} | {r['load']} | {r['pages_rps']:.0f} | {r['mixed_pages_rps']:.0f} / {r['mixed_search_rps']:.0f} | "
              f"{r['uploads']} | {r['mem']} |")


def run_one(args, cache):
    out = args.out if cache is None else os.path.join(args.out, f"db-cache-{cache}")
    pages_s = int(os.environ.get("PAGES_SECONDS", 60))
    rest_s = int(os.environ.get("REST_SECONDS", 70))
    mixed_s = int(os.environ.get("MIXED_SECONDS", 600))
    docs = int(os.environ.get("DOCS", 400))
    binary = os.path.abspath(args.binary)
    os.makedirs(out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="ipgo-memory-", dir=os.environ.get("BENCH_DIR", "/var/tmp"))
    load_before = open("/proc/loadavg").read().split()[:3]
    with Portal(binary, work, PASSWORD) as portal:
        server, base, cookie = portal.server, portal.base, portal.cookie
        lines = corpus_lines()
        rng = random.Random(7)
        # Seed documents so searches have something to find (through the API, as people post).
        for i in range(docs):
            text = "\n".join(rng.sample(lines, 12))
            meta = {"title": rng.choice(lines)[:120], "text": text, "access": "agency"}
            portal.post_document(meta)
        words = sorted({w.lower() for l in lines for w in l.split() if len(w) > 5 and w.isalpha()})
        queries = [rng.choice(words) for _ in range(200)]
        queries += [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(100)]
        lua = os.path.join(work, "search.lua")
        with open(lua, "w") as f:
            f.write("local q = {" + ",".join(json.dumps(urllib.parse.quote(q)) for q in queries) + "}\n"
                    "local i = 0\nrequest = function()\n  i = i % #q + 1\n"
                    "  return wrk.format('GET', '/api/v1/search?q=' .. q[i])\nend\n")
        while True:  # the index has caught up with the seeding
            ready = json.load(urllib.request.urlopen(base + "/readyz"))
            if ready["checks"]["search"]["queued"] == 0:
                break
            time.sleep(0.5)
        pdf = os.path.join(work, "upload.pdf")
        make_pdf(pdf, MB)

        sampler = Sampler(server.pid)
        sampler.start()
        time.sleep(10)
        wrk_logs, totals = [], {"pages": 0, "searches": 0, "uploads": 0}
        rates = {}

        def name_of(log):  # wrk-<phase>-<kind>.log
            return os.path.basename(log)[4:-4]

        def phase(name, seconds, searches, uploads):
            sampler.phase = name
            log = open(os.path.join(work, f"wrk-{name}-pages.log"), "w")
            procs = [(wrk(["-H", cookie, base + "/"], seconds, log), log.name, "pages")]
            if searches:
                slog = open(os.path.join(work, f"wrk-{name}-search.log"), "w")
                procs.append((wrk(["-H", cookie, "-s", lua, base], seconds, slog), slog.name, "searches"))
            end = time.monotonic() + seconds
            while uploads and time.monotonic() < end:
                portal.post_document({"title": "load"}, pdf)
                totals["uploads"] += 1
            for p, name, kind in procs:
                p.wait()
                n = wrk_requests(name)
                totals[kind] += n
                rates[f"{name_of(name)}"] = n / seconds

        def rest(seconds):
            sampler.phase = "rest"
            time.sleep(seconds)

        phase("pages", pages_s, False, False)
        rest(rest_s)
        if mixed_s > 0:
            phase("mixed", mixed_s, True, True)
            rest(rest_s)
        sampler.stop = True
        sampler.join()
        load_after = open("/proc/loadavg").read().split()[:3]
    # Requests against the access log: every dashboard request of the runs is there.
    export = portal.cli("audit", "export", "--format", "jsonl").stdout.decode()
    logged_pages = sum(1 for l in export.splitlines() if '"route":"/","resource":"/"' in l)
    entries = len(export.splitlines())
    # Disk per access-log entry and per document, for the admin guide's sizing chapter.
    sizes = {}
    for root, _, names in os.walk(portal.data):
        top = os.path.relpath(root, portal.data).split(os.sep)[0]
        for n in names:
            try:
                sizes[top] = sizes.get(top, 0) + os.path.getsize(os.path.join(root, n))
            except OSError:
                pass

    samples = sampler.samples
    with open(os.path.join(out, "memory.csv"), "w") as f:
        f.write("seconds,phase,private_mib,file_mib\n")
        for t, p, a, fl in samples:
            f.write(f"{t:.1f},{p},{a:.1f},{fl:.1f}\n")
    ceiling = (cache or 32) + 96 + 100  # db_cache_mb + search.writer_memory_mb + the rest (docs: Sizing)
    svg(samples, ceiling, os.path.join(out, "memory.svg"))

    def stats(name, picker):
        sel = [s for s in samples if picker(s)]
        if not sel:
            return
        print(f"| {name} | {min(s[2] for s in sel):.0f} | {max(s[2] for s in sel):.0f} | {sel[-1][2]:.0f} | {max(s[3] for s in sel):.0f} |")

    print(f"machine load average before/after: {' '.join(load_before)} / {' '.join(load_after)}")
    print("| phase | private MiB min | private MiB max | private MiB at end | mapped files MiB max |")
    print("|---|---:|---:|---:|---:|")
    order = []
    for t, p, *_ in samples:
        if not order or order[-1][0] != p:
            order.append([p, t, t])
        order[-1][2] = t
    for p, t0, t1 in order:
        stats(f"{p} ({t0:.0f}–{t1:.0f} s)", lambda s, t0=t0, t1=t1: t0 <= s[0] <= t1)
        if p == "rest":
            after = [s for s in samples if t0 + 55 <= s[0] <= t0 + 65]
            if after:
                print(f"|  ↳ 60 s after the load | | | {after[0][2]:.0f} | |")
    print(f"requests completed: {totals}; dashboard entries in the access log: {logged_pages} "
          f"(wrk does not count requests in flight when it stops)")
    print(f"data directory after the run: {entries} access-log entries, {docs + totals['uploads']} documents; "
          + ", ".join(f"{k}: {v / MB:.1f} MiB" for k, v in sorted(sizes.items())))
    print(f"samples: {out}/memory.csv, curve: {out}/memory.svg; configured ceiling {ceiling} MiB")
    shutil.rmtree(work, ignore_errors=True)

    def at(phase_index, offset=None):
        """Private MiB: the peak of the n-th phase, or `offset` s into it."""
        p, t0, t1 = order[phase_index]
        sel = [s for s in samples if t0 <= s[0] <= t1]
        if offset is None:
            return max(s[2] for s in sel)
        near = [s for s in sel if s[0] >= t0 + offset]
        return (near or sel)[0][2]

    mem = "–"
    if len(order) >= 5:
        mem = (f"{at(0, 0):.0f} / {at(1):.0f} / {at(2, 60):.0f} / {at(3):.0f} / {at(4, 60):.0f}")
    return {"load": f"{load_before[0]} / {load_after[0]}", "pages_rps": rates.get("pages-pages", 0),
            "mixed_pages_rps": rates.get("mixed-pages", 0), "mixed_search_rps": rates.get("mixed-search", 0),
            "uploads": totals["uploads"], "mem": mem}


if __name__ == "__main__":
    sys.exit(main())

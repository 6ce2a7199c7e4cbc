#!/usr/bin/env python3
"""Action-plan benchmark (I385 §29–§37): a Government plan of 2,000 items across 60
agencies (and one of 5,000 items for the export's memory), through the real server.

Measured: the plan page (`GET /plans/{id}`, the whole table and chart), the monitoring
dashboard (`GET /plans/dashboard?plan=`), the plan's JSON, and the XLSX export (time and
the server's peak resident memory before and after). Baseline in the same run: openpyxl
writing the same table (cells from the plan's JSON) in its normal and its write-only
(streaming) mode, time and peak memory of that process.

Usage: cargo build --release && python3 benches/plans.py [--binary target/release/ipgo]
"""

import argparse
import http.cookiejar
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from portal_server import free_port, serve  # noqa: E402

PASSWORD = "Bench-secret-2026"


class Client:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = None

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        with self.opener.open(req) as res:
            return res.read()

    def json(self, method, path, value=None):
        out = self.call(method, path, None if value is None else json.dumps(value).encode())
        return json.loads(out) if out else None


def rss(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) // 1024
    return 0


def timed(fn, n):
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), max(samples)


BASELINE = r'''
import json, resource, sys, time, openpyxl
rows = json.load(open(sys.argv[1]))
mode = sys.argv[2]
t0 = time.perf_counter()
wb = openpyxl.Workbook(write_only=(mode == "write_only"))
ws = wb.create_sheet() if mode == "write_only" else wb.active
if mode != "write_only":
    ws.freeze_panes = "A2"
ws.append(["No.", "Item", "Responsible", "Co-executors", "End", "Due", "Status", "Overdue", "Report"])
for r in rows:
    ws.append(r)
ws.append(["Total", None, None, None, None, None, None, "=SUM(H2:H%d)" % (len(rows) + 1), None])
wb.save(sys.argv[3])
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/ipgo")
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--agencies", type=int, default=60)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="ipgo-plans-bench-")
    data = os.path.join(work, "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPGO_")}
    env["IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP"] = "1000"
    env["IPGO_PLANS__GOVERNMENT_AGENCY"] = "A00"

    def cli(*a, stdin=None):
        subprocess.run([binary, *a, "--data", data], check=True, capture_output=True, input=stdin, env=env)

    server, base = serve(binary, data, env)
    try:
        codes = [f"A{i:02}" for i in range(args.agencies)]
        for c in codes:
            cli("agency", "add", "--code", c, "--name-ru", f"Министерство № {c[1:]} Республики Казахстан",
                "--name-kk", f"Қазақстан Республикасының № {c[1:]} министрлігі")
        cli("user", "add", "--login", "planner", "--agency", "A00", "--role", "employee", "--role", "plan_responsible",
            "--password-stdin", stdin=PASSWORD.encode())
        c = Client(base)
        c.csrf = c.json("POST", "/api/v1/session", {"login": "planner", "password": PASSWORD})["csrf"]

        def plan(n):
            items = [{"number": str(i + 1), "start": "2026-01-01", "end": "2026-12-31",
                      "periodicity": ["quarterly", "monthly", "half_yearly", "yearly", "once"][i % 5],
                      "title": f"Мероприятие {i + 1}: цифровизация государственных услуг, этап {i % 7 + 1}",
                      "content": "Содержание пункта плана мероприятий. " * 5,
                      "responsible": codes[i % len(codes)], "co_executors": [codes[(i * 7 + 3) % len(codes)]]}
                     for i in range(n)]
            t0 = time.perf_counter()
            p = c.json("POST", "/api/v1/plans", {"kind": "government", "title": f"План Правительства ({n} пунктов)",
                                                 "approved_on": "2026-01-05", "items": []})
            # JSON bodies are limited to 256 KiB: items go in batches.
            for i in range(0, n, 100):
                c.call("POST", f"/api/v1/plans/{p['id']}/items", json.dumps({"items": items[i:i + 100]}).encode())
            c.json("POST", f"/api/v1/plans/{p['id']}/post")
            return p["id"], (time.perf_counter() - t0) * 1000

        pid, create_ms = plan(args.items)
        page = timed(lambda: c.call("GET", f"/plans/{pid}"), 20)
        dash = timed(lambda: c.call("GET", f"/plans/dashboard?plan={pid}"), 20)
        api = timed(lambda: c.call("GET", f"/api/v1/plans/{pid}"), 20)
        before = rss(server.pid, "VmRSS")
        xlsx = timed(lambda: c.call("GET", f"/api/v1/plans/{pid}/export.xlsx"), 5)
        peak2k = rss(server.pid, "VmHWM")
        big, _ = plan(5000)
        xlsx5k = timed(lambda: c.call("GET", f"/api/v1/plans/{big}/export.xlsx"), 3)
        peak5k = rss(server.pid, "VmHWM")
        size = len(c.call("GET", f"/api/v1/plans/{pid}/export.xlsx"))
        # The same table for openpyxl.
        view = c.json("GET", f"/api/v1/plans/{pid}")
        rows = [[it["number"], it["title"], it["responsible"]["name"], "; ".join(x["name"] for x in it["co_executors"]),
                 it["end"], it["due"], it["status"], it["overdue_working_days"], ""] for it in view["items"]]
        rows_file = os.path.join(work, "rows.json")
        json.dump(rows, open(rows_file, "w"))
        base_out = {}
        for mode in ("normal", "write_only"):
            out = subprocess.run([sys.executable, "-c", BASELINE, rows_file, mode, os.path.join(work, f"{mode}.xlsx")],
                                 check=True, capture_output=True, text=True)
            base_out[mode] = json.loads(out.stdout)
        print(f"plan of {args.items} items, {args.agencies} agencies (created and posted in {create_ms:.0f} ms)")
        print(f"  plan page         median {page[0]:7.1f} ms  max {page[1]:7.1f} ms")
        print(f"  dashboard         median {dash[0]:7.1f} ms  max {dash[1]:7.1f} ms")
        print(f"  plan JSON         median {api[0]:7.1f} ms  max {api[1]:7.1f} ms")
        print(f"  XLSX export       median {xlsx[0]:7.1f} ms  ({size // 1024} KiB); server RSS {before} MB before, peak {peak2k} MB")
        print(f"  XLSX 5,000 items  median {xlsx5k[0]:7.1f} ms; server peak RSS {peak5k} MB")
        for mode, r in base_out.items():
            print(f"  openpyxl {mode:<10} {r['ms']:7.1f} ms, process peak RSS {r['maxrss_mb']:.0f} MB")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

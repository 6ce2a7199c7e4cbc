#!/usr/bin/env python3
"""Headcount benchmark (I385 §26–§28) through the real server: 100 agencies, each with its HR
officer, return figures for four quarters; the civil-service agency's verifier accepts them.

Measured: creating, saving and submitting a return and accepting it (per request), the
consolidated report for the last quarter as JSON (totals, change, the trend over four
quarters), as the page (table and two charts) and as XLSX. Baseline in the same run: openpyxl
writing the same table (from the report's JSON) with a SUM row, and Python summing the same
figures — what a person would do by hand with the returns exported.

Usage: python3 benches/headcount.py [--binary target/release/ipgo] [--agencies 100]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plans import PASSWORD, Client, free_port, rss, timed  # noqa: E402
from portal_server import serve  # noqa: E402

BASELINE = r'''
import json, resource, sys, time, openpyxl
s = json.load(open(sys.argv[1]))
t0 = time.perf_counter()
keys = [f["key"] for f in s["fields"]]
totals = {k: sum((l["values"] or {}).get(k, 0) for l in s["agencies"]) for k in keys}
wb = openpyxl.Workbook()
ws = wb.active
ws.freeze_panes = "A2"
ws.append(["Agency", "State"] + [f["label"] for f in s["fields"]])
for l in s["agencies"]:
    ws.append([l["agency"]["name"], l["state"]] + [(l["values"] or {}).get(k) for k in keys])
n = len(s["agencies"]) + 1
ws.append(["Total", None] + ["=SUM(%s2:%s%d)" % (c, c, n) for c in [openpyxl.utils.get_column_letter(i + 3) for i in range(len(keys))]])
wb.save(sys.argv[2])
assert totals == {k: s["totals"].get(k, 0) for k in keys}, "the portal's totals agree"
print(json.dumps({"ms": (time.perf_counter() - t0) * 1000, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def figures(approved, vacant):
    filled = approved - vacant
    political, corps_a, non_civil = 2, 3, filled // 8
    corps_b = filled - political - corps_a - non_civil
    a, b, c = corps_b // 12, corps_b // 3, corps_b // 4
    return {"approved": approved, "filled": filled, "vacant": vacant, "political": political, "corps_a": corps_a,
            "corps_b": corps_b, "corps_b_a": a, "corps_b_b": b, "corps_b_c": c, "corps_b_d": corps_b - a - b - c,
            "non_civil": non_civil, "women": filled // 2, "under_35": filled // 4, "hired": 5, "left": 4}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/ipgo")
    ap.add_argument("--agencies", type=int, default=100)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="ipgo-headcount-bench-")
    data = os.path.join(work, "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPGO_")}
    env["IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP"] = "100000"

    def cli(*a, stdin=None):
        subprocess.run([binary, *a, "--data", data], check=True, capture_output=True, input=stdin, env=env)

    server, base = serve(binary, data, env)
    try:
        codes = [f"A{i:03}" for i in range(args.agencies)]
        cli("agency", "add", "--code", "ADGS", "--name-ru", "Агентство по делам государственной службы",
            "--name-kk", "Мемлекеттік қызмет істері агенттігі")
        cli("user", "add", "--login", "verifier", "--agency", "ADGS", "--role", "employee", "--role",
            "civil_service_verifier", "--password-stdin", stdin=PASSWORD.encode())
        for c in codes:
            cli("agency", "add", "--code", c, "--name-ru", f"Министерство № {c[1:]} Республики Казахстан",
                "--name-kk", f"Қазақстан Республикасының № {c[1:]} министрлігі")
            cli("user", "add", "--login", f"hr.{c}", "--agency", c, "--role", "employee", "--role", "hr_officer",
                "--password-stdin", stdin=PASSWORD.encode())

        def signed_in(login):
            c = Client(base)
            c.csrf = c.json("POST", "/api/v1/session", {"login": login, "password": PASSWORD})["csrf"]
            return c

        verifier = signed_in("verifier")
        officers = {c: signed_in(f"hr.{c}") for c in codes}
        steps = {"create": [], "save": [], "submit": [], "accept": []}

        def step(name, fn):
            t0 = time.perf_counter()
            out = fn()
            steps[name].append((time.perf_counter() - t0) * 1000)
            return out

        for q in range(1, 5):
            camp = verifier.json("POST", "/api/v1/headcount/campaigns",
                                 {"period": f"2025-Q{q}", "due": "2026-12-31", "agencies": codes})
            for i, c in enumerate(codes):
                o = officers[c]
                r = step("create", lambda: o.json("POST", "/api/v1/headcount/returns", {"campaign": camp["id"]}))
                fig = figures(300 + i + q * 3, 20 + i % 7)
                step("save", lambda: o.json("PUT", f"/api/v1/headcount/returns/{r['id']}", {"values": fig}))
                step("submit", lambda: o.json("POST", f"/api/v1/headcount/returns/{r['id']}/submit", {}))
                step("accept", lambda: verifier.json("POST", f"/api/v1/headcount/returns/{r['id']}/accept", {}))
        summary = timed(lambda: verifier.call("GET", "/api/v1/headcount/summary?period=2025-Q4"), 20)
        page = timed(lambda: verifier.call("GET", "/headcount/summary?period=2025-Q4"), 20)
        before = rss(server.pid, "VmRSS")
        xlsx = timed(lambda: verifier.call("GET", "/api/v1/headcount/summary.xlsx?period=2025-Q4"), 10)
        peak = rss(server.pid, "VmHWM")
        s = verifier.json("GET", "/api/v1/headcount/summary?period=2025-Q4")
        s_file = os.path.join(work, "summary.json")
        json.dump(s, open(s_file, "w"))
        out = subprocess.run([sys.executable, "-c", BASELINE, s_file, os.path.join(work, "base.xlsx")],
                             check=True, capture_output=True, text=True)
        baseline = json.loads(out.stdout)
        med = lambda v: sorted(v)[len(v) // 2]
        print(f"{args.agencies} agencies, 4 quarters, {len(steps['accept'])} returns accepted")
        for name, v in steps.items():
            print(f"  {name:<8} per request  median {med(v):7.1f} ms  max {max(v):7.1f} ms")
        print(f"  summary JSON       median {summary[0]:7.1f} ms  max {summary[1]:7.1f} ms")
        print(f"  summary page       median {page[0]:7.1f} ms  max {page[1]:7.1f} ms (table and two charts)")
        print(f"  summary XLSX       median {xlsx[0]:7.1f} ms  server RSS {before} MB before, peak {peak} MB")
        print(f"  openpyxl + sums    {baseline['ms']:7.1f} ms, process peak RSS {baseline['maxrss_mb']:.0f} MB")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

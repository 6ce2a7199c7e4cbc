#!/usr/bin/env python3
"""Reminders benchmark (I385 §48–§51): the national scale of one refresh — 100,000
instructions from one source — through the real server.

Measured: the import pushed over HTTP by the connector (one CSV batch, Windows-1251), the
same batch pushed again (nothing changes), the refresh that makes it visible
(`ipgo reminders refresh`), and the controller's list for an agency with 5,000 of them (the
JSON list and the page). Baseline in the same run: SQLite's `.import` of the same CSV into
a table, then an index on (agency, deadline), and the same agency's rows selected in
deadline order.

Usage: python3 benches/reminders.py [--binary target/release/ipgo] [--records 100000]
"""

import argparse
import http.cookiejar
import json
import os
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
COLUMNS = "record_id;outgoing_number;outgoing_date;summary;executor_agency;executor_person;document_type;department;deadline;status;new_deadline"


def timed(fn, n):
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), max(samples)


def batch(records, agencies, big):
    lines = [COLUMNS]
    for i in range(records):
        agency = big if i % (records // 5000 or 1) == 0 and i // (records // 5000 or 1) < 5000 else agencies[i % len(agencies)]
        day = 1 + i % 28
        lines.append(
            f"KPM-{i:07};17-{i % 90:02}/{i};01.11.2026;"
            f"\"О ходе исполнения поручения № {i}: представить информацию в Канцелярию Премьер-Министра\";"
            f"{agency};Исполнитель {i % 300};Поручение Премьер-Министра;Отдел контроля {i % 12};"
            f"{day:02}.12.2026;на контроле;")
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/ipgo")
    ap.add_argument("--records", type=int, default=100_000)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="ipgo-reminders-bench-")
    data = os.path.join(work, "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPGO_")}
    env["IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP"] = "1000"
    env["IPGO_REMINDERS__MAX_IMPORT_MB"] = "200"

    def cli(*a, stdin=None):
        return subprocess.run([binary, *a, "--data", data], check=True, capture_output=True, input=stdin, env=env).stdout.decode()

    server, base = serve(binary, data, env)
    try:
        codes = [f"A{i:02}" for i in range(60)]
        for c in codes:
            cli("agency", "add", "--code", c, "--name-ru", f"Государственный орган № {c[1:]}", "--name-kk", f"№ {c[1:]} мемлекеттік орган")
        cli("user", "add", "--login", "esedo", "--agency", "A00", "--role", "connector", "--password-stdin", stdin=PASSWORD.encode())
        cli("user", "add", "--login", "ctl", "--agency", "A07", "--role", "employee", "--role", "controller", "--password-stdin", stdin=PASSWORD.encode())
        token = cli("reminders", "token-issue", "--login", "esedo").splitlines()[0].rsplit(": ", 1)[1].strip()
        body = batch(args.records, [c for c in codes if c != "A07"], "A07")
        csv_path = os.path.join(work, "batch.csv")
        open(csv_path, "wb").write(body)

        def push():
            req = urllib.request.Request(base + "/api/v1/reminders/import?source=chancellery", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
            with urllib.request.urlopen(req, timeout=3600) as res:
                return json.loads(res.read())

        t0 = time.perf_counter()
        first = push()
        import_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        again = push()
        again_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        refreshed = cli("reminders", "refresh", "--source", "chancellery")
        refresh_ms = (time.perf_counter() - t0) * 1000

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        req = urllib.request.Request(base + "/api/v1/session", data=json.dumps({"login": "ctl", "password": PASSWORD}).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        opener.open(req).read()
        n = len(json.loads(opener.open(base + "/api/v1/reminders").read())["reminders"])
        api = timed(lambda: opener.open(base + "/api/v1/reminders").read(), 10)
        page = timed(lambda: opener.open(base + "/reminders").read(), 10)
        xlsx = timed(lambda: opener.open(base + "/api/v1/reminders/export.xlsx").read(), 3)

        # Baseline: SQLite loading the same CSV (decoded to UTF-8, as sqlite3 needs).
        utf8 = os.path.join(work, "batch-utf8.csv")
        open(utf8, "w", encoding="utf-8").write(body.decode("cp1251"))
        db = os.path.join(work, "baseline.sqlite")
        script = (".mode csv\n.separator ;\n.import " + utf8 + " instructions\n"
                  "CREATE INDEX by_agency ON instructions(executor_agency, deadline);\n")
        t0 = time.perf_counter()
        subprocess.run(["sqlite3", db], input=script.encode(), check=True)
        sqlite_ms = (time.perf_counter() - t0) * 1000
        select = timed(lambda: subprocess.run(["sqlite3", db, "SELECT * FROM instructions WHERE executor_agency = 'A07' ORDER BY deadline;"],
                                              check=True, capture_output=True), 5)

        print(f"{args.records} instructions from one source, {len(body) // 1024} KiB CSV (Windows-1251)")
        print(f"  import over HTTP      {import_ms:8.0f} ms  (accepted {first['accepted']}, refused {first['refused']})")
        print(f"  same batch again      {again_ms:8.0f} ms  (unchanged {again['unchanged']})")
        print(f"  refresh               {refresh_ms:8.0f} ms  ({refreshed.strip()})")
        print(f"  controller list JSON, {n} instructions  median {api[0]:7.1f} ms  max {api[1]:7.1f} ms")
        print(f"  controller page                     median {page[0]:7.1f} ms  max {page[1]:7.1f} ms")
        print(f"  XLSX export                         median {xlsx[0]:7.1f} ms")
        print(f"  baseline: sqlite3 .import + index   {sqlite_ms:8.0f} ms")
        print(f"  baseline: sqlite3 select one agency median {select[0]:7.1f} ms (process start included)")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

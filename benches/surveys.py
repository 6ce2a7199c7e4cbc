#!/usr/bin/env python3
"""Survey benchmark (I385 §7.8, issue 16): N responses (default 10,000) to a 40-question
anonymous survey through the real server, each from its own signed-in account:

  submit throughput (`POST /api/v1/surveys/{id}/responses`, 4 clients at a time) and the
  results' latency with every chart computed — the results page (`GET /surveys/{id}/results`,
  HTML with a server-side SVG chart per question), its JSON, and the breakdown by agency.

Baselines in the same run, with the same accounts and server: the same submissions to a
1-question survey (what the 40 questions cost above the floor of a response), a signed-in
`GET /api/v1/me` (the portal's request floor) and the surveys list page `GET /surveys` (a
small page through the same templates).

Setting up (N accounts created through the API and signed in, each a password hash) is
timed apart and left out of the figures.

With `--before OTHER_BINARY` (the build before a change of the results' computation), the
same data directory is then served by that binary and the results measured again in the same
run, and both binaries' results JSON (whole survey and by agency) must be identical.

Usage: cargo build --release && python3 benches/surveys.py [--binary target/release/ipgo]
       [--responses 10000] [--before /tmp/ipgo-before]
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from drafts import PASSWORD, Client, free_port, run  # noqa: E402
from portal_server import serve  # noqa: E402

AGENCIES = [f"S{i:02d}" for i in range(12)]
KINDS = ["single", "multiple", "scale", "matrix", "number", "short_text", "long_text", "date"]


def t(s):
    return {"ru": s, "kk": s}


def question(n):
    kind = KINDS[n % len(KINDS)]
    q = {"key": f"q{n + 1}", "type": kind, "text": t(f"Вопрос {n + 1}")}
    if kind in ("single", "multiple"):
        q["options"] = [t(f"Вариант {i}") for i in range(1, 6)]
        if kind == "multiple":
            q["max"] = 3
    elif kind in ("scale", "matrix"):
        q["max"] = 5
        if kind == "matrix":
            q["rows"] = [t(f"Строка {i}") for i in range(1, 4)]
    elif kind == "number":
        q["min"], q["max"] = 0, 100
    return q


def design(questions, opens, closes):
    qs = [question(n) for n in range(questions)]
    sections = [{"title": t(f"Раздел {i // 5 + 1}"), "questions": qs[i:i + 5]} for i in range(0, len(qs), 5)]
    return {"title": t(f"Опрос на {questions} вопросов"), "anonymity": "anonymous", "k": 5,
            "audience": {"everyone": True}, "opens_at": opens, "closes_at": closes, "sections": sections}


def answers(questions, i):
    a = {}
    for n in range(questions):
        kind, key = KINDS[n % len(KINDS)], f"q{n + 1}"
        v = (i * 7 + n * 3) % 5 + 1
        if kind in ("single", "scale"):
            a[key] = [str(v)]
        elif kind == "multiple":
            a[key] = sorted({str(v), str(v % 5 + 1)})
        elif kind == "matrix":
            a[key] = [str(v), str(v % 5 + 1), str((v + 1) % 5 + 1)]
        elif kind == "number":
            a[key] = [str((i * 13 + n) % 101)]
        elif kind == "short_text":
            a[key] = [f"ответ {i % 50}"]
        elif kind == "long_text":
            a[key] = [f"Развёрнутый ответ номер {i % 200}: условия, техника, график."]
        else:
            a[key] = [f"20{10 + i % 15}-0{1 + i % 9}-1{i % 9}"]
    return a


def pool(fn, items, workers=4):
    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(fn, items))


def median_ms(fn, n):
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), max(samples)


def submit_all(clients, sid, body_of):
    """Each client answers once, 4 at a time; returns (responses per second, median ms)."""
    lat = []

    def one(ic):
        i, c = ic
        body = json.dumps({"answers": body_of(i)}).encode()
        t0 = time.perf_counter()
        c.call("POST", f"/api/v1/surveys/{sid}/responses", body, "application/json", expect=(200, 201, 204))
        lat.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    pool(one, list(enumerate(clients)))
    wall = time.perf_counter() - t0
    return len(clients) / wall, statistics.median(lat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/ipgo")
    ap.add_argument("--responses", type=int, default=10_000)
    ap.add_argument("--questions", type=int, default=40)
    ap.add_argument("--before", help="a second binary whose results are measured on the same data")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="ipgo-surveys-bench-")
    data = os.path.join(work, "data")
    env = dict(os.environ, IPGO_LOG="warn", IPGO_LOGIN__ATTEMPTS_PER_MINUTE_PER_IP="1000000",
               IPGO_STORAGE__KEYS_DIR=os.path.join(work, "keys"))
    server = None
    try:
        cli = lambda *a, stdin=None: run([binary, *a, "--data", data], env=env, input=stdin)
        cli("init")
        for code in AGENCIES:
            cli("agency", "add", "--code", code, "--name-ru", f"Орган {code}", "--name-kk", f"{code} органы")
        for login, roles in [("admin", ["system_admin"]), ("author", ["employee", "hr_officer"])]:
            role_args = [x for r in roles for x in ("--role", r)]
            cli("user", "add", "--login", login, "--agency", AGENCIES[0], *role_args, "--password-stdin",
                stdin=PASSWORD.encode())
        server, base = serve(binary, data, env, free_port())
        admin, author = Client(base), Client(base)
        admin.login("admin")
        author.login("author")

        t_setup = time.perf_counter()
        # Agencies of unequal size, so the breakdown by agency merges the small ones.
        logins = [(f"r{i:05d}", AGENCIES[min(i % 16, len(AGENCIES) - 1)]) for i in range(args.responses)]

        def make(la):
            login, agency = la
            admin.json("POST", "/api/v1/users", {"login": login, "agency": agency, "name_ru": f"Сотрудник {login}",
                                                 "name_kk": f"Қызметкер {login}", "roles": ["employee"],
                                                 "password": PASSWORD})
            c = Client(base)
            c.login(login)
            return c

        clients = pool(make, logins)
        setup_s = time.perf_counter() - t_setup

        now = time.time()
        iso = lambda s: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))
        big = author.json("POST", "/api/v1/surveys", design(args.questions, iso(now - 60), iso(now + 86400)))["id"]
        small = author.json("POST", "/api/v1/surveys", design(1, iso(now - 60), iso(now + 86400)))["id"]
        for sid in (big, small):
            author.json("POST", f"/api/v1/surveys/{sid}/open", {})

        me_ms, _ = median_ms(lambda: author.json("GET", "/api/v1/me"), 200)
        list_ms, _ = median_ms(lambda: author.call("GET", "/surveys"), 50)
        small_rps, small_med = submit_all(clients, small, lambda i: answers(1, i))
        big_rps, big_med = submit_all(clients, big, lambda i: answers(args.questions, i))

        page_ms, page_max = median_ms(lambda: author.call("GET", f"/surveys/{big}/results"), 5)
        page_agency_ms, _ = median_ms(lambda: author.call("GET", f"/surveys/{big}/results?by=agency"), 5)
        json_ms, _ = median_ms(lambda: author.call("GET", f"/api/v1/surveys/{big}/results"), 5)
        small_page_ms, _ = median_ms(lambda: author.call("GET", f"/surveys/{small}/results"), 5)
        results = author.json("GET", f"/api/v1/surveys/{big}/results?by=agency")
        page = author.call("GET", f"/surveys/{big}/results").decode()
        assert results["responses"] == args.responses, results["responses"]
        charts = page.count("<svg")
        before = {}
        if args.before:
            after_json = [author.json("GET", f"/api/v1/surveys/{big}/results{q}") for q in ("", "?by=agency")]
            server.terminate()
            server.wait()
            server, base = serve(os.path.abspath(args.before), data, env, free_port())
            author = Client(base)
            author.login("author")
            b_page, _ = median_ms(lambda: author.call("GET", f"/surveys/{big}/results"), 5)
            b_agency, _ = median_ms(lambda: author.call("GET", f"/surveys/{big}/results?by=agency"), 5)
            b_json, _ = median_ms(lambda: author.call("GET", f"/api/v1/surveys/{big}/results"), 5)
            before_json = [author.json("GET", f"/api/v1/surveys/{big}/results{q}") for q in ("", "?by=agency")]
            before = {"before_binary": os.path.abspath(args.before), "before_results_page_median_ms": round(b_page, 1),
                      "before_results_page_by_agency_median_ms": round(b_agency, 1),
                      "before_results_json_median_ms": round(b_json, 1),
                      "results_identical_to_before": before_json == after_json}
        load = os.getloadavg()
        print(json.dumps({**before,
            "binary": binary, "responses": args.responses, "questions": args.questions,
            "setup_seconds_accounts_and_sign_in": round(setup_s, 1),
            "submit_40q_per_second": round(big_rps, 1), "submit_40q_median_ms": round(big_med, 1),
            "baseline_submit_1q_per_second": round(small_rps, 1), "baseline_submit_1q_median_ms": round(small_med, 1),
            "results_page_median_ms": round(page_ms, 1), "results_page_max_ms": round(page_max, 1),
            "results_page_by_agency_median_ms": round(page_agency_ms, 1),
            "results_json_median_ms": round(json_ms, 1), "charts_on_page": charts,
            "groups_by_agency": [g["key"] for g in results["groups"]],
            "baseline_results_page_1q_median_ms": round(small_page_ms, 1),
            "baseline_me_median_ms": round(me_ms, 2), "baseline_surveys_list_median_ms": round(list_ms, 1),
            "loadavg_after": [round(x, 2) for x in load],
        }, ensure_ascii=False, indent=1))
    finally:
        if server:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

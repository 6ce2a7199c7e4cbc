#!/usr/bin/env python3
"""CPU of the whole machine per 1 MB document (issue 18, target 3): 60 uploads over one
kept-alive connection (as `ingest.py --client kept`), then 5 s for the search feed to extract
and index them; the busy time of /proc/stat over both, divided by the documents. The client,
the server, the extraction children and the fork server all count. Give several binaries to
compare them, interleaved: `python3 benches/ingest_cpu.py A B A B`.
Prints figures; asserts nothing."""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from portal_server import Portal, make_pdf  # noqa: E402

DOCUMENTS = 60


def busy_ticks():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    return sum(v) - v[3] - v[4]


def main():
    tck = os.sysconf("SC_CLK_TCK")
    for binary in sys.argv[1:] or ["target/release/ipgo"]:
        with tempfile.TemporaryDirectory(dir="/var/tmp") as work:
            files = os.path.join(work, "files")
            os.makedirs(files)
            paths = []
            for i in range(DOCUMENTS):
                p = os.path.join(files, f"d{i}.pdf")
                make_pdf(p, 1 << 20)
                paths.append(p)
            with Portal(binary, work, "Ingest-secret-2026") as portal:
                uploader = portal.uploader()
                uploader.post_document({"title": "warm-up"}, paths[0])
                time.sleep(3)
                b0, t0 = busy_ticks(), time.perf_counter()
                for p in paths:
                    uploader.post_document({"title": "bench"}, p)
                t1 = time.perf_counter()
                time.sleep(5)
                b1 = busy_ticks()
            each = (t1 - t0) / DOCUMENTS * 1000
            cpu = (b1 - b0) / tck / DOCUMENTS * 1000
            print(f"{binary}: {DOCUMENTS} x 1 MB, {each:.1f} ms each ({DOCUMENTS / (t1 - t0):.0f}/s); "
                  f"machine CPU {cpu:.1f} ms per document")


if __name__ == "__main__":
    main()

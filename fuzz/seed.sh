#!/usr/bin/env bash
# Seeds every fuzz target's corpus (fuzz/corpus/<target>/) from the real fixtures: the files
# tests/fixtures/make_formats.py and make_search_fixtures.py write with real tools (the
# hostile ones included), the Kazakhstani NCA certificates, CRLs and signatures of
# tests/fixtures/kz-nca, the regulations of $IPGO_CORPUS, a backup in the exact tar subset
# of `ipgo backup`, reminders' batches in JSON and CSV (UTF-8 and Windows-1251) and
# multipart bodies. The corpora are not committed (binaries, and libFuzzer grows them):
# this script is. Idempotent.
# Usage: fuzz/seed.sh   (IPGO_CORPUS defaults to /work/shared/corpus)
set -euo pipefail
FUZZ=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$FUZZ")
CORPUS=${IPGO_CORPUS:-/work/shared/corpus}
GEN="$FUZZ/seeds"
C="$FUZZ/corpus"
mkdir -p "$GEN"

# Documents of every allowed format, made by the fixture scripts the tests use; the
# integration tests leave them under target/tmp, so reuse those when present.
for kind in format search; do
  out="$GEN/$kind"
  have="$ROOT/target/tmp/$kind-fixtures"
  if [ ! -d "$out" ]; then
    if [ -d "$have" ]; then
      cp -a "$have" "$out"
    elif [ "$kind" = format ]; then
      python3 "$ROOT/tests/fixtures/make_formats.py" "$out" "$CORPUS"
    else
      python3 "$ROOT/tests/fixtures/make_search_fixtures.py" "$out" "$CORPUS"
    fi
  fi
done

# A backup in the writer's tar subset (ustar, "%06o\0 " checksums, plain files) and
# reminders' batches and multipart bodies, written here so each is a real instance.
python3 - "$GEN" "$CORPUS" <<'PY'
import io, json, os, sys, tarfile
gen, corpus = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(gen, "backup"), exist_ok=True)
header = {"format": "ipgo-backup-v1", "created": "2026-12-05T10:00:00Z", "ipgo_version": "0.1.0",
          "schema_version": 1, "appliance_public_key": "00" * 32,
          "source_data_dir": "/var/lib/ipgo", "source_keys_dir": "/etc/ipgo/keys"}
entries = [("ipgo-backup.json", json.dumps(header).encode()),
           ("db/ipgo.redb", b"redb" * 64),
           ("blobs/aa/bb/" + "ab" * 32, "Бұйрық".encode() * 10)]
manifest = {"header": header,
            "entries": [{"path": n, "size": len(b), "sha256": "00" * 32} for n, b in entries],
            "counts": {"documents": 1, "destroyed": 0, "versions": 1, "blobs": 1, "blob_bytes": 60,
                       "archives": 0, "access_log_head": 3},
            "vault_generation": 1, "destroyed_during_backup": []}
entries += [("manifest.json", json.dumps(manifest).encode()), ("manifest.sig", b"ab" * 64)]
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
    for name, data in entries:
        info = tarfile.TarInfo(name); info.size = len(data); info.mtime = 1764928800
        t.addfile(info, io.BytesIO(data))
open(os.path.join(gen, "backup", "backup.tar"), "wb").write(buf.getvalue())
for name, data in entries:
    open(os.path.join(gen, "backup", name.replace("/", "_")), "wb").write(data)

os.makedirs(os.path.join(gen, "reminders"), exist_ok=True)
cols = "record_id;outgoing_number;outgoing_date;summary;executor_agency;document_type;department;deadline;status;executor_person;executor_email;new_deadline"
rows = [("1001", "01-12/345", "2026-12-01", "Бұйрықтың орындалуы туралы", "Министрлік", "бұйрық", "Кадрлар бөлімі",
         "2026-12-20", "open", "Асқар Сәрсенов", "askar@gov.kz", ""),
        ("1002", "02-7/88", "15.11.2026", "О ходе исполнения поручения №5", "Акимат", "поручение", "Отдел права",
         "15.01.2027", "done", "Иванов Пётр", "ivanov@gov.kz", "20.01.2027")]
csv = cols + "\n" + "\n".join(";".join(r) for r in rows) + "\n"
open(os.path.join(gen, "reminders", "batch.csv"), "wb").write(csv.encode("utf-8"))
open(os.path.join(gen, "reminders", "batch-bom.csv"), "wb").write(b"\xef\xbb\xbf" + csv.replace(";", ",").encode("utf-8"))
open(os.path.join(gen, "reminders", "batch-1251.csv"), "wb").write(csv.replace(rows[0][3], "Об исполнении приказа")
    .replace("Асқар Сәрсенов", "Аскар Сарсенов").replace("бұйрық", "приказ").replace("Кадрлар бөлімі", "Отдел кадров")
    .replace("Министрлік", "Министерство").encode("cp1251"))
keys = cols.split(";")
items = [dict(zip(keys, r)) for r in rows]
open(os.path.join(gen, "reminders", "batch.json"), "w", encoding="utf-8").write(
    json.dumps({"source": "ediship", "instructions": items}, ensure_ascii=False))
open(os.path.join(gen, "reminders", "bare.json"), "w", encoding="utf-8").write(json.dumps(items, ensure_ascii=False))

os.makedirs(os.path.join(gen, "rar"), exist_ok=True)
# The two signatures and a main archive header each (RAR 4: marker block + MAIN_HEAD;
# RAR 5: signature + a main header with its CRC32 and vint sizes).
import zlib
def vint(n):
    out = b""
    while True:
        b = n & 0x7F; n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n: return out
body5 = vint(1) + vint(0) + vint(0)
head5 = vint(len(body5)) + body5
open(os.path.join(gen, "rar", "rar5"), "wb").write(
    b"Rar!\x1a\x07\x01\x00" + zlib.crc32(head5).to_bytes(4, "little") + head5)
main4 = bytes([0x73]) + (0).to_bytes(2, "little") + (13).to_bytes(2, "little") + bytes(6)
open(os.path.join(gen, "rar", "rar4"), "wb").write(
    b"Rar!\x1a\x07\x00" + (zlib.crc32(main4) & 0xFFFF).to_bytes(2, "little") + main4)
os.makedirs(os.path.join(gen, "multipart"), exist_ok=True)
text = open(os.path.join(corpus, sorted(os.listdir(corpus))[0]), "rb").read()[:2000]
bodies = {
    "form": b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ--\r\n",
    "file": b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\xd0\x91.txt\"\r\n"
            b"Content-Type: text/plain\r\n\r\n" + text + b"\r\n--XyZ\r\nContent-Disposition: form-data; "
            b"name=\"title\"\r\n\r\n\xd0\x91\xd2\xb1\xd0\xb9\xd1\x80\xd1\x8b\xd2\x9b\r\n--XyZ--\r\n",
    "filename-star": b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''%D0%91.pdf\r\n\r\n%PDF-1.4\r\n--XyZ--\r\n",
}
for name, body in bodies.items():
    for pick in (b"\x00", b"\x07", b"\x3f"):
        open(os.path.join(gen, "multipart", f"{name}-{pick[0]}"), "wb").write(pick + body)
PY

# Hostile fixtures kept out of the corpora of the targets that parse PDF content in-process
# (`extract`, `extract_pdf`): by design only the sandbox's limits stop them (a PDF parser cannot
# refuse them cheaply before parsing), so inside one libFuzzer process each ends the run at
# once and nothing else gets explored. Their tests, which run them through the sandbox, are in
# tests/integration/search_extract.rs (docs/fuzzing.md, finding 3):
#   hostile.flate-bomb.pdf  1.2 GiB of content stream in 1.2 MB, inflated whole by lopdf: past
#                           -malloc_limit_mb=2048 (a_pdf_flate_bomb_hits_the_memory_limit);
#   hostile.slow.pdf        200 pages of 200,000 text operators, ~20 s of CPU: past -timeout=10
#                           (cpu_limit_ends_a_slow_parse).
SANDBOX_ONLY=" hostile.flate-bomb.pdf hostile.slow.pdf "
SANDBOX_ONLY_TARGETS=" extract extract_pdf "

seed() { # seed TARGET [PREFIX-BYTE] FILE...
  local target=$1 prefix=$2; shift 2
  mkdir -p "$C/$target"
  for f in "$@"; do
    [ -f "$f" ] || continue
    local out="$C/$target/seed-$(sha256sum "$f" | cut -c1-16)$prefix"
    if [[ $SANDBOX_ONLY_TARGETS == *" $target "* && $SANDBOX_ONLY == *" $(basename "$f") "* ]]; then
      rm -f "$out" # also from corpora seeded before the exclusion
      continue
    fi
    [ -e "$out" ] && continue
    if [ -n "$prefix" ]; then
      { printf "\\x$prefix"; cat "$f"; } > "$out"
    else
      cp "$f" "$out"
    fi
  done
}
docs=("$GEN"/format/* "$GEN"/search/*)
nca=("$ROOT"/tests/fixtures/kz-nca/*)
sigs=("$ROOT"/target/tmp/gost-pki-*/sig-1*.der "$ROOT"/target/tmp/signatures-pki-*/*.der "$ROOT"/target/tmp/signatures-pki-*/*.p7s)
seed formats_inspect "" "${docs[@]}" "$GEN"/rar/* "$CORPUS"/00*
seed rar_inspect "" "$GEN"/rar/* "$GEN"/search/*rar* "$GEN"/format/*.zip
seed extract "" "${docs[@]}" "$CORPUS"/00*
for p in 00 01 02; do
  seed extract_ole "$p" "$GEN"/format/*.doc "$GEN"/format/*.xls "$GEN"/format/*.ppt "$GEN"/search/*.doc "$GEN"/search/*.xls "$GEN"/search/*.ppt
  seed extract_ooxml "$p" "$GEN"/format/*.docx "$GEN"/format/*.xlsx "$GEN"/format/*.pptx "$GEN"/search/*.docx "$GEN"/search/*.xlsx "$GEN"/search/*.pptx
done
seed extract_rtf "" "$GEN"/format/*.rtf "$GEN"/search/*.rtf
seed extract_pdf "" "$GEN"/format/*.pdf "$GEN"/search/*.pdf
seed sign_cms "" "${nca[@]}" "${sigs[@]}"
seed sign_x509_crl "" "${nca[@]}"
seed multipart "" "$GEN"/multipart/*
seed backup_reader "" "$GEN"/backup/*
seed reminders_import "" "$GEN"/reminders/* "$CORPUS"/00*
for d in "$C"/*; do echo "$(basename "$d"): $(ls "$d" | wc -l) seeds"; done

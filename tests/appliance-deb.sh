#!/usr/bin/env bash
# The package's life on THIS machine (not a chroot): install, first boot, the server as the
# `ipgo` user with the packaged configuration on port 443 through socket activation
# (systemd-socket-activate binds the port as root and hands it over, as ipgo.socket does),
# /healthz, an upload, a backup through the admin socket, an upgrade to a newer build that
# keeps data, configuration and keys, then remove (keeps everything but the program), purge
# (removes the configuration, keeps data and keys) and purge with IPGO_PURGE_DATA=yes.
#
# Usage (root): tests/appliance-deb.sh OLD.deb NEWER.deb
# Refuses to run where ipgo is already installed; removes everything it made on exit.
set -euo pipefail

OLD=$1
NEW=$2
PORT=${IPGO_TEST_PORT:-443}
BASE="https://127.0.0.1:$PORT"
WORK=$(mktemp -d)
SERVER=""

fail() { echo "FAIL: $*" >&2; exit 1; }
check() { local what=$1; shift; "$@" || fail "$what"; echo "ok: $what"; }

[ "$(id -u)" -eq 0 ] || fail "must run as root (installs a package)"
if dpkg-query -W -f='${Status}' ipgo 2>/dev/null | grep -q installed; then
  fail "ipgo is already installed on this machine; not touching it"
fi

stop_server() {
  if [ -n "$SERVER" ]; then
    kill -TERM "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
  fi
}

cleanup() {
  stop_server
  IPGO_PURGE_DATA=yes dpkg --purge ipgo >/dev/null 2>&1 || true
  rm -rf /run/ipgo "$WORK"
  userdel ipgo 2>/dev/null || true
  groupdel ipgo 2>/dev/null || true
}
trap cleanup EXIT

start_server() {
  install -d -o ipgo -g ipgo -m 0750 /run/ipgo
  # setpriv execs in place, so LISTEN_PID still names the process that gets the socket.
  systemd-socket-activate -l "127.0.0.1:$PORT" \
    setpriv --reuid=ipgo --regid=ipgo --init-groups --inh-caps=-all --bounding-set=-all \
    /usr/bin/ipgo serve --config /etc/ipgo/ipgo.toml >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do
    if curl -ksf "$BASE/healthz" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  cat "$WORK/server.log" >&2
  fail "the server did not answer /healthz"
}

sign_in() {
  rm -f "$WORK/jar"
  curl -ksf -c "$WORK/jar" -H 'content-type: application/json' \
    -d '{"login":"pkg.head","password":"Pass-word-123"}' "$BASE/api/v1/session" >"$WORK/session.json"
  CSRF=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf"])' "$WORK/session.json")
}

echo "== install $OLD"
dpkg -i "$OLD" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "dpkg -i"; }
check "the ipgo system user exists" id -u ipgo
check "its shell is nologin" sh -c '[ "$(getent passwd ipgo | cut -d: -f7)" = /usr/sbin/nologin ]'
check "keys were made, owned by ipgo, mode 0700" sh -c '[ "$(stat -c %U:%a /etc/ipgo/keys)" = ipgo:700 ] && [ -s /etc/ipgo/keys/vault.key ] && [ -s /etc/ipgo/keys/appliance-signing.pem ]'
check "a self-signed certificate was made" test -s /etc/ipgo/keys/tls-self-signed.crt
check "the database was made, owned by ipgo" sh -c '[ "$(stat -c %U /var/lib/ipgo/ipgo.redb)" = ipgo ]'
check "the configuration is a conffile, root:ipgo 0640" sh -c 'dpkg-query -W -f="\${Conffiles}" ipgo | grep -q /etc/ipgo/ipgo.toml && [ "$(stat -c %U:%G:%a /etc/ipgo/ipgo.toml)" = root:ipgo:640 ]'
check "units are installed and enabled" sh -c 'test -f /usr/lib/systemd/system/ipgo.service -o -f /lib/systemd/system/ipgo.service; test -L /etc/systemd/system/sockets.target.wants/ipgo.socket; test -L /etc/systemd/system/timers.target.wants/ipgo-backup.timer'
KEY_SUM=$(sha256sum /etc/ipgo/keys/vault.key | cut -d' ' -f1)

echo "== reinstall (maintainer scripts are idempotent)"
dpkg -i "$OLD" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "dpkg -i again"; }
check "keys unchanged by a second configure" sh -c "[ \"\$(sha256sum /etc/ipgo/keys/vault.key | cut -d' ' -f1)\" = $KEY_SUM ]"

echo "== server as ipgo with the packaged configuration, port $PORT from socket activation"
start_server
check "the server runs as ipgo" sh -c "[ \"\$(ps -o user= -p $SERVER)\" = ipgo ]"
check "it serves HTTPS with the self-signed certificate" sh -c "curl -ks $BASE/healthz | grep -q '\"status\":\"ok\"'"
ipgo agency add --code PKG --name-ru "Пакет" --name-kk "Пакет" >/dev/null
printf 'Pass-word-123' | ipgo user add --login pkg.head --agency PKG --role employee --role head --password-stdin >/dev/null
check "admin commands reach the server through /run/ipgo/admin.sock" sh -c 'ipgo user list | grep -q pkg.head'
sign_in
head -c 300000 /dev/urandom | base64 > "$WORK/body.txt"
{ printf '%%PDF-1.4\n'; cat "$WORK/body.txt"; printf '\n%%%%EOF\n'; } > "$WORK/doc.pdf"
SHA=$(sha256sum "$WORK/doc.pdf" | cut -d' ' -f1)
curl -ksf -b "$WORK/jar" -H "x-csrf-token: $CSRF" \
  -F 'meta={"type":"generic","title":"Пакетный тест"};type=application/json' \
  -F "file=@$WORK/doc.pdf;filename=doc.pdf" "$BASE/api/v1/documents" >"$WORK/posted.json"
DOC=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/posted.json")
FILE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"][0]["id"])' "$WORK/posted.json")
check "an upload through the packaged server" test -n "$DOC"
ipgo backup --to-dir /var/backups/ipgo --keep 3 >"$WORK/backup.log"
check "a backup through the admin socket lands in /var/backups/ipgo" sh -c 'ls /var/backups/ipgo/ipgo-*.ipgobak >/dev/null'
echo "# changed by the administrator" >> /etc/ipgo/ipgo.toml
stop_server

echo "== upgrade to $NEW"
dpkg -i "$NEW" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "upgrade"; }
check "the newer build is installed" sh -c "dpkg-query -W -f='\${Version}' ipgo | grep -q -- '-2\$'"
check "the administrator's configuration change was kept" grep -q "changed by the administrator" /etc/ipgo/ipgo.toml
check "the keys were kept" sh -c "[ \"\$(sha256sum /etc/ipgo/keys/vault.key | cut -d' ' -f1)\" = $KEY_SUM ]"
start_server
sign_in
curl -ksf -b "$WORK/jar" "$BASE/api/v1/documents/$DOC/versions/1/files/$FILE" -o "$WORK/back.pdf"
check "the document survived the upgrade byte for byte" sh -c "[ \"\$(sha256sum $WORK/back.pdf | cut -d' ' -f1)\" = $SHA ]"
check "ipgo verify is clean after the upgrade" sh -c 'ipgo verify >/dev/null'
stop_server

echo "== remove"
dpkg --remove ipgo >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "remove"; }
check "the program is gone" test ! -e /usr/bin/ipgo
check "configuration, data, keys and backups stay" sh -c 'test -f /etc/ipgo/ipgo.toml && test -f /var/lib/ipgo/ipgo.redb && test -f /etc/ipgo/keys/vault.key && ls /var/backups/ipgo/*.ipgobak >/dev/null'

echo "== purge"
dpkg --purge ipgo >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "purge"; }
check "the configuration is gone" test ! -e /etc/ipgo/ipgo.toml
check "data and keys stay unless asked" sh -c 'test -f /var/lib/ipgo/ipgo.redb && test -f /etc/ipgo/keys/vault.key'
check "the purge says where the data is" grep -q "data kept in /var/lib/ipgo" "$WORK/dpkg.log"

echo "== install again over the kept data, then purge with IPGO_PURGE_DATA=yes"
dpkg -i "$NEW" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "reinstall"; }
check "the kept keys are used again" sh -c "[ \"\$(sha256sum /etc/ipgo/keys/vault.key | cut -d' ' -f1)\" = $KEY_SUM ]"
IPGO_PURGE_DATA=yes dpkg --purge ipgo >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "purge data"; }
check "data, keys and backups are gone" sh -c 'test ! -e /var/lib/ipgo && test ! -e /etc/ipgo && test ! -e /var/backups/ipgo'

echo "package lifecycle: all checks passed"

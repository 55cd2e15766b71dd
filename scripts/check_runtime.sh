#!/usr/bin/env bash
# The runtime lock on its own, installed as a Pi gets it: a venv built from requirements.txt
# alone (pip install --require-hashes --no-deps --ignore-installed, as systemd/install.sh
# does), then `pip check`, `import wsgi`, `flask init`, gunicorn started as
# systemd/onestop.service starts it, and one ticket taken over HTTP and printed to the file
# printer. The dev venv holds every runtime package and more, so only this catches a package
# the runtime lock lacks. scripts/test.sh runs it before pytest.
#
# The venv is kept in .venv-runtime/ (gitignored), one per hash of requirements.txt and
# Python version, and reused while both stay the same; PYTHON picks the interpreter (default
# python3, like install.sh). Unlike the Pi's venv it has no --system-site-packages (there it
# is for python3-lgpio only): here this machine's own packages would hide a gap in the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

py=${PYTHON:-python3}
fail() { echo "check_runtime: FAILED: $*" >&2; exit 1; }
step() { echo "==> check_runtime: $*"; }

key=$({ sha256sum <requirements.txt; "$py" -c 'import sys; print(sys.version)'; } |
  sha256sum | cut -c1-16)
venv=$root/.venv-runtime/$key

tmp="" pid=""
cleanup() {
  local rc=$? kids=""
  trap - EXIT INT TERM HUP
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kids=$(pgrep -P "$pid" || true) # gunicorn's worker
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "check_runtime: gunicorn ($pid) ignored SIGTERM for 10 s: killing it" >&2
      # shellcheck disable=SC2086 # one pid per word
      kill -KILL "$pid" $kids 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  fi
  [ -n "$tmp" ] && rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
tmp=$(mktemp -d)

if [ ! -e "$venv/.complete" ]; then
  step "building the runtime venv from requirements.txt ($venv)"
  rm -rf "$root/.venv-runtime" # venvs of older locks too
  mkdir -p "$root/.venv-runtime"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --require-hashes --no-deps \
    --ignore-installed -r requirements.txt >"$tmp/pip.log" 2>&1 ||
    { cat "$tmp/pip.log" >&2; rm -rf "$venv"; fail "pip install -r requirements.txt"; }
  touch "$venv/.complete"
else
  step "reusing the runtime venv for this requirements.txt ($venv)"
fi

# Everything from the venv and this tree, nothing from the caller's environment. A plain
# command, not a function: `"${run[@]}" gunicorn ... &` leaves $! = gunicorn's own pid.
run=(env -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV PYTHONNOUSERSITE=1 PYTHONUNBUFFERED=1
  ONESTOP_DATA="$tmp/data" ONESTOP_CONFIG="$root/config/site.toml"
  ONESTOP_PRINTER_TYPE=file ONESTOP_VOICE_WARM_ON_START=false FLASK_APP=wsgi:app)

step "pip check (only gTTS's click<8.2 may be reported: the lock overrides it)"
out=$("$venv/bin/python" -m pip check --disable-pip-version-check 2>&1) || true
printf '%s\n' "$out" | sed 's/^/    /'
other=$(echo "$out" | grep -vE '^(gtts [^ ]+ has requirement click<8\.2|No broken requirements found\.$)' || true)
[ -z "$other" ] || fail "pip check reports more than gTTS's click pin (above)"

step "import wsgi, flask init"
mkdir -p "$tmp/data"
"${run[@]}" "$venv/bin/python" -c 'import wsgi' || fail "import wsgi"
"${run[@]}" "$venv/bin/flask" init >"$tmp/init.log" 2>&1 || { cat "$tmp/init.log" >&2; fail "flask init"; }

port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "gunicorn on 127.0.0.1:$port (as onestop.service runs it), one ticket over HTTP"
"${run[@]}" "$venv/bin/gunicorn" --worker-class gthread --threads 256 -w 1 -b "127.0.0.1:$port" \
  --graceful-timeout 10 --no-control-socket --access-logfile - wsgi:app >"$tmp/server.log" 2>&1 &
pid=$!

probe=$(
  cat <<'PY'
import json, os, sys, time, urllib.error, urllib.request

url, pid, data = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def call(method, path, body=None):
    req = urllib.request.Request(url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read()


deadline = time.monotonic() + 60
while True:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("the server exited")
    try:
        status, raw = call("GET", "/api/health")
        break
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        if time.monotonic() > deadline:
            sys.exit("the server did not answer /api/health within 60 s")
        time.sleep(0.1)
health = json.loads(raw)
assert status == 200 and health["status"] == "ok", health
status, raw = call("GET", "/api/services")
services = json.loads(raw)["services"]
service = next(s["code"] for s in services if s["open"])
status, raw = call("POST", "/api/tickets", {"service": service})
ticket = json.loads(raw)["ticket"]
assert status == 201 and ticket["service"] == service, (status, ticket)
status, raw = call("GET", "/api/tickets/" + ticket["id"])
assert status == 200 and json.loads(raw)["ticket"]["id"] == ticket["id"], raw
status, raw = call("GET", "/kiosk")
assert status == 200 and b"<html" in raw.lower(), status
printed = os.path.join(data, "printer.bin")  # the file printer: escpos, Pillow, qrcode
deadline = time.monotonic() + 30
while not (os.path.exists(printed) and b"\x1dV" in open(printed, "rb").read()):  # GS V: cut
    if time.monotonic() > deadline:
        sys.exit("the ticket was not printed (with its paper cut) to " + printed + " in 30 s")
    time.sleep(0.1)
print(f"    ticket {ticket['number']} ({service}): 201, "
      f"{os.path.getsize(printed)} bytes of ESC/POS printed")
PY
)
if ! "${run[@]}" "$venv/bin/python" -c "$probe" "http://127.0.0.1:$port" "$pid" "$tmp/data"; then
  echo "--- server log (last 60 lines)" >&2
  tail -n 60 "$tmp/server.log" >&2
  fail "the server from requirements.txt alone did not take a ticket"
fi
if grep -q Traceback "$tmp/server.log"; then
  cat "$tmp/server.log" >&2
  fail "the server logged a traceback"
fi
step "ok: requirements.txt alone runs the server"

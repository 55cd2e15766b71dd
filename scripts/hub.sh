#!/usr/bin/env bash
# The province hub on this machine: PostgreSQL 15 (installed if missing), a local cluster in
# the data dir, the hub, and three simulated offices (real office servers with a month of
# `flask demo simulate` history and live load) syncing into it. Ctrl+C stops everything.
# Environment: HUB_DATA (default var/hub), HUB_PORT (default 8100; offices on the next three).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
data=${HUB_DATA:-$root/var/hub}
port=${HUB_PORT:-8100}
pgport=$((port + 10))
scripts/setup.sh
if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends postgresql libpq5
fi
mkdir -p "$data"
chmod 755 "$data"

pids=()
pgctl=(/usr/lib/postgresql/15/bin/pg_ctl -D "$data/pg/pgdata" -m fast -w stop)
[ "$(id -u)" = 0 ] && pgctl=(runuser -u postgres -- "${pgctl[@]}")
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # fast mode disconnects the servers still winding down, so stop it before waiting for them
  "${pgctl[@]}" >>"$data/pg/stop.log" 2>&1 || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

url=$(.venv/bin/python -m hub.localpg "$data/pg" "$pgport")
sock="$data/pg/sock"
psql=(/usr/lib/postgresql/15/bin/psql -h "$sock" -p "$pgport" -U postgres -Atq)
[ "$(id -u)" = 0 ] && psql=(runuser -u postgres -- "${psql[@]}")
if [ -z "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'onestop_hub'")" ]; then
  "${psql[@]}" -d postgres -c "CREATE DATABASE onestop_hub"
fi
export ONESTOP_HUB_DATABASE_URL=$url
hubflask() { .venv/bin/flask --app hub.wsgi "$@"; }
hubflask init
if ! hubflask office list | grep -q .; then
  hubflask user add tinh --role province_admin --password tinh12345 >/dev/null
  # The province's procedure catalogue: the offices take its names and target waits.
  hubflask catalogue import config/catalogue.example.csv
fi
.venv/bin/gunicorn --worker-class gthread --threads 32 -w 1 -b "0.0.0.0:$port" \
  --no-control-socket hub.wsgi:app >>"$data/hub.log" 2>&1 &
pids+=($!)

names=("Xã An Bình" "Phường Hòa Lạc" "Xã Tân Tiến")
for i in 1 2 3; do
  code="XA$i" dir="$data/office-$i" oport=$((port + i))
  mkdir -p "$dir"
  if [ ! -s "$dir/hub_token" ]; then
    hubflask office add "$code" --name "${names[$((i - 1))]}" | tail -1 >"$dir/hub_token"
  fi
  export ONESTOP_DATA=$dir ONESTOP_PRINTER_TYPE=none ONESTOP_VOICE_WARM_ON_START=false
  export ONESTOP_OFFICE_ENFORCE_HOURS=false ONESTOP_HUB_URL="http://127.0.0.1:$port"
  ONESTOP_HUB_TOKEN=$(cat "$dir/hub_token")
  export ONESTOP_HUB_OFFICE_CODE=$code ONESTOP_HUB_TOKEN
  if [ ! -e "$dir/onestop.db" ]; then
    .venv/bin/flask demo simulate --days 30 --seed "$i" | tail -1
    .venv/bin/flask user add canbo --role supervisor --password canbo12345 >/dev/null
  fi
  .venv/bin/flask user token canbo | tail -1 >"$dir/staff_token"
  .venv/bin/gunicorn --worker-class gthread --threads 64 -w 1 -b "0.0.0.0:$oport" \
    --no-control-socket wsgi:app >>"$dir/server.log" 2>&1 &
  pids+=($!)
  # Live load: a citizen every few seconds, a counter calling the next one.
  .venv/bin/python - "$oport" "$dir/staff_token" >>"$dir/load.log" 2>&1 <<'PY' &
import random, sys, time, requests
url, token = f"http://127.0.0.1:{sys.argv[1]}", open(sys.argv[2]).read().strip()
auth = {"Authorization": f"Bearer {token}"}
time.sleep(5)
while True:
    try:
        codes = [s["code"] for s in requests.get(url + "/api/services", timeout=5).json()["services"]]
        requests.post(url + "/api/tickets", json={"service": random.choice(codes)}, headers=auth, timeout=5)
        requests.post(url + f"/api/counters/{random.randint(1, 4)}/next", headers=auth, timeout=5)
    except requests.RequestException:
        pass
    time.sleep(random.uniform(2, 6))
PY
  pids+=($!)
done

cat <<MSG

Province hub (trung tâm tỉnh): http://localhost:$port/   log in as tinh / tinh12345
  A procedure across offices: http://localhost:$port/procedures/hotich
  Device board: http://localhost:$port/devices   Catalogue: http://localhost:$port/catalogue
  API: http://localhost:$port/api/offices  (Bearer: flask --app hub.wsgi user token tinh)
Offices (đơn vị), syncing every few seconds:
  XA1 ${names[0]}:  http://localhost:$((port + 1))/supervisor
  XA2 ${names[1]}:  http://localhost:$((port + 2))/supervisor
  XA3 ${names[2]}:  http://localhost:$((port + 3))/supervisor
Data: $data   (Ctrl+C stops everything)
MSG
wait

#!/usr/bin/env bash
# Install (if needed) and run One-Stop Queue on the embedded demo office: the same stack a
# hall gets, nginx in front (limits, timeouts, buffering) and gunicorn on loopback behind it.
# Environment: PORT (default 5000, nginx), APP_PORT (default PORT+1, gunicorn on 127.0.0.1),
# HOST (default 0.0.0.0), ONESTOP_DATA, ONESTOP_CONFIG.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export ONESTOP_DATA=${ONESTOP_DATA:-$PWD/var}
PORT=${PORT:-5000}
APP_PORT=${APP_PORT:-$((PORT + 1))}
HOST=${HOST:-0.0.0.0}
.venv/bin/flask init
# Demo accounts on first run only; change their passwords for real use.
if ! .venv/bin/flask user list | grep -q .; then
  .venv/bin/flask user add admin --role admin --password admin123
  .venv/bin/flask user add giamsat --role supervisor --password giamsat123
  .venv/bin/flask user add canbo1 --role clerk --password canbo123
  echo "Demo users: admin/admin123, giamsat/giamsat123 (supervisor), canbo1/canbo123 (clerk)"
fi
# Debian keeps nginx in /usr/sbin, which a normal user's PATH lacks.
nginx=$(command -v nginx || echo /usr/sbin/nginx)
ngx=$ONESTOP_DATA/nginx
listen=$PORT
[ "$HOST" = 0.0.0.0 ] || listen=$HOST:$PORT
scripts/nginx_conf.sh "$ngx" "$listen" "127.0.0.1:$APP_PORT" --standalone
"$nginx" -t -q -p "$ngx" -c "$ngx/nginx.conf"

pids=()
stop() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM
# Behind our nginx: the app reads the client's address from X-Real-IP, which nginx sets.
# MALLOC_ARENA_MAX: one arena per thread would hold memory for every burst of threads.
MALLOC_ARENA_MAX=2 ONESTOP_SECURITY_BEHIND_PROXY=true .venv/bin/gunicorn --worker-class gthread --threads 256 -w 1 \
  -b "127.0.0.1:$APP_PORT" --access-logfile - --graceful-timeout 5 --no-control-socket wsgi:app &
pids+=($!)
"$nginx" -p "$ngx" -c "$ngx/nginx.conf" &
pids+=($!)

ip=$(hostname -I 2>/dev/null | awk '{print $1}')
base="http://${ip:-localhost}:$PORT"
cat <<MSG

One-Stop Queue is starting on $base  (Ctrl+C stops it)
  Kiosk (lấy số):        $base/kiosk
  Lobby display (sảnh):  $base/display
  Counter (quầy):        $base/counter
  Supervisor (báo cáo):  $base/supervisor
  Admin (quản trị):      $base/admin
  Health:                $base/api/health
  (nginx on port $PORT, gunicorn on 127.0.0.1:$APP_PORT)

MSG
# Either one ending ends the demo (and the trap stops the other).
wait -n "${pids[@]}"

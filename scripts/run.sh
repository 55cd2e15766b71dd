#!/usr/bin/env bash
# Install (if needed) and run One-Stop Queue on the embedded demo office.
# Environment: PORT (default 5000), HOST (default 0.0.0.0), ONESTOP_DATA, ONESTOP_CONFIG.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export ONESTOP_DATA=${ONESTOP_DATA:-$PWD/var}
PORT=${PORT:-5000}
HOST=${HOST:-0.0.0.0}
.venv/bin/flask init
# Demo accounts on first run only; change their passwords for real use.
if ! .venv/bin/flask user list | grep -q .; then
  .venv/bin/flask user add admin --role admin --password admin123
  .venv/bin/flask user add giamsat --role supervisor --password giamsat123
  .venv/bin/flask user add canbo1 --role clerk --password canbo123
  echo "Demo users: admin/admin123, giamsat/giamsat123 (supervisor), canbo1/canbo123 (clerk)"
fi
ip=$(hostname -I 2>/dev/null | awk '{print $1}')
base="http://${ip:-localhost}:$PORT"
cat <<MSG

One-Stop Queue is starting on $base  (Ctrl+C stops it)
  Kiosk (lấy số):        $base/kiosk
  Lobby display (sảnh):  $base/display
  Counter (quầy):        $base/counter
  Supervisor (báo cáo):  $base/supervisor
  Health:                $base/api/health

MSG
exec .venv/bin/gunicorn --worker-class gthread --threads 64 -w 1 -b "$HOST:$PORT" \
  --access-logfile - --graceful-timeout 5 --no-control-socket wsgi:app

#!/usr/bin/env bash
# The installer in a real Debian 12 root: debootstrap, install twice, systemd-analyze verify
# with that root's own systemd, start the installed server as the onestop user, use the
# `onestop` wrapper (backup, day close, restore refusing while the server runs), uninstall.
# Manual, not run by pytest: it downloads ~300 MB of packages and takes 4-6 minutes
# (debootstrap alone ~2.5 min). Needs root and apt/PyPI access.
#   tests/systemd/chroot_check.sh [DIR]     (default /var/tmp/onestop-bookworm; kept for reruns)
set -euo pipefail
C=${1:-/var/tmp/onestop-bookworm}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PORT=18765
command -v debootstrap >/dev/null || apt-get install -y -q debootstrap
if [ ! -x "$C/usr/bin/python3" ]; then
  debootstrap --variant=minbase --include=python3,python3-venv,systemd,ca-certificates bookworm "$C"
fi
cp /etc/resolv.conf "$C/etc/resolv.conf"
# A TLS-intercepting proxy's CA, if this machine trusts one, must be trusted inside too.
cp /etc/ssl/certs/ca-certificates.crt "$C/etc/ssl/certs/ca-certificates.crt"
rm -rf "$C/root/onestop-queue" && mkdir -p "$C/root/onestop-queue"
tar -C "$SRC" --exclude=./.git --exclude=./.venv --exclude=./var -cf - . | tar -C "$C/root/onestop-queue" -xf -
mountpoint -q "$C/proc" || mount -t proc proc "$C/proc"
trap 'umount "$C/proc" 2>/dev/null || true' EXIT
in_root() { chroot "$C" /bin/bash -c "$1"; }

for run in 1 2; do
  echo "=== install, run $run"
  in_root 'cd /root/onestop-queue && bash systemd/install.sh server kiosk display --user root' >"$C/install-$run.log"
  grep -E '^\+ ' "$C/install-$run.log" | grep -v '^+ check' | sed 's/^/    /' | tail -5
done
echo "=== systemd-analyze verify (the root's own systemd 252)"
in_root 'systemd-analyze verify onestop.service onestop-close.service onestop-close.timer onestop-summary.service onestop-summary.timer onestop-backup.service onestop-backup.timer'
echo "    exit 0, no output"

echo "=== the installed server, as the onestop user"
in_root "cd /opt/onestop && export ONESTOP_CONFIG=/etc/onestop/site.toml ONESTOP_DATA=/var/lib/onestop \
  ONESTOP_PRINTER_TYPE=none ONESTOP_VOICE_WARM_ON_START=false HOME=/var/lib/onestop && \
  exec runuser -u onestop -- /opt/onestop/venv/bin/gunicorn --worker-class gthread --threads 64 \
  -w 1 -b 127.0.0.1:$PORT --pid /var/lib/onestop/check.pid wsgi:app" >"$C/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/api/health"; echo
curl -sf -XPOST -H 'Content-Type: application/json' -d '{"service":"hotich"}' \
  "http://127.0.0.1:$PORT/api/tickets" >/dev/null && echo "    ticket issued"
in_root 'onestop backup && onestop day close'
latest=$(find "$C/var/lib/onestop/backups" -name 'onestop-*.db' -printf '%f\n' | sort | tail -1)
if in_root "onestop restore --yes /var/lib/onestop/backups/$latest"; then
  echo "restore should have refused while the server runs" >&2; exit 1
fi
kill "$(cat "$C/var/lib/onestop/check.pid")" # the gunicorn master this script started
wait "$server" || true
in_root "onestop restore --yes /var/lib/onestop/backups/$latest"
echo "=== uninstall"
in_root 'bash /opt/onestop/systemd/install.sh uninstall' | tail -3
test ! -e "$C/opt/onestop" && test -f "$C/var/lib/onestop/onestop.db" && echo "    code gone, data kept"

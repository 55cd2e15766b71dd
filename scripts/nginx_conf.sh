#!/usr/bin/env bash
# Write One-Stop Queue's nginx config into DIR from systemd/nginx/ (used by scripts/run.sh,
# systemd/install.sh and the tests).
#   scripts/nginx_conf.sh DIR LISTEN UPSTREAM [--standalone] [--tls] [--staff-https]
# LISTEN: what nginx listens on (5000, 0.0.0.0:80); UPSTREAM: gunicorn (127.0.0.1:5001).
# --standalone: also DIR/nginx.conf, a whole config for `nginx -p DIR -c DIR/nginx.conf`
# (the demo's own nginx, not the system service); --tls: DIR/onestop-tls.conf (443, the
# certificate in DIR/tls/); --staff-https: staff pages on plain HTTP redirect to HTTPS.
# NGINX_DIR: the path DIR has when nginx reads it (install.sh --root writes into an image);
# NGINX_TLS: where server.crt and server.key are (default NGINX_DIR/tls).
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../systemd/nginx" && pwd)
dir=${1:?DIR}; listen=${2:?LISTEN}; upstream=${3:?UPSTREAM}; shift 3
standalone=0 tls=0 staff=0
for a in "$@"; do
  case $a in
    --standalone) standalone=1 ;; --tls) tls=1 ;; --staff-https) staff=1 ;;
    *) echo "nginx_conf.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
case $upstream in 127.*:* | localhost:* | \[::1\]:*) ;; *)
  echo "nginx_conf.sh: gunicorn must listen on loopback behind nginx, not $upstream" >&2; exit 2 ;;
esac
mkdir -p "$dir"
as=${NGINX_DIR:-$dir}
tlsdir=${NGINX_TLS:-$as/tls}
fill() {
  sed -e "s#@LISTEN@#$listen#g" -e "s#@UPSTREAM@#$upstream#g" -e "s#@DIR@#$as#g" \
    -e "s#@TLS@#$tlsdir#g" "$1"
}
fill "$src/onestop.conf" >"$dir/onestop.conf"
cp "$src/onestop-locations.conf" "$dir/onestop-locations.conf"
if [ $staff = 1 ]; then cp "$src/onestop-staff-http.conf" "$dir/onestop-staff-http.conf"; else
  echo "# Staff pages are served on this listener too (no HTTPS configured)." \
    >"$dir/onestop-staff-http.conf"
fi
if [ $tls = 1 ]; then
  fill "$src/onestop-tls.conf" >"$dir/onestop-tls.conf"
  # The CA certificate over plain HTTP too: the first step of trusting the office's HTTPS
  # (the officer compares its fingerprint, printed by install.sh, on the device).
  printf '%s\n' "location = /onestop-ca.crt {" "    default_type application/x-x509-ca-cert;" \
    "    alias $tlsdir/ca.crt;" "}" >"$dir/onestop-ca.conf"
else
  rm -f "$dir/onestop-tls.conf"
  echo "# No office CA on this listener (no HTTPS configured)." >"$dir/onestop-ca.conf"
fi
if [ $standalone = 1 ]; then
  mkdir -p "$dir/tmp" "$dir/logs"
  tmp="$dir/tmp"
  user=""
  if [ "$(id -u)" = 0 ]; then
    # Workers drop root; they only write their temp files.
    owner=www-data:www-data
    id www-data >/dev/null 2>&1 || owner=nobody:nogroup
    user="user ${owner%%:*} ${owner##*:};"
    chown "$owner" "$dir/tmp"
    # Bodies and responses over nginx's buffers go to temp files the workers write. A checkout
    # under /root, or a test's private tmp, hides $dir from them: then use a private dir in /tmp.
    if ! runuser -u "${owner%%:*}" -- test -w "$dir/tmp" 2>/dev/null; then
      tmp=$(mktemp -d /tmp/onestop-nginx.XXXXXX)
      chown "$owner" "$tmp"
    fi
  fi
  cat >"$dir/nginx.conf" <<CONF
# One-Stop Queue's own nginx (scripts/run.sh starts and stops it); written by nginx_conf.sh.
$user
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    include $dir/onestop.conf;
$( [ $tls = 1 ] && echo "    include $dir/onestop-tls.conf;" )
}
CONF
fi

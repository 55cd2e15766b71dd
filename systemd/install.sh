#!/usr/bin/env bash
# Install One-Stop Queue on Raspberry Pi OS Bookworm / Debian 12. Safe to run again.
#
#   sudo systemd/install.sh ROLE... [options]   ROLE: server, kiosk, display, all-in-one
#   sudo systemd/install.sh reconfigure         after editing /etc/onestop/site.toml
#   sudo systemd/install.sh uninstall           removes code and units; keeps config and data
#
# Options:
#   --dry-run          print every step, change nothing
#   --root DIR         install into DIR as if it were / (tests, images); no apt, no systemctl start
#   --user NAME        desktop user whose session shows the kiosk/display (default: $SUDO_USER,
#                      else the user with uid 1000)
#   --server-url URL   where the kiosk/display reach the server (default http://127.0.0.1:PORT)
#   --bind HOST:PORT   where the office listens, through nginx (default 0.0.0.0:8000);
#                      gunicorn itself listens on 127.0.0.1 at PORT+1, behind it
#   --tls-name NAME    another name or address the HTTPS certificate must cover (repeatable)
#   --no-apt           do not install system packages (offline; install them yourself)
#
# Fixed paths: code /opt/onestop, venv /opt/onestop/venv, config /etc/onestop,
# data /var/lib/onestop, units /etc/systemd/system and /etc/systemd/user.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APP=/opt/onestop
VENV=$APP/venv
ETC=/etc/onestop
DATA=/var/lib/onestop
UNITS=/etc/systemd/system
USER_UNITS=/etc/systemd/user
UDEV_RULE=/etc/udev/rules.d/70-onestop-printer.rules
SVC=onestop
SYSTEM_UNITS=(onestop.service onestop-close.service onestop-close.timer
  onestop-summary.service onestop-summary.timer onestop-backup.service onestop-backup.timer)
ENABLE_UNITS=(onestop.service onestop-close.timer onestop-summary.timer onestop-backup.timer)

ROOT="" DRY=0 DESKTOP_USER="" SERVER_URL="" BIND="0.0.0.0:8000" APT=1 ACTION=install
ROLES=()
TLS_NAMES=()
NGINX=/etc/nginx/onestop
TLS=$ETC/tls
CHANGED=0
CODE_CHANGED=0

die() { echo "install.sh: $*" >&2; exit 1; }
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) DRY=1 ;;
    --root) ROOT=$(realpath -m "${2:?--root needs a directory}"); shift ;;
    --root=*) ROOT=$(realpath -m "${1#*=}") ;;
    --user) DESKTOP_USER=${2:?--user needs a name}; shift ;;
    --server-url) SERVER_URL=${2:?--server-url needs a URL}; shift ;;
    --bind) BIND=${2:?--bind needs HOST:PORT}; shift ;;
    --tls-name) TLS_NAMES+=("${2:?--tls-name needs a name or address}"); shift ;;
    --no-apt) APT=0 ;;
    -h|--help) usage 0 ;;
    uninstall|reconfigure) ACTION=$1 ;;
    server|kiosk|display) ROLES+=("$1") ;;
    all-in-one) ROLES+=(server kiosk display) ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
  shift
done
[ "$ROOT" = / ] && ROOT=""

step() { echo; echo "==> $*"; }
note() { echo "    $*"; }
# Run a command, or only show it in dry-run mode.
run() {
  echo "+ $*"
  [ $DRY = 1 ] || "$@"
}
has_role() { local r; for r in "${ROLES[@]}"; do [ "$r" = "$1" ] && return 0; done; return 1; }
live() { [ -z "$ROOT" ] && [ $DRY = 0 ] && [ -d /run/systemd/system ]; }

# Write stdin to $ROOT$1 with mode $2 (owner root, group $3 or root) unless it already holds it.
put() {
  local dest=$ROOT$1 mode=$2 group=${3:-root} tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if [ -f "$dest" ] && cmp -s "$tmp" "$dest"; then
    note "unchanged: $1"
  else
    echo "+ write $1 (mode $mode)"
    if [ $DRY = 1 ]; then
      if [ "$(wc -l <"$tmp")" -le 12 ]; then sed 's/^/      | /' "$tmp"; else
        note "  ($(wc -l <"$tmp") lines)"; fi
    else
      mkdir -p "$(dirname "$dest")"
      install -m "$mode" -o 0 -g "$(gid_of "$group")" "$tmp" "$dest"
    fi
    CHANGED=1
  fi
  rm -f "$tmp"
}

# A config file the officer may edit (like dpkg's conffiles): installed when missing,
# updated only while nobody edited it, else the new default goes beside it as NAME.dist.
put_conf() {
  local src=$1 name=$2 mode=$3 group=${4:-root}
  local dest=$ROOT$ETC/$name record=$ROOT$ETC/.installed/$name.sha256 new
  new=$(sha256sum <"$src" | cut -d' ' -f1)
  if [ ! -f "$dest" ]; then
    put "$ETC/$name" "$mode" "$group" <"$src"
  elif [ "$(sha256sum <"$dest" | cut -d' ' -f1)" = "$new" ]; then
    note "unchanged: $ETC/$name"
  elif [ -f "$record" ] && [ "$(sha256sum <"$dest" | cut -d' ' -f1)" = "$(cat "$record")" ]; then
    note "$ETC/$name was never edited: updating it to the new default"
    put "$ETC/$name" "$mode" "$group" <"$src"
  else
    note "kept your edited $ETC/$name; the new default is in $ETC/$name.dist"
    put "$ETC/$name.dist" 0644 <"$src"
    return 0
  fi
  put "$ETC/.installed/$name.sha256" 0644 < <(echo "$new")
}

passwd_field() { # user field -> value from $ROOT/etc/passwd
  [ -f "$ROOT/etc/passwd" ] || return 0
  awk -F: -v u="$1" -v f="$2" '$1 == u { print $f }' "$ROOT/etc/passwd"
}
uid_of() { local u; u=$(passwd_field "$1" 3); echo "${u:-0}"; }
gid_of() {
  local g=""
  [ -f "$ROOT/etc/group" ] && g=$(awk -F: -v n="$1" '$1 == n { print $3 }' "$ROOT/etc/group")
  echo "${g:-0}"
}

check_environment() {
  if [ $DRY = 0 ] && [ "$(id -u)" != 0 ]; then die "run as root (sudo $0 ...)"; fi
  if [ -n "$ROOT" ] && [ ! -f "$ROOT/etc/passwd" ]; then
    die "$ROOT has no etc/passwd: give a Debian root (debootstrap) or a copy of /etc"
  fi
  if [ -z "$ROOT" ] && [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091
    . /etc/os-release
    [ "${VERSION_CODENAME:-}" = bookworm ] ||
      note "warning: made for Debian 12 / Raspberry Pi OS Bookworm, this is ${PRETTY_NAME:-unknown}"
  fi
}

apt_packages() {
  local pkgs=(python3 fonts-dejavu-core fonts-noto-core)
  if has_role server; then
    pkgs+=(python3-venv python3-pip espeak-ng sox alsa-utils libusb-1.0-0 sqlite3 udev)
    # Decoding the office's own recordings (WAV, MP3) for the voice: docs/voice.md.
    pkgs+=(libsox-fmt-mp3)
    # The reverse proxy in front and the office CA behind its HTTPS (docs/security.md).
    pkgs+=(nginx openssl)
    # gpiozero's pin library for the optional kiosk buttons (Raspberry Pi OS only).
    [ -f "$ROOT/etc/rpi-issue" ] && pkgs+=(python3-lgpio)
    # 32-bit OS: the package index has no armv7 wheel of Pillow (nor PyYAML) and the hashed
    # lock takes no other build, so pip compiles them from their sdists.
    if [ -z "$ROOT" ] && [ "$(dpkg --print-architecture 2>/dev/null)" = armhf ]; then
      pkgs+=(build-essential python3-dev zlib1g-dev libjpeg-dev)
    fi
  fi
  if has_role kiosk || has_role display; then
    # Raspberry Pi OS ships Chromium as chromium-browser, Debian as chromium.
    if [ -f "$ROOT/etc/rpi-issue" ]; then pkgs+=(chromium-browser); else pkgs+=(chromium); fi
  fi
  step "System packages: ${pkgs[*]}"
  if [ $APT = 0 ]; then note "skipped (--no-apt)"; return; fi
  if [ -n "$ROOT" ]; then note "skipped with --root (install them in the image with apt-get)"; return; fi
  local missing=() p
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} = 0 ]; then note "all installed"; return; fi
  run apt-get update -q
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

service_user() {
  step "Service user $SVC (owns $DATA)"
  local rootopt=()
  [ -n "$ROOT" ] && rootopt=(--root "$ROOT")
  if [ -n "$(passwd_field "$SVC" 1)" ]; then
    note "exists"
  else
    run useradd "${rootopt[@]}" --system --user-group --home-dir "$DATA" --no-create-home \
      --shell /usr/sbin/nologin --comment "One-Stop Queue" "$SVC"
  fi
  # lp: printers on the kernel's usblp driver; dialout: serial printers; audio: server
  # playback; gpio: the kiosk's optional buttons (Raspberry Pi OS).
  local g members
  for g in lp dialout audio gpio; do
    [ "$(gid_of "$g")" != 0 ] || continue
    members=$(awk -F: -v n="$g" '$1 == n { print $4 }' "$ROOT/etc/group")
    case ",$members," in
      *",$SVC,"*) note "already in group $g" ;;
      *) run usermod "${rootopt[@]}" -a -G "$g" "$SVC" ;;
    esac
  done
}

tree_hash() { # content hash of the code that would be copied
  (cd "$1" && find . \( -name .git -o -name .venv -o -name .venv-runtime -o -name venv -o -name var \
      -o -name __pycache__ -o -name node_modules -o -name .pytest_cache \) -prune -o -type f -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

install_code() {
  step "Code in $APP"
  if [ "$SRC" = "$ROOT$APP" ]; then note "running from $APP: nothing to copy"; return; fi
  local hash stamp=$ROOT$APP/.source.sha256
  hash=$(tree_hash "$SRC")
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then note "unchanged"; return; fi
  CHANGED=1
  echo "+ copy $SRC -> $APP (keeping $VENV)"
  [ $DRY = 1 ] && return
  local stage=$ROOT$APP.new
  rm -rf "$stage"
  mkdir -p "$stage"
  tar -C "$SRC" --exclude=./.git --exclude=./.venv --exclude=./.venv-runtime --exclude=./venv \
    --exclude=./var --exclude=__pycache__ --exclude=node_modules --exclude=.pytest_cache -cf - . |
    tar -C "$stage" --no-same-owner -xf -
  chmod -R u=rwX,go=rX "$stage"
  mkdir -p "$ROOT$APP"
  [ -d "$ROOT$VENV" ] && mv "$ROOT$VENV" "$stage/venv"
  rm -rf "$ROOT$APP.old"
  mv "$ROOT$APP" "$ROOT$APP.old"
  mv "$stage" "$ROOT$APP"
  rm -rf "$ROOT$APP.old"
  echo "$hash" >"$stamp"
  CODE_CHANGED=1
}

install_venv() {
  step "Python packages in $VENV"
  local py=${PYTHON:-python3} want have=""
  if [ ! -x "$ROOT$VENV/bin/python" ]; then
    # --system-site-packages: gpiozero finds Raspberry Pi OS's python3-lgpio; every pinned
    # package is installed in the venv itself and comes first on sys.path.
    run "$py" -m venv --system-site-packages "$ROOT$VENV"
    CHANGED=1
  else
    note "venv exists"
  fi
  want=$(sha256sum <"$SRC/requirements.txt" | cut -d' ' -f1)
  [ -f "$ROOT$VENV/.requirements.sha256" ] && have=$(cat "$ROOT$VENV/.requirements.sha256")
  if [ "$want" = "$have" ]; then note "requirements.txt unchanged: nothing to install"; return; fi
  # --require-hashes: requirements.txt is the complete lock with every file's sha256
  # (scripts/lock.sh); --no-deps because pip cannot apply its override of gTTS's click pin.
  # --ignore-installed: into the venv even when the system has the same version.
  run "$ROOT$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes \
    --no-deps --ignore-installed -r "$SRC/requirements.txt"
  [ $DRY = 1 ] || echo "$want" >"$ROOT$VENV/.requirements.sha256"
  CHANGED=1
}

compile_code() {
  # The server may not write into /opt/onestop (ProtectSystem=strict): compile it here, or
  # every start would compile the whole program in memory again.
  [ $CODE_CHANGED = 1 ] || return 0
  run "$ROOT$VENV/bin/python" -m compileall -q -x '/(venv|tests|bench)/' "$ROOT$APP"
}

install_config() {
  step "Configuration in $ETC"
  [ -d "$ROOT$ETC" ] || run mkdir -p "$ROOT$ETC"
  put_conf "$SRC/config/site.toml" site.toml 0644
  local gen
  gen=$(mktemp)
  if has_role server; then
    server_env >"$gen"
    put_conf "$gen" onestop.env 0640 "$SVC"
  fi
  if has_role kiosk || has_role display; then
    browser_env >"$gen"
    put_conf "$gen" browser.env 0644
  fi
  rm -f "$gen"
  if has_role server; then
    local conf=$ROOT$ETC/site.toml
    [ -f "$conf" ] || conf=$SRC/config/site.toml # dry run of a first install
    echo "+ check $ETC/site.toml"
    python3 "$SRC/systemd/site_config.py" check "$conf" ||
      die "fix $ETC/site.toml (the line above names the key), then run the installer again"
  fi
}

server_env() {
  cat <<EOF
# One-Stop Queue server environment (read by onestop.service and the timers' jobs).
# Where gunicorn listens: loopback only, behind nginx (which listens on ${BIND}).
ONESTOP_BIND=$(app_bind)
# nginx in front sets X-Real-IP: the limits count the real client, not nginx.
ONESTOP_SECURITY_BEHIND_PROXY=true
# Staff log in over the office's HTTPS only: the login cookie never travels in clear.
ONESTOP_SECURE_COOKIES=true
# Without it a secret key is generated once and kept in $DATA/secret_key.
#ONESTOP_SECRET_KEY=
# Any scalar setting can be overridden here, e.g. to run without the printer:
#ONESTOP_PRINTER_TYPE=none
EOF
}

browser_env() {
  local url=$SERVER_URL
  [ -n "$url" ] || url="http://127.0.0.1:${BIND##*:}"
  cat <<EOF
# One-Stop Queue screens (read by the onestop-kiosk / onestop-display user units).
# The server, as this Pi reaches it:
ONESTOP_URL=$url
# Pages (defaults: \$ONESTOP_URL/kiosk and \$ONESTOP_URL/display):
#ONESTOP_KIOSK_URL=$url/kiosk
#ONESTOP_DISPLAY_URL=$url/display?name=sanh-chinh
# Extra Chromium flags, e.g. for two screens on one Pi (all-in-one):
#ONESTOP_KIOSK_ARGS=--window-position=0,0
#ONESTOP_DISPLAY_ARGS=--window-position=1920,0
EOF
}

data_dir() {
  step "Data in $DATA (database, voice cache, backups)"
  if [ -d "$ROOT$DATA" ]; then note "exists (kept as it is)"; else
    run install -d -m 0750 -o "$(uid_of "$SVC")" -g "$(gid_of "$SVC")" "$ROOT$DATA"
  fi
}

schedule_dropins() {
  step "The office day's timers, from $ETC/site.toml"
  local conf=$ROOT$ETC/site.toml line out TZ="" CLOSE_AT="" SUMMARY_AT="" BACKUP_AT=""
  [ -f "$conf" ] || conf=$SRC/config/site.toml
  out=$(python3 "$SRC/systemd/site_config.py" schedule "$conf") ||
    die "cannot read the schedule from $ETC/site.toml (see above)"
  while IFS= read -r line; do
    case $line in TZ=* | CLOSE_AT=* | SUMMARY_AT=* | BACKUP_AT=*) eval "${line%%=*}=\${line#*=}" ;; esac
  done <<<"$out"
  note "close $CLOSE_AT, summary $SUMMARY_AT, backup $BACKUP_AT ($TZ)"
  local name at
  for name in close summary backup; do
    case $name in close) at=$CLOSE_AT ;; summary) at=$SUMMARY_AT ;; backup) at=$BACKUP_AT ;; esac
    put "$UNITS/onestop-$name.timer.d/schedule.conf" 0644 < <(printf '%s\n' \
      "# Written by install.sh from $ETC/site.toml; run \"install.sh reconfigure\" after editing it." \
      "[Timer]" "OnCalendar=" "OnCalendar=*-*-* $at:00 $TZ")
  done
  # `date` in the summary job must name the office's day, whatever the Pi's own zone.
  put "$UNITS/onestop-summary.service.d/timezone.conf" 0644 < <(printf '%s\n' \
    "# Written by install.sh: the office time zone, for the dates of the summary." \
    "[Service]" "Environment=TZ=$TZ")
}

udev_rule() {
  step "USB printer access for $SVC ($UDEV_RULE)"
  local conf=$ROOT$ETC/site.toml
  [ -f "$conf" ] || conf=$SRC/config/site.toml
  local rule
  rule=$(python3 "$SRC/systemd/site_config.py" udev "$conf") || die "fix the printer ids in $ETC/site.toml"
  put "$UDEV_RULE" 0644 <<<"$rule"
  if [ -z "$ROOT" ] && command -v udevadm >/dev/null && [ -d /run/udev ]; then
    run udevadm control --reload
    run udevadm trigger --subsystem-match=usb --subsystem-match=usbmisc --action=change
  fi
  return 0
}

system_units() {
  step "System units in $UNITS"
  local u
  for u in "${SYSTEM_UNITS[@]}"; do put "$UNITS/$u" 0644 <"$SRC/systemd/$u"; done
  put /usr/local/bin/onestop 0755 <"$SRC/systemd/onestop"
  schedule_dropins
  step "Enable and start"
  if [ -n "$ROOT" ]; then
    run systemctl --root="$ROOT" enable "${ENABLE_UNITS[@]}"
  elif [ -d /run/systemd/system ] || [ $DRY = 1 ]; then
    run systemctl daemon-reload
    run systemctl enable "${ENABLE_UNITS[@]}"
    run systemctl start onestop-close.timer onestop-summary.timer onestop-backup.timer
    if [ $CHANGED = 1 ]; then run systemctl restart onestop.service; else
      note "nothing changed: onestop.service left running"; run systemctl start onestop.service; fi
  else
    note "systemd is not running here (chroot, image build): enabled, not started"
    run systemctl enable "${ENABLE_UNITS[@]}"
  fi
  if live && [ -x "$VENV/bin/python" ]; then
    note "the server's database: $DATA/onestop.db"
    run runuser -u "$SVC" -- env ONESTOP_CONFIG="$ETC/site.toml" ONESTOP_DATA="$DATA" \
      ONESTOP_PRINTER_TYPE=none ONESTOP_VOICE_WARM_ON_START=false FLASK_APP=wsgi:app \
      sh -c "cd $APP && $VENV/bin/flask init"
  fi
}

desktop_user() {
  if [ -z "$DESKTOP_USER" ]; then
    if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then DESKTOP_USER=$SUDO_USER; else
      DESKTOP_USER=$(awk -F: '$3 == 1000 { print $1 }' "$ROOT/etc/passwd")
    fi
  fi
  [ -n "$DESKTOP_USER" ] || die "no desktop user found: give --user NAME (the autologin user)"
  [ -n "$(passwd_field "$DESKTOP_USER" 1)" ] || die "user $DESKTOP_USER does not exist"
}

screen_units() {
  desktop_user
  local home uid gid r
  home=$(passwd_field "$DESKTOP_USER" 6)
  uid=$(uid_of "$DESKTOP_USER")
  gid=$(passwd_field "$DESKTOP_USER" 4)
  step "Screens for $DESKTOP_USER's desktop session (user units in $USER_UNITS)"
  local wants=$home/.config/systemd/user/default.target.wants
  for r in kiosk display; do
    has_role "$r" || continue
    put "$USER_UNITS/onestop-$r.service" 0644 <"$SRC/systemd/user/onestop-$r.service"
    if [ -L "$ROOT$wants/onestop-$r.service" ]; then note "enabled: onestop-$r.service"; else
      # What `systemctl --user enable` does, without needing that user's manager running.
      run install -d -o "$uid" -g "$gid" "$ROOT$home/.config" "$ROOT$home/.config/systemd" \
        "$ROOT$home/.config/systemd/user" "$ROOT$wants"
      run ln -s "$USER_UNITS/onestop-$r.service" "$ROOT$wants/onestop-$r.service"
      run chown -h "$uid:$gid" "$ROOT$wants/onestop-$r.service"
    fi
  done
  # Lingering starts the user's manager at boot; the screens then wait for the desktop.
  if [ -e "$ROOT/var/lib/systemd/linger/$DESKTOP_USER" ]; then note "lingering already on"; else
    if live && command -v loginctl >/dev/null; then run loginctl enable-linger "$DESKTOP_USER"; else
      run install -d "$ROOT/var/lib/systemd/linger"
      run touch "$ROOT/var/lib/systemd/linger/$DESKTOP_USER"
    fi
  fi
  if [ -z "$ROOT" ] && command -v raspi-config >/dev/null; then
    run raspi-config nonint do_blanking 1 # keep the screens on (1 = blanking off)
  fi
  if live && [ $CHANGED = 1 ] && [ -d "/run/user/$uid/systemd" ]; then
    run systemctl --user -M "$DESKTOP_USER@" daemon-reload
    for r in kiosk display; do
      if has_role "$r"; then run systemctl --user -M "$DESKTOP_USER@" restart "onestop-$r.service"; fi
    done
  fi
}

# --- the reverse proxy and the office's HTTPS (docs/security.md) ---------------------------

app_bind() { echo "127.0.0.1:$((${BIND##*:} + 1))"; } # gunicorn, behind nginx

tls_names() { # DNS names and addresses the server certificate covers, one a line
  local h
  h=$(cat "$ROOT/etc/hostname" 2>/dev/null || hostname)
  printf '%s\n' "$h" "$h.local" localhost 127.0.0.1 "${TLS_NAMES[@]}"
  if [ -z "$ROOT" ]; then hostname -I 2>/dev/null | tr ' ' '\n' | grep -v '^$' || true; fi
}

office_ca() {
  step "The office CA and this server's HTTPS certificate ($TLS)"
  local dir=$ROOT$TLS san="" n
  if [ -f "$dir/ca.crt" ] && [ -f "$dir/server.crt" ]; then note "exist (kept: devices trust this CA)"
  else
    while IFS= read -r n; do
      if [[ $n =~ ^[0-9.]+$|: ]]; then san+="${san:+,}IP:$n"; else san+="${san:+,}DNS:$n"; fi
    done < <(tls_names | awk 'NF && !seen[$0]++')
    note "covers $san"
    CHANGED=1
    [ $DRY = 1 ] && { echo "+ openssl: make $TLS/ca.{key,crt} and $TLS/server.{key,crt}"; return; }
    install -d -m 0755 "$dir"
    # The CA key never leaves this directory (root only); only ca.crt goes to devices.
    (umask 077
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
        -subj "/O=One-Stop Queue/CN=One-Stop Queue office CA $(tls_names | head -1)" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=$(tls_names | head -1)" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
      openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
        -CAcreateserial -days 825 -out "$dir/server.crt" \
        -extfile <(printf '%s\n' "subjectAltName=$san" "extendedKeyUsage=serverAuth" \
          "basicConstraints=CA:FALSE") 2>/dev/null)
    rm -f "$dir/server.csr"
    chmod 0644 "$dir/ca.crt" "$dir/server.crt"
  fi
  [ $DRY = 1 ] || [ ! -f "$dir/ca.crt" ] ||
    note "CA fingerprint (check it on each device): $(openssl x509 -in "$dir/ca.crt" -noout -fingerprint -sha256 | cut -d= -f2)"
}

nginx_proxy() {
  step "nginx in front ($BIND public, HTTPS on 443, gunicorn on $(app_bind))"
  local gen
  gen=$(mktemp -d)
  NGINX_DIR=$NGINX NGINX_TLS=$TLS bash "$SRC/scripts/nginx_conf.sh" "$gen" "$BIND" "$(app_bind)" \
    --tls --staff-https
  local f
  for f in onestop.conf onestop-locations.conf onestop-staff-http.conf onestop-ca.conf onestop-tls.conf; do
    put "$NGINX/$f" 0644 <"$gen/$f"
  done
  rm -rf "$gen"
  put /etc/nginx/conf.d/onestop.conf 0644 < <(printf '%s\n' \
    "# One-Stop Queue (written by install.sh; the parts are in $NGINX)." \
    "include $NGINX/onestop.conf;" "include $NGINX/onestop-tls.conf;")
  # Debian's default site listens on port 80 too and would shadow nothing useful.
  if [ -L "$ROOT/etc/nginx/sites-enabled/default" ]; then run rm -f "$ROOT/etc/nginx/sites-enabled/default"; fi
  if [ -n "$ROOT" ]; then
    run systemctl --root="$ROOT" enable nginx.service 2>/dev/null || note "nginx is not in this root yet"
  elif live; then
    run nginx -t -q
    run systemctl enable nginx.service
    run systemctl reload-or-restart nginx.service
  fi
}

nginx_remove() {
  local f
  for f in "$ROOT/etc/nginx/conf.d/onestop.conf" "$ROOT$NGINX"; do
    if [ -e "$f" ]; then run rm -rf "$f"; fi
  done
  if live; then run systemctl reload nginx.service || true; fi
}

record_roles() {
  put "$ETC/roles" 0644 < <(printf '%s\n' "${ROLES[@]}" | sort -u)
}

installed_roles() {
  [ -f "$ROOT$ETC/roles" ] && mapfile -t ROLES <"$ROOT$ETC/roles"
  [ ${#ROLES[@]} -gt 0 ] || die "no roles recorded in $ETC/roles: run the installer with a role"
}

# Time source (issue 12), one function: chrony + fake-hwclock; the server Pi serves the hall.
# The server installs chrony (serving the LAN, systemd/chrony-onestop.conf) and fake-hwclock
# (the time saved at shutdown and hourly comes back at boot); a kiosk or display Pi with a
# --server-url takes its time from the server through systemd-timesyncd.
time_source() {
  step "Time source"
  if has_role server; then
    if [ $APT = 1 ] && [ -z "$ROOT" ]; then
      local missing=() p
      for p in chrony fake-hwclock; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
      done
      if [ ${#missing[@]} -gt 0 ]; then
        run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
      fi
    else
      note "chrony and fake-hwclock not installed here (--no-apt or --root): install them yourself"
    fi
    put /etc/chrony/conf.d/onestop.conf 0644 <"$SRC/systemd/chrony-onestop.conf"
    if live; then run systemctl restart chrony; fi
  elif [ -n "$SERVER_URL" ]; then
    local host=${SERVER_URL#*://}
    host=${host%%[:/]*}
    case $host in 127.* | localhost) note "the server is this Pi: nothing to point at"; return ;; esac
    printf '[Time]\nNTP=%s\n' "$host" | put /etc/systemd/timesyncd.conf.d/onestop.conf 0644
    if live; then run systemctl restart systemd-timesyncd; fi
  else
    note "no --server-url: this Pi keeps its own time servers"
  fi
}
# End of the time source.

do_install() {
  [ ${#ROLES[@]} -gt 0 ] || usage 2
  mapfile -t ROLES < <(printf '%s\n' "${ROLES[@]}" | sort -u)
  echo "One-Stop Queue installer: roles ${ROLES[*]}${ROOT:+, root $ROOT}$([ $DRY = 1 ] && echo ', DRY RUN: nothing is changed')"
  check_environment
  apt_packages
  install_code
  if has_role server; then
    service_user
    install_venv
    compile_code
  fi
  install_config
  record_roles
  if has_role server; then
    data_dir
    udev_rule
    office_ca
    nginx_proxy
    system_units
  fi
  if has_role kiosk || has_role display; then screen_units; fi
  time_source
  step "Done"
  has_role server && note "server: http://$(hostname -I 2>/dev/null | cut -d' ' -f1 || echo THIS-PI):${BIND##*:}/ (systemctl status onestop nginx)"
  has_role server && note "staff: https://$(tls_names | head -1)/counter once the office CA is on their device: $TLS/ca.crt (docs/deploy-raspberry-pi.md)"
  note "config: $ETC/site.toml; after editing it: sudo $APP/systemd/install.sh reconfigure"
}

do_reconfigure() {
  installed_roles
  echo "One-Stop Queue: applying $ETC/site.toml (roles ${ROLES[*]})"
  check_environment
  if has_role server; then
    echo "+ check $ETC/site.toml"
    python3 "$SRC/systemd/site_config.py" check "$ROOT$ETC/site.toml" ||
      die "fix $ETC/site.toml (the line above names the key), then run this again"
    udev_rule
    schedule_dropins
    nginx_proxy
    if live; then
      run systemctl daemon-reload
      run systemctl restart onestop-close.timer onestop-summary.timer onestop-backup.timer
      run systemctl restart onestop.service
    fi
  fi
}

do_uninstall() {
  if [ ${#ROLES[@]} = 0 ]; then
    if [ -f "$ROOT$ETC/roles" ]; then installed_roles; else ROLES=(server kiosk display); fi
  fi
  echo "One-Stop Queue: uninstalling (config $ETC and data $DATA are kept)"
  check_environment
  local u f
  step "System units"
  if [ -n "$ROOT" ]; then
    for u in "${ENABLE_UNITS[@]}"; do
      if [ -f "$ROOT$UNITS/$u" ]; then run systemctl --root="$ROOT" disable "$u"; fi
    done
  elif [ -d /run/systemd/system ] || [ $DRY = 1 ]; then
    run systemctl disable --now "${ENABLE_UNITS[@]}" || true
  else
    run systemctl disable "${ENABLE_UNITS[@]}" || true
  fi
  for u in "${SYSTEM_UNITS[@]}"; do
    if [ -e "$ROOT$UNITS/$u" ]; then run rm -f "$ROOT$UNITS/$u"; fi
  done
  for f in "$ROOT$UNITS"/onestop-*.d; do if [ -d "$f" ]; then run rm -rf "$f"; fi; done
  step "Screens"
  for f in "$ROOT"/home/*/.config/systemd/user/default.target.wants/onestop-*.service \
    "$ROOT"/root/.config/systemd/user/default.target.wants/onestop-*.service; do
    if [ -L "$f" ]; then run rm -f "$f"; fi
  done
  for u in onestop-kiosk.service onestop-display.service; do
    if [ -e "$ROOT$USER_UNITS/$u" ]; then run rm -f "$ROOT$USER_UNITS/$u"; fi
  done
  note "Chromium profiles in ~/.local/state/onestop and lingering are left as they are"
  step "Printer rule and code"
  if [ -e "$ROOT$UDEV_RULE" ]; then run rm -f "$ROOT$UDEV_RULE"; fi
  nginx_remove
  if [ -e "$ROOT/usr/local/bin/onestop" ]; then run rm -f "$ROOT/usr/local/bin/onestop"; fi
  if [ -e "$ROOT$APP" ]; then run rm -rf "$ROOT$APP"; fi
  if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then run systemctl daemon-reload; fi
  step "Kept"
  note "$ETC (your configuration), $DATA (database and backups), the user $SVC"
  note "to remove them too: sudo rm -rf $ETC $DATA && sudo userdel $SVC"
}

case $ACTION in
  install) do_install ;;
  reconfigure) do_reconfigure ;;
  uninstall) do_uninstall ;;
esac

#!/usr/bin/env bash
# Install what One-Stop Queue needs on Debian 12 / Raspberry Pi OS Bookworm.
#   scripts/setup.sh          runtime: system packages, .venv, Python packages
#   scripts/setup.sh --dev    also the test tools and Chromium for browser tests
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

# nginx: the reverse proxy in front (scripts/run.sh starts its own); openssl: the office CA.
apt_pkgs=(python3 python3-venv python3-pip espeak-ng fonts-dejavu-core nginx openssl)
# sox + libsox-fmt-mp3: decode the office's own voice recordings (WAV, MP3; docs/voice.md).
apt_pkgs+=(sox libsox-fmt-mp3)
# gammu + gammu-smsd: messages to citizens through a USB GSM modem (docs/sms.md); the tests
# drive gammu-smsd on Gammu's dummy device.
apt_pkgs+=(gammu gammu-smsd)
# sox + libsox-fmt-mp3: decode audio in voice tests; systemd: systemd-analyze;
# the linter of the installer's scripts (shellcheck); xvfb: the screens' launcher (tests/systemd).
[ $dev = 1 ] && apt_pkgs+=(chromium sox libsox-fmt-mp3 systemd shellcheck xvfb faketime postgresql libpq5)

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "Missing system packages: ${missing[*]} (run as root or install them)"; exit 1; fi
  echo "==> Installing system packages: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

py=${PYTHON:-python3}
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is needed ($py is $("$py" --version))"; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> Creating .venv"
  "$py" -m venv .venv
fi
req=requirements.txt
[ $dev = 1 ] && req=requirements-dev.txt
stamp=.venv/.installed-$(cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)-$dev
if [ ! -e "$stamp" ]; then
  echo "==> Installing Python packages ($req)"
  # The lock is complete and hashed (scripts/lock.sh); --no-deps because pip cannot apply
  # its override of gTTS's click pin (see the top of requirements.txt).
  .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps \
    -r "$req"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

#!/usr/bin/env bash
# Regenerate the lock, requirements.txt and requirements-dev.txt, from pyproject.toml with uv.
#   scripts/lock.sh             keep every locked version; only packages new to the lock are chosen
#   scripts/lock.sh -P NAME     also let NAME move to its newest allowed version (repeatable)
#   scripts/lock.sh --upgrade   let every package move
# Edit pyproject.toml ([project] dependencies, [dependency-groups] dev), run this, commit the
# three files together. Both files are universal (any OS and CPU: x86_64 here, aarch64/armv7
# on a Pi) for Python 3.11 and later, with the sha256 of every file of every pinned release.
# Needs uv $UV_VERSION, which requirements-dev.txt installs (scripts/setup.sh --dev); UV=PATH
# points at another copy of that version.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9 # keep equal to the uv pin in pyproject.toml's dev group
uv=${UV:-.venv/bin/uv}

die() { echo "lock.sh: $*" >&2; exit 1; }

keep=1 upgrade=()
while [ $# -gt 0 ]; do
  case $1 in
    -U | --upgrade) keep=0 upgrade+=(--upgrade) ;;
    -P | --upgrade-package) keep=0 upgrade+=(--upgrade-package "${2:?$1 needs a package name}"); shift ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

have=$("$uv" --version 2>/dev/null) || die "no uv at $uv: run scripts/setup.sh --dev, or pip install uv==$UV_VERSION and give UV=PATH"
case "$have " in
  "uv $UV_VERSION "*) ;;
  *) die "$uv is ${have#uv }, this lock is made with uv $UV_VERSION (pip install uv==$UV_VERSION)" ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# pip and setuptools: declared by sqlite-utils (its `install` command), python-escpos and
# colorzero, imported by none of the code we run; every venv already has them, and
# reinstalling them over the venv's own copy (install.sh uses --ignore-installed) would
# leave two versions' metadata side by side.
common=(--universal --python-version 3.11 --generate-hashes --no-header --quiet
  --no-emit-package pip --no-emit-package setuptools "${upgrade[@]}")

# uv keeps the versions of the file named by -o: start from a copy of the current lock.
# (-r lines: the hand-made files before this script included one.)
grep -v '^-r ' requirements.txt >"$tmp/runtime.txt" || true
grep -v '^-r ' requirements-dev.txt >"$tmp/dev.txt" || true
cp "$tmp/runtime.txt" "$tmp/was-runtime.txt"
cp "$tmp/dev.txt" "$tmp/was-dev.txt"

echo "==> requirements.txt ([project] dependencies)"
"$uv" pip compile pyproject.toml "${common[@]}" -o "$tmp/runtime.txt"
echo "==> requirements-dev.txt (the same, plus [dependency-groups] dev)"
# The runtime lock constrains the dev one: the packages they share have the same versions.
"$uv" pip compile pyproject.toml --group dev "${common[@]}" -c "$tmp/runtime.txt" \
  -o "$tmp/dev.txt" ||
  die "cannot lock the dev tools with these runtime versions: see above, then use -P NAME"

pins() { # "name version" per locked package, names normalised (PEP 503), sorted by name
  cat "$@" | sed -nE 's/^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+).*/\1 \2/p' |
    awk '{ n = tolower($1); gsub(/[._-]+/, "-", n); print n, $2 }' | sort -u
}
# Without -P/--upgrade no package already locked may change version.
if [ $keep = 1 ]; then
  moved=$(join <(pins "$tmp/was-runtime.txt" "$tmp/was-dev.txt") \
    <(pins "$tmp/runtime.txt" "$tmp/dev.txt") | awk '$2 != $3 { print "  " $1 " " $2 " -> " $3 }')
  if [ -n "$moved" ]; then
    printf '%s\n' "$moved" >&2
    die "these would change version; nothing written. Allow them with -P NAME (or --upgrade)"
  fi
fi

header() { # what it holds, its name
  cat <<EOF
# One-Stop Queue $1.
# Made by scripts/lock.sh (uv $UV_VERSION: uv pip compile --universal --python-version 3.11
# --generate-hashes) from pyproject.toml: edit that and run scripts/lock.sh, not this file.
# Universal: one file for every platform (x86_64, the Pi's aarch64/armv7), Python 3.11+, with
# the sha256 of each release's sdist and wheels. Install it exactly:
#   pip install --require-hashes --no-deps -r $2
# --no-deps: gTTS 2.5.4 declares click<8.2 (for its own command line, which we never run)
# while sqlite-utils 4 needs click>=8.3.1; uv overrides gTTS's pin ([tool.uv] in
# pyproject.toml), pip cannot. \`pip check\` then shows that one line (gtts ... click<8.2).
# pip and setuptools are left out on purpose (see scripts/lock.sh): the venv brings them.
EOF
}
# uv names the constraint file in its "via" notes: keep the temp path out of the lock.
tidy() { sed -e "s#-c $tmp/runtime.txt#-c requirements.txt#" "$1"; }
header "runtime lock: every package the server needs, and nothing else" requirements.txt \
  >"$tmp/requirements.txt"
tidy "$tmp/runtime.txt" >>"$tmp/requirements.txt"
header "development lock: requirements.txt plus the test, lint, benchmark and lock tools" \
  requirements-dev.txt >"$tmp/requirements-dev.txt"
tidy "$tmp/dev.txt" >>"$tmp/requirements-dev.txt"
mv "$tmp/requirements.txt" requirements.txt
mv "$tmp/requirements-dev.txt" requirements-dev.txt

count() { grep -c '^[A-Za-z0-9]' "$1"; }
echo "==> locked $(count requirements.txt) runtime and $(count requirements-dev.txt) dev packages"
git diff --stat -- requirements.txt requirements-dev.txt 2>/dev/null || true

#!/bin/bash
# Installs what the real-VS-Code tests need, into the git-ignored .harness/ folder:
#   apt packages (only when missing and we are root; PyTorch for the training tests), a seeded @vscode/ripgrep cache, code-server 4.100.3.
# Idempotent: a second run with code-server already installed returns at once.
# Usage: bash scripts/harness/setup.sh            (SKIP_APT=1 skips the apt step)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
H=${HARNESS_DIR:-$ROOT/.harness}
CS_VERSION=4.100.3   # = VS Code 1.100.3, the last line that runs on Node 20
mkdir -p "$H"

# python3-torch + python3-numpy: `backmap train` and the training tests (users' machines find their own PyTorch);
# gromacs: the hydrogen/naming tests run gmx pdb2gmx on backmapped proteins.
APT_PKGS="build-essential pkg-config python3 libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev ripgrep chromium fonts-dejavu-core python3-torch python3-numpy gromacs"
if [ -z "${SKIP_APT:-}" ]; then
  missing=""
  for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "harness: apt-get install$missing"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
    else
      echo "harness: missing apt packages:$missing (not root: install them yourself)" >&2; exit 1
    fi
  fi
fi

CS="$H/cs/node_modules/.bin/code-server"
if [ -x "$CS" ] && "$CS" --version --config /dev/null 2>/dev/null | grep -q "^$CS_VERSION"; then
  echo "harness: code-server $CS_VERSION already installed in $H/cs"; exit 0
fi

# node-gyp must use the local Node headers (no download); node-pty's postinstall runs `npx node-gyp`, which
# refuses to run under yes=false.
export npm_config_nodedir=${npm_config_nodedir:-/usr}
export npm_config_yes=true
# @vscode/ripgrep's postinstall downloads rg from GitHub unless its tarball is already cached: seed it with Debian's rg.
RG_CACHE="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
mkdir -p "$RG_CACHE"
if [ ! -f "$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" ]; then
  tmp=$(mktemp -d); cp "$(command -v rg)" "$tmp/rg"
  tar -C "$tmp" -czf "$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" rg; rm -rf "$tmp"
fi
mkdir -p "$H/cs"
cd "$H/cs"
[ -f package.json ] || printf '{ "name": "backmap-harness-cs", "private": true }\n' > package.json
# --unsafe-perm: postinstall scripts must run although we are root
npm install --no-audit --no-fund --no-save --unsafe-perm "code-server@$CS_VERSION"
"$CS" --version --config /dev/null 2>/dev/null | tail -1

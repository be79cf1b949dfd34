#!/usr/bin/env bash
# Provisions what openclaw needs on a fresh Debian/Ubuntu machine, without manual steps:
#   - Node >= 22.13: uses the host's when new enough, else installs Node 24 from the npm registry's
#     `node-linux-*` package into .tools/node (project-local, nothing system-wide);
#   - pnpm, pinned by package.json engines.pnpm, into .tools/pnpm;
#   - as root and when missing: Debian packages bubblewrap, openssh-server, postgresql, iproute2, git,
#     net-tools, lsof, python3.
#     gcc (native addons, e.g. the approvals endpoint's peer-credential check).
# Prints nothing on stdout but the PATH line to eval when called with --print-path.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
NODE_VERSION="24.21.0"
PNPM_VERSION="$(sed -n 's/.*"pnpm": *"\([^"]*\)".*/\1/p' "$root/package.json")"
log() { printf 'bootstrap: %s\n' "$*" >&2; }

node_ok() { # $1 = node binary; true when its version is >= 22.13
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=13)?0:1)' 2>/dev/null
}

ensure_node() {
  if [ -x "$tools/node/bin/node" ] && node_ok "$tools/node/bin/node"; then return; fi
  if command -v node >/dev/null && node_ok "$(command -v node)"; then return; fi
  command -v npm >/dev/null || { log "npm is missing: install Node.js and npm (apt-get install nodejs npm)"; exit 1; }
  local arch; case "$(uname -m)" in x86_64) arch=x64;; aarch64|arm64) arch=arm64;; *) log "unsupported CPU $(uname -m)"; exit 1;; esac
  log "host Node $(node -v 2>/dev/null || echo none) is older than 22.13; installing Node $NODE_VERSION into .tools/node"
  bootstrap_tmp="$(mktemp -d)"
  # Removed however this ends (a failed npm install exits the script).
  trap 'rm -rf "$bootstrap_tmp"' EXIT
  npm install --silent --no-save --no-audit --no-fund --prefix "$bootstrap_tmp" "node-linux-$arch@$NODE_VERSION" >&2
  rm -rf "$tools/node"; mkdir -p "$tools"
  mv "$bootstrap_tmp/node_modules/node-linux-$arch" "$tools/node"
  node_ok "$tools/node/bin/node" || { log "installed Node does not run"; exit 1; }
}

ensure_pnpm() {
  if [ -x "$tools/pnpm/node_modules/.bin/pnpm" ] && [ "$("$tools/pnpm/node_modules/.bin/pnpm" --version 2>/dev/null)" = "$PNPM_VERSION" ]; then return; fi
  log "installing pnpm $PNPM_VERSION into .tools/pnpm"
  rm -rf "$tools/pnpm"; mkdir -p "$tools/pnpm"
  npm install --silent --no-save --no-audit --no-fund --prefix "$tools/pnpm" "pnpm@$PNPM_VERSION" >&2
}

ensure_debian_packages() {
  [ "$(id -u)" = 0 ] || { log "not root: skipping Debian packages (bubblewrap, openssh-server, postgresql, iproute2)"; return; }
  command -v apt-get >/dev/null || { log "no apt-get: skipping Debian packages"; return; }
  local want=()
  command -v bwrap >/dev/null || want+=(bubblewrap)
  [ -x /usr/sbin/sshd ] || want+=(openssh-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || want+=(postgresql)
  command -v ss >/dev/null && command -v ip >/dev/null || want+=(iproute2)
  command -v git >/dev/null || want+=(git)
  command -v netstat >/dev/null || want+=(net-tools)
  command -v lsof >/dev/null || want+=(lsof)
  # the doctor's network-namespace tests bind sockets to a device (SO_BINDTODEVICE) with python3
  command -v python3 >/dev/null || want+=(python3)
  command -v cc >/dev/null || want+=(gcc libc6-dev)
  [ ${#want[@]} -eq 0 ] && return
  log "installing Debian packages: ${want[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # policy-rc.d keeps the package scripts from starting services (sshd, postgres) on the host.
  local prc=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$prc" ]; then printf '#!/bin/sh\nexit 101\n' >"$prc"; chmod +x "$prc"; created=1; fi
  apt-get install -y -qq --no-install-recommends "${want[@]}" >&2
  [ "$created" = 1 ] && rm -f "$prc"
  return 0
}

ensure_node
ensure_pnpm
[ "${OPENCLAW_SKIP_APT:-}" = 1 ] || ensure_debian_packages

path="$tools/pnpm/node_modules/.bin:$PATH"
[ -x "$tools/node/bin/node" ] && path="$tools/node/bin:$path"
if [ "${1:-}" = --print-path ]; then printf '%s\n' "$path"; fi

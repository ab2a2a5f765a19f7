#!/usr/bin/env bash
# End-to-end test of the VS Code extension in a real VS Code (code-server in headless Chromium).
#
# Installs (cached, see install.sh) code-server on Node 24, Debian's chromium and playwright-core;
# builds and installs the .vsix; starts the loopback provider emulator with the answers script.py writes; opens a
# copy of examples/shop with the extension pointed at the emulator; then drive.cjs types in a
# Python file, waits for ghost text, cycles through three suggestions with Alt+] / Alt+[ (the
# next models of the inline chain answer the Invoked request), accepts the first with Tab, checks
# the acceptance in "Show spend", turns inline suggestions off and on from the status bar (no model
# call while off) and snoozes them,
# runs "Edit with instruction…" from the palette and from a code action, "Explain last route",
# "Explain function …" and "Review my changes" (Markdown previews),
# "Refactor workspace…" through the refactor preview, and checks the message for a server that
# cannot start. Screenshots go to editors/vscode/e2e/out/ (printed at the end).
#
# Environment: CODESWITCH_PYTHON (default: the repo's .venv python), CODESWITCH_E2E_CACHE, E2E_SKIP_EDIT=1,
# E2E_TIMEOUT_MS (per wait, default 90000), E2E_KEEP=1 keeps the temporary directory.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXT_DIR=$(dirname "$HERE")
REPO=$(cd "$EXT_DIR/../.." && pwd)
PY=${CODESWITCH_PYTHON:-$REPO/.venv/bin/python}
OUT=$HERE/out
log() { echo "[e2e] $*"; }

[ -x "$PY" ] || { echo "no Python at $PY (run make .venv/.installed or set CODESWITCH_PYTHON)" >&2; exit 2; }
eval "$(bash "$HERE/install.sh")"

log "building the extension"
(cd "$EXT_DIR" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run -s package >/dev/null)
VSIX=$EXT_DIR/codeswitch.vsix

WORK=$(mktemp -d "${TMPDIR:-/tmp}/codeswitch-e2e.XXXXXX")
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  mkdir -p "$OUT"
  cp "$WORK"/*.log "$OUT"/ 2>/dev/null || true
  find "$WORK/user-data/logs" -name '*codeswitch*.log' -exec cp {} "$OUT"/ \; 2>/dev/null || true
  if [ "${E2E_KEEP:-}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
rm -rf "$OUT"; mkdir -p "$OUT"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then echo "timed out waiting for $what" >&2; return 1; fi
    sleep 0.2
  done
}

# the server's edit request is built separately; run the edit step only once it exists
# (E2E_SKIP_EDIT=1 skips the edit, refactor and settings steps on purpose)
SKIP_EDIT=${E2E_SKIP_EDIT:-0}
if ! "$PY" -c 'import sys, codeswitch.server as s; sys.exit(0 if any(f.method == "codeswitch/edit" for f in s.FEATURES) else 1)'; then
  SKIP_EDIT=1
  log "the server has no codeswitch/edit yet: the edit step is skipped"
fi

# an interpreter without codeswitch, for the failed-start step
"$PY" -m venv --without-pip "$WORK/bare"

WS=$WORK/shop
cp -r "$REPO/examples/shop" "$WS"
# a repository with one commit: "Review my changes" reviews what the steps change
git -C "$WS" init -q && git -C "$WS" add -A &&
  git -C "$WS" -c user.name=e2e -c user.email=e2e@example.com commit -qm "the example shop"
echo "SHOP_API_KEY=sk-e2e-shop-secret-0000" >"$WS/.env"  # untracked and secret: never in a review
mkdir -p "$WORK/config" "$WORK/data" "$WORK/user-data/User" "$WORK/extensions"

log "starting the provider emulator"
"$PY" "$HERE/script.py" "$WS" >"$WORK/script.json"
"$PY" -m codeswitch.testing.emulator --port 0 --script "$WORK/script.json" >"$WORK/emulator.log" 2>&1 &
PIDS+=($!)
wait_for 60 "the emulator" grep -q 'listening on' "$WORK/emulator.log"
EMU_URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/emulator.log" | head -1)

# endpoints come from the user's own config file (editor settings may not set them: docs/config.md)
mkdir -p "$WORK/config/codeswitch"
cat >"$WORK/config/codeswitch/config.toml" <<TOML
[providers.openai]
base_url = "$EMU_URL/v1"
[providers.anthropic]
base_url = "$EMU_URL"
TOML

cat >"$WORK/user-data/User/settings.json" <<JSON
{
  "codeswitch.server.python": "$PY",
  "codeswitch.server.env": {
    "OPENAI_API_KEY": "sk-e2e-fake-openai",
    "ANTHROPIC_API_KEY": "sk-ant-e2e-fake",
    "XDG_CONFIG_HOME": "$WORK/config",
    "XDG_DATA_HOME": "$WORK/data"
  },
  "codeswitch.trace.server": "messages",
  "editor.quickSuggestions": { "other": "off", "comments": "off", "strings": "off" },
  "editor.suggestOnTriggerCharacters": false,
  "editor.wordBasedSuggestions": "off",
  "editor.inlineSuggest.enabled": true,
  "editor.inlineSuggest.showToolbar": "always",
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "chat.disableAIFeatures": true,
  "security.workspace.trust.enabled": false,
  "files.autoSave": "off",
  "workbench.secondarySideBar.defaultVisibility": "hidden"
}
JSON

export XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data
CS=("$E2E_NODE" "$E2E_CODE_SERVER" --user-data-dir "$WORK/user-data" --extensions-dir "$WORK/extensions")
log "installing $VSIX into code-server"
"${CS[@]}" --install-extension "$VSIX" >"$WORK/install-extension.log" 2>&1

PORT=$(free_port)
log "starting code-server on 127.0.0.1:$PORT"
"${CS[@]}" --auth none --disable-telemetry --disable-workspace-trust --disable-update-check \
  --disable-getting-started-override --bind-addr "127.0.0.1:$PORT" "$WS" >"$WORK/code-server.log" 2>&1 &
PIDS+=($!)
wait_for 120 "code-server" curl -sf "http://127.0.0.1:$PORT/healthz"

log "driving code-server with playwright"
E2E_URL="http://127.0.0.1:$PORT" E2E_WORKSPACE="$WS" E2E_OUT="$OUT" E2E_TMP="$WORK" E2E_SKIP_EDIT=$SKIP_EDIT \
  E2E_EMULATOR="$EMU_URL" E2E_BARE_PYTHON="$WORK/bare/bin/python" \
  "$E2E_NODE" "$HERE/drive.cjs"
curl -sf "$EMU_URL/_emulator/requests" >"$WORK/emulator-requests.log" || true
log "passed; screenshots in $OUT"

#!/usr/bin/env bash
# Applies patches/*.patch (the JavaScript half of worker patches that change what the worker
# reports) to the installed mediasoup package, in file-name order. Idempotent: a patch that is
# already applied is skipped. The setup runs it after every `npm ci`, and reinstalls when a patch
# changes (its hash is part of the install stamp), so node_modules never holds a stale version.
# Usage: bash scripts/mediasoup-node/apply-patches.sh [MEDIASOUP_PACKAGE_DIR]
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
PKG_DIR="${1:-$SCRIPT_DIR/../../node_modules/mediasoup}"
[ -f "$PKG_DIR/package.json" ] || { echo "[mediasoup-node] no mediasoup package in $PKG_DIR" >&2; exit 1; }
for p in "$SCRIPT_DIR"/patches/*.patch; do
  [ -e "$p" ] || continue
  if patch -p1 --dry-run --reverse --force --batch --fuzz=0 -d "$PKG_DIR" -i "$p" >/dev/null 2>&1; then
    continue
  fi
  echo "[mediasoup-node] applying $(basename "$p")" >&2
  patch -p1 --forward --batch --fuzz=0 --quiet -d "$PKG_DIR" -i "$p" \
    || { echo "[mediasoup-node] $(basename "$p") does not apply to $PKG_DIR (another mediasoup version?)" >&2; exit 1; }
done

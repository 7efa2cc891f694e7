#!/usr/bin/env bash
# Builds the mediasoup C++ worker from the sources shipped in the mediasoup npm
# package, against Debian 12's system libraries, and caches the binary outside
# the checkout. See README.md next to this file for the why of each step.
#
# Usage: bash scripts/mediasoup-worker/build.sh [MEDIASOUP_PACKAGE_DIR]
#   MEDIASOUP_PACKAGE_DIR defaults to <repo>/node_modules/mediasoup.
# Stdout: exactly one line, the absolute path of the worker binary
#         (${LAB_CACHE_DIR:-$HOME/.cache/webrtc-lab}/mediasoup-worker/<version>-<recipehash>/mediasoup-worker).
# Stderr: progress, prefixed with [mediasoup-worker].
# Env:    LAB_CACHE_DIR              cache root (default $HOME/.cache/webrtc-lab)
#         MEDIASOUP_WORKER_KEEP_BUILD=1  keep the temporary build directory
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd -P)"
TESTED_VERSION="3.15.8"

log() { printf '[mediasoup-worker] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- inputs -----------------------------------------------------------------
PKG_DIR="${1:-$REPO_ROOT/node_modules/mediasoup}"
[ -f "$PKG_DIR/package.json" ] || die "no package.json in '$PKG_DIR' (pass the mediasoup npm package directory, e.g. node_modules/mediasoup)"
PKG_DIR="$(cd "$PKG_DIR" && pwd -P)"
[ -f "$PKG_DIR/worker/meson.build" ] || die "'$PKG_DIR' has no worker/meson.build: not a mediasoup package with worker sources"

# Version from package.json (node when available; a sed fallback otherwise).
if command -v node >/dev/null; then
  VERSION="$(node -e 'process.stdout.write(String(require(process.argv[1]).version || ""))' "$PKG_DIR/package.json")"
else
  VERSION="$(sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$PKG_DIR/package.json" | head -n1)"
fi
[ -n "$VERSION" ] || die "cannot read \"version\" from $PKG_DIR/package.json"

# Recipe hash: content of every file of this directory (sorted by relative
# path, path included), so any edit of the recipe invalidates the cache.
RECIPE_HASH="$(cd "$SCRIPT_DIR" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"

CACHE_ROOT="${LAB_CACHE_DIR:-$HOME/.cache/webrtc-lab}"
case "$CACHE_ROOT" in /*) ;; *) CACHE_ROOT="$PWD/$CACHE_ROOT" ;; esac
KEY_DIR="$CACHE_ROOT/mediasoup-worker/$VERSION-$RECIPE_HASH"
BIN="$KEY_DIR/mediasoup-worker"

# --- fast path: cached ------------------------------------------------------
if [ -x "$BIN" ]; then
  printf '%s\n' "$BIN"
  exit 0
fi

# From here on nothing but the final path may reach stdout.
exec 3>&1 1>&2

mkdir -p "$KEY_DIR"
LOCK_FILE="$KEY_DIR/build.lock"
LOG_FILE="$KEY_DIR/build.log"
exec 9>"$LOCK_FILE"
if ! flock -n 9; then
  log "another build of $VERSION-$RECIPE_HASH is running; waiting for it (lock: $LOCK_FILE)"
  flock 9
fi
if [ -x "$BIN" ]; then
  log "built by the concurrent run; reusing it"
  printf '%s\n' "$BIN" >&3
  exit 0
fi

: >"$LOG_FILE"
STEP="start"
BUILD_DIR=""
TMP_BIN=""
cleanup() {
  local rc=$?
  [ -z "$TMP_BIN" ] || rm -f "$TMP_BIN"
  if [ -n "$BUILD_DIR" ] && [ -d "$BUILD_DIR" ]; then
    if [ "${MEDIASOUP_WORKER_KEEP_BUILD:-0}" = "1" ]; then
      log "build directory kept: $BUILD_DIR"
    else
      rm -rf "$BUILD_DIR"
    fi
  fi
  if [ "$rc" -ne 0 ]; then
    if [ -s "$LOG_FILE" ]; then
      log "---- last lines of $LOG_FILE ----"
      tail -n 40 "$LOG_FILE" | sed 's/^/[mediasoup-worker] | /' >&2 || true
    fi
    log "ERROR: building the mediasoup worker $VERSION failed during step '$STEP' (exit $rc)."
    log "ERROR: full build log: $LOG_FILE"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run_logged() { # runs "$@" with all output appended to the log
  printf '\n$ %s\n' "$*" >>"$LOG_FILE"
  "$@" >>"$LOG_FILE" 2>&1
}

log "building mediasoup worker $VERSION (recipe $RECIPE_HASH) from $PKG_DIR"
log "this takes about 10 minutes on 2 cores; it happens once per machine and recipe version"
log "build log: $LOG_FILE"
[ "$VERSION" = "$TESTED_VERSION" ] || log "WARNING: this recipe was written and tested for mediasoup $TESTED_VERSION, not $VERSION"

# --- 1. toolchain and system libraries (Debian) -----------------------------
STEP="install Debian packages"
bash "$SCRIPT_DIR/../ensure-apt.sh" \
  g++ patch meson ninja-build pkg-config \
  libssl-dev libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev \
  flatbuffers-compiler libflatbuffers-dev
for tool in meson ninja flatc pkg-config patch c++; do
  command -v "$tool" >/dev/null || die "'$tool' not found after installing packages"
done
log "meson $(meson --version), ninja $(ninja --version), $(flatc --version)"

# --- 2. private copy of the worker sources ------------------------------------
STEP="copy worker sources"
BUILD_DIR="$(mktemp -d "${TMPDIR:-/tmp}/msbuild-worker.XXXXXX")"
SRC="$BUILD_DIR/worker"
OUT="$BUILD_DIR/out"
mkdir -p "$SRC"
# The package directory is never modified. worker/out (a previous upstream
# build) and worker/subprojects (wraps that would download from GitHub) are
# left behind.
tar -C "$PKG_DIR/worker" --exclude=./out --exclude=./subprojects -cf - . | tar -C "$SRC" -xf -
log "worker sources copied to $SRC"

# --- 3. stub subprojects wrapping the system libraries ----------------------
STEP="install stub subprojects"
cp -R "$SCRIPT_DIR/subprojects" "$SRC/subprojects"
log "subprojects replaced by stubs: $(cd "$SRC/subprojects" && ls | tr '\n' ' ')"

# --- 4. meson_version: accept Debian's meson --------------------------------
STEP="relax meson_version"
MESON_VER="$(meson --version)"
sed -i -E "s/meson_version[[:space:]]*:[[:space:]]*'>=[[:space:]]*[0-9.]+'/meson_version: '>= $MESON_VER'/" "$SRC/meson.build"
grep -q "meson_version: '>= $MESON_VER'" "$SRC/meson.build" || die "could not relax meson_version in worker/meson.build"

# --- 5. source patches ----------------------------------------------------------
# In file-name order: the numeric prefixes give it, and a later patch may build on an earlier one.
STEP="apply patches"
for p in "$SCRIPT_DIR"/patches/*.patch; do
  [ -e "$p" ] || continue
  log "applying patch $(basename "$p")"
  run_logged patch -p1 --forward --batch --fuzz=0 -d "$SRC" -i "$p" || die "patch $(basename "$p") does not apply"
done

# --- 6. configure ---------------------------------------------------------------
STEP="meson setup"
log "configuring (meson setup, buildtype release, liburing disabled)"
run_logged meson setup "$OUT" "$SRC" \
  --buildtype release -Db_ndebug=true \
  -Dms_disable_liburing=true \
  --wrap-mode=nodownload

# --- 7. build -----------------------------------------------------------------
JOBS="$(nproc 2>/dev/null || echo 2)"
ninja_progress() { # ninja output -> log; its progress lines -> stderr
  local target="$1" line
  printf '\n$ ninja -C %s -j %s %s\n' "$OUT" "$JOBS" "$target" >>"$LOG_FILE"
  ninja -C "$OUT" -j "$JOBS" "$target" 2>&1 | while IFS= read -r line; do
    printf '%s\n' "$line" >>"$LOG_FILE"
    case "$line" in
      \[[0-9]*/[0-9]*\]*|FAILED:*) printf '[mediasoup-worker] %s\n' "$line" >&2 ;;
    esac
  done
}
# The flatbuffers headers (fbs/FBS) are a custom target the C++ objects do not
# declare a dependency on: generate them first.
STEP="ninja fbs/FBS"
log "generating flatbuffers headers (fbs/FBS)"
ninja_progress fbs/FBS
STEP="ninja mediasoup-worker"
log "compiling the worker with $JOBS jobs"
ninja_progress mediasoup-worker

# --- 8. check and cache ---------------------------------------------------------
STEP="check binary"
[ -x "$OUT/mediasoup-worker" ] || die "ninja finished but $OUT/mediasoup-worker is missing"
if ldd "$OUT/mediasoup-worker" | grep -q 'not found'; then
  ldd "$OUT/mediasoup-worker" >>"$LOG_FILE" 2>&1 || true
  die "the built worker has unresolved shared libraries (see log)"
fi

STEP="store in cache"
TMP_BIN="$(mktemp "$KEY_DIR/.mediasoup-worker.XXXXXX")"
cp "$OUT/mediasoup-worker" "$TMP_BIN"
chmod 755 "$TMP_BIN"
mv -f "$TMP_BIN" "$BIN"
TMP_BIN=""
log "done: $BIN ($(du -h "$BIN" | cut -f1))"
printf '%s\n' "$BIN" >&3

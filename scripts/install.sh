#!/usr/bin/env bash
# Installs everything armorlab's build and tests need, skipping what is already present.
# Safe to run again and again: each step checks first. Nothing is downloaded from outside
# the package registries (Debian, crates.io, npm).
#
# Usage: scripts/install.sh [web|all]
#   web  — what serving the playground needs (wasm target, trunk, wasm-bindgen, wasm-opt,
#          Debian's apparmor for the bundled include library)
#   all  — everything the tests need (the default)
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

# --- Debian packages -------------------------------------------------------------------
apt_packages=(apparmor)
if [ "$what" = all ]; then
  apt_packages+=(apparmor-profiles apparmor-profiles-extra chromium chromium-driver
                 qemu-system-x86 busybox-static cpio)
fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The kernel tests download Debian's 6.1 cloud kernel with apt-get download; that needs
# package lists that know it.
if [ "$what" = all ] && [ -z "$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' 2>/dev/null)" ]; then
  say "apt-get update (package lists for the test kernel)"
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq; else sudo apt-get update -qq; fi
fi

# --- Rust: the wasm target and the web toolchain --------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# trunk 0.22 needs a newer rustc than this toolchain; 0.21.14 is verified here.
trunk_version=0.21.14
if ! trunk --version 2>/dev/null | grep -q " $trunk_version\$"; then
  say "cargo install trunk $trunk_version (takes several minutes, once)"
  cargo install trunk --version "$trunk_version" --locked
fi

# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock exactly. Its own
# lockfile pins a crate this registry lacks, so it is installed without --locked.
wbg_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " $wbg_version\$"; then
  say "cargo install wasm-bindgen-cli $wbg_version (takes a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$wbg_version"
fi

# --- npm: wasm-opt (binaryen) and Playwright, from the committed lock file -------------
if ! npm ls --depth=0 >/dev/null 2>&1 || [ ! -x node_modules/.bin/wasm-opt ]; then
  say "npm ci"
  npm ci --no-audit --no-fund >/dev/null
fi

# Crates for offline trunk builds.
cargo fetch --locked >/dev/null 2>&1 || cargo fetch --locked

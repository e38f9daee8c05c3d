#!/usr/bin/env bash
# Runs every test of armorlab, installing whatever is missing first, and ends with one
# summary of what ran and what failed. CI runs exactly this (see .ci/run).
#
# Usage: scripts/test.sh [STEP...]
#   With no STEP, every step runs. Steps: fmt clippy native wasm web browser kernel
#   Each step runs even when an earlier one failed (except when the install fails), so
#   one run shows everything that is broken.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

all_steps=(fmt clippy native wasm web browser kernel)
steps=("$@")
[ "${#steps[@]}" -gt 0 ] || steps=("${all_steps[@]}")

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "install (skips what is present)"
if ! scripts/install.sh all; then
  echo "install failed: nothing was tested" >&2
  echo "steps: 0 passed, 1 failed"
  exit 1
fi

server_pid=""
cleanup() { [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT

step_fmt() { cargo fmt --all --check; }
step_clippy() { cargo clippy --workspace --all-targets --locked -- -D warnings; }
step_native() { cargo test --workspace --locked --no-fail-fast; }
step_wasm() {
  # The core's wasm tests run in Debian's headless Chromium through chromedriver.
  WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/wasm/webdriver.json" \
    cargo test -p armorlab-core --locked --target wasm32-unknown-unknown --test wasm
}
step_web() { trunk build --release --offline; }
step_browser() {
  # The browser tests run against the README's serve command itself, so that a broken
  # serve command fails the tests.
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  scripts/serve.sh "$port" >/tmp/armorlab-serve.log 2>&1 &
  server_pid=$!
  local up=0
  for _ in $(seq 600); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "http://127.0.0.1:$port/" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.5
  done
  if [ "$up" -ne 1 ]; then
    echo "scripts/serve.sh did not come up on port $port; its log:"
    tail -n 40 /tmp/armorlab-serve.log
    return 1
  fi
  local rc=0
  ARMORLAB_URL="http://127.0.0.1:$port" npx playwright test --config tests/browser/playwright.config.mjs || rc=$?
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  return $rc
}
step_kernel() { bash tests/kernel/run.sh; }

declare -a results=()
passed=0
failed=0
for s in "${steps[@]}"; do
  if ! declare -F "step_$s" >/dev/null; then
    echo "unknown step \`$s\` (steps: ${all_steps[*]})" >&2
    exit 2
  fi
  say "$s"
  start=$(date +%s)
  if "step_$s"; then
    results+=("PASS  $s  ($(( $(date +%s) - start ))s)")
    passed=$((passed + 1))
  else
    results+=("FAIL  $s  ($(( $(date +%s) - start ))s)")
    failed=$((failed + 1))
  fi
done

say "summary"
printf '  %s\n' "${results[@]}"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

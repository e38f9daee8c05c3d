#!/usr/bin/env bash
# Prints armorlab's speed and size figures against their targets. Benchmarks never fail a
# build: they print numbers for people to read.
#
#   core: parse+resolve, glob compilation and matching, compile+decide (cargo bench)
#   web:  first-load size, navigation to first verdicts, keystroke to refreshed verdicts
#
# Usage: scripts/bench.sh [core|web]...
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
parts=("$@")
[ "${#parts[@]}" -gt 0 ] || parts=(core web)
for part in "${parts[@]}"; do
  case "$part" in
    core)
      cargo bench -p armorlab-core --locked
      ;;
    web)
      scripts/install.sh all
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
      scripts/serve.sh "$port" >/tmp/armorlab-bench-serve.log 2>&1 &
      pid=$!
      trap 'kill $pid 2>/dev/null || true' EXIT
      for _ in $(seq 600); do
        python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
        sleep 0.5
      done
      ARMORLAB_URL="http://127.0.0.1:$port" node tests/browser/bench.mjs
      ;;
    *) echo "unknown part \`$part\` (core, web)" >&2; exit 2 ;;
  esac
done

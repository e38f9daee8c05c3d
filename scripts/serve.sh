#!/usr/bin/env bash
# Builds the playground and serves it on http://127.0.0.1:8080 (docker-default loaded),
# installing whatever is missing first. Ctrl-C stops it.
#
# Usage: scripts/serve.sh [PORT]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
port="${1:-8080}"
scripts/install.sh web
trunk build --release --offline
echo "armorlab playground: http://127.0.0.1:$port/"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory dist

# Sourced by the scripts: puts the project's tools first on PATH.
# npm's binaryen must win over any older wasm-opt (Debian's 108 cannot read
# wasm-bindgen 0.2.130 output).
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$repo_root/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true

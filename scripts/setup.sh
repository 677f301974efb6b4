#!/usr/bin/env bash
# Prepares a fresh machine (Rust stable, Node 20, Python 3, gcc) to build and test Baton.
# Idempotent: every step checks before it installs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"

log "rust: wasm32v1-none target, rust-src, rustfmt and clippy"
installed_targets="$(rustup target list --installed)"
grep -qx wasm32v1-none <<<"$installed_targets" || rustup target add wasm32v1-none
for component in rust-src rustfmt clippy; do
	rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

log "system packages: protobuf-compiler (libp2p's protocol definitions), curl (the demo's client)"
missing=()
command -v protoc >/dev/null || missing+=(protobuf-compiler)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
	apt_install "${missing[@]}"
fi

log "npm packages (polkadot.js, zombienet, TypeScript for the @baton/client SDK)"
stamp=node_modules/.baton-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
	npm ci --no-audit --no-fund
	touch "$stamp"
fi

log "@baton/client (sdk/js): TypeScript to ESM and declarations, about 8 s; the dashboard's bundle"
npm run --silent build --workspace @baton/client
npm run --silent build --workspace @baton/dashboard

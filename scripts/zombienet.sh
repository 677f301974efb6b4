#!/usr/bin/env bash
# Runs a zombienet test (native provider) against the built baton-node:
#   scripts/zombienet.sh [zombienet/local-4.zndsl]   assertions, then the network stops
#   scripts/zombienet.sh spawn                          keep the 4-validator network running
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"

work="$(mktemp -d -t baton-zombienet.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# A raw spec cannot be customized by zombienet: the network is exactly the `local` preset.
"$BATON_NODE" build-spec --chain local --raw --disable-default-bootnode 2>/dev/null >"$work/local-raw.json"
export BATON_CHAIN_SPEC="$work/local-raw.json"

zombienet=(npx --no-install zombienet --provider native --dir "$work/network")
if [ "${1:-}" = spawn ]; then
	exec "${zombienet[@]}" spawn zombienet/local-4.toml
fi
"${zombienet[@]}" test "${1:-zombienet/local-4.zndsl}"

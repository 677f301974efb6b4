#!/usr/bin/env bash
# Runs a zombienet test (native provider) against the built baton-node:
#   scripts/zombienet.sh [zombienet/failover.zndsl]   nodes killed under requests, then the
#                                                      network stops
#   scripts/zombienet.sh spawn                          keep a 4-validator network running
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"

work="$(mktemp -d -t baton-zombienet.XXXXXX)"
# A failed run keeps the nodes' logs, for whoever reads CI's output.
keep_logs_on_failure() {
	local status=$?
	if { [ "$status" -ne 0 ] || [ -n "${BATON_KEEP_LOGS:-}" ]; } && [ -d "$work/network" ]; then
		echo "zombienet: the nodes' logs are kept in $work/network" >&2
	else
		rm -rf "$work"
	fi
	return "$status"
}
trap keep_logs_on_failure EXIT
# A raw spec cannot be customized by zombienet: the network is exactly the `local` preset.
"$BATON_NODE" build-spec --chain local --raw --disable-default-bootnode 2>/dev/null >"$work/local-raw.json"
export BATON_CHAIN_SPEC="$work/local-raw.json"

# The same validators with the development preset's short periods, so that a test sees
# heartbeats, deferred slashes and unbonding within minutes.
"$BATON_NODE" build-spec --chain local --disable-default-bootnode 2>/dev/null >"$work/local-fast.json"
python3 - "$work/local-fast.json" <<'PY'
import json, sys
path = sys.argv[1]
spec = json.load(open(path))
patch = spec["genesis"]["runtimeGenesis"]["patch"]
patch["operatorStaking"]["params"].update(
    {"minBond": 100 * 10**12, "unbondingPeriod": 30, "heartbeatInterval": 10, "stakePerSlot": 10 * 10**12}
)
patch["slashing"]["params"]["slashDeferral"] = 5
# The test's upstream runs on this machine, at 127.0.0.2.
patch["gateway"] = {"privateBaseUrlsAllowed": True}
json.dump(spec, open(path, "w"))
PY
"$BATON_NODE" build-spec --chain "$work/local-fast.json" --raw --disable-default-bootnode 2>/dev/null \
	>"$work/local-fast-raw.json"
export BATON_FAST_CHAIN_SPEC="$work/local-fast-raw.json"

zombienet=(npx --no-install zombienet --provider native --dir "$work/network")
if [ "${1:-}" = spawn ]; then
	exec "${zombienet[@]}" spawn zombienet/local-4.toml
fi
"${zombienet[@]}" test "${1:-zombienet/failover.zndsl}"

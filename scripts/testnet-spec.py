#!/usr/bin/env python3
"""Makes the raw chain spec of a public Baton network from the runtime's `testnet` preset: no
development key anywhere, the testnet's periods (a day to unbond, an hour for the council to
cancel a slash), loopback and private API URLs refused. What only the network's founders know
comes from a JSON file:

    {
      "name": "Baton Testnet", "id": "baton_testnet",
      "validators": [{"aura": "<sr25519 SS58>", "grandpa": "<ed25519 SS58>"}],
      "council": ["<SS58>"],
      "balances": [["<SS58>", 1000000000000000000]],
      "bootNodes": ["/dns/boot.example/tcp/30333/p2p/12D3KooW..."]
    }

    scripts/testnet-spec.py network.json > baton-testnet-raw.json

The node is $BATON_NODE, else the release build in $CARGO_TARGET_DIR (or ~/.cache/baton-target).
Every node of the network starts with `--chain baton-testnet-raw.json` (docs/deploy.md).
"""
import json
import os
import subprocess
import sys
import tempfile


def fail(message):
    sys.exit(f"testnet-spec: {message}")


def node_binary():
    if os.environ.get("BATON_NODE"):
        return os.environ["BATON_NODE"]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/baton-target"))
    return os.path.join(target, "release", "baton-node")


def build_spec(*args):
    command = [node_binary(), "build-spec", "--disable-default-bootnode", *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"{' '.join(command)} failed:\n{done.stderr}")
    return done.stdout


def main():
    if len(sys.argv) != 2:
        fail("usage: scripts/testnet-spec.py network.json > raw-spec.json")
    network = json.load(open(sys.argv[1]))
    validators = network.get("validators") or fail("name at least one validator")
    for validator in validators:
        if not validator.get("aura") or not validator.get("grandpa"):
            fail(f"a validator needs an aura (sr25519) and a grandpa (ed25519) key: {validator}")
    council = network.get("council") or fail("name at least one council member")
    balances = network.get("balances", [])
    if not all(isinstance(amount, int) and amount > 0 for _, amount in balances):
        fail("balances are [address, planck] pairs with a positive whole amount")

    spec = json.loads(build_spec("--chain", "testnet"))
    spec["name"] = network.get("name", spec["name"])
    spec["id"] = network.get("id", spec["id"])
    spec["bootNodes"] = network.get("bootNodes", [])
    patch = spec["genesis"]["runtimeGenesis"]["patch"]
    patch["aura"] = {"authorities": [v["aura"] for v in validators]}
    patch["grandpa"] = {"authorities": [[v["grandpa"], 1] for v in validators]}
    patch["council"] = {"members": council}
    patch["balances"] = {"balances": balances}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as plain:
        json.dump(spec, plain)
        plain.flush()
        # The node checks every key and address as it builds the genesis state.
        sys.stdout.write(build_spec("--chain", plain.name, "--raw"))


if __name__ == "__main__":
    main()

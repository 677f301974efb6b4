#!/usr/bin/env python3
"""Fails when Cargo.lock holds a polkadot-sdk crate at a version other than the
one the stable2609 umbrella crate pins (../shared/stable2609-versions.toml), or
holds one crate at two versions: two releases must never be mixed."""
import pathlib
import re
import sys
import tomllib

root = pathlib.Path(__file__).resolve().parent.parent
pins_path = root.parent / "shared" / "stable2609-versions.toml"
if len(sys.argv) > 1:
    pins_path = pathlib.Path(sys.argv[1])
if not pins_path.exists():
    print(f"skip: {pins_path} not found")
    sys.exit(0)
pins = tomllib.loads(pins_path.read_text())["polkadot-sdk-stable2609"]
lock = tomllib.loads((root / "Cargo.lock").read_text())

bad = []
for pkg in lock["package"]:
    want = pins.get(pkg["name"])
    if want is not None and pkg["version"] != want:
        bad.append(f'{pkg["name"]} {pkg["version"]} (stable2609 pins {want})')
for line in bad:
    print("mismatch:", line)
print(f"checked {sum(p['name'] in pins for p in lock['package'])} polkadot-sdk crates, {len(bad)} mismatched")
sys.exit(1 if bad else 0)

# Shared by the scripts: where the build lives and where the node binary is.
# One target directory outside the clone, so that every clone and CI run builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/baton-target}"
export BATON_NODE="${BATON_NODE:-$CARGO_TARGET_DIR/release/baton-node}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

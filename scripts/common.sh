# Shared by the scripts: where the build lives and where the node binary is.
# One target directory outside the clone, so that every clone and CI run builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/baton-target}"
export BATON_NODE="${BATON_NODE:-$CARGO_TARGET_DIR/release/baton-node}"
# Clippy compiles Baton's own crates (cargo's workspace wrapper; dependencies are compiled by
# rustc as ever) in every build and test build, warnings denied: a `cargo clippy` of its own
# would check every dependency once more, half an hour on a fresh machine. Every script sets
# the same, so that switching between them rebuilds nothing. `CLIPPY_ARGS` is how `cargo
# clippy` hands its `-- -D warnings` to clippy-driver.
export RUSTC_WORKSPACE_WRAPPER="${RUSTC_WORKSPACE_WRAPPER-$(command -v clippy-driver)}"
export CLIPPY_ARGS="${CLIPPY_ARGS--D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

# Each line with the time of day, so that a CI log tells how long each stage took.
log() { printf '\033[1m==> %s %s\033[0m\n' "$(date +%T)" "$*"; }

# Installs Debian packages (as root, or through sudo), once: callers check what is missing.
apt_install() {
	local sudo_cmd=()
	[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
	"${sudo_cmd[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "$@"
}

# Prints the path of program `path` (e.g. usr/bin/promtool) of Debian package `package`,
# unpacked once into ~/.cache/baton-tools rather than installed: a tool, not the package's
# service.
deb_tool() {
	local package=$1 path=$2 dir="$HOME/.cache/baton-tools/$1"
	if [ ! -x "$dir/$path" ]; then
		mkdir -p "$dir"
		(cd "$dir" && { apt-get download -qq "$package" 2>/dev/null ||
			{ apt-get update -qq && apt-get download -qq "$package"; }; } &&
			dpkg-deb -x "$package"_*.deb . && rm "$package"_*.deb)
	fi
	echo "$dir/$path"
}

#!/usr/bin/env bash
# Installs the pinned nats-server and `nats` CLI (scripts/nats-versions.env) with `go install`, into
# the folder given as first argument, else $LIAISON_TOOLS, else ~/.cache/liaison/tools: <tools>/nats-server/<version>/nats-server and
# <tools>/natscli/<version>/nats, with <tools>/bin/{nats-server,nats} pointing at them. Does nothing
# for a binary already there; Go's build and module caches are reused, so a rebuild is quick.
# Prints the two paths on its last lines (nats-server first). Needs Go 1.24 or later.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=nats-versions.env
. "$here/nats-versions.env"
tools="${1:-${LIAISON_TOOLS:-$HOME/.cache/liaison/tools}}"

server_dir="$tools/nats-server/$NATS_SERVER_VERSION"
cli_dir="$tools/natscli/$NATS_CLI_VERSION"

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    echo "install-nats: Go is needed to build nats-server $NATS_SERVER_VERSION (go install)." >&2
    echo "install-nats: install Go 1.24 or later (https://go.dev/doc/install), then run: bash scripts/install-nats.sh" >&2
    exit 1
  fi
}

build() { # module@version, target dir, binary name
  local module="$1" dir="$2" bin="$3"
  if [ -x "$dir/$bin" ]; then return 0; fi
  need_go
  echo "install-nats: building $module (go install; a minute or two the first time)" >&2
  mkdir -p "$dir.tmp"
  GOBIN="$dir.tmp" GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0 go install "$module"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
}

build "github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION" "$server_dir" nats-server
build "github.com/nats-io/natscli/nats@$NATS_CLI_VERSION" "$cli_dir" nats

got="$("$server_dir/nats-server" --version)"
case "$got" in
  *"$NATS_SERVER_VERSION"*) ;;
  *) echo "install-nats: $server_dir/nats-server reports '$got', not $NATS_SERVER_VERSION" >&2; exit 1 ;;
esac
mkdir -p "$tools/bin"
ln -sfn "$server_dir/nats-server" "$tools/bin/nats-server"
ln -sfn "$cli_dir/nats" "$tools/bin/nats"
echo "$server_dir/nats-server"
echo "$cli_dir/nats"

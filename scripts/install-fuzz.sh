#!/usr/bin/env bash
# Installs the pinned schemathesis (scripts/fuzz-versions.env) from PyPI into its own virtualenv under
# the folder given as first argument, else $LIAISON_TOOLS, else ~/.cache/liaison/tools, and links
# <tools>/bin/schemathesis. Does nothing when that version is there. Needs Python 3.9 or later with venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=fuzz-versions.env
. "$here/fuzz-versions.env"
tools="${1:-${LIAISON_TOOLS:-$HOME/.cache/liaison/tools}}"
dir="$tools/schemathesis/$SCHEMATHESIS_VERSION"
if [ ! -x "$dir/bin/schemathesis" ]; then
  py="$(command -v python3 || true)"
  if [ -z "$py" ]; then
    echo "install-fuzz: python3 (with venv) is needed for schemathesis $SCHEMATHESIS_VERSION" >&2
    exit 1
  fi
  echo "install-fuzz: installing schemathesis $SCHEMATHESIS_VERSION from PyPI" >&2
  rm -rf "$dir.tmp"
  "$py" -m venv "$dir.tmp"
  "$dir.tmp/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
  # A venv's scripts name their interpreter by absolute path: re-point them after the move.
  sed -i "1s|^#!.*python.*$|#!$dir/bin/python|" "$dir"/bin/schemathesis "$dir"/bin/st 2>/dev/null || true
fi
mkdir -p "$tools/bin"
ln -sfn "$dir/bin/schemathesis" "$tools/bin/schemathesis"
"$tools/bin/schemathesis" --version
echo "$tools/bin/schemathesis"

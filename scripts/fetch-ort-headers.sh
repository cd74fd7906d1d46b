#!/usr/bin/env bash
# Prints the folder holding ONNX Runtime's C/C++ headers (onnxruntime_cxx_api.h), fetching them first when needed:
# $ORT_INCLUDE_DIR when set (machines that already have headers, or without Debian's apt), else this package's
# cache folder .cache/ort-headers/include, filled from Debian's libonnxruntime-dev (trixie suite). The cache lies
# outside build/, which cmake-js wipes on a full rebuild. Only headers are unpacked; the library itself comes from
# the npm package onnxruntime-node. The bookworm archive lacks the package, so apt reads a private trixie source
# list and never touches the system's. Messages go to stderr; stdout is the folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
header=onnxruntime_cxx_api.h
if [ -n "${ORT_INCLUDE_DIR:-}" ]; then
  [ -f "$ORT_INCLUDE_DIR/$header" ] || { echo "onnx-textclf: ORT_INCLUDE_DIR=$ORT_INCLUDE_DIR has no $header" >&2; exit 1; }
  echo "$ORT_INCLUDE_DIR"
  exit 0
fi
cache="$root/.cache/ort-headers"
if [ -f "$cache/include/$header" ]; then
  echo "$cache/include"
  exit 0
fi

fail() {
  echo "onnx-textclf: could not fetch ONNX Runtime's headers from Debian's libonnxruntime-dev ($1)." >&2
  echo "  Set ORT_INCLUDE_DIR to a folder holding $header (e.g. include/ of the onnxruntime-linux-x64-1.30.0" >&2
  echo "  release archive) and install again: ORT_INCLUDE_DIR=/path/to/include npm install ..." >&2
  exit 1
}
command -v apt-get >/dev/null && command -v dpkg >/dev/null || fail "apt-get and dpkg are needed: Debian or Ubuntu"
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || fail "no Debian archive keyring; on Ubuntu: apt-get install debian-archive-keyring"
work="$cache/apt"
rm -rf "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/sources" "$cache/include"
cat > "$work/sources/trixie.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/sources"
      -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Architecture=amd64"
      -o "APT::Sandbox::User=root" -q)
apt-get "${opts[@]}" update >/dev/null 2>&1 || fail "apt-get update of Debian trixie failed"
(cd "$work" && apt-get "${opts[@]}" download libonnxruntime-dev >/dev/null 2>&1) || fail "apt-get download failed"
dpkg -x "$work"/libonnxruntime-dev_*.deb "$work/x"
cp "$work"/x/usr/include/onnxruntime/*.h "$cache/include/"
rm -rf "$work"
echo "ONNX Runtime headers: $(grep -m1 'define ORT_API_VERSION' "$cache/include/onnxruntime_c_api.h")" >&2
echo "$cache/include"

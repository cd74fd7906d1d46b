#!/usr/bin/env bash
# Fetch ONNX Runtime's C/C++ headers from Debian's libonnxruntime-dev (trixie suite) into build/ort/include.
# Only headers are unpacked; the library itself comes from the npm package onnxruntime-node.
# The bookworm archive lacks the package, so apt reads a private trixie source list and never touches the system's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/build/ort"
[ -f "$dest/include/onnxruntime_cxx_api.h" ] && exit 0

work="$dest/apt"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/sources" "$dest/include"
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
apt-get "${opts[@]}" update >/dev/null
(cd "$work" && apt-get "${opts[@]}" download libonnxruntime-dev >/dev/null)
dpkg -x "$work"/libonnxruntime-dev_*.deb "$work/x"
cp "$work"/x/usr/include/onnxruntime/*.h "$dest/include/"
rm -rf "$work"
echo "ONNX Runtime headers: $(grep -m1 'define ORT_API_VERSION' "$dest/include/onnxruntime_c_api.h")"

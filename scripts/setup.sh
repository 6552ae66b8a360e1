#!/usr/bin/env bash
# Installs what onnxcut needs on Debian 12, idempotently: Debian packages that
# are missing (apt-get, as root) and the npm packages pinned in
# package-lock.json (ONNX Runtime for split checks and measured profiles).
# Quiet when everything is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  g++ cmake ninja-build make pkg-config
  libboost-graph-dev libonnx-dev libprotobuf-dev protobuf-compiler
  libfmt-dev libcli11-dev nlohmann-json3-dev libpng-dev libturbojpeg0-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-onnx python3-networkx graphviz librsvg2-bin
  python3-dev pybind11-dev
  clang libclang-rt-14-dev
  iproute2 ethtool
)
command -v node >/dev/null 2>&1 || DEB_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || DEB_PACKAGES+=(npm)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    # node/npm may come from outside Debian (checked above by command).
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install packages (run as root, or install them yourself)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, pinned by the lockfile. The postinstall of onnxruntime-node
# would try to download extra binaries from outside; the CPU binaries ship in
# the npm tarball itself, so the download is skipped.
stamp=node_modules/.onnxcut-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: installing npm packages from package-lock.json"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error >/dev/null
  cp package-lock.json "$stamp"
fi

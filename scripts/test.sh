#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): installs what it needs,
# configures, builds with warnings as errors, and runs every ctest label. Its output ends with
# ctest's summary line. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DIKEMESH_WERROR=ON >/dev/null
cmake --build build -j2
exec ctest --test-dir build --output-on-failure --no-label-summary -j2 --timeout 900

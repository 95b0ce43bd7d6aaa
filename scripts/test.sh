#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): installs what it needs,
# configures, builds with warnings as errors, and runs every ctest label. Its output ends with
# ctest's summary line. `.ci/run` calls exactly this.
#
# Two build trees:
#   build-fuzz  clang with AddressSanitizer and UndefinedBehaviorSanitizer: the unit tests run
#               instrumented there, and the libFuzzer harnesses are built there;
#   build       gcc, the daemon, plugins and every test. Its ctest also runs the unit tests
#               of build-fuzz and the fuzzers, so that one ctest summary covers everything.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

bash scripts/install-deps.sh

echo "== sanitizer and fuzzing build (clang, ASan + UBSan) in build-fuzz"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DIKEMESH_FUZZ=ON -DIKEMESH_SANITIZE=address,undefined -DIKEMESH_WERROR=ON >/dev/null
cmake --build build-fuzz -j2

echo "== main build (gcc) in build"
cmake -S . -B build -G Ninja -DIKEMESH_WERROR=ON \
  -DIKEMESH_SANITIZER_BUILD_DIR="$top/build-fuzz" -DIKEMESH_FUZZ_BUILD_DIR="$top/build-fuzz" >/dev/null
cmake --build build -j2

exec ctest --test-dir build --output-on-failure --no-label-summary -j2 --timeout 1800

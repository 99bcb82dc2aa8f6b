#!/bin/sh
# Real GoPro GPMF read by our reader: the public samples of gopro/gpmf-parser as shipped in the
# npm package gopro-telemetry@1.2.11 (ISC; samples/hero5.raw, hero6.raw, hero6+ble.raw,
# hero7.raw, hero11.raw, Fusion.raw), fetched with `npm pack` into a temporary folder (never
# into the tree) and read by tests/telemetry/test_telemetry_public (fixes, accelerometer and
# gyroscope per sample, gravity on the camera's +Z in the upright ones once ORIN is applied).
#   bench/telemetry/public_samples.sh BUILD_DIR
set -eu
build=${1:?usage: public_samples.sh BUILD_DIR}
bin="$build/bin/test_telemetry_public"
[ -x "$bin" ] || { echo "no $bin: build test_telemetry_public first" >&2; exit 2; }
command -v npm >/dev/null || { echo "npm not found: skipped" >&2; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent gopro-telemetry@1.2.11 >/dev/null && tar xzf gopro-telemetry-1.2.11.tgz)
DC_GPMF_SAMPLES="$tmp/package/samples" "$bin"

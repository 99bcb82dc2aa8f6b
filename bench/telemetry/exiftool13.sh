#!/bin/sh
# The fifth set of layouts against the newest exiftool: exiftool 13.59 from the npm package
# exiftool-vendored.pl@13.59.3 (fetched with `npm pack` into a temporary folder; Debian's 12.57
# knows none of these), `exiftool -j -ee -n` against `dashclaim telemetry` on files our writers
# make (tools/synth-telemetry): LigoGPS's digit cipher (20 s trailer), 70mai A810 with a 3-s
# cold start, Vueroid's tvxt track, GPMF with ORIN and GYRO. Prints fixes and samples each
# reads and, where both read fixes, the largest position and speed differences.
#   bench/telemetry/exiftool13.sh BUILD_DIR
set -eu
build=${1:?usage: exiftool13.sh BUILD_DIR}
for b in synth-video synth-telemetry dashclaim; do
  [ -x "$build/bin/$b" ] || { echo "no $build/bin/$b: build it first" >&2; exit 2; }
done
command -v npm >/dev/null || { echo "npm not found: skipped" >&2; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent exiftool-vendored.pl@13.59.3 >/dev/null &&
  mkdir et && tar xzf exiftool-vendored.pl-13.59.3.tgz -C et)
et="$tmp/et/package/bin/exiftool"
"$build/bin/synth-video" --scene plain --duration 6 --size 64x36 --fps 10 -o "$tmp/base.mp4" \
  >/dev/null 2>&1
for f in ligogps-cipher novatek-a810-cold vueroid gpmf-orin; do
  "$build/bin/synth-telemetry" --format "$f" --in "$tmp/base.mp4" -o "$tmp/$f.mp4" --duration 20
  perl "$et" -j -ee -n -G3 "$tmp/$f.mp4" >"$tmp/$f.et.json" 2>/dev/null || true
  "$build/bin/dashclaim" telemetry "$tmp/$f.mp4" >"$tmp/$f.ours.json"
  python3 - "$f" "$tmp/$f.et.json" "$tmp/$f.ours.json" <<'PY'
import json, sys
name, et_path, ours_path = sys.argv[1:]
try:
    et = json.load(open(et_path))[0]
except Exception:
    et = {}
ours = json.load(open(ours_path))
docs = {}
for k, v in et.items():
    if k.startswith("Doc") and ":" in k:
        d, tag = k.split(":", 1)
        docs.setdefault(int(d[3:]), {})[tag] = v
fixes = [docs[i] for i in sorted(docs) if "GPSLatitude" in docs[i]]
accel = sum(1 for d in docs.values() if "Accelerometer" in d)
valid = [g for g in ours["gps"] if g["valid"]]
line = "%-18s exiftool 13.59: %3d fixes, %3d accelerometer entries | ours: %s/%s %3d fixes (%d valid), %4d samples" % (
    name, len(fixes), accel, ours["source"], ours.get("variant"), len(ours["gps"]), len(valid), len(ours["accel"]))
if fixes and len(fixes) == len(valid):
    ddeg = max(max(abs(e["GPSLatitude"] - o["lat"]), abs(e["GPSLongitude"] - o["lon"])) for e, o in zip(fixes, valid))
    dkmh = max(abs(e.get("GPSSpeed", o["speed_kmh"]) - o["speed_kmh"]) for e, o in zip(fixes, valid))
    line += " | max diff %.1e deg, %.3f km/h" % (ddeg, dkmh)
print(line)
PY
done

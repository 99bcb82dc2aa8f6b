#!/usr/bin/env python3
"""Figures of bench/telemetry/run.sh: localisation and severity with and without telemetry,
and the cost of reading telemetry on the 20-min claim (with exiftool as the peer)."""
import json
import shutil
import subprocess
import sys
import time

out, bin_dir = sys.argv[1], sys.argv[2]


def record(path):
    with open(path) as f:
        return json.load(f)


def peak(r):
    return r["windows"][0]["peak_sec"] if r.get("windows") else None


rows = [line.split() for line in open(f"{out}/incidents.txt")]
for label, suffix in (("without telemetry", ""), ("with GPMF telemetry", "-gpmf")):
    n = near = none = high = 0
    errs = []
    for i, at in rows:
        r = record(f"{out}/c{i}{suffix}.json")
        p = peak(r)
        n += 1
        if p is not None:
            errs.append(abs(p - float(at)))
            near += abs(p - float(at)) <= 0.1
        none += r["severity"] == "NONE"
        high += r["severity"] == "HIGH"
    errs.sort()
    med = errs[len(errs) // 2] if errs else float("nan")
    print(f"(a) {label}: {n} no-sound collisions; peak within 0.1 s of the incident {near}/{n} "
          f"({100 * near / n:.0f} %), median error {med:.2f} s; HIGH {high}, NONE {none}")


def timed(cmd, repeat=3):
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        dt = time.perf_counter() - t0
        best = dt if best is None or dt < best else best
    return best


long_tm = f"{out}/long-gpmf.mp4"
claim_tm = timed([f"{bin_dir}/dashclaim", "assess", "-q", "--compact", long_tm], 1)
claim_plain = timed([f"{bin_dir}/dashclaim", "assess", "-q", "--compact", f"{out}/long.mp4"], 1)
read = timed([f"{bin_dir}/dashclaim", "telemetry", long_tm])
# the read inside the claim: it is counted in the probe stage (beside the probe)
probe = {}
for name in ("long", "long-gpmf"):
    res = subprocess.run([f"{bin_dir}/dashclaim", "assess", "-q", "--compact", f"{out}/{name}.mp4"],
                         capture_output=True, text=True).stdout
    probe[name] = json.loads(res)["timings_ms"]
tm = json.loads(subprocess.run([f"{bin_dir}/dashclaim", "telemetry", long_tm],
                               capture_output=True, text=True).stdout)
print(f"(b) 20-min claim (no sound, 256x144, GPMF {len(tm['gps'])} fixes, {len(tm['accel'])} "
      f"samples): claim {claim_tm:.2f} s with telemetry, {claim_plain:.2f} s without; "
      f"dashclaim telemetry alone {read:.3f} s = {100 * read / claim_tm:.2f} % of the claim")
inside = probe["long-gpmf"]["probe"] - probe["long"]["probe"]
print(f"    inside the claim: probe stage {probe['long-gpmf']['probe']:.0f} ms with telemetry, "
      f"{probe['long']['probe']:.0f} ms without: {inside:.0f} ms = "
      f"{100 * inside / probe['long-gpmf']['total']:.1f} % of that claim's "
      f"{probe['long-gpmf']['total'] / 1000:.1f} s")
if shutil.which("exiftool"):
    ex = timed(["exiftool", "-ee", "-n", "-j", long_tm], 1)
    res = subprocess.run(["exiftool", "-ee", "-n", "-j", "-G3", long_tm], capture_output=True,
                         text=True).stdout
    doc = json.loads(res)[0] if res.strip().startswith("[") else {}
    lat = sum(1 for k in doc if k.endswith(":GPSLatitude"))
    acc = sum(len(str(v).split()) // 3 for k, v in doc.items() if k.endswith(":Accelerometer"))
    print(f"    peer exiftool -ee -n on the same file: {ex:.2f} s, GPSLatitude entries {lat}, "
          f"accelerometer triples {acc}")

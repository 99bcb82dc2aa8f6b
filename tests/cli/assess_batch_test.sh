#!/bin/bash
# dashclaim assess --batch N: the same records as one claim at a time (greedy decoding), in the
# order of the command line, and bench --batch the same, each saying how many claims shared its steps (engine.batch), a
# file that is not a video recorded in its turn. A real tiny synth-model; about 30 s.
set -euo pipefail
BIN=$1
DIR=$2
rm -rf "$DIR" && mkdir -p "$DIR" && cd "$DIR"
"$BIN/synth-model" --preset tiny --seed 1 -o model >/dev/null 2>&1
for s in collision near-miss normal; do
    "$BIN/synth-video" --scene "$s" --duration 6 --size 256x144 --fps 10 -o "$s.mp4" >/dev/null 2>&1
done
echo 'not a video' >broken.mp4
M=(--model model/model.gguf --mmproj model/mmproj.gguf --threads 1 --visual-tokens 64 --frames 4 -q)
files=(collision.mp4 broken.mp4 near-miss.mp4 normal.mp4)
"$BIN/dashclaim" assess "${M[@]}" "${files[@]}" -o alone.ndjson
"$BIN/dashclaim" assess "${M[@]}" --batch 3 "${files[@]}" -o batch.ndjson
python3 - <<'PY'
import json
alone = [json.loads(l) for l in open("alone.ndjson")]
batch = [json.loads(l) for l in open("batch.ndjson")]
assert [r["claim_id"] for r in batch] == ["collision.mp4", "broken.mp4", "near-miss.mp4", "normal.mp4"], \
    [r["claim_id"] for r in batch]
shared = 0
for a, b in zip(alone, batch):
    for key in ("status", "severity", "scenario", "reasoning", "evidence", "fault", "fraud"):
        assert a.get(key) == b.get(key), (a["claim_id"], key, a.get(key), b.get(key))
    if a["status"] != "failed":
        assert a["engine"]["batch"] == 1, a["engine"]
        shared += b["engine"]["batch"] > 1
assert batch[1]["status"] == "failed" and batch[1]["error"]["class"] == "input"
assert shared >= 2, "the claims did not share the model's steps"
print("assess --batch: %d claims, the same records as alone, %d shared steps" % (len(batch), shared))
PY
# bench --batch: every video in the report, the VLM's claims sharing steps
"$BIN/dashclaim" bench . --output bench.json "${M[@]}" --batch 3
python3 - <<'PY'
import json
report = json.load(open("bench.json"))
videos = {v["path"].split("/")[-1]: v for v in report["videos"]}
assert sorted(videos) == ["broken.mp4", "collision.mp4", "near-miss.mp4", "normal.mp4"], sorted(videos)
assert videos["broken.mp4"]["status"] == "failed"
shared = sum(v["assessment"]["engine"]["batch"] > 1 for v in videos.values())
assert shared >= 2, "bench --batch: the claims did not share the model's steps"
print("bench --batch: %d videos, %d shared steps" % (len(videos), shared))
PY

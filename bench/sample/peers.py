#!/usr/bin/python3
"""bench/sample peers and table.

Reads bench-sample's output (targets + dashclaim/floor results), measures the peers on the
same targets in the same run, and prints the table with ratios:
  (b) the Python prototype's path: cv2.VideoCapture + set(CAP_PROP_POS_FRAMES) + read() per
      frame, BGR->RGB, PIL JPEG quality 75 into a temp dir, then every JPEG opened again and
      resized (bicubic) to the model size (840x476), as its VLM preprocessing did;
  (c) the ffmpeg CLI with one input-side -ss per frame, scaled to 840x476 RGB into a pipe;
  plus the ffmpeg CLI's `-skip_frame nokey -f null -` pass as the peer of the thumbnail pass.
Usage: peers.py VIDEO BENCH_SAMPLE_OUTPUT [--skip-prototype] [--skip-ffmpeg]
"""
import os
import subprocess
import sys
import tempfile
import time

MODEL_W, MODEL_H = 840, 476


def parse(path):
    targets, results, video = {}, {}, ""
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "video":
                video = " ".join(parts[1:])
            elif parts[0] == "targets":
                targets[parts[1]] = [float(x) for x in parts[2].split(",")]
            elif parts[0] == "result":
                results[(parts[1], parts[2])] = (float(parts[3]), int(parts[4]))
    return video, targets, results


def prototype_path(video, targets):
    import cv2
    import numpy as np
    from PIL import Image

    t0 = time.monotonic()
    cap = cv2.VideoCapture(video)
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    with tempfile.TemporaryDirectory(prefix="dc-bench-proto-") as tmp:
        paths = []
        for i, t in enumerate(targets):
            cap.set(cv2.CAP_PROP_POS_FRAMES, int(round(t * fps)))
            ok, bgr = cap.read()
            if not ok:
                continue
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            p = os.path.join(tmp, "frame_%04d.jpg" % i)
            Image.fromarray(rgb).save(p, quality=75)
            paths.append(p)
        for p in paths:
            with Image.open(p) as im:
                frames.append(np.asarray(im.convert("RGB").resize((MODEL_W, MODEL_H),
                                                                  Image.BICUBIC)))
    cap.release()
    return time.monotonic() - t0, len(frames)


def ffmpeg_per_frame(video, targets, keyframe):
    t0 = time.monotonic()
    got = 0
    for t in targets:
        cmd = ["ffmpeg", "-nostdin", "-v", "error"]
        if keyframe:
            cmd += ["-noaccurate_seek"]
        cmd += ["-ss", "%.6f" % t, "-i", video, "-frames:v", "1", "-vf",
                "scale=%d:%d:flags=bicubic" % (MODEL_W, MODEL_H), "-f", "rawvideo",
                "-pix_fmt", "rgb24", "-"]
        out = subprocess.run(cmd, stdout=subprocess.PIPE, check=False).stdout
        got += len(out) == MODEL_W * MODEL_H * 3
    return time.monotonic() - t0, got


def ffmpeg_keyframe_pass(video):
    t0 = time.monotonic()
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-skip_frame", "nokey", "-i", video,
                    "-an", "-f", "null", "-"], check=False)
    return time.monotonic() - t0


def fmt(x):
    return "%.3f" % x if x is not None else "-"


def ratio(a, b):
    return "%.2fx" % (a / b) if a and b else "-"


def main():
    video, out = sys.argv[1], sys.argv[2]
    skip_proto = "--skip-prototype" in sys.argv
    skip_ffmpeg = "--skip-ffmpeg" in sys.argv
    info, targets, res = parse(out)
    rows = []
    proto = {}
    for w in ["W1", "W2", "W3", "W3K"]:
        if w not in targets:
            continue
        a, n = res[(w, "dashclaim")]
        d1 = res[(w, "floor-1thread")][0]
        dn = res[(w, "floor-threads")][0]
        b = c = None
        if not skip_proto:
            # The prototype has no keyframe mode: W3K's peer is its W3 path (same targets),
            # measured once and shared.
            if w == "W3K" and "W3" in proto:
                b = proto["W3"]
            else:
                b, _ = prototype_path(video, targets[w])
            proto[w] = b
        if not skip_ffmpeg:
            c, _ = ffmpeg_per_frame(video, targets[w], w == "W3K")
        rows.append((w, n, a, d1, dn, b, c))
    print("bench/sample on %s (%s)" % (os.path.basename(video), info))
    print("frames ready for the model: RGB 840x476 in memory; seconds, lower is better")
    # The floor is the faster of its two decoder set-ups: the target is <= 1.2x of that.
    head = ("workload", "frames", "dashclaim", "floor 1t", "floor Nt", "a/floor",
            "prototype", "proto/a", "ffmpeg-cli", "ffmpeg/a")
    print("%-8s %6s %10s %9s %9s %10s %10s %8s %10s %9s" % head)
    for w, n, a, d1, dn, b, c in rows:
        print("%-8s %6d %10s %9s %9s %10s %10s %8s %10s %9s" % (
            w, n, fmt(a), fmt(d1), fmt(dn), ratio(a, min(d1, dn)), fmt(b), ratio(b, a), fmt(c),
            ratio(c, a)))
    if ("THUMBS", "dashclaim") in res:
        t, count = res[("THUMBS", "dashclaim")]
        peer = None if skip_ffmpeg else ffmpeg_keyframe_pass(video)
        print("keyframe thumbnail pass (160x90 gray, whole file): dashclaim %s s for %d "
              "keyframes; ffmpeg -skip_frame nokey -f null: %s s (%s)" % (
                  fmt(t), count, fmt(peer), ratio(peer, t)))


if __name__ == "__main__":
    main()

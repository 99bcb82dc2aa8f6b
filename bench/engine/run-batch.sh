#!/usr/bin/env bash
# bench/engine: the batch table. dashclaim's batched engine (dc_vlm_batch) at batch 1, 2, 4, 8
# against llama-server --parallel N and llama-batched-bench, all from the same cached llama.cpp
# source, on the qwen2.5-vl-3b preset (see README.md in this folder).
#   bench/engine/run-batch.sh [BUILD_DIR]
# DC_BENCH_BATCH_PRESET (default qwen2.5-vl-3b), DC_BENCH_BATCHES (default 1,2,4,8),
# DC_BENCH_ANSWER_TOKENS (default 320), DC_BENCH_THREADS (default nproc).
# llama-server and llama-batched-bench are built once into their own cache dir (about 10 minutes
# of 2 cores; ccache makes a rebuild quick).
set -euo pipefail
build=${1:-build}
bin=$build/bin
commit=80fb11ac73e66d89eae2c6a91d8a77428fa733ed
cache=${DASHCLAIM_DEPS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dashclaim}
src=$cache/src/llama.cpp-$commit
tools_dir=$cache/bench-server-$commit
server=$tools_dir/build/bin/llama-server
bbench=$tools_dir/build/bin/llama-batched-bench
out=bench/out/engine-batch
mkdir -p "$out"
for tool in bench-batch synth-model synth-video; do
  [[ -x $bin/$tool ]] || { echo "bench/engine: $bin/$tool missing (build first)" >&2; exit 1; }
done
if [[ ! -x $server || ! -x $bbench ]]; then
  [[ -d $src ]] || { echo "bench/engine: llama.cpp source $src missing (run scripts/deps)" >&2; exit 1; }
  echo "bench/engine: building llama-server and llama-batched-bench into $tools_dir (once)" >&2
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  nice cmake -S "$src" -B "$tools_dir/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON \
    -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_MTMD=ON -DLLAMA_BUILD_APP=OFF \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF \
    -DGGML_NATIVE=ON -DGGML_OPENMP=ON "${launcher[@]}" >"$tools_dir.log" 2>&1
  nice cmake --build "$tools_dir/build" --target llama-server llama-batched-bench -j "$(nproc)" >>"$tools_dir.log" 2>&1
fi
clip=$out/clip720.mp4
[[ -f $clip ]] || nice "$bin/synth-video" --duration 10 --size 1280x720 -o "$clip" >/dev/null 2>&1
preset=${DC_BENCH_BATCH_PRESET:-qwen2.5-vl-3b}
m=$out/$preset
[[ -f $m/mmproj.gguf ]] || nice "$bin/synth-model" --preset "$preset" -o "$m"
echo "bench/engine: load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
nice "$bin/bench-batch" --model "$m/model.gguf" --mmproj "$m/mmproj.gguf" --video "$clip" \
  --server "$server" --batched-bench "$bbench" --threads "${DC_BENCH_THREADS:-$(nproc)}" \
  --batches "${DC_BENCH_BATCHES:-1,2,4,8}" --answer-tokens "${DC_BENCH_ANSWER_TOKENS:-320}" \
  --out "$out/run-$preset"
echo "bench/engine: load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

#!/usr/bin/env bash
# bench/engine: the batch table. dashclaim's batched engine (dc_vlm_batch) at batch 1, 2, 4, 8
# against llama-server --parallel N and llama-batched-bench, built from the llama.cpp commit
# the library is built from (scripts/deps' LLAMA_COMMIT), on the qwen2.5-vl-3b preset (see
# README.md in this folder).
#   bench/engine/run-batch.sh [BUILD_DIR]
# DC_BENCH_BATCH_PRESET (default qwen2.5-vl-3b), DC_BENCH_BATCHES (default 1,2,4,8),
# DC_BENCH_CLAIMS (dashclaim's claims per batch size; default 4,2,4,8: the batch-1 row runs
# each window alone), DC_BENCH_SERVER_CLAIMS (default: the batch size), DC_BENCH_WINDOWS
# (default 4), DC_BENCH_FRAMES (frames per claim, default 1), DC_BENCH_SAME_EXTRA (claims at
# the widest batch for the same-answers count only, default 8), DC_BENCH_ANSWER_TOKENS
# (default 0: a typical claim's canonical answer), DC_BENCH_THREADS (default nproc),
# DC_BENCH_OUT (default /var/tmp/$USER-bench-batch).
# llama-server and llama-batched-bench are built once into their own cache dir (about 10 minutes
# of 2 cores; ccache makes a rebuild quick).
set -euo pipefail
build=${1:-build}
bin=$build/bin
commit=$(sed -n 's/^LLAMA_COMMIT=//p' scripts/deps)
[[ $commit =~ ^[0-9a-f]{40}$ ]] || { echo "bench/engine: no LLAMA_COMMIT in scripts/deps" >&2; exit 1; }
cache=${DASHCLAIM_DEPS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dashclaim}
src=$cache/src/llama.cpp-$commit
tools_dir=$cache/bench-server-$commit
server=$tools_dir/build/bin/llama-server
bbench=$tools_dir/build/bin/llama-batched-bench
out=${DC_BENCH_OUT:-/var/tmp/${USER:-$(id -un)}-bench-batch}
mkdir -p "$out"
for tool in bench-batch synth-model synth-video; do
  [[ -x $bin/$tool ]] || { echo "bench/engine: $bin/$tool missing (build first)" >&2; exit 1; }
done
# the library dashclaim links must come from the same commit as the tools
prefix=$(cat "$build/.llama-prefix" 2>/dev/null || sed -n 's/^DC_LLAMA_PREFIX:[A-Z]*=//p' "$build/CMakeCache.txt")
lib_commit=$(sed -n 's/^commit=//p' "$prefix/dashclaim-build.txt" 2>/dev/null || true)
[[ -z $lib_commit || $lib_commit == "$commit" ]] \
  || { echo "bench/engine: $build links llama.cpp $lib_commit, the tools would be $commit" >&2; exit 1; }
if [[ ! -x $server || ! -x $bbench ]]; then
  [[ -d $src ]] || { echo "bench/engine: llama.cpp source $src missing (run scripts/deps)" >&2; exit 1; }
  echo "bench/engine: building llama-server and llama-batched-bench into $tools_dir (once)" >&2
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # the library's options (scripts/deps) plus the server, common and tools
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
echo "bench/engine: llama.cpp $commit; $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
start=$(date +%s)
"$bin/bench-batch" --model "$m/model.gguf" --mmproj "$m/mmproj.gguf" --video "$clip" \
  --server "$server" --batched-bench "$bbench" --threads "${DC_BENCH_THREADS:-$(nproc)}" \
  --batches "${DC_BENCH_BATCHES:-1,2,4,8}" --claims "${DC_BENCH_CLAIMS:-4,2,4,8}" \
  ${DC_BENCH_SERVER_CLAIMS:+--server-claims "$DC_BENCH_SERVER_CLAIMS"} \
  --windows "${DC_BENCH_WINDOWS:-4}" --max-frames "${DC_BENCH_FRAMES:-1}" \
  --same-extra "${DC_BENCH_SAME_EXTRA:-8}" --answer-tokens "${DC_BENCH_ANSWER_TOKENS:-0}" \
  --out "$out/run-$preset"
echo "bench/engine: load after: $(cut -d' ' -f1-3 /proc/loadavg); $(( $(date +%s) - start )) s" >&2

#!/usr/bin/env bash
# bench/engine: dashclaim's VLM claim vs llama-mtmd-cli on the tiny and qwen2.5-vl-3b presets.
#   bench/engine/run.sh [BUILD_DIR]      DC_BENCH_ENGINE_PRESETS="tiny" to skip the 3B preset
# Any synth-model preset of any family may be named (qwen3-vl-tiny, cosmos-reason2-2b,
# qwen2.5-omni-tiny, ...): the CLI gets the same words, frames and, for Qwen2.5-Omni, sound. A
# reasoning family runs with --think-tokens 0 (the CLI cannot stop a thinking model at a
# budget and then switch to the grammar), so both do the same work.
# llama-mtmd-cli is built once from the same cached llama.cpp source into its own cache dir.
set -euo pipefail
build=${1:-build}
bin=$build/bin
commit=80fb11ac73e66d89eae2c6a91d8a77428fa733ed
cache=${DASHCLAIM_DEPS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dashclaim}
src=$cache/src/llama.cpp-$commit
cli_dir=$cache/bench-mtmd-cli-$commit
cli=$cli_dir/build/bin/llama-mtmd-cli
out=bench/out/engine
mkdir -p "$out"
for tool in bench-engine synth-model synth-video; do
  [[ -x $bin/$tool ]] || { echo "bench/engine: $bin/$tool missing (build first)" >&2; exit 1; }
done
if [[ ! -x $cli ]]; then
  [[ -d $src ]] || { echo "bench/engine: llama.cpp source $src missing (run scripts/deps)" >&2; exit 1; }
  echo "bench/engine: building llama-mtmd-cli into $cli_dir (once)" >&2
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  nice cmake -S "$src" -B "$cli_dir/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
    -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_MTMD=ON -DLLAMA_BUILD_APP=OFF \
    -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DGGML_NATIVE=ON -DGGML_OPENMP=ON "${launcher[@]}" \
    >"$cli_dir.log" 2>&1
  nice cmake --build "$cli_dir/build" --target llama-mtmd-cli -j "$(nproc)" >>"$cli_dir.log" 2>&1
fi
clip=$out/clip720.mp4
[[ -f $clip ]] || nice "$bin/synth-video" --duration 10 --size 1280x720 -o "$clip" >/dev/null 2>&1
threads=${DC_BENCH_THREADS:-$(nproc)}
for preset in ${DC_BENCH_ENGINE_PRESETS:-tiny qwen2.5-vl-3b}; do
  m=$out/$preset
  [[ -f $m/mmproj.gguf ]] || nice "$bin/synth-model" --preset "$preset" -o "$m"
  if [[ $preset == tiny || $preset == *-tiny ]]; then
    args=(--visual-tokens 256 --max-frames 4 --new-tokens 64 --runs 3)
  else
    args=(--visual-tokens 128 --max-frames 4 --new-tokens 16 --runs 1)
  fi
  [[ $preset == cosmos-reason2-* ]] && args+=(--think-tokens 0)
  nice "$bin/bench-engine" --label "$preset" --model "$m/model.gguf" --mmproj "$m/mmproj.gguf" \
    --video "$clip" --cli "$cli" --threads "$threads" --out "$out/run-$preset" "${args[@]}"
done

// Generation time of the RTL generator (Google Benchmark): parsing a config,
// emitting a 32x32 array in memory (PE + grid + top, no files), and the whole
// `macforge gen` pipeline to a directory (temporary directory, primitives,
// files.f, manifest, rename), for both dataflows.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "gen/array_emit.hpp"
#include "gen/config.hpp"
#include "gen/generate.hpp"
#include "gen/pe_emit.hpp"

using namespace macforge::gen;

namespace {

std::string config_text(int dim, const char* fmt, const char* dataflow) {
  return std::string("name: bench_") + std::to_string(dim) + "\npe: {a: " + fmt +
         ", lanes: 8, pipeline: 1}\narray: {rows: " + std::to_string(dim) + ", cols: " + std::to_string(dim) +
         ", dataflow: " + dataflow + "}\n";
}

const char* dataflow_of(int64_t ws) { return ws ? "weight-stationary" : "output-stationary"; }

void BM_ParseConfig(benchmark::State& state) {
  std::string text = config_text(32, "mxint8", "output-stationary");
  for (auto _ : state) benchmark::DoNotOptimize(parse_config(text, "bench.yaml"));
}
BENCHMARK(BM_ParseConfig);

// The Verilog text of a dim x dim array, in memory.
void BM_EmitArray(benchmark::State& state) {
  int dim = int(state.range(0));
  ArrayConfig cfg = parse_config(config_text(dim, "mxint8", dataflow_of(state.range(1))), "bench.yaml");
  PeInfo pe = pe_info(pe_spec(cfg));
  Fp32Mul mul;
  mul.module = "mf_fp32_mul";
  size_t bytes = 0;
  for (auto _ : state) {
    ArrayDesign d = emit_array(cfg, pe, mul);
    bytes = 0;
    for (const auto& f : d.files) bytes += f.text.size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["verilog_bytes"] = double(bytes);
  state.counters["PEs"] = double(dim * dim);
}
BENCHMARK(BM_EmitArray)->Args({32, 0})->Args({32, 1})->Args({8, 0})->Unit(benchmark::kMillisecond);

// The whole pipeline, files included, for a 32x32 array.
void BM_Generate(benchmark::State& state) {
  const char* fmt = state.range(0) ? "mxfp8_e4m3" : "mxint8";
  ArrayConfig cfg = parse_config(config_text(32, fmt, dataflow_of(state.range(1))), "bench.yaml");
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "macforge_bench_gen";
  std::filesystem::remove_all(dir);
  for (auto _ : state) benchmark::DoNotOptimize(generate(cfg, dir.string()));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Generate)
    ->ArgNames({"fp8", "ws"})
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({1, 0})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

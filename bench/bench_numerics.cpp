// Throughput of the numerics reference on one core:
//   BM_Quantize/<preset>   values/s quantizing 1M Gaussian values (1024 x 1024)
//   BM_Gemm/<preset>       MAC/s of the exact-block gemm(), 64 x 64 x 4096
//   BM_DotF32              MAC/s of a plain float32 dot-product loop, same shape
// Run: bench_numerics --benchmark_min_time=0.2
//
// quantize() returns fresh 4 MB code and value arrays every call. With glibc's
// defaults those are mmap'ed and returned to the kernel on free, so a third of
// a 1M-value quantize goes to page faults; an application that quantizes
// repeatedly recycles its memory. --fresh-pages keeps glibc's defaults (the
// cost of first touching new memory is then part of every iteration); by
// default the heap keeps freed memory, which measures the quantizer itself.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstring>

#include <string>
#include <vector>

#include "numerics/dot.hpp"
#include "numerics/metrics.hpp"
#include "numerics/quantize.hpp"

using namespace macforge;

namespace {

constexpr size_t kQRows = 1024, kQCols = 1024;          // 1M values
constexpr size_t kM = 64, kN = 64, kK = 4096;           // 16.8M MACs

const std::vector<float>& gaussian(size_t n, uint64_t seed) {
  static std::vector<std::vector<float>> cache(4);
  std::vector<float>& v = cache[seed % 4];
  if (v.size() != n) v = draw(Distribution{}, n, seed);
  return v;
}

void BM_Quantize(benchmark::State& state, const std::string& preset) {
  BlockFormat fmt = parse_block_format(preset);
  const std::vector<float>& x = gaussian(kQRows * kQCols, 1);
  for (auto _ : state) {
    QMatrix q = quantize(fmt, fmt.default_rule, x.data(), kQRows, kQCols);
    benchmark::DoNotOptimize(q.codes.data());
    benchmark::DoNotOptimize(q.dequant.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(kQRows * kQCols));
}

void BM_Gemm(benchmark::State& state, const std::string& preset) {
  BlockFormat fmt = parse_block_format(preset);
  QMatrix A = quantize(fmt, fmt.default_rule, gaussian(kM * kK, 2).data(), kM, kK);
  QMatrix B = quantize(fmt, fmt.default_rule, gaussian(kN * kK, 3).data(), kN, kK);
  AccumSpec acc;
  for (auto _ : state) {
    std::vector<float> C = gemm(A, B, acc);
    benchmark::DoNotOptimize(C.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(kM * kN * kK));
}

void BM_DotF32(benchmark::State& state) {
  const std::vector<float>& a = gaussian(kM * kK, 2);
  std::vector<float> b = gaussian(kN * kK, 3);
  std::vector<float> C(kM * kN);
  for (auto _ : state) {
    for (size_t m = 0; m < kM; ++m)
      for (size_t n = 0; n < kN; ++n) {
        const float* pa = &a[m * kK];
        const float* pb = &b[n * kK];
        float s = 0.0f;
        for (size_t k = 0; k < kK; ++k) s += pa[k] * pb[k];
        C[m * kN + n] = s;
      }
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(kM * kN * kK));
}

int register_all() {
  for (const std::string& p : block_preset_names())
    benchmark::RegisterBenchmark(("BM_Quantize/" + p).c_str(), BM_Quantize, p)->Unit(benchmark::kMillisecond);
  for (const char* p : {"mxfp8_e4m3", "mxint8", "mxfp4_e2m1", "nvfp4"})
    benchmark::RegisterBenchmark((std::string("BM_Gemm/") + p).c_str(), BM_Gemm, std::string(p))
        ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_DotF32", BM_DotF32)->Unit(benchmark::kMillisecond);
  return 0;
}
const int kRegistered = register_all();

}  // namespace

int main(int argc, char** argv) {
  bool fresh = false;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--fresh-pages") == 0) fresh = true;
    else argv[out++] = argv[i];
  }
  argc = out;
  if (!fresh) {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
  }
  benchmark::AddCustomContext("allocator", fresh ? "glibc defaults (fresh pages)" : "heap keeps freed memory");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

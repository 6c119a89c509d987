// libFuzzer harness: the layer CSV reader (sim/workload.cpp). Bad text must
// throw FormatError; every accepted layer has positive sizes and count.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "numerics/elem_format.hpp"
#include "sim/workload.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    for (const macforge::sim::Gemm& g : macforge::sim::parse_layers(text, "fuzz.csv"))
      if (g.M <= 0 || g.N <= 0 || g.K <= 0 || g.count <= 0) {
        std::fprintf(stderr, "accepted a layer with a non-positive size: %s %lld %lld %lld x%lld\n",
                     g.name.c_str(), (long long)g.M, (long long)g.N, (long long)g.K, (long long)g.count);
        std::abort();
      }
  } catch (const macforge::FormatError&) {
  }
  try {
    (void)macforge::sim::parse_gemm(text);
  } catch (const macforge::FormatError&) {
  }
  return 0;
}

#include "sim/data.hpp"

#include <cstring>

#include "numerics/metrics.hpp"

namespace macforge::sim {

Operands make_operands(const ArraySpec& arr, const Gemm& g, uint64_t seed) {
  Distribution da;
  da.kind = Distribution::Laplace;
  da.outlier_p = 0.005;
  da.outlier_mag = 16.0;
  Distribution db;  // Gaussian
  std::vector<float> a = draw(da, size_t(g.M * g.K), seed * 2 + 1);
  std::vector<float> b = draw(db, size_t(g.N * g.K), seed * 2 + 2);
  for (float& x : b) x *= 0.05f;
  Operands o;
  o.A = quantize(arr.a, arr.a.default_rule, a.data(), size_t(g.M), size_t(g.K));
  o.B = quantize(arr.b, arr.b.default_rule, b.data(), size_t(g.N), size_t(g.K));
  return o;
}

uint64_t hash_floats(const std::vector<float>& v) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (float f : v) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    for (int i = 0; i < 4; ++i) {
      h ^= (u >> (8 * i)) & 0xFF;
      h *= 0x100000001b3ull;
    }
  }
  return h;
}

}  // namespace macforge::sim

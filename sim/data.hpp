// Operand data for functional runs and co-simulation: seeded float32 draws
// with realistic distributions, quantized by each operand's own quantizer
// (its format's default rule, FORMATS.md section 4).
//   A (activations): Laplace, scale 1, with 0.5% outliers x 16 (heavy tails).
//   B (weights):     Gaussian, std 0.05.
#pragma once

#include <cstdint>

#include "numerics/quantize.hpp"
#include "sim/arch.hpp"
#include "sim/workload.hpp"

namespace macforge::sim {

struct Operands {
  QMatrix A;  // M x K
  QMatrix B;  // N x K
};

Operands make_operands(const ArraySpec& arr, const Gemm& g, uint64_t seed);

// FNV-1a 64 of the float32 bit patterns (a compact fingerprint of C).
uint64_t hash_floats(const std::vector<float>& v);

}  // namespace macforge::sim

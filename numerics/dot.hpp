// Dot products and GEMM on quantized operands, FORMATS.md section 5.
//
// C[m][n] = sum_k A[m][k] * B[n][k]: both operands are stored row-major with
// their blocks along K, so B is given as N x K (weights, one row per output
// channel). This is the oracle the generated RTL is checked against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "numerics/fused_accum.hpp"
#include "numerics/quantize.hpp"

namespace macforge {

enum class AccumMode {
  ExactBlock,  // FORMATS.md default: exact block sums, one float32 RNE per block
  Aligned,     // per chunk of lanes products: aligned to the largest, floored to W bits
  Fused,       // tensor-core fused multi-term steps (numerics/fused_accum.hpp)
};

struct AccumSpec {
  AccumMode mode = AccumMode::ExactBlock;
  int width = 0;  // Aligned: W, bits kept below (and including) the largest product's MSB
  // Products summed per adder-tree pass: the group length when neither operand
  // has block scales, and the chunk each aligned:W alignment spans
  // (docs/accumulation.md).
  int lanes = 1;
  FusedSpec fused;     // Fused: the datapath's parameters (lanes is not used)
  std::string preset;  // Fused: the preset name it came from, or empty
  std::string name() const;  // "exact-block", "aligned:24", "hopper-fp8", "fused:g=32,..."
};
// exact-block | aligned:W | a fused preset (fused_presets()) | fused:KEY=V,...
AccumSpec parse_accum(const std::string& s);  // throws FormatError

// Length of the groups of K that are summed exactly before one float32
// rounding: the common block length (the smaller block when one divides the
// other), the one operand's block when only one is block-scaled, else lanes.
// Throws FormatError when the two block lengths do not nest. Fused: the step
// length G (the block lengths only need to hold whole scale groups).
size_t accum_group(const QMatrix& A, const QMatrix& B, const AccumSpec& acc);

// One output element.
float dot(const QMatrix& A, size_t m, const QMatrix& B, size_t n, const AccumSpec& acc);

// All of C, M x N row-major. A.cols must equal B.cols.
std::vector<float> gemm(const QMatrix& A, const QMatrix& B, const AccumSpec& acc);

// Rounds acc + sig * 2^exp (exact) to float32, ties to even: the single
// rounding of the block accumulator. acc must be finite.
float add_round_f32(float acc, __int128 sig, int exp);

}  // namespace macforge

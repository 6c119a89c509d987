// Quantization (float32 -> block format) and dequantization, FORMATS.md
// section 4. A matrix is row-major, rows x cols, with blocks running along the
// columns (the GEMM reduction dimension K). A 1-D stream is one row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "numerics/block_format.hpp"

namespace macforge {

struct QMatrix {
  BlockFormat fmt;
  Rule rule = Rule::Cast;
  size_t rows = 0, cols = 0;
  std::vector<uint32_t> codes;        // rows * cols element codes
  std::vector<uint32_t> scale_codes;  // Block: rows * blocks_per_row() codes
  std::vector<float> chan_scale;      // FP32 scales: rows (Channel) or 1 (Tensor)
  float tensor_amax = 0.0f;           // NV two-level: max |x| of the tensor
  float tensor_gd = 1.0f;             // NV two-level: decode scale gD
  std::vector<float> dequant;         // rows * cols dequantized values (filled by quantize)

  size_t blocks_per_row() const;
  size_t block_len() const;  // elements per block (cols when not block-scaled)
  uint32_t code(size_t r, size_t c) const { return codes[r * cols + c]; }
  uint32_t scale_code(size_t r, size_t blk) const { return scale_codes[r * blocks_per_row() + blk]; }
  float channel_scale(size_t r) const;  // 1 unless FP32-scaled
};

// Quantizes x (rows x cols) with the rule given (check_rule is applied).
// Fills codes, scales and dequant.
QMatrix quantize(const BlockFormat& fmt, Rule rule, const float* x, size_t rows, size_t cols);

// The value one stored element contributes, as float32-exact double:
// element value x block scale (x tensor gD / channel scale), NaN for NaN scales.
std::vector<float> dequantize(const QMatrix& q);

// Value of a scale code as a double: e8m0 2^(c-127) (NaN for 0xFF), ue4m3 the
// fp8_e4m3 value.
double scale_value(ScaleKind kind, uint32_t code);

// float32 helpers shared by the quantizers and the dot product.
uint32_t f32_bits(float f);
float f32_from_bits(uint32_t b);
// Exact floor(log2(|x|)) of a finite nonzero float32, subnormals included.
int f32_floor_log2(float x);
// Exact ceil(log2(|x|)) of a finite positive float32.
int f32_ceil_log2(float x);

}  // namespace macforge

// One QSNR measurement: draw data, optionally rotate, quantize, compare.
// Shared by `macforge qsnr`, the main job's table and the sweeps.
#pragma once

#include <cstddef>
#include <cstdint>

#include "numerics/block_format.hpp"
#include "numerics/metrics.hpp"

namespace macforge {

struct QsnrSetup {
  Distribution dist;
  size_t n = 1 << 16;
  uint64_t seed = 1;
  bool rotate = false;
  size_t rotate_block = 32;  // 16 or 32
};

struct QsnrResult {
  double qsnr_db = 0.0;
  double crest_mean = 0.0;          // of the data as drawn, over the format's block (32 if none)
  double crest_mean_quantized = 0;  // of the data actually quantized (after rotation)
};

QsnrResult measure_qsnr(const BlockFormat& fmt, Rule rule, const QsnrSetup& setup);

}  // namespace macforge

// The error an accumulation mode costs: relative GEMM error versus K against
// the exact result of the same quantized operands (issue #12 item 4,
// docs/accumulation.md "The error it costs"). Sweep-independent: `macforge
// accum-study` reads the study file and writes the report around this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "numerics/block_format.hpp"
#include "numerics/dot.hpp"
#include "numerics/metrics.hpp"
#include "numerics/quantize.hpp"

namespace macforge {

struct AccumStudyMode {
  std::string label;   // column / legend name
  AccumSpec acc;
  BlockFormat format;  // both operands are quantized to it
  Rule rule = Rule::Absmax;
};

struct AccumStudyData {
  std::string label;
  Distribution dist;
};

struct AccumStudySpec {
  std::string name = "accumulation";
  size_t M = 16, N = 16;
  std::vector<size_t> K;
  int seeds = 4;       // GEMMs per (data, K); seeds seed .. seed+seeds-1
  uint64_t seed = 1;
  std::vector<AccumStudyMode> modes;
  std::vector<AccumStudyData> data;
};

struct AccumStudyCell {
  size_t mode = 0, data = 0, K = 0;
  double rel_err = 0;      // mean over seeds of ||C - E||_F / ||E||_F
  double rel_err_max = 0;  // largest of those over seeds
  double quant_err = 0;    // mean ||E - X||_F / ||X||_F: fp8 quantization itself (X = float64 GEMM of the data)
};

// Cells in the order data, K, mode. Throws FormatError for modes a format
// does not support (what dot()/fused_dot() reject).
std::vector<AccumStudyCell> run_accum_study(const AccumStudySpec& spec);

// Exact C[m][n] of the quantized operands (block scales and element values as
// exact integers summed in wide integer arithmetic), rounded once to double,
// then times the tensor/channel scales in double: within ~2^-52 relative of
// the real value, 2^28 below float32's unit roundoff. NaN when any scale or
// element is NaN/Inf.
double exact_dot(const QMatrix& A, size_t m, const QMatrix& B, size_t n);
std::vector<double> exact_gemm(const QMatrix& A, const QMatrix& B);

// ||C - E||_F / ||E||_F (0 when both are zero).
double rel_fro_error(const std::vector<float>& C, const std::vector<double>& E);

}  // namespace macforge

// The behavioural array's tile arithmetic: C tiles exactly as numerics gemm()
// computes them (FORMATS.md section 5, exact-block), but fast.
//
// numerics gemm() is the oracle and stays the fallback. This kernel only takes
// the cases where plain double arithmetic is provably exact: every element is
// a fixed-point integer (code tables, as numerics' OperandTable), a group's
// sum of products times the two block-scale significands stays below 2^53, so
// it is an exact double; the block value is that integer times a power of
// two; and `acc + value` is computed in double with TwoSum: when the double
// sum is exact, converting it to float is the single RNE rounding the
// reference performs, otherwise the reference's add_round_f32() is called.
// Tiles that hold a NaN/Inf element or a NaN scale, aligned:W accumulation,
// and format pairs too wide for doubles (e.g. bf16, fp16, fp8_e5m2 x
// fp8_e5m2) go to numerics gemm(). tests/sim: bit-exact against gemm().
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "numerics/dot.hpp"
#include "numerics/quantize.hpp"

namespace macforge::sim {

class TileGemm {
 public:
  TileGemm(const QMatrix& A, const QMatrix& B, const AccumSpec& acc);
  // Whether the fast kernel applies to this operand pair at all.
  bool fast() const { return fast_; }
  // C[m][n] for m in [m0, m1), n in [n0, n1) into C (row-major, ldc columns).
  void compute(size_t m0, size_t m1, size_t n0, size_t n1, float* C, size_t ldc);
  // Tiles computed by the kernel and by the numerics fallback (statistics).
  uint64_t fast_tiles = 0, reference_tiles = 0;

 private:
  struct Operand {
    const QMatrix* q = nullptr;
    int lsb = 0;                      // exponent of one unit of the fixed-point value
    std::vector<double> fixed;        // per code
    std::vector<uint8_t> special;     // per code: NaN or Inf
    std::vector<double> scale_sig;    // per (row, block): block-scale significand (1 without)
    std::vector<int> scale_exp;       // per (row, block)
    std::vector<double> scale_val;    // per (row, block): sig * 2^(exp + lsb), exact
    std::vector<uint8_t> row_special; // per row: a NaN/Inf element or a NaN scale
    size_t blocks = 1, blen = 0;
  };
  bool prepare(Operand& o, const QMatrix& q);
  void reference_tile(size_t m0, size_t m1, size_t n0, size_t n1, float* C, size_t ldc);

  const QMatrix& A_;
  const QMatrix& B_;
  AccumSpec acc_;
  size_t G_ = 1;
  bool fast_ = false;
  Operand a_, b_;
  // Decoded tile rows, kept for the tiles that share them (bounded memory):
  // A row-major (rows padded to a multiple of 4), B in panels of 4 columns, k-major.
  const std::vector<double>& decoded(bool a, size_t r0, size_t r1);
  std::unordered_map<uint64_t, std::vector<double>> cache_;
  size_t cache_bytes_ = 0;
};

}  // namespace macforge::sim

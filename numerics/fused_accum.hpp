// Fused multi-term accumulation: the tensor-core datapath of NVIDIA Hopper and
// Blackwell as the published bit-accurate models describe it (MMA-Sim, Xie et
// al., arXiv 2511.10909; Khattak & Mikaitis, arXiv 2512.07004), with its
// parameters named after the hardware. docs/accumulation.md defines the mode
// and lists the presets with their sources.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "numerics/quantize.hpp"

namespace macforge {

enum class Rounding { RZ, RNE };

struct FusedSpec {
  // G: products (elements of K) per fused step, one MMA instruction's K.
  int terms = 32;
  // The running accumulator is one of the step's terms (aligned and truncated
  // with the products); otherwise the step's sum is added to it afterwards
  // with one rounding to the accumulator format.
  bool acc_in_step = true;
  // F: bits kept after the binary point of the step's largest exponent.
  int frac_bits = 13;
  Rounding align_round = Rounding::RZ;
  // Accumulator format between steps: float32's exponent range (subnormals
  // included) with this many mantissa bits (23 = float32, 13 = e8m13).
  int acc_mbits = 13;
  Rounding acc_round = Rounding::RZ;
  // P: every P elements of K the partial result is added to a separate float32
  // accumulator (RNE) and restarts from +0; 0 = no promotion.
  int promote = 0;
  // Scale groups (MXF4/NVF4 datapath): 0 = every product is a term of the
  // step, its exponent raised by its blocks' scale exponents (MXF8F6F4, e8m0);
  // Q > 0 = every Q consecutive products are summed exactly, multiplied by
  // their two block scales and enter the step as ONE term whose alignment
  // exponent is the sum of the two scale exponents (MMA-Sim's
  // nv_fused_dot_add_with_block_scale, Q = 16).
  int group = 0;

  // Throws FormatError naming the field out of range.
  void check() const;
  // "fused:g=32,f=13,align=rz,acc=e8m13,accround=rz,accin=1,p=0,q=0"
  std::string describe() const;
};

// Parses the body after "fused:" (comma-separated key=value, keys as in
// describe(); unspecified keys keep the defaults above). Throws FormatError.
FusedSpec parse_fused(const std::string& body);

struct FusedPreset {
  const char* name;
  const char* source;  // one line: where the parameters come from
  FusedSpec spec;
};
const std::vector<FusedPreset>& fused_presets();
// nullptr when name is not a preset.
const FusedPreset* find_fused_preset(const std::string& name);

// One output of the fused mode: C = sum_k A[m][k] * B[n][k]. Tensor / channel
// scales are applied last, as in exact-block. Throws FormatError for element
// formats the mode does not define (integers) or block sizes that do not fit G.
float fused_dot(const QMatrix& A, size_t m, const QMatrix& B, size_t n, const FusedSpec& f);
std::vector<float> fused_gemm(const QMatrix& A, const QMatrix& B, const FusedSpec& f);

// Rounds sig * 2^exp (exact) to a float32-range value with `mbits` mantissa
// bits (subnormal quantum 2^(-126-mbits)), RZ or RNE; beyond the range +-Inf;
// a result that rounds to zero is +0.
float round_acc(__int128 sig, int exp, int mbits, Rounding r);

// float32 -> bfloat16 bits, RNE (NaN stays a quiet NaN with its sign).
uint16_t f32_to_bf16_rne(float f);

// A GEMM in the tensorcore text format (shared/ref/tensorcore/README.md):
// `#` comment lines, `a FMT`, `b FMT`, `out f32|bf16`, `M`, `N`, `K`,
// optional `use_fast_accum 0|1`, then `A` and M lines of K codes (hex, two
// digits for 8-bit codes, no spaces), `B` and N such lines (B is N x K), and
// optionally `D` and M lines of N output words one space apart (8 hex digits
// f32, 4 bf16).
// D = A x B^T.
struct TensorcoreGemm {
  std::string a_name, b_name;  // as written (e4m3, e5m2, or any element format name)
  bool out_bf16 = false;
  int fast_accum = -1;  // -1 when the line is absent
  size_t M = 0, N = 0, K = 0;
  QMatrix A, B;
  std::vector<uint32_t> D;  // M*N output words, empty when the file has no D
};
// Throws FormatError "PATH:LINE: problem" for malformed files.
TensorcoreGemm read_tensorcore(const std::string& path);
TensorcoreGemm parse_tensorcore(const std::string& text, const std::string& path);
// The output words of C (M x N row-major), float32 or bfloat16 bits.
std::vector<uint32_t> output_words(const std::vector<float>& C, bool bf16);
// The `D` body: M lines of N hex words (8 or 4 digits, lower case), one space apart.
std::string format_words(const std::vector<uint32_t>& D, size_t M, size_t N, bool bf16);

}  // namespace macforge

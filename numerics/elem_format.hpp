// Element formats: the per-element number formats of FORMATS.md section 1.
//
// One small traits struct (ElemFormat) describes every format; the presets are
// one table row each in elem_format.cpp (kElemPresets), in the spirit of
// ml_dtypes' float8.h. Any ExMy or intN the user names is parsed into the same
// struct, so nothing else in the code base special-cases a format by name.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace macforge {

enum class ElemKind { Int, Float };

// How an FP format spends its all-ones exponent field.
enum class Special {
  Finite,   // every code is a finite number (fp6, fp4, user ExMy by default)
  NanOnly,  // OCP E4M3FN: only S.1111.111 is NaN, no Inf
  Ieee,     // IEEE 754: exponent all ones is Inf (m == 0) or NaN (m != 0)
};

struct ElemFormat {
  std::string name;
  ElemKind kind = ElemKind::Float;
  int bits = 0;    // total width of a code
  int ebits = 0;   // FP: exponent field width
  int mbits = 0;   // FP: mantissa field width
  int bias = 0;    // FP: exponent bias
  Special special = Special::Finite;
  bool int_full_range = false;  // Int: allow -2^(N-1)

  bool is_int() const { return kind == ElemKind::Int; }
  bool is_float() const { return kind == ElemKind::Float; }
  uint32_t num_codes() const { return bits >= 32 ? 0u : (1u << bits); }
  uint32_t code_mask() const { return bits >= 32 ? 0xFFFFFFFFu : ((1u << bits) - 1u); }

  // Largest finite value (Int: the integer max 2^(N-1)-1).
  double max_finite() const;
  // Smallest positive normal / subnormal (Int: 1).
  double min_normal() const;
  double min_subnormal() const;
  // floor(log2(max_finite)): FORMATS.md's emax_elem for FP elements.
  int emax() const;
  // Unbiased exponent of the smallest normal, 1 - bias.
  int emin() const { return 1 - bias; }
  // Smallest integer code value (Int): -(2^(N-1)-1) or -2^(N-1).
  int64_t int_min() const;
  int64_t int_max() const { return (int64_t{1} << (bits - 1)) - 1; }

  bool is_nan(uint32_t code) const;
  bool is_inf(uint32_t code) const;
  // A code the quantizer may emit? (symmetric intN never emits -2^(N-1)).
  bool is_valid_code(uint32_t code) const;

  // Exact value of a code as a double (Int: the integer q). NaN/Inf as such.
  double decode(uint32_t code) const;

  // Round x (exact double) to the nearest code, ties to even, saturating finite
  // values beyond max to +-max. NaN -> the NaN code (Finite formats and Int:
  // returns code 0; callers handle NaN blocks before reaching elements).
  // Int: x is in integer units; -0 gives code 0 (no negative zero).
  uint32_t encode(double x) const;

  // Value of the code for the nearest grid point as an exact (sig, exp) pair:
  // value = sig * 2^exp with sig a signed integer; used by the exact dot
  // product. Int: (q, 0). Not valid for NaN/Inf codes.
  void to_sig_exp(uint32_t code, int64_t& sig, int& exp) const;
};

// Parses a format name: a preset (fp8_e4m3, fp8_e5m2, fp6_e2m3, fp6_e3m2,
// fp4_e2m1, bf16, fp16, fp32, ue4m3), intN / intN_full (N = 2..16), or any
// eXmY (X = 1..8, Y = 0..23, total <= 32 bits; finite-only convention), with an
// optional suffix _ieee or _fn (OCP FN NaN convention). Throws FormatError.
ElemFormat parse_elem_format(const std::string& name);

// Names of the element presets, for help texts and error messages.
std::vector<std::string> elem_preset_names();

// A descriptive error of the form "unknown element format 'x' (valid: ...)".
struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace macforge

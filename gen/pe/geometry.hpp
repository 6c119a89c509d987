// The geometry of one PE: per-operand constants and every datapath width,
// computed once from the spec with exact bounds (cpp_int), so each part
// emitter (gen/pe/*.cpp) makes its wires as narrow as the arithmetic allows and
// nothing overflows. Also where the `pipeline` register stages sit.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "gen/pe/verilog_text.hpp"
#include "gen/pe_spec.hpp"

namespace macforge::gen::pe {

struct Operand {
  std::string name;       // format name, for messages
  bool is_int = false;
  int bits = 0, ebits = 0, mbits = 0;
  Special special = Special::Finite;
  int sig_bits = 0;       // FP: M+1 (unsigned, implicit bit included); INT: N (two's complement)
  int exp_bits = 0;       // offset exponent max(e,1)-1: its width, 0 when it is always 0
  int exp_field_max = 0;  // its largest value over all codes
  int exp_fin_max = 0;    // ... over the finite codes
  BigInt sig_max;         // largest |significand|
  int lsb = 0;            // exponent of one significand unit at offset exponent 0
  int pa = 0;             // significand width in the aligned:W definition
  bool nan = false, inf = false;
  ScaleKind scale = ScaleKind::None;  // block scale; None when not block-scaled

  bool scaled() const { return scale != ScaleKind::None; }
  // Bits of the block-scale code the PE reads: a ue4m3 scale has no sign bit
  // (FORMATS.md s2).
  int scale_code_bits() const { return scale == ScaleKind::UE4M3 ? 7 : 8; }
};

// Throws FormatError when the element format has no PE datapath.
Operand make_operand(const BlockFormat& f);

// Pipeline cut points, in the order the `pipeline` stages fill them.
enum class Cut { Norm, Mul, Scale, Tree, Align };
// The cut's description (register stage comments, PeWidths::cuts).
const char* cut_name(Cut c);

struct Geometry {
  PeSpec spec;
  Operand A, B;
  int lanes = 1, group = 1, cpg = 1;
  bool internal = true;
  bool int_only = false;
  bool aligned = false;
  int W = 0, umin = 0;       // aligned: window width, pa + pb - W
  BigInt pmax;               // largest |significand product|
  int psw = 0;               // signed significand product
  int pow = 0;               // lane product port width (after aligned:W static truncation)
  int ptrunc = 0;            // low product bits dropped statically (aligned, W < pa + pb)
  int epw = 0;               // offset exponent of a product (0: none)
  int e_fin_max = 0, e_field_max = 0;
  BigInt leaf_max;           // largest |lane value|
  int lw = 0;                // signed lane value
  int csw = 0;               // signed chunk sum
  int gw = 0;                // signed group sum
  bool ue_a = false, ue_b = false;  // ue4m3 significand multiply per operand
  int spw = 0;               // scale significand product (0: none)
  int ssw = 0, mw = 0;       // signed scaled sum, its magnitude
  int ew = 0;                // exponent width after the group stage
  long long kconst = 0;      // constant part of the biased exponent of the normalized group value
  int nwin = 0;              // significand window of the accumulate adder
  bool has_nan = false, has_inf = false;
  std::vector<Cut> cuts;
  int in_regs = 0;
  int latency = 0;

  bool has(Cut c) const { return std::find(cuts.begin(), cuts.end(), c) != cuts.end(); }
  // A lane can produce NaN (NaN operand, or Inf x 0).
  bool lane_nan() const { return A.nan || B.nan || A.inf || B.inf; }
  // aligned:W with product exponents: the chunk's largest exponent (over the
  // nonzero lanes) sets the window, and travels with the chunk sum.
  bool chunk_emax() const { return aligned && epw > 0; }
  // Width of a lane value entering the adder tree.
  int leaf_width() const { return (!aligned && epw == 0) ? pow : lw; }
};

// Validates the spec (FormatError naming the field) and computes the geometry.
Geometry geometry(const PeSpec& spec);

}  // namespace macforge::gen::pe

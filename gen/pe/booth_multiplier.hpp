// Radix-4 (modified) Booth multipliers written out as logic, and the fused
// multi-lane dot product: every lane's partial products summed by ONE
// compressor tree (compressor_tree.hpp), as an INT dot-product unit does.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "gen/pe/compressor_tree.hpp"

namespace macforge::gen::pe {

// How partial products are formed: Booth4 (booth_multiplier.cpp) or the
// AND array with Baugh-Wooley signs (array_multiplier.hpp).
enum class PpKind { Booth4, Array };

// Adds the partial products of a * b * 2^shift to m (modulo 2^m.width).
// Radix-4 Booth (O. L. MacSorley, "High-speed arithmetic in binary
// computers", Proc. IRE 1961): the narrower operand (in digit count; b on a
// tie) is read three bits at a time, y[2i+1], y[2i], y[2i-1], as a digit
// d_i in {-2,-1,0,1,2} (an unsigned operand is zero-extended by one bit
// first, so it is a nonnegative two's-complement value); row i is d_i * X:
// select X or 2X (one/two), invert when negative and add a 1 in the row's
// lsb column (two's complement negation). Rows are sign-extended without
// extra bits ("sign-extension prevention"): the row's sign bit s is replaced
// by ~s and the constant -2^(row msb) joins the matrix constant, since
// -s*2^k = (1 - s)*2^k - 2^k. Recoding wires start with `prefix`.
void add_booth_products(std::ostream& o, BitMatrix& m, const MulOperand& a, const MulOperand& b, int shift,
                        const std::string& prefix);

// Either kind (dispatch).
void add_products(std::ostream& o, BitMatrix& m, PpKind kind, const MulOperand& a, const MulOperand& b, int shift,
                  const std::string& prefix);

// Emits (into a module body) `wire [width-1:0] out` = a * b modulo 2^width
// (exact and sign-/zero-extended whenever width >= a.width + b.width). Wire
// names start with `prefix`.
void emit_tree_product(std::ostream& o, PpKind kind, const MulOperand& a, const MulOperand& b, int width,
                  const std::string& prefix, const std::string& out, FaStyle style = FaStyle::Add);

// One lane of a fused dot product: a * b * 2^shift.
struct LaneProduct {
  MulOperand a, b;
  int shift = 0;
};
// Emits `wire [width-1:0] out` = sum of the lanes' products modulo 2^width,
// all partial products in one compressor tree.
void emit_fused_dot(std::ostream& o, PpKind kind, const std::vector<LaneProduct>& lanes, int width,
                    const std::string& prefix, const std::string& out, FaStyle style = FaStyle::Add,
                    const std::string& cpa_header = "");

// A standalone combinational module `name` with ports a [na-1:0], b [nb-1:0],
// p [na+nb-1:0]: p = a * b, exact (signed when either operand is signed).
std::string multiplier_module(const std::string& name, PpKind kind, int na, bool sa, int nb, bool sb,
                              FaStyle style = FaStyle::Add);

// A standalone fused dot-product module: ports a [L*na-1:0], b [L*nb-1:0]
// (lane i at [i*n +: n]) and p [width-1:0] = sum_i (a_i * b_i) << shifts[i]
// modulo 2^width, with all lanes in one compressor tree.
std::string fused_dot_module(const std::string& name, PpKind kind, int lanes, int na, bool sa, int nb, bool sb,
                             const std::vector<int>& shifts, int width, FaStyle style = FaStyle::Add);

}  // namespace macforge::gen::pe

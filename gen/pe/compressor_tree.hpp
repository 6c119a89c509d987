// A multi-operand adder written out as gates: a bit matrix (for each weight,
// the 1-bit signals of that weight) reduced by a Dadda tree of explicit full
// and half adders to two rows, then one carry-propagate add. The multipliers
// (booth_multiplier.hpp, array_multiplier.hpp) fill the matrix with partial
// product bits; a fused multi-lane dot product puts every lane into ONE matrix.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace macforge::gen::pe {

// One bit as a Verilog expression. The constants are exactly "1'b0" and
// "1'b1"; the helpers fold them so that the matrix never holds a constant
// (constant ones go into BitMatrix::constant instead).
extern const char* const kZero;
extern const char* const kOne;
bool is_const(const std::string& bit);
std::string bit_not(const std::string& a);
std::string bit_and(const std::string& a, const std::string& b);
std::string bit_or(const std::string& a, const std::string& b);
std::string bit_xor(const std::string& a, const std::string& b);

// An integer operand of a multiplier: bits name[0..width-1] (name must be an
// indexable vector, also for width 1), two's complement when is_signed.
struct MulOperand {
  std::string name;
  int width = 0;
  bool is_signed = false;
  // Bit k of the value sign- or zero-extended to any width (constant 0 above
  // an unsigned operand's top bit).
  std::string bit(int k) const;
};

// sum over w of 2^w * (number of ones among cols[w]) + constant, modulo 2^width.
struct BitMatrix {
  explicit BitMatrix(int width);  // width >= 1
  int width;
  std::vector<std::vector<std::string>> cols;
  std::vector<char> constant;  // its bits, lsb first (width of them): modulo 2^width
  // Adds one bit of weight 2^w (dropped when w >= width: it cannot change the
  // result modulo 2^width; constants are folded into `constant`).
  void add_bit(int w, const std::string& bit);
  // Adds v * 2^w modulo 2^width (v may be negative: the "sign-extension
  // prevention" corrections of signed rows are negative constants).
  void add_constant(int64_t v, int w);
  size_t bit_count() const;
};

struct TreeStats {
  int full_adders = 0, half_adders = 0, stages = 0;
};

// How a full adder with three signal inputs is written.
enum class FaStyle {
  // s = a ^ b ^ c, co = (a & b) | (c & (a ^ b)): plain gates, which the
  // synthesis flow hands to ABC (it maps them to XOR/AOI/OAI cells).
  Gates,
  // {co, s} = a + b + c as a 2-bit add: the same function, which the flow's
  // adder mapping (synth/lib/fa_map.v) turns into one FA_X1 cell. Smaller on
  // the built-in library (signed 8x8 Booth: 285 vs 301 um^2).
  Add,
};

// Emits (into a module body) the reduction of `m` and
//   wire [m.width-1:0] out = row0 + row1;
// Dadda's schedule (L. Dadda, "Some schemes for parallel multipliers", Alta
// Frequenza 1965): stage heights 2, 3, 4, 6, 9, 13, 19, ...; each column gets
// just enough full adders (3 bits -> sum + carry) and at most one half adder
// (2 -> 2) to fit the next height, which uses the fewest half adders of the
// classic trees. Half adder: s = a ^ b, co = a & b. The constant's one bits
// enter the matrix as 1'b1 inputs; an adder with one is written folded
// (a + b + 1: s = ~(a ^ b), co = a | b; a + 1: s = ~a, co = a). The final
// two-row add is a plain `+`: the synthesis flow maps it to its ripple chain
// of FA_X1 cells (synth/lib/fa_map.v). Carries out of the top column are not
// built (the sum is modulo 2^width). Wire names start with `prefix`.
// `cpa_header` is written just before the carry-propagate add (the PE puts a
// section comment there, so that synthesis reports that add as its adder tree).
TreeStats emit_compressor_tree(std::ostream& o, const BitMatrix& m, const std::string& prefix, const std::string& out,
                               FaStyle style = FaStyle::Add, const std::string& cpa_header = "");

}  // namespace macforge::gen::pe

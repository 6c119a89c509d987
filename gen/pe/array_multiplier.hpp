// The `array` multiplier: the classic AND array of partial products, with
// signed operands handled the Baugh-Wooley way (C. R. Baugh, B. A. Wooley,
// "A two's complement parallel array multiplication algorithm", IEEE Trans.
// Computers C-22(12), 1973), generalized to signed x unsigned.
//
// Reduction: the same Dadda tree as booth4 (compressor_tree.hpp), not the
// textbook ripple carry-save rows. The count of full adders is set by the
// number of bits to remove (each full adder removes one), so the area is
// about that of a carry-save array, while the depth is logarithmic; and
// booth4 vs array then differs only in how the partial products are made,
// which is the comparison the `pe.multiplier` choice is about.
#pragma once

#include <ostream>
#include <string>

#include "gen/pe/compressor_tree.hpp"

namespace macforge::gen::pe {

// Adds a * b * 2^shift to m: bit (i, j) is a[i] & b[j] at weight 2^(i+j);
// a bit whose weight is negative (exactly one of a[i], b[j] is the sign bit
// of a signed operand) enters as ~(a[i] & b[j]) with the constant -2^(i+j)
// (since -t = (1 - t) - 1), so the matrix holds no negative bits.
void add_array_products(BitMatrix& m, const MulOperand& a, const MulOperand& b, int shift);

}  // namespace macforge::gen::pe

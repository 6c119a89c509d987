#include "gen/pe/array_multiplier.hpp"

namespace macforge::gen::pe {

void add_array_products(BitMatrix& m, const MulOperand& a, const MulOperand& b, int shift) {
  for (int i = 0; i < a.width; ++i) {
    bool na = a.is_signed && i == a.width - 1;
    for (int j = 0; j < b.width; ++j) {
      bool nb = b.is_signed && j == b.width - 1;
      int w = i + j + shift;
      std::string t = bit_and(a.bit(i), b.bit(j));
      if (na != nb) {
        m.add_bit(w, bit_not(t));
        m.add_constant(-1, w);
      } else {
        m.add_bit(w, t);
      }
    }
  }
}

}  // namespace macforge::gen::pe

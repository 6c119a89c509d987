#include "gen/pe/booth_multiplier.hpp"

#include <sstream>
#include <stdexcept>

#include "gen/pe/array_multiplier.hpp"

namespace macforge::gen::pe {
namespace {

// Booth digits of an operand: its two's-complement width (one more bit when
// unsigned) in groups of two bits.
int booth_digits(const MulOperand& x) { return (x.width + (x.is_signed ? 0 : 1) + 1) / 2; }

// A named wire for a non-constant expression (constants stay literal so the
// matrix can fold them).
std::string net(std::ostream& o, const std::string& name, const std::string& expr) {
  if (is_const(expr)) return expr;
  o << "  wire " << name << " = " << expr << ";\n";
  return name;
}

}  // namespace

void add_booth_products(std::ostream& o, BitMatrix& m, const MulOperand& a_in, const MulOperand& b_in, int shift,
                        const std::string& prefix) {
  if (a_in.width < 1 || b_in.width < 1) throw std::invalid_argument("booth multiplier: operand width < 1");
  // Recode the operand with fewer digits: fewer partial-product rows.
  bool swap = booth_digits(a_in) < booth_digits(b_in);
  const MulOperand& x = swap ? b_in : a_in;  // multiplicand
  const MulOperand& y = swap ? a_in : b_in;  // recoded
  const int n = x.width + (x.is_signed ? 0 : 1);  // x as an n-bit signed value
  const int digits = booth_digits(y);
  for (int i = 0; i < digits; ++i) {
    const int base = shift + 2 * i;
    if (base >= m.width) break;  // rows above the result: no wires (they would be unused)
    const std::string g = prefix + "_g" + std::to_string(i);
    std::string y2 = y.bit(2 * i + 1), y1 = y.bit(2 * i), y0 = y.bit(2 * i - 1);
    // d = -2*y2 + y1 + y0: |d| = 1 when y1 != y0, |d| = 2 for 100 / 011;
    // negative when y2 (111 is -0: an all-ones row plus the 1, i.e. 0).
    std::string one = net(o, g + "_one", bit_xor(y1, y0));
    std::string two = net(o, g + "_two", bit_and(bit_not(one), bit_xor(y2, y1)));
    std::string neg = y2;
    for (int j = 0; j <= n; ++j) {
      if (base + j >= m.width) break;  // above the result: no wire (it would be unused)
      std::string sel = bit_or(bit_and(one, x.bit(j)), bit_and(two, x.bit(j - 1)));
      std::string pp = net(o, g + "_pp" + std::to_string(j), bit_xor(sel, neg));
      if (j < n) {
        m.add_bit(base + j, pp);
      } else {
        // The row's sign bit: -s * 2^k = ~s * 2^k - 2^k.
        m.add_bit(base + j, bit_not(pp));
        m.add_constant(-1, base + j);
      }
    }
    m.add_bit(base, neg);  // completes the two's-complement negation
  }
}

void add_products(std::ostream& o, BitMatrix& m, PpKind kind, const MulOperand& a, const MulOperand& b, int shift,
                  const std::string& prefix) {
  if (kind == PpKind::Booth4)
    add_booth_products(o, m, a, b, shift, prefix);
  else
    add_array_products(m, a, b, shift);
}

void emit_tree_product(std::ostream& o, PpKind kind, const MulOperand& a, const MulOperand& b, int width,
                  const std::string& prefix, const std::string& out, FaStyle style) {
  emit_fused_dot(o, kind, {LaneProduct{a, b, 0}}, width, prefix, out, style);
}

void emit_fused_dot(std::ostream& o, PpKind kind, const std::vector<LaneProduct>& lanes, int width,
                    const std::string& prefix, const std::string& out, FaStyle style, const std::string& cpa_header) {
  BitMatrix m(width);
  for (size_t l = 0; l < lanes.size(); ++l)
    add_products(o, m, kind, lanes[l].a, lanes[l].b, lanes[l].shift,
                 prefix + (lanes.size() > 1 ? "_l" + std::to_string(l) : std::string()));
  emit_compressor_tree(o, m, prefix + "_ct", out, style, cpa_header);
}

std::string multiplier_module(const std::string& name, PpKind kind, int na, bool sa, int nb, bool sb,
                              FaStyle style) {
  std::ostringstream o;
  const int W = na + nb;
  o << "// " << (kind == PpKind::Booth4 ? "Radix-4 Booth" : "AND-array (Baugh-Wooley)") << " multiplier, "
    << (sa ? "signed " : "unsigned ") << na << " x " << (sb ? "signed " : "unsigned ") << nb << " bits.\n";
  o << "module " << name << " (\n  input  wire [" << na - 1 << ":0] a,\n  input  wire [" << nb - 1
    << ":0] b,\n  output wire [" << W - 1 << ":0] p\n);\n";
  emit_tree_product(o, kind, MulOperand{"a", na, sa}, MulOperand{"b", nb, sb}, W, "bo", "sum", style);
  o << "  assign p = sum;\nendmodule\n";
  return o.str();
}

std::string fused_dot_module(const std::string& name, PpKind kind, int lanes, int na, bool sa, int nb, bool sb,
                             const std::vector<int>& shifts, int width, FaStyle style) {
  if (int(shifts.size()) != lanes) throw std::invalid_argument("fused_dot_module: one shift per lane");
  std::ostringstream o;
  o << "// Fused " << lanes << "-lane dot product ("
    << (kind == PpKind::Booth4 ? "radix-4 Booth" : "AND-array") << " partial products, one compressor tree).\n";
  o << "module " << name << " (\n  input  wire [" << lanes * na - 1 << ":0] a,\n  input  wire [" << lanes * nb - 1
    << ":0] b,\n  output wire [" << width - 1 << ":0] p\n);\n";
  std::vector<LaneProduct> lp;
  for (int l = 0; l < lanes; ++l) {
    std::string al = "a_l" + std::to_string(l), bl = "b_l" + std::to_string(l);
    o << "  wire [" << na - 1 << ":0] " << al << " = a[" << l * na << " +: " << na << "];\n";
    o << "  wire [" << nb - 1 << ":0] " << bl << " = b[" << l * nb << " +: " << nb << "];\n";
    lp.push_back(LaneProduct{MulOperand{al, na, sa}, MulOperand{bl, nb, sb}, shifts[size_t(l)]});
  }
  emit_fused_dot(o, kind, lp, width, "fd", "sum", style);
  o << "  assign p = sum;\nendmodule\n";
  return o.str();
}

}  // namespace macforge::gen::pe

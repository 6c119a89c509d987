// The shared lane multipliers of a multi-format PE (gen/pe/reuse_multiplier.hpp).
#include "gen/pe/reuse_multiplier.hpp"

#include <vector>

#include "gen/pe/booth_multiplier.hpp"

namespace macforge::gen::pe {

bool placeable(const Operand& wide, const Operand& narrow) {
  if (wide.is_int != narrow.is_int) return false;
  if (narrow.bits > wide.bits) return false;
  if (wide.is_int) return true;
  return narrow.ebits <= wide.ebits && narrow.mbits <= wide.mbits && !narrow.nan && !narrow.inf;
}

int placement_shift(const Operand& wide, const Operand& narrow) {
  return wide.is_int ? wide.bits - narrow.bits : wide.mbits - narrow.mbits;
}

std::string place_narrow(const Operand& wide, const Operand& narrow, const std::string& code) {
  int n = narrow.bits;
  if (wide.is_int) {
    int pad = wide.bits - n;
    return pad > 0 ? "{" + code + ", " + S(pad) + "'d0}" : code;
  }
  // The exponent field keeps its value: a narrow format's largest field stays
  // below the wide format's NaN/Inf field, and the offset exponent
  // max(e,1)-1 of both decodes is the same number.
  std::vector<std::string> parts = {code + "[" + S(n - 1) + "]"};
  if (wide.ebits > narrow.ebits) parts.push_back(S(wide.ebits - narrow.ebits) + "'d0");
  parts.push_back(slice(code, narrow.mbits, narrow.ebits));
  if (narrow.mbits > 0) parts.push_back(slice(code, 0, narrow.mbits));
  if (wide.mbits > narrow.mbits) parts.push_back(S(wide.mbits - narrow.mbits) + "'d0");
  std::string s = "{";
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return s + "}";
}

namespace {

struct DotLane {
  std::string a, b;
  int na, nb;
};

// sum_i a_i * b_i (all signed) modulo 2^width as wire `out`: one compressor
// tree for the generated multiplier kinds, Yosys' `*` and `+` otherwise.
void emit_dot(std::ostream& o, Multiplier kind, const std::vector<DotLane>& lanes, int width, const std::string& prefix,
              const std::string& out) {
  if (kind == Multiplier::Behavioural) {
    o << "  wire " << rng(width) << out << " = ";
    for (size_t i = 0; i < lanes.size(); ++i)
      o << (i ? "\n      + " : "") << "$signed(" << sext(lanes[i].a, lanes[i].na, width) << ") * $signed("
        << sext(lanes[i].b, lanes[i].nb, width) << ")";
    o << ";\n";
    return;
  }
  std::vector<LaneProduct> lp;
  for (const DotLane& l : lanes) lp.push_back(LaneProduct{MulOperand{l.a, l.na, true}, MulOperand{l.b, l.nb, true}, 0});
  emit_fused_dot(o, kind == Multiplier::Array ? PpKind::Array : PpKind::Booth4, lp, width, prefix, out);
}

}  // namespace

void emit_split_int_lanes(std::ostream& o, const Geometry& m0, const Geometry& m1, Bundle& c, bool mul_cut) {
  int L = m0.lanes;
  const std::string mode = c["mode"];
  o << "\n  // Lane multipliers (pe.reuse int-scheme2): each int8 lane is two int8 x int4\n"
       "  // partial multipliers. Mode 0: a x b = a x b[3:0] (unsigned nibble) + (a x b[7:4]) << 4.\n"
       "  // Mode 1: the byte of lane i holds int4 lanes 2i (low nibbles) and 2i+1 (high\n"
       "  // nibbles); the lo multiplier takes lane 2i, the hi multiplier lane 2i+1.\n";
  std::vector<DotLane> lo, hi;
  for (int i = 0; i < L; ++i) {
    std::string a = "xa" + S(i), b = "xb" + S(i);
    o << "  wire [7:0] " << a << " = " << slice(c["a"], 8 * i, 8) << ";\n";
    o << "  wire [7:0] " << b << " = " << slice(c["b"], 8 * i, 8) << ";\n";
    o << "  wire [7:0] " << a << "_lo = " << mode << " ? {{4{" << a << "[3]}}, " << a << "[3:0]} : " << a << ";\n";
    o << "  wire [7:0] " << a << "_hi = " << mode << " ? {{4{" << a << "[7]}}, " << a << "[7:4]} : " << a << ";\n";
    o << "  // The low nibble is a magnitude in mode 0, a signed int4 in mode 1.\n";
    o << "  wire [4:0] " << b << "_lo = {" << mode << " & " << b << "[3], " << b << "[3:0]};\n";
    o << "  wire [3:0] " << b << "_hi = " << b << "[7:4];\n";
    lo.push_back({a + "_lo", b + "_lo", 8, 5});
    hi.push_back({a + "_hi", b + "_hi", 8, 4});
  }
  // Bounds over both modes: |a| <= 128 with 0 <= b_lo <= 15 (mode 0) or
  // |a|, |b| <= 8 (mode 1); |b_hi| <= 8.
  int wlo = bitlen(BigInt(L) * 128 * 16) + 1;
  int whi = bitlen(BigInt(L) * 128 * 8) + 1;
  Multiplier kind = m0.spec.multiplier;
  emit_dot(o, kind, lo, wlo, "xl", "x_lo");
  emit_dot(o, kind, hi, whi, "xh", "x_hi");
  c.drop("a");
  c.drop("b");
  c.add("slo", "x_lo", wlo);
  c.add("shi", "x_hi", whi);
  if (mul_cut) register_bundle(o, c, "m", "partial-product tree sums -> recombination (the multiplier cut)");
  int w0 = m0.csw, w1 = m1.csw;
  o << "\n  // Adder tree: the two partial sums recombined per mode (exact modulo the\n"
       "  // width, which holds each mode's sum bound).\n";
  o << "  wire " << rng(w0) << "x_hi0 = " << sext(c["shi"], whi, w0) << ";\n";
  o << "  wire " << rng(w0) << "x_sum0 = " << sext(c["slo"], wlo, w0) << " + (x_hi0 << 4);\n";
  o << "  wire " << rng(w1) << "x_sum1 = " << slice(c["slo"], 0, w1) << " + " << slice(c["shi"], 0, w1) << ";\n";
  c.drop("slo");
  c.drop("shi");
  c.add("sum", "x_sum0", w0);
  c.add("sum1", "x_sum1", w1);
}

}  // namespace macforge::gen::pe

// The fused multi-term PE (gen/pe/fused_step.hpp). Exponents travel in the
// float32 biased domain E = ex + 127 (12-bit two's complement), where `ex` is
// the model's alignment exponent (numerics/fused_accum.cpp Decoded::ex:
// max(e,1) - bias for an element, their sum for a product, the field's
// max(ef,1) - 127 for the accumulator): a term's place in the step does not
// depend on its leading bit, exactly as the model (and the hardware) align.
#include "gen/pe/fused_step.hpp"

#include <algorithm>
#include <sstream>

#include "gen/pe/verilog_text.hpp"

namespace macforge::gen::pe {
namespace {

constexpr int kEW = 12;  // E-domain width: products and float32 exponents plus the step's spread
// E is carried as E + kOff, so that products with small e8m0 scales stay
// positive (0 stands for "no term", below every real E).
constexpr int kOff = 256;

int bitlen_i(long long v) {
  int n = 0;
  while (v > 0) {
    ++n;
    v >>= 1;
  }
  return n;
}

struct FusedGeom {
  PeSpec spec;
  FusedSpec f;
  ElemFormat ea, eb;
  int G = 1, F = 0, mb = 23, mp = 0;
  int pw = 0;     // unsigned significand product
  int tm = 0;     // magnitude of an aligned product term
  int am = 0;     // magnitude of the aligned accumulator term
  int sw = 0;     // signed step sum
  int tw = 0;     // rounder input width
  int cE = 0;     // product E = eoA + eoB [+ scale codes] + cE (kOff included)
  bool sa = false, sb = false;  // e8m0 block scale on in_a_scale / in_b_scale
  int steps_per_promote = 0;
  int cntw = 1;
  int latency = 1;
};

std::string unsupported(const BlockFormat& a, const BlockFormat& b, int lanes, const AccumSpec& acc, AccSource src) {
  const FusedSpec& f = acc.fused;
  std::string what = "PE: accumulation " + acc.name() + ": ";
  for (const BlockFormat* x : {&a, &b}) {
    const ElemFormat& e = x->elem;
    if (!e.is_float() || e.bits > 8)
      return what + "element format " + x->name + " has no fused PE datapath (supported: FP elements of 4..8 bits)";
    if (1 - e.bias + 127 - 20 < 0) return what + "element format " + x->name + " exponent range not supported";
    if ((x->has_block_scale() && x->scale != ScaleKind::E8M0) || x->has_tensor_scale() || x->has_fp32_scale())
      return what + "scaled format " + x->name +
             " has no fused PE datapath yet (supported: FP elements unscaled or with e8m0 block scales, e.g. "
             "fp8_e4m3, mxfp8_e5m2)";
    if (x->has_block_scale() && x->block % lanes != 0)
      return what + "lanes (" + S(lanes) + ") must divide the block of " + x->name + " (" + S(x->block) + ")";
  }
  if (lanes != f.terms)
    return what + "lanes (" + S(lanes) + ") must equal g = " + S(f.terms) + " (one fused step per cycle)";
  if (f.group != 0) return what + "scale groups (q > 0) have no fused PE datapath (supported: q=0)";
  if (!f.acc_in_step) return what + "accin=0 has no fused PE datapath (supported: accin=1)";
  if (f.align_round != Rounding::RZ) return what + "align=rne has no fused PE datapath (supported: align=rz)";
  if (src != AccSource::Internal)
    return what + "the fused PE keeps its accumulator inside (allowed: array.dataflow output-stationary)";
  return "";
}

FusedGeom fused_geom(const PeSpec& spec) {
  std::string why = unsupported(spec.a, spec.b, spec.lanes, spec.accum, spec.acc_source);
  if (!why.empty()) throw FormatError(why);
  spec.accum.fused.check();
  if (spec.pipeline < 0 || spec.pipeline > 32)
    throw FormatError("PE: pipeline must be 0..32 extra stages (got " + S(spec.pipeline) + ")");
  if (spec.modes != 1) throw FormatError("PE: a multi-format PE needs accumulation exact-block");
  FusedGeom g;
  g.spec = spec;
  g.f = spec.accum.fused;
  g.ea = spec.a.elem;
  g.eb = spec.b.elem;
  g.G = g.f.terms;
  g.F = g.f.frac_bits;
  g.mb = g.f.acc_mbits;
  g.mp = g.ea.mbits + g.eb.mbits;
  g.pw = g.mp + 2;
  g.tm = std::max(g.F + 2, g.pw);
  g.am = std::max(g.F + 1, g.mb + 1);
  g.sw = std::max(g.tm, g.am) + bitlen_i(g.G + 1) + 1;
  g.tw = std::max({g.sw, g.mb + 3, g.F + 3});
  g.sa = spec.a.has_block_scale();
  g.sb = spec.b.has_block_scale();
  g.cE = kOff + 127 - g.ea.bias - g.eb.bias - (g.sa ? 127 : 0) - (g.sb ? 127 : 0);
  g.latency = 1 + spec.pipeline;  // the output register; extra stages are input registers
  if (g.f.promote > 0) {
    g.steps_per_promote = g.f.promote / g.G;
    g.cntw = std::max(1, bitlen_i(g.steps_per_promote));
  }
  return g;
}

// Module <name>: float32 bits of mag * 2^(lsbe - 127) (sign neg) rounded to
// e8m<mb> (RZ or RNE), float32 subnormal quantum 2^(-126-mb), +-Inf beyond
// the range, +0 for a zero result (numerics round_acc). Needs
// lsbe >= 2 - TW (every caller's bound).
// deep: lsbe may be below 2 - TW (block-scaled products far under 2^-126);
// otherwise every caller's bound lsbe >= 2 - TW holds and the right shift is
// left out.
void emit_round(std::ostream& o, const std::string& name, int TW, int mb, bool rne, bool deep) {
  int lzw = bitlen_i(TW) + 1;
  o << "// " << name << ": round mag * 2^(lsbe-127) to e8m" << mb << " (" << (rne ? "RNE" : "RZ")
    << "), numerics round_acc.\n";
  o << "module " << name << " (\n  input  wire [" << TW - 1 << ":0] mag_in,\n  input  wire neg,\n  input  wire ["
    << kEW - 1 << ":0] lsbe_in,\n  output wire [31:0] f\n);\n";
  o << "  // Normalization\n";
  if (deep) {
    o << "  // Sums entirely below 2^-126 (lsbe < 2 - TW): first shifted right to lsbe = 2 - TW,\n"
         "  // the bits shifted out kept as a sticky bit.\n";
    o << "  wire [" << kEW - 1 << ":0] lsbe_top = lsbe_in + " << kEW << "'d" << TW - 2 << ";\n";
    o << "  wire under = lsbe_top[" << kEW - 1 << "];\n";
    o << "  wire [" << kEW - 1 << ":0] rs = under ? -lsbe_top : " << kEW << "'d0;\n";
    o << "  wire [" << TW - 1 << ":0] mag = mag_in >> rs;\n";
    o << "  wire lost = (mag << rs) != mag_in;\n";
    o << "  wire [" << kEW - 1 << ":0] lsbe = under ? " << kEW << "'d" << ((1 << kEW) - (TW - 2)) % (1 << kEW)
      << " : lsbe_in;  // 2 - TW\n";
  } else {
    o << "  // lsbe >= 2 - TW by construction (no block scales): no right shift.\n";
    o << "  wire [" << TW - 1 << ":0] mag = mag_in;\n  wire [" << kEW - 1 << ":0] lsbe = lsbe_in;\n  wire lost = 1'b0;\n";
  }
  o << "  reg [" << lzw - 1 << ":0] lz;\n  integer i;\n";
  o << "  always @* begin\n    lz = " << lzw << "'d" << TW << ";\n    for (i = 0; i < " << TW
    << "; i = i + 1)\n      if (mag[i]) lz = " << lzw << "'d" << TW - 1 << " - i[" << lzw - 1 << ":0];\n  end\n";
  o << "  wire [" << kEW - 1 << ":0] lz_e = {{" << kEW - lzw << "{1'b0}}, lz};\n";
  o << "  // Exponent of the leading bit: lsbe + TW-1 - lz.\n";
  o << "  wire [" << kEW - 1 << ":0] top = lsbe + " << kEW << "'d" << TW - 1 << " - lz_e;\n";
  o << "  wire sub = $signed(top) < $signed(" << kEW << "'d1);\n";
  o << "  wire ovf = $signed(top) > $signed(" << kEW << "'d254);\n";
  o << "  // Subnormal: the bit of weight 2^-126 goes to the top (shift lsbe + TW-2 >= 0).\n";
  o << "  wire [" << kEW - 1 << ":0] sh = sub ? lsbe + " << kEW << "'d" << TW - 2 << " : lz_e;\n";
  o << "  wire [" << TW - 1 << ":0] nrm = mag << sh;\n";
  o << "  wire [7:0] fld = sub ? 8'd0 : top[7:0];\n";
  o << "  wire [" << mb - 1 << ":0] man = nrm[" << TW - 2 << ":" << TW - 1 - mb << "];\n";
  if (rne) {
    o << "  wire guard = nrm[" << TW - 2 - mb << "];\n";
    if (TW - 3 - mb >= 0)
      o << "  wire sticky = (|nrm[" << TW - 3 - mb << ":0]) | lost;\n";
    else
      o << "  wire sticky = lost;\n";
    o << "  wire inc = guard & (sticky | man[0]);\n";
  } else {
    o << "  /* verilator lint_off UNUSEDSIGNAL */\n  wire [" << TW - 1 - mb << ":0] cut = {nrm[" << TW - 2 - mb
      << ":0], lost};  // truncated bits (RZ)\n  /* verilator lint_on UNUSEDSIGNAL */\n";
    o << "  wire inc = 1'b0;\n";
  }
  o << "  /* verilator lint_off UNUSEDSIGNAL */\n  wire hi = nrm[" << TW - 1
    << "];  // the implicit bit (sub says whether it is set)\n  /* verilator lint_on UNUSEDSIGNAL */\n";
  o << "  wire [" << 8 + mb - 1 << ":0] r = {fld, man} + {{" << 8 + mb - 1 << "{1'b0}}, inc};\n";
  o << "  wire inf = ovf | (r[" << 8 + mb - 1 << ":" << mb << "] == 8'hFF);\n";
  o << "  wire zero = (mag == " << TW << "'d0) | (r == " << 8 + mb << "'d0);\n";
  o << "  assign f = zero ? 32'd0 : inf ? {neg, 8'hFF, 23'd0} : {neg, r"
    << (mb < 23 ? ", " + S(23 - mb) + "'d0" : std::string()) << "};\n";
  o << "endmodule\n\n";
}

std::string codes_expr(const ElemFormat& e, const std::string& v, bool nan) {
  std::string s;
  for (uint32_t c = 0; c < e.num_codes(); ++c)
    if (nan ? e.is_nan(c) : e.is_inf(c)) s += (s.empty() ? "" : " | ") + ("(" + v + " == " + S(e.bits) + "'d" + S(c) + ")");
  return s.empty() ? "1'b0" : s;
}

std::string ext(const std::string& x, int w) {  // zero-extend a w-bit expression to kEW
  return "{{" + S(kEW - w) + "{1'b0}}, " + x + "}";
}

// A balanced binary tree over `leaves` (w-bit expressions): op "max" or "+".
// Returns the root's wire name.
std::string emit_tree(std::ostream& o, const std::string& name, std::vector<std::string> leaves, int w,
                      const std::string& op) {
  int level = 0;
  while (leaves.size() > 1) {
    std::vector<std::string> next;
    for (size_t i = 0; i + 1 < leaves.size(); i += 2) {
      std::string n = name + "_" + S(level) + "_" + S((long long)(i / 2));
      const std::string &x = leaves[i], &y = leaves[i + 1];
      o << "  wire [" << w - 1 << ":0] " << n << " = "
        << (op == "max" ? "(" + x + " > " + y + ") ? " + x + " : " + y : x + " + " + y) << ";\n";
      next.push_back(n);
    }
    if (leaves.size() % 2) next.push_back(leaves.back());
    leaves = next;
    ++level;
  }
  return leaves[0];
}

void emit_top(std::ostream& o, const FusedGeom& g) {
  const std::string P = g.spec.module_name;
  const ElemFormat &ea = g.ea, &eb = g.eb;
  int G = g.G, AB = ea.bits, BB = eb.bits;
  bool prom = g.f.promote > 0;
  o << "// " << P << ": fused multi-term PE, " << g.spec.a.name << " x " << g.spec.b.name << ", " << G
    << " lanes = one step of " << g.f.describe() << " per cycle, latency " << g.latency << ".\n";
  o << "// Contract: gen/pe_spec.hpp (every chunk is one step; in_blk_last is implied).\n";
  o << "// Reference: numerics/fused_accum.cpp. Micro-architecture: docs/pe.md \"Fused multi-term PEs\".\n";
  o << "module " << P << " (\n  input  wire clk,\n  input  wire rst,\n  input  wire in_valid,\n  input  wire in_first,\n"
    << "  /* verilator lint_off UNUSEDSIGNAL */\n  input  wire in_blk_last,  // every chunk is a whole step\n"
    << "  /* verilator lint_on UNUSEDSIGNAL */\n  input  wire in_last,\n  input  wire [" << G * AB - 1
    << ":0] in_a,\n  input  wire [" << G * BB - 1 << ":0] in_b,\n"
    << (g.sa ? "  input  wire [7:0] in_a_scale,\n" : "") << (g.sb ? "  input  wire [7:0] in_b_scale,\n" : "")
    << "  output wire out_valid,\n  output wire [31:0] out_acc\n);\n";
  // Input registers: `pipeline` extra stages only (the step reads the chunk
  // directly, as the exact-block PE's lanes do).
  std::string src = "in_", src_v = "in_valid";
  for (int st = 0; st < g.spec.pipeline; ++st) {
    std::string d = "p" + S(st + 1) + "_";
    o << "  reg " << d << "v, " << d << "first, " << d << "last;\n  reg [" << G * AB - 1 << ":0] " << d << "a;\n  reg ["
      << G * BB - 1 << ":0] " << d << "b;\n";
    if (g.sa) o << "  reg [7:0] " << d << "a_scale;\n";
    if (g.sb) o << "  reg [7:0] " << d << "b_scale;\n";
    o << "  always @(posedge clk) begin\n    if (rst) " << d << "v <= 1'b0;\n    else " << d << "v <= " << src_v
      << ";\n    " << d << "first <= " << src << "first;\n    " << d << "last <= " << src << "last;\n    " << d
      << "a <= " << src << "a;\n    " << d << "b <= " << src << "b;\n";
    if (g.sa) o << "    " << d << "a_scale <= " << src << "a_scale;\n";
    if (g.sb) o << "    " << d << "b_scale <= " << src << "b_scale;\n";
    o << "  end\n";
    src = d;
    src_v = d + "v";
  }
  o << "  wire x_v = " << src_v << ", x_first = " << src << "first, x_last = " << src << "last;\n";
  o << "  wire [" << G * AB - 1 << ":0] x_a = " << src << "a;\n  wire [" << G * BB - 1 << ":0] x_b = " << src << "b;\n";
  if (g.sa) o << "  wire [7:0] x_as = " << src << "a_scale;\n";
  if (g.sb) o << "  wire [7:0] x_bs = " << src << "b_scale;\n";
  o << "  reg [31:0] acc_q;  // the step accumulator (e8m" << g.mb << " in float32 bits)\n";
  if (prom) o << "  reg [31:0] acc32_q;  // the float32 promotion accumulator\n  reg [" << g.cntw - 1 << ":0] cnt_q;\n";
  o << "  wire [31:0] acc = x_first ? 32'd0 : acc_q;\n";

  // Lanes.
  o << "  // Lane multipliers\n";
  o << "  wire [" << G * g.pw - 1 << ":0] l_p;\n  wire [" << G * kEW - 1 << ":0] l_e;\n  wire [" << G - 1
    << ":0] l_nz, l_s, l_nan, l_inf;\n";
  o << "  genvar i;\n  generate\n    for (i = 0; i < " << G << "; i = i + 1) begin : lane\n";
  auto dec = [&](const ElemFormat& e, const std::string& v, const std::string& bus) {
    int B = e.bits;
    o << "      wire [" << B - 1 << ":0] " << v << " = " << bus << "[i*" << B << " +: " << B << "];\n";
    o << "      wire [" << e.ebits - 1 << ":0] " << v << "_e = " << v << "[" << B - 2 << ":" << e.mbits << "];\n";
    o << "      wire [" << e.mbits << ":0] " << v << "_sig = {|" << v << "_e, " << v << "[" << e.mbits - 1 << ":0]};\n";
    o << "      wire [" << e.ebits - 1 << ":0] " << v << "_eo = (" << v << "_e == " << e.ebits << "'d0) ? " << e.ebits
      << "'d1 : " << v << "_e;\n";
    o << "      wire " << v << "_nan = " << codes_expr(e, v, true) << ";\n";
    o << "      wire " << v << "_inf = " << codes_expr(e, v, false) << ";\n";
    o << "      wire " << v << "_zero = " << v << "[" << B - 2 << ":0] == " << B - 1 << "'d0;\n";
  };
  dec(ea, "a", "x_a");
  dec(eb, "b", "x_b");
  o << "      assign l_p[i*" << g.pw << " +: " << g.pw << "] = a_sig * b_sig;\n";
  o << "      assign l_e[i*" << kEW << " +: " << kEW << "] = " << ext("a_eo", ea.ebits) << " + " << ext("b_eo", eb.ebits)
    << (g.sa ? " + " + ext("x_as", 8) : std::string()) << (g.sb ? " + " + ext("x_bs", 8) : std::string()) << " + "
    << kEW << "'d" << g.cE << ";\n";
  o << "      assign l_s[i] = a[" << AB - 1 << "] ^ b[" << BB - 1 << "];\n";
  o << "      assign l_nan[i] = a_nan | b_nan | (a_inf & b_zero) | (b_inf & a_zero);\n";
  o << "      assign l_inf[i] = (a_inf | b_inf) & ~l_nan[i];\n";
  o << "      assign l_nz[i] = ~a_zero & ~b_zero & ~(a_nan | b_nan | a_inf | b_inf);\n";
  o << "    end\n  endgenerate\n";

  // Accumulator term and the step's maximum exponent.
  o << "  // Alignment of the lane products\n";
  o << "  wire [7:0] acc_ef = acc[30:23];\n";
  o << "  wire [" << g.mb << ":0] acc_sig = {|acc_ef, acc[22:" << 23 - g.mb << "]};\n";
  o << "  wire [" << kEW - 1 << ":0] acc_E = ((acc_ef == 8'd0) ? " << kEW << "'d1 : " << ext("acc_ef", 8) << ") + " << kEW
    << "'d" << kOff << ";\n";
  o << "  wire acc_nz = |acc[30:0];\n";
  {
    std::vector<std::string> lv;
    for (int i = 0; i < G; ++i)
      lv.push_back("(l_nz[" + S(i) + "] ? l_e[" + S(i * kEW) + " +: " + S(kEW) + "] : " + S(kEW) + "'d0)");
    lv.push_back("(acc_nz ? acc_E : " + S(kEW) + "'d0)");
    o << "  // The step's largest exponent over the nonzero terms (0: none, below every E).\n";
    std::string root = emit_tree(o, "em", lv, kEW, "max");
    o << "  wire [" << kEW - 1 << ":0] emax = " << root << ";\n";
  }
  // Terms: magnitude * 2^(E - mp) aligned to 2^(emax - F), truncated.
  int padp = std::max(g.F - g.mp, 0), sh0p = std::max(g.mp - g.F, 0);
  int pada = std::max(g.F - g.mb, 0), sh0a = std::max(g.mb - g.F, 0);
  o << "  wire [" << (G + 1) * g.sw - 1 << ":0] t;  // signed aligned terms, lane i at i*" << g.sw
    << ", the accumulator last\n";
  o << "  generate\n    for (i = 0; i < " << G << "; i = i + 1) begin : align\n";
  o << "      wire [" << kEW - 1 << ":0] d = emax - l_e[i*" << kEW << " +: " << kEW << "]"
    << (sh0p ? " + " + S(kEW) + "'d" + S(sh0p) : std::string()) << ";\n";
  o << "      wire [" << g.tm - 1 << ":0] x = "
    << (padp ? "{l_p[i*" + S(g.pw) + " +: " + S(g.pw) + "], " + S(padp) + "'d0}" : "l_p[i*" + S(g.pw) + " +: " + S(g.pw) + "]")
    << ";\n";
  o << "      wire [" << g.tm - 1 << ":0] m = l_nz[i] ? x >> d : " << g.tm << "'d0;\n";
  o << "      wire [" << g.sw - 1 << ":0] me = {" << g.sw - g.tm << "'d0, m};\n";
  o << "      assign t[i*" << g.sw << " +: " << g.sw << "] = l_s[i] ? -me : me;\n";
  o << "    end\n  endgenerate\n";
  o << "  wire [" << kEW - 1 << ":0] acc_d = emax - acc_E" << (sh0a ? " + " + S(kEW) + "'d" + S(sh0a) : std::string())
    << ";\n";
  o << "  wire [" << g.am - 1 << ":0] acc_x = " << (pada ? "{acc_sig, " + S(pada) + "'d0}" : "acc_sig") << ";\n";
  o << "  wire [" << g.am - 1 << ":0] acc_m = acc_nz ? acc_x >> acc_d : " << g.am << "'d0;\n";
  o << "  wire [" << g.sw - 1 << ":0] acc_me = {" << g.sw - g.am << "'d0, acc_m};\n";
  o << "  assign t[" << G * g.sw << " +: " << g.sw << "] = acc[31] ? -acc_me : acc_me;\n";

  o << "  // Adder tree\n";
  {
    std::vector<std::string> lv;
    for (int i = 0; i <= G; ++i) lv.push_back("t[" + S(i * g.sw) + " +: " + S(g.sw) + "]");
    std::string root = emit_tree(o, "at", lv, g.sw, "+");
    o << "  wire [" << g.sw - 1 << ":0] s = " << root << ";\n";
  }
  o << "  wire s_neg = s[" << g.sw - 1 << "];\n";
  o << "  wire [" << g.sw - 1 << ":0] s_mag = s_neg ? -s : s;\n";
  o << "  wire [" << g.tw - 1 << ":0] r_mag = "
    << (g.tw > g.sw ? "{" + S(g.tw - g.sw) + "'d0, s_mag}" : std::string("s_mag")) << ";\n";
  o << "  wire [31:0] stepv;\n";
  o << "  " << P << "_round_acc u_round (.mag_in(r_mag), .neg(s_neg), .lsbe_in(emax - " << kEW << "'d" << kOff + g.F
    << "), .f(stepv));\n";

  // Specials (the model's dot(): NaN products end in NaN; an Inf step replaces a
  // finite accumulator, meets an opposite Inf as NaN; a non-finite
  // accumulator ignores finite steps).
  o << "  // Specials\n";
  // A NaN (0xFF) e8m0 scale makes the dot product NaN (the model's get_scale).
  o << "  wire st_nan = " << (g.sa ? "(x_as == 8'hFF) | " : "") << (g.sb ? "(x_bs == 8'hFF) | " : "") << "|l_nan | ((|(l_inf & l_s)) & (|(l_inf & ~l_s)));\n";
  o << "  wire st_inf = |l_inf;\n  wire st_ineg = |(l_inf & l_s);\n";
  o << "  wire acc_fin = acc_ef != 8'hFF;\n";
  o << "  wire acc_isnan = ~acc_fin & (|acc[22:0]);\n";
  o << "  localparam [31:0] QNAN = 32'h7FC00000;\n";
  o << "  wire [31:0] nacc = st_nan | acc_isnan ? QNAN\n"
    << "                   : st_inf ? ((~acc_fin & (acc[31] != st_ineg)) ? QNAN : {st_ineg, 8'hFF, 23'd0})\n"
    << "                   : ~acc_fin ? acc : stepv;\n";
  if (prom) {
    o << "  // Float32 accumulate\n";
    o << "  wire [31:0] acc32 = x_first ? 32'd0 : acc32_q;\n";
    o << "  wire [" << g.cntw - 1 << ":0] cnt = x_first ? " << g.cntw << "'d0 : cnt_q;\n";
    o << "  wire promote = x_last | (cnt == " << g.cntw << "'d" << g.steps_per_promote - 1 << ");\n";
    // Finite float32 sum: both aligned to the larger exponent with 3 guard
    // bits and a sticky bit, then one RNE rounding.
    o << "  wire [7:0] fx_ef = acc32[30:23], fy_ef = nacc[30:23];\n";
    o << "  wire [" << kEW - 1 << ":0] fx_E = (fx_ef == 8'd0) ? " << kEW << "'d1 : " << ext("fx_ef", 8) << ";\n";
    o << "  wire [" << kEW - 1 << ":0] fy_E = (fy_ef == 8'd0) ? " << kEW << "'d1 : " << ext("fy_ef", 8) << ";\n";
    o << "  wire [" << kEW - 1 << ":0] f_emax = (fx_E > fy_E) ? fx_E : fy_E;\n";
    o << "  wire [" << kEW - 1 << ":0] fx_d = f_emax - fx_E, fy_d = f_emax - fy_E;\n";
    o << "  wire [26:0] fx_x = {|fx_ef, acc32[22:0], 3'd0}, fy_x = {|fy_ef, nacc[22:0], 3'd0};\n";
    o << "  wire [26:0] fx_t = fx_x >> fx_d, fy_t = fy_x >> fy_d;\n";
    o << "  wire fx_j = (fx_t << fx_d) != fx_x, fy_j = (fy_t << fy_d) != fy_x;\n";
    o << "  wire [28:0] fx_m = {2'd0, fx_t[26:1], fx_t[0] | fx_j}, fy_m = {2'd0, fy_t[26:1], fy_t[0] | fy_j};\n";
    o << "  wire [28:0] f_s = (acc32[31] ? -fx_m : fx_m) + (nacc[31] ? -fy_m : fy_m);\n";
    o << "  wire f_neg = f_s[28];\n  wire [28:0] f_mag = f_neg ? -f_s : f_s;\n";
    o << "  wire [31:0] f_fin;\n";
    o << "  " << P << "_round_f32 u_fadd (.mag_in(f_mag), .neg(f_neg), .lsbe_in(f_emax - " << kEW << "'d26), .f(f_fin));\n";
    o << "  wire fx_inf = acc32[30:23] == 8'hFF, fy_inf = nacc[30:23] == 8'hFF;\n";
    o << "  wire fx_nan = fx_inf & (|acc32[22:0]), fy_nan = fy_inf & (|nacc[22:0]);\n";
    o << "  wire [31:0] sum32 = (fx_nan | fy_nan | (fx_inf & fy_inf & (acc32[31] != nacc[31]))) ? QNAN\n"
      << "                    : fx_inf ? acc32 : fy_inf ? nacc : f_fin;\n";
    o << "  wire [31:0] result = sum32;\n";
  } else {
    o << "  wire [31:0] result = nacc;\n";
  }
  o << "  reg ov_q;\n  reg [31:0] out_q;\n";
  o << "  always @(posedge clk) begin\n    if (rst) begin\n      ov_q <= 1'b0;\n      acc_q <= 32'd0;\n";
  if (prom) o << "      acc32_q <= 32'd0;\n      cnt_q <= " << g.cntw << "'d0;\n";
  o << "    end else begin\n      ov_q <= x_v & x_last;\n      if (x_v) begin\n";
  if (prom) {
    o << "        acc_q <= promote ? 32'd0 : nacc;\n        acc32_q <= promote ? sum32 : acc32;\n"
      << "        cnt_q <= promote ? " << g.cntw << "'d0 : cnt + " << g.cntw << "'d1;\n";
  } else {
    o << "        acc_q <= nacc;\n";
  }
  o << "      end\n    end\n    if (x_v & x_last) out_q <= result;\n  end\n";
  o << "  assign out_valid = ov_q;\n  assign out_acc = out_q;\nendmodule\n\n";
}

}  // namespace

std::string fused_unsupported(const BlockFormat& a, const BlockFormat& b, int lanes, const AccumSpec& acc,
                              AccSource src) {
  return unsupported(a, b, lanes, acc, src);
}

PeInfo fused_pe_info(const PeSpec& spec) {
  FusedGeom g = fused_geom(spec);
  PeInfo info;
  info.module_name = spec.module_name;
  info.latency = g.latency;
  info.a_bits = g.ea.bits;
  info.b_bits = g.eb.bits;
  info.group = g.G;
  info.a_scale = g.sa;
  info.b_scale = g.sb;
  PeModeInfo m0;
  m0.a = spec.a;
  m0.b = spec.b;
  m0.lanes = g.G;
  m0.a_bits = info.a_bits;
  m0.b_bits = info.b_bits;
  m0.a_scale = g.sa;
  m0.b_scale = g.sb;
  m0.group = g.G;
  info.mode = {m0};
  info.a_port_bits = g.G * g.ea.bits;
  info.b_port_bits = g.G * g.eb.bits;
  return info;
}

PeWidths fused_pe_widths(const PeSpec& spec) {
  FusedGeom g = fused_geom(spec);
  PeWidths w;
  w.group = g.G;
  w.chunks_per_group = 1;
  w.aligned = true;
  w.lane_product = g.pw;
  w.lane_exp = kEW;
  w.lane_value = g.tm + 1;
  w.chunk_sum = g.sw;
  w.group_sum = g.sw;
  w.scaled_sum = g.sw;
  w.norm_sig = g.tw;
  w.exp_bits = kEW;
  w.add_window = g.f.promote > 0 ? 29 : 0;
  return w;
}

std::vector<PeFile> fused_pe_files(const PeSpec& spec) {
  FusedGeom g = fused_geom(spec);
  const std::string P = spec.module_name;
  const std::string head = "// Generated by macforge (gen/pe/fused_step.cpp) from PE spec " + P + ". Do not edit.\n\n";
  std::ostringstream racc, r32, top;
  emit_round(racc, P + "_round_acc", g.tw, g.mb, g.f.acc_round == Rounding::RNE, g.sa || g.sb);
  emit_top(top, g);
  std::vector<PeFile> files = {{P + "_round_acc.v", head + racc.str()}};
  std::string inst = P + "_round_acc";
  if (g.f.promote > 0) {
    emit_round(r32, P + "_round_f32", 29, 23, true, false);
    files.push_back({P + "_round_f32.v", head + r32.str()});
    inst += " and " + P + "_round_f32";
  }
  files.push_back({P + ".v", head + "// Instantiates " + inst + ".\n" + top.str()});
  return files;
}

}  // namespace macforge::gen::pe

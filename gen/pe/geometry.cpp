// Geometry of the PE (gen/pe/geometry.hpp): exact bounds -> widths.
#include "gen/pe/geometry.hpp"

#include <regex>

namespace macforge::gen::pe {
namespace {

// Beyond this the exact group accumulator stops being a sensible design
// (e.g. bf16 elements): the user should pick aligned:W instead.
constexpr int kMaxGroupBits = 1024;

int nested_group(const BlockFormat& a, const BlockFormat& b, int lanes) {
  bool ba = a.has_block_scale(), bb = b.has_block_scale();
  if (ba && bb) {
    if (a.block % b.block == 0) return b.block;
    if (b.block % a.block == 0) return a.block;
    throw FormatError("PE: block sizes " + S(a.block) + " (" + a.name + ") and " + S(b.block) + " (" + b.name +
                      ") do not nest: one must divide the other");
  }
  if (ba) return a.block;
  if (bb) return b.block;
  return lanes;
}

}  // namespace

Operand make_operand(const BlockFormat& f) {
  const ElemFormat& e = f.elem;
  Operand o;
  o.name = f.name;
  o.is_int = e.is_int();
  o.bits = e.bits;
  if (o.is_int) {
    if (e.bits < 2 || e.bits > 16) throw FormatError("PE: integer elements must be 2..16 bits ('" + f.name + "')");
    o.sig_bits = e.bits;
    o.sig_max = pow2(e.bits - 1);  // -2^(N-1) may arrive even in symmetric mode
    o.lsb = f.int_implicit_exp();
    o.pa = e.bits;
  } else {
    if (e.bits > 16)
      throw FormatError("PE: FP elements must be at most 16 bits ('" + f.name + "' has " + S(e.bits) + ")");
    o.ebits = e.ebits;
    o.mbits = e.mbits;
    o.special = e.special;
    o.sig_bits = e.mbits + 1;
    o.sig_max = pow2(e.mbits + 1) - 1;
    o.exp_field_max = (1 << e.ebits) - 2;
    o.exp_fin_max = o.exp_field_max;
    if (e.special == Special::Ieee || (e.special == Special::NanOnly && e.mbits == 0)) o.exp_fin_max -= 1;
    o.exp_bits = bitlen(o.exp_field_max);
    o.lsb = 1 - e.bias - e.mbits;
    o.pa = e.mbits + 1;
    o.nan = e.special != Special::Finite;
    o.inf = e.special == Special::Ieee;
  }
  if (f.has_block_scale()) {
    if (f.scale != ScaleKind::E8M0 && f.scale != ScaleKind::UE4M3)
      throw FormatError("PE: block scale of '" + f.name + "' must be e8m0 or ue4m3");
    o.scale = f.scale;
  }
  return o;
}

Geometry geometry(const PeSpec& spec) {
  Geometry g;
  g.spec = spec;
  static const std::regex ident("[A-Za-z_][A-Za-z0-9_]*");
  if (!std::regex_match(spec.module_name, ident))
    throw FormatError("PE: module name '" + spec.module_name + "' is not a Verilog identifier");
  if (spec.lanes < 1 || spec.lanes > 64) throw FormatError("PE: lanes must be 1..64 (got " + S(spec.lanes) + ")");
  if (spec.pipeline < 0 || spec.pipeline > 32)
    throw FormatError("PE: pipeline must be 0..32 extra stages (got " + S(spec.pipeline) + ")");
  g.A = make_operand(spec.a);
  g.B = make_operand(spec.b);
  g.lanes = spec.lanes;
  g.group = nested_group(spec.a, spec.b, spec.lanes);
  if (g.group % g.lanes != 0)
    throw FormatError("PE: lanes (" + S(g.lanes) + ") must divide the accumulation group of " + S(g.group) +
                      " elements (block size of " + spec.a.name + " x " + spec.b.name + ")");
  g.cpg = g.group / g.lanes;
  g.internal = spec.acc_source == AccSource::Internal;
  g.int_only = g.A.is_int && g.B.is_int;
  const Operand &A = g.A, &B = g.B;

  g.pmax = A.sig_max * B.sig_max;
  g.psw = bitlen(g.pmax) + 1;
  g.e_fin_max = A.exp_fin_max + B.exp_fin_max;
  g.e_field_max = A.exp_field_max + B.exp_field_max;
  g.epw = bitlen(g.e_field_max);

  if (spec.accum.mode == AccumMode::Fused)
    throw FormatError("PE: accumulation " + spec.accum.name() +
                      ": no PE datapath for the fused tensor-core mode yet (allowed: exact-block, aligned:W)");
  if (spec.accum.mode == AccumMode::Aligned) {
    if (spec.accum.width < 2 || spec.accum.width > 96)
      throw FormatError("PE: aligned:W needs W in 2..96 (got " + S(spec.accum.width) + ")");
    g.W = spec.accum.width;
    g.umin = A.pa + B.pa - g.W;
    // When the window reaches down to the lsb of every product the mode is
    // exact-block; emit that narrower-control datapath.
    g.aligned = g.umin + g.e_fin_max > 0;
  }
  g.pow = g.psw;
  if (g.aligned) {
    if (g.umin <= 0) {
      g.leaf_max = g.pmax << -g.umin;
    } else {
      g.ptrunc = std::min(g.umin, g.psw - 1);
      g.pow = g.psw - g.ptrunc;
      g.leaf_max = ceil_shr(g.pmax, g.umin);
    }
  } else {
    g.leaf_max = g.pmax << g.e_fin_max;
  }
  g.lw = bitlen(g.leaf_max) + 1;
  g.csw = bitlen(g.leaf_max * g.lanes) + 1;
  BigInt group_max;
  if (g.cpg == 1) {
    group_max = g.leaf_max * g.lanes;  // in the chunk's own frame
  } else if (g.aligned) {
    BigInt lane = g.umin >= 0 ? ceil_shr(g.pmax, g.umin) << (g.umin + g.e_fin_max) : g.pmax << g.e_fin_max;
    group_max = lane * g.group;
  } else {
    group_max = g.leaf_max * g.group;
  }
  g.gw = bitlen(group_max) + 1;
  if (g.gw > kMaxGroupBits)
    throw FormatError("PE: the exact group sum of " + A.name + " x " + B.name + " needs " + S(g.gw) +
                      " bits; use accumulation aligned:W");

  g.ue_a = A.scale == ScaleKind::UE4M3;
  g.ue_b = B.scale == ScaleKind::UE4M3;
  BigInt smax = 1;
  if (g.ue_a) smax *= 15;
  if (g.ue_b) smax *= 15;
  g.spw = (g.ue_a || g.ue_b) ? bitlen(smax) : 0;
  g.mw = bitlen(group_max * smax);
  g.ssw = (g.ue_a || g.ue_b) ? g.mw + 1 : g.gw;
  g.nwin = std::max(g.mw + 1, 26);

  // Biased float32 exponent of the normalized group value's MSB:
  //   A.lsb + B.lsb + xA + xB [+ emax + umin] + (mw - 1 - lz) + 127
  // with x = code - 127 (e8m0) or max(e,1) - 10 (ue4m3): the code terms are
  // added as unsigned numbers and their offsets folded into kconst.
  auto off = [](ScaleKind k) { return k == ScaleKind::E8M0 ? -127 : k == ScaleKind::UE4M3 ? -10 : 0; };
  auto tmax = [](ScaleKind k) { return k == ScaleKind::E8M0 ? 255 : k == ScaleKind::UE4M3 ? 15 : 0; };
  bool emax_term = g.aligned && g.cpg == 1 && g.epw > 0;
  g.kconst = A.lsb + B.lsb + (g.aligned && g.cpg == 1 ? g.umin : 0) + g.mw - 1 + 127 + off(A.scale) + off(B.scale);
  long long lo = g.kconst - g.mw;
  long long hi = g.kconst + tmax(A.scale) + tmax(B.scale) + (emax_term ? g.e_field_max : 0);
  long long R = std::max({std::abs(lo), std::abs(hi), 255LL}) + g.nwin + 8;
  g.ew = bitlen(BigInt(R)) + 1;

  g.has_nan = A.nan || B.nan || A.inf || B.inf || A.scale != ScaleKind::None || B.scale != ScaleKind::None;
  g.has_inf = A.inf || B.inf;

  std::vector<Cut> order = {Cut::Norm, Cut::Mul, Cut::Scale, Cut::Tree};
  if (g.epw > 0) order.push_back(Cut::Align);
  int p = spec.pipeline;
  for (Cut c : order)
    if (p > 0) {
      g.cuts.push_back(c);
      --p;
    }
  g.in_regs = p;
  g.latency = 2 + spec.pipeline;
  return g;
}

const char* cut_name(Cut c) {
  switch (c) {
    case Cut::Norm: return "normalized group value -> float32 adder";
    case Cut::Mul: return "lane multipliers -> alignment";
    case Cut::Scale: return "block-scale multiply -> normalization";
    case Cut::Tree: return "adder tree -> group accumulator";
    case Cut::Align: return "alignment shifters -> adder tree";
  }
  return "?";
}

}  // namespace macforge::gen::pe

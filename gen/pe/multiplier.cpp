// Lane multipliers (gen/pe/multiplier.hpp).
#include "gen/pe/multiplier.hpp"

#include <vector>

#include "gen/pe/booth_multiplier.hpp"

namespace macforge::gen::pe {

Decode emit_decode(std::ostream& o, const Operand& op, const std::string& v, bool need_zero) {
  Decode d;
  int N = op.bits;
  if (op.is_int) {
    d.sgn = v + "[" + S(N - 1) + "]";
    d.nz = "|" + v;
    if (need_zero) o << "  wire " << v << "_zero = ~|" << v << ";\n";
    return d;
  }
  int E = op.ebits, M = op.mbits;
  o << "  // " << op.name << ": sign, exponent field, mantissa field.\n";
  o << "  wire " << v << "_sgn = " << v << "[" << N - 1 << "];\n";
  o << "  wire " << rng(E) << v << "_ef = " << slice(v, M, E) << ";\n";
  if (M > 0) o << "  wire " << rng(M) << v << "_mf = " << slice(v, 0, M) << ";\n";
  o << "  // A subnormal (field 0) weighs like field 1 without the implicit bit.\n";
  o << "  wire " << v << "_nrm = " << (E == 1 ? v + "_ef" : "|" + v + "_ef") << ";\n";
  o << "  wire " << rng(M + 1) << v << "_sig = " << (M > 0 ? "{" + v + "_nrm, " + v + "_mf}" : v + "_nrm") << ";\n";
  if (op.exp_bits > 0) {
    o << "  // Offset exponent max(e,1)-1: how far this element's lsb sits above the format's smallest.\n";
    o << "  wire " << rng(op.exp_bits) << v << "_x = " << v << "_ef - " << zext(v + "_nrm", 1, E) << ";\n";
    d.x = v + "_x";
  }
  if (op.special == Special::NanOnly) {
    o << "  wire " << v << "_nan = &" << slice(v, 0, N - 1) << ";\n";
  } else if (op.special == Special::Ieee) {
    o << "  wire " << v << "_top = &" << v << "_ef;\n";
    o << "  wire " << v << "_nan = " << v << "_top & |" << v << "_mf;\n";
    o << "  wire " << v << "_inf = " << v << "_top & ~|" << v << "_mf;\n";
  }
  if (need_zero) o << "  wire " << v << "_zero = ~|" << slice(v, 0, N - 1) << ";\n";
  d.sgn = v + "_sgn";
  d.sig = v + "_sig";
  d.nz = "|" + v + "_sig";
  return d;
}

namespace {

PpKind pp_kind(Multiplier m) { return m == Multiplier::Array ? PpKind::Array : PpKind::Booth4; }

// A generated multiplier's operand: the signal itself, or a [0:0] copy of a
// 1-bit one (the generator indexes its bits).
MulOperand mul_operand(std::ostream& o, const std::string& v, int width, bool is_signed) {
  if (width > 1) return MulOperand{v, width, is_signed};
  o << "  wire [0:0] " << v << "_v = " << v << ";\n";
  return MulOperand{v + "_v", 1, is_signed};
}

}  // namespace

void emit_product(std::ostream& o, const Geometry& g, const Decode& da, const Decode& db, const std::string& prod) {
  const Operand &A = g.A, &B = g.B;
  int P = g.psw;
  // pe.multiplier: Yosys' `*`, or partial products and a Dadda tree written
  // out here (gen/pe/booth_multiplier.hpp, docs/pe.md "Multipliers").
  const bool gen_mul = g.spec.multiplier != Multiplier::Behavioural;
  const PpKind kind = pp_kind(g.spec.multiplier);
  if (gen_mul)
    o << "  // " << (kind == PpKind::Booth4 ? "Radix-4 Booth" : "AND-array (Baugh-Wooley)")
      << " partial products, Dadda tree (pe.multiplier: " << multiplier_name(g.spec.multiplier) << ").\n";
  if (A.is_int && B.is_int) {
    if (gen_mul)
      emit_tree_product(o, kind, mul_operand(o, "a", A.bits, true), mul_operand(o, "b", B.bits, true), P, "bm", prod);
    else
      o << "  wire " << rng(P) << prod << " = $signed(" << sext("a", A.bits, P) << ") * $signed("
        << sext("b", B.bits, P) << ");\n";
  } else if (!A.is_int && !B.is_int) {
    if (gen_mul)
      emit_tree_product(o, kind, mul_operand(o, da.sig, A.sig_bits, false), mul_operand(o, db.sig, B.sig_bits, false),
                        P - 1, "bm", "mag");
    else
      o << "  wire " << rng(P - 1) << "mag = " << zext(da.sig, A.sig_bits, P - 1) << " * "
        << zext(db.sig, B.sig_bits, P - 1) << ";\n";
    o << "  wire sgn = " << da.sgn << " ^ " << db.sgn << ";\n";
    o << "  // The sign is applied to the narrow product, before any alignment shift.\n";
    o << "  wire " << rng(P) << prod << " = sgn ? -{1'b0, mag} : {1'b0, mag};\n";
  } else {
    const Operand& I = A.is_int ? A : B;
    const Operand& F = A.is_int ? B : A;
    std::string iv = A.is_int ? "a" : "b";
    const Decode& df = A.is_int ? db : da;
    o << "  // Integer times FP significand (signed x unsigned), then the FP sign.\n";
    if (gen_mul)
      emit_tree_product(o, kind, mul_operand(o, iv, I.bits, true), mul_operand(o, df.sig, F.sig_bits, false), P, "bm",
                        "qs");
    else
      o << "  wire " << rng(P) << "qs = $signed(" << sext(iv, I.bits, P) << ") * $signed("
        << zext(df.sig, F.sig_bits, P) << ");\n";
    o << "  wire " << rng(P) << prod << " = " << df.sgn << " ? -qs : qs;\n";
  }
}

void emit_mul_module(std::ostream& o, const Geometry& g) {
  const Operand &A = g.A, &B = g.B;
  const std::string name = g.spec.module_name + "_mul";
  bool flags_nan = g.lane_nan();
  bool want_nz = g.chunk_emax();  // the lane tells whether its product is nonzero
  o << "// One lane: " << A.name << " element x " << B.name << " element.\n";
  if (g.int_only)
    o << "// INT x INT: a signed integer multiply; no exponent, no alignment.\n";
  else
    o << "// Product = sign, significand product (implicit bits and subnormals decoded),\n"
         "// offset exponent = sum of the operands' offset exponents.\n";
  std::vector<PortDecl> ports = {"input  wire " + rng(A.bits) + "a", "input  wire " + rng(B.bits) + "b",
                                    "output wire " + rng(g.pow) + "p"};
  if (g.epw > 0) ports.push_back("output wire " + rng(g.epw) + "e");
  if (want_nz) ports.push_back("output wire nz");
  if (flags_nan) ports.push_back("output wire nan");
  if (g.has_inf) {
    ports.push_back("output wire pinf");
    ports.push_back("output wire ninf");
  }
  o << "module " << name << " (\n" << join_ports(ports) << ");\n";
  Decode da = emit_decode(o, A, "a", B.inf);
  Decode db = emit_decode(o, B, "b", A.inf);

  // The significand product.
  std::string prod = "prod";
  bool trunc = g.ptrunc > 0;
  if (trunc)
    o << "  // aligned:W keeps only the top of the product window; the bits below are\n"
         "  // dropped (floor) by design.\n  /* verilator lint_off UNUSEDSIGNAL */\n";
  emit_product(o, g, da, db, prod);
  if (trunc) o << "  /* verilator lint_on UNUSEDSIGNAL */\n";
  o << "  assign p = " << (trunc ? slice(prod, g.ptrunc, g.pow) : prod) << ";\n";
  if (g.epw > 0) {
    std::vector<std::string> terms;
    if (!da.x.empty()) terms.push_back(zext(da.x, A.exp_bits, g.epw));
    if (!db.x.empty()) terms.push_back(zext(db.x, B.exp_bits, g.epw));
    o << "  assign e = " << terms[0] << (terms.size() > 1 ? " + " + terms[1] : "") << ";\n";
  }
  if (want_nz) o << "  assign nz = " << da.nz << " & " << db.nz << ";\n";
  if (flags_nan) {
    std::vector<std::string> t;
    if (A.nan) t.push_back("a_nan");
    if (B.nan) t.push_back("b_nan");
    if (A.inf) t.push_back("(a_inf & b_zero)");
    if (B.inf) t.push_back("(a_zero & b_inf)");
    o << "  // NaN operand, or Inf x 0.\n  assign nan = ";
    for (size_t i = 0; i < t.size(); ++i) o << (i ? " | " : "") << t[i];
    o << ";\n";
  }
  if (g.has_inf) {
    std::string inf = A.inf && B.inf ? "(a_inf | b_inf)" : A.inf ? "a_inf" : "b_inf";
    o << "  wire isgn = " << da.sgn << " ^ " << db.sgn << ";\n";
    o << "  assign pinf = " << inf << " & ~isgn;\n";
    o << "  assign ninf = " << inf << " & isgn;\n";
  }
  o << "endmodule\n\n";
}

void emit_lanes(std::ostream& o, const Geometry& g, Bundle& c) {
  const Operand &A = g.A, &B = g.B;
  const std::string P = g.spec.module_name;
  int L = g.lanes;
  bool flags_nan = g.lane_nan();
  bool want_nz = g.chunk_emax();
  o << "\n  // Lane multipliers.\n";
  o << "  wire " << vec(L * g.pow) << "lane_p;\n";
  if (g.epw > 0) o << "  wire " << vec(L * g.epw) << "lane_e;\n";
  if (want_nz) o << "  wire " << vec(L) << "lane_nz;\n";
  if (flags_nan) o << "  wire " << vec(L) << "lane_nan;\n";
  if (g.has_inf) o << "  wire " << vec(L) << "lane_pinf;\n  wire " << vec(L) << "lane_ninf;\n";
  for (int i = 0; i < L; ++i) {
    o << "  " << P << "_mul u_mul" << i << " (.a(" << slice(c["a"], i * A.bits, A.bits) << "), .b("
      << slice(c["b"], i * B.bits, B.bits) << "), .p(" << slice("lane_p", i * g.pow, g.pow) << ")";
    if (g.epw > 0) o << ", .e(" << slice("lane_e", i * g.epw, g.epw) << ")";
    if (want_nz) o << ", .nz(lane_nz[" << i << "])";
    if (flags_nan) o << ", .nan(lane_nan[" << i << "])";
    if (g.has_inf) o << ", .pinf(lane_pinf[" << i << "]), .ninf(lane_ninf[" << i << "])";
    o << ");\n";
  }
  c.drop("a");
  c.drop("b");
  c.add_bus("lp", "lane_p", L * g.pow);
  if (g.epw > 0) c.add_bus("le", "lane_e", L * g.epw);
  if (want_nz) c.add_bus("lnz", "lane_nz", L);
  if (flags_nan) {
    o << "  wire c_nan = |lane_nan;\n";
    c.add("nan", "c_nan", 1);
  }
  if (g.has_inf) {
    o << "  wire c_pinf = |lane_pinf;\n  wire c_ninf = |lane_ninf;\n";
    c.add("pinf", "c_pinf", 1);
    c.add("ninf", "c_ninf", 1);
  }
}

bool fused_lanes(const Geometry& g) {
  return g.int_only && g.spec.multiplier != Multiplier::Behavioural && !g.has(Cut::Mul) && !g.has(Cut::Align) &&
         g.ptrunc == 0 && (!g.aligned || g.umin <= 0);
}

void emit_fused_lanes(std::ostream& o, const Geometry& g, Bundle& c) {
  const Operand &A = g.A, &B = g.B;
  const Multiplier m = g.spec.multiplier;
  const int shift = g.aligned ? -g.umin : 0;  // aligned:W places every product `shift` bits up
  o << "\n  // Lane multipliers and adder tree, fused: every lane's "
    << (m == Multiplier::Booth4 ? "radix-4 Booth" : "AND-array (Baugh-Wooley)")
    << " partial products\n  // (pe.multiplier: " << multiplier_name(m)
    << ") summed by one Dadda tree into the chunk sum, as in an INT dot-product unit.\n";
  std::vector<LaneProduct> lanes;
  for (int i = 0; i < g.lanes; ++i) {
    o << "  wire " << rng(A.bits) << "fa" << i << " = " << slice(c["a"], i * A.bits, A.bits) << ";\n";
    o << "  wire " << rng(B.bits) << "fb" << i << " = " << slice(c["b"], i * B.bits, B.bits) << ";\n";
    lanes.push_back(
        LaneProduct{mul_operand(o, "fa" + S(i), A.bits, true), mul_operand(o, "fb" + S(i), B.bits, true), shift});
  }
  // The section comment keeps the report's adder_tree row: the tree's final
  // carry-propagate add (synth/partition.cpp; the flow reports it with the
  // multipliers for INT x INT anyway).
  emit_fused_dot(o, pp_kind(m), lanes, g.csw, "fm", "c_sum", FaStyle::Add,
                 "\n  // Adder tree over the lanes: the carry-propagate add of the fused compressor tree.\n");
  c.drop("a");
  c.drop("b");
  c.add("sum", "c_sum", g.csw);
}

}  // namespace macforge::gen::pe

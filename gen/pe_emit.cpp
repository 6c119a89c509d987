// PE datapath emitter (docs/pe.md). Every width below is computed from exact
// bounds of the formats (cpp_int), so the emitted datapath is as narrow as the
// arithmetic allows and nothing overflows.
#include "gen/pe_emit.hpp"

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#ifndef MACFORGE_RTL_DIR
#error "MACFORGE_RTL_DIR must name the source tree's rtl/ directory"
#endif

namespace macforge::gen {
namespace {

using BigInt = boost::multiprecision::cpp_int;

// Beyond this the exact group accumulator stops being a sensible design
// (e.g. bf16 elements): the user should pick aligned:W instead.
constexpr int kMaxGroupBits = 1024;

int bitlen(const BigInt& v) { return v <= 0 ? 0 : int(boost::multiprecision::msb(v)) + 1; }
BigInt pow2(int n) { return BigInt(1) << n; }
BigInt ceil_shr(const BigInt& v, int k) { return (v + pow2(k) - 1) >> k; }
int clog2(long long x) {
  int n = 0;
  while ((1LL << n) < x) ++n;
  return n;
}
// Width of mf_lzc's count for a W-bit input.
int lzc_bits(int w) { return clog2(w + 1); }

std::string S(long long v) { return std::to_string(v); }
std::string rng(int w) { return w == 1 ? "" : "[" + S(w - 1) + ":0] "; }
// Always a vector, so that bit selects work for one lane too.
std::string vec(int w) { return "[" + S(w - 1) + ":0] "; }
std::string slice(const std::string& bus, int lo, int w) {
  return w == 1 ? bus + "[" + S(lo) + "]" : bus + "[" + S(lo + w - 1) + ":" + S(lo) + "]";
}
// Zero-extends expression x from `from` to `to` bits.
std::string zext(const std::string& x, int from, int to) {
  if (to == from) return x;
  if (to - from == 1) return "{1'b0, " + x + "}";
  return "{{" + S(to - from) + "{1'b0}}, " + x + "}";
}
// Sign-extends the named wire x (from bits) to `to` bits.
std::string sext(const std::string& x, int from, int to) {
  if (to == from) return x;
  std::string msb = from == 1 ? x : x + "[" + S(from - 1) + "]";
  if (to - from == 1) return "{" + msb + ", " + x + "}";
  return "{{" + S(to - from) + "{" + msb + "}}, " + x + "}";
}
// A w-bit constant; negative values as two's complement.
std::string cst(int w, long long v) {
  BigInt m = pow2(w);
  BigInt u = ((BigInt(v) % m) + m) % m;
  return S(w) + "'d" + u.str();
}

// ---------------------------------------------------------------------------
// Per-operand constants.

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
};

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

// ---------------------------------------------------------------------------
// The whole PE's geometry.

enum class Cut { Norm, Mul, Scale, Tree, Align };

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
};

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

// ---------------------------------------------------------------------------
// Pipeline bundles: the signals travelling together, re-registered at a cut.

struct Sig {
  std::string key, expr;
  int width;
  bool valid;
  bool bus;  // a per-lane bus: declared as a vector even for one lane
};

struct Bundle {
  std::vector<Sig> sigs;
  void add(const std::string& key, const std::string& expr, int width, bool valid = false) {
    sigs.push_back({key, expr, width, valid, false});
  }
  void add_bus(const std::string& key, const std::string& expr, int width) {
    sigs.push_back({key, expr, width, false, true});
  }
  void drop(const std::string& key) {
    sigs.erase(std::remove_if(sigs.begin(), sigs.end(), [&](const Sig& s) { return s.key == key; }), sigs.end());
  }
  bool has(const std::string& key) const {
    return std::any_of(sigs.begin(), sigs.end(), [&](const Sig& s) { return s.key == key; });
  }
  const std::string& operator[](const std::string& key) const {
    for (const Sig& s : sigs)
      if (s.key == key) return s.expr;
    throw std::logic_error("pe_emit: no signal " + key);
  }
};

void register_bundle(std::ostream& o, Bundle& b, const std::string& stage, const std::string& why) {
  o << "\n  // Register stage '" << stage << "': " << why << ".\n";
  for (const Sig& s : b.sigs) o << "  reg  " << (s.bus ? vec(s.width) : rng(s.width)) << stage << "_" << s.key << ";\n";
  o << "  always @(posedge clk) begin\n";
  for (const Sig& s : b.sigs) {
    std::string r = stage + "_" + s.key;
    if (s.valid)
      o << "    if (rst) " << r << " <= 1'b0;\n    else     " << r << " <= " << s.expr << ";\n";
    else
      o << "    " << r << " <= " << s.expr << ";\n";
  }
  o << "  end\n";
  for (Sig& s : b.sigs) s.expr = stage + "_" + s.key;
}

// A port declaration; `waiver` (if any) explains why the input is unused in this
// configuration and wraps the port in a lint waiver.
struct PortDecl {
  std::string decl, waiver;
  PortDecl(const std::string& d) : decl(d) {}  // NOLINT: implicit on purpose
  PortDecl(const char* d) : decl(d) {}         // NOLINT
  PortDecl(const std::string& d, const std::string& w) : decl(d), waiver(w) {}
};

std::string join_ports(const std::vector<PortDecl>& ports) {
  std::string s;
  for (size_t i = 0; i < ports.size(); ++i) {
    const PortDecl& p = ports[i];
    std::string line = "  " + p.decl + (i + 1 < ports.size() ? ",\n" : "\n");
    if (p.waiver.empty())
      s += line;
    else
      s += "  /* verilator lint_off UNUSEDSIGNAL */  // " + p.waiver + "\n" + line +
           "  /* verilator lint_on UNUSEDSIGNAL */\n";
  }
  return s;
}

// ---------------------------------------------------------------------------
// Lane multiplier module.

struct Decode {
  std::string sgn;   // sign bit expression (INT: the two's complement sign)
  std::string sig;   // FP: unsigned significand wire
  std::string x;     // FP: offset exponent wire ("" when none)
  std::string nz;    // nonzero expression
};

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

void emit_mul(std::ostream& o, const Geometry& g) {
  const Operand &A = g.A, &B = g.B;
  const std::string name = g.spec.module_name + "_mul";
  bool flags_nan = A.nan || B.nan || A.inf || B.inf;
  bool want_nz = g.aligned && g.epw > 0;
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
  int P = g.psw;
  if (A.is_int && B.is_int) {
    o << "  wire " << rng(P) << prod << " = $signed(" << sext("a", A.bits, P) << ") * $signed(" << sext("b", B.bits, P)
      << ");\n";
  } else if (!A.is_int && !B.is_int) {
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
    o << "  wire " << rng(P) << "qs = $signed(" << sext(iv, I.bits, P) << ") * $signed(" << zext(df.sig, F.sig_bits, P)
      << ");\n";
    o << "  wire " << rng(P) << prod << " = " << df.sgn << " ? -qs : qs;\n";
  }
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

// ---------------------------------------------------------------------------
// Float32 accumulate adder: acc + v, one rounding.

void emit_fadd(std::ostream& o, const Geometry& g) {
  const std::string name = g.spec.module_name + "_fadd";
  int NW = g.mw, EW = g.ew, NWIN = g.nwin;
  int SHW = bitlen(NWIN + 1);
  int LZW = lzc_bits(NWIN + 2);
  o << "// Float32 accumulate: sum = RNE32(acc + v), v = (-1)^v_sgn * v_sig * 2^(v_exp - 127 - " << NW - 1
    << ")\n"
       "// exact (v_sig normalized, MSB set). A single-path adder whose window holds the\n"
       "// whole of v: the operand with the higher frame stays, the other is shifted right\n"
       "// with a sticky bit; the window is wide enough that a cancelling subtraction is\n"
       "// exact and any other case has >= 2 bits below the rounding position (round to\n"
       "// odd, then RNE once = RNE). Subnormal results come from capping the\n"
       "// normalization shift at the subnormal frame. IEEE specials per FORMATS.md s5.\n";
  std::vector<PortDecl> ports = {"input  wire [31:0] acc", "input  wire v_sgn", "input  wire " + rng(NW) + "v_sig",
                                    "input  wire " + rng(EW) + "v_exp", "input  wire v_zero"};
  if (g.has_nan) ports.push_back("input  wire v_nan");
  if (g.has_inf) {
    ports.push_back("input  wire v_inf");
    ports.push_back("input  wire v_isgn");
  }
  ports.push_back("output wire [31:0] sum");
  o << "module " << name << " (\n" << join_ports(ports) << ");\n";
  o << "  wire        a_sgn = acc[31];\n"
       "  wire [7:0]  a_ef  = acc[30:23];\n"
       "  wire [22:0] a_mf  = acc[22:0];\n"
       "  wire        a_nrm = |a_ef;\n"
       "  wire        a_top = &a_ef;\n"
       "  wire        a_nan = a_top & |a_mf;\n"
       "  wire        a_inf = a_top & ~|a_mf;\n";
  o << "  // Frame of acc: max(e,1) (a subnormal sits in the smallest normal frame).\n";
  o << "  wire " << rng(EW) << "a_exp = {" << (EW > 8 ? S(EW - 8) + "'d0, " : "") << "a_ef[7:1], a_ef[0] | ~a_nrm};\n";
  o << "  // Both significands MSB-aligned in an " << NWIN << "-bit window.\n";
  o << "  wire " << rng(NWIN) << "a_win = {a_nrm, a_mf, " << NWIN - 24 << "'d0};\n";
  o << "  wire " << rng(NWIN) << "v_win = {v_sig, " << NWIN - NW << "'d0};\n";
  o << "  wire " << rng(EW) << "d = a_exp - v_exp;\n";
  o << "  wire        v_big = d[" << EW - 1 << "];\n";
  o << "  wire " << rng(EW) << "d_abs = v_big ? -d : d;\n";
  o << "  // Shifting by more than the window leaves only the sticky bit.\n";
  o << "  wire " << rng(SHW) << "sh = (d_abs > " << cst(EW, NWIN + 1) << ") ? " << cst(SHW, NWIN + 1) << " : "
    << slice("d_abs", 0, SHW) << ";\n";
  o << "  wire " << rng(NWIN) << "big = v_big ? v_win : a_win;\n";
  o << "  wire " << rng(NWIN) << "sml = v_big ? a_win : v_win;\n";
  o << "  wire        big_sgn = v_big ? v_sgn : a_sgn;\n";
  o << "  wire        sml_sgn = v_big ? a_sgn : v_sgn;\n";
  o << "  wire " << rng(EW) << "big_exp = v_big ? v_exp : a_exp;\n";
  o << "  wire " << rng(NWIN) << "sml_sh = sml >> sh;\n";
  o << "  wire        sml_st = |(sml & ~({" << NWIN << "{1'b1}} << sh));\n";
  o << "  // A carry bit on top; the sticky bit as an extra lsb keeps the computed value\n"
       "  // strictly between the same two window grid points as the exact one.\n";
  o << "  wire " << rng(NWIN + 2) << "big_x = {1'b0, big, 1'b0};\n";
  o << "  wire " << rng(NWIN + 2) << "sml_x = {1'b0, sml_sh, sml_st};\n";
  o << "  wire        eff_sub = big_sgn ^ sml_sgn;\n";
  o << "  wire " << rng(NWIN + 2) << "raw = eff_sub ? big_x - sml_x : big_x + sml_x;\n";
  o << "  // Negative only when the lower frame held the larger magnitude (equal frames,\n"
       "  // or a subnormal acc).\n";
  o << "  wire        neg = eff_sub & raw[" << NWIN + 1 << "];\n";
  o << "  wire " << rng(NWIN + 2) << "mag = neg ? -raw : raw;\n";
  o << "  wire        r_sgn = neg ? sml_sgn : big_sgn;\n";
  o << "  wire " << rng(LZW) << "lz;\n";
  o << "  mf_lzc #(.W(" << NWIN + 2 << ")) u_lzc (.x(mag), .cnt(lz));\n";
  o << "  // Bit " << NWIN + 1 << " of mag has biased exponent big_exp + 1; a left shift by s gives\n"
       "  // big_exp + 1 - s, which must stay >= 1: s = min(lz, big_exp) (big_exp >= 1).\n";
  o << "  wire        lz_fits = " << zext("lz", LZW, EW) << " <= big_exp;\n";
  o << "  wire " << rng(LZW) << "s = lz_fits ? lz : " << slice("big_exp", 0, LZW) << ";\n";
  o << "  wire " << rng(NWIN + 2) << "nrm = mag << s;\n";
  o << "  wire " << rng(EW) << "r_exp = big_exp + " << cst(EW, 1) << " - " << zext("s", LZW, EW) << ";\n";
  o << "  wire        ovf = nrm[" << NWIN + 1 << "] & (r_exp >= " << cst(EW, 255) << ");\n";
  o << "  // No leading one at the top after the capped shift: a subnormal, field 0.\n";
  o << "  wire [7:0]  r_ef = nrm[" << NWIN + 1 << "] ? r_exp[7:0] : 8'd0;\n";
  o << "  wire [22:0] r_mf = nrm[" << NWIN << ":" << NWIN - 22 << "];\n";
  o << "  wire        r_grd = nrm[" << NWIN - 23 << "];\n";
  o << "  wire        r_st = |nrm[" << NWIN - 24 << ":0];\n";
  o << "  wire        r_up = r_grd & (r_st | r_mf[0]);\n";
  o << "  // The mantissa carry moves into the exponent field (also subnormal -> normal\n"
       "  // and 254 -> Inf).\n";
  o << "  wire [30:0] r_bits = {r_ef, r_mf} + {30'd0, r_up};\n";
  o << "  wire        mag_zero = ~|mag;\n";
  o << "  // Exact cancellation gives +0.\n";
  o << "  wire [31:0] fin = ovf ? {r_sgn, 8'hFF, 23'd0} : mag_zero ? 32'd0 : {r_sgn, r_bits};\n";
  std::string nan = "a_nan";
  if (g.has_nan) nan += " | v_nan";
  if (g.has_inf) nan += " | (v_inf & a_inf & (a_sgn ^ v_isgn))";
  o << "  // Specials: NaN sticks; Inf + -Inf = NaN; a finite value leaves Inf alone; a\n"
       "  // zero group value (zero sum, or a zero ue4m3 scale) is acc + 0: -0 becomes +0.\n";
  o << "  assign sum = (" << nan << ") ? 32'h7FC00000 :\n";
  if (g.has_inf) o << "               v_inf ? {v_isgn, 8'hFF, 23'd0} :\n";
  o << "               a_inf ? acc :\n";
  o << "               v_zero ? {acc[31] & |acc[30:0], acc[30:0]} :\n";
  o << "               fin;\n";
  o << "endmodule\n\n";
}

// ---------------------------------------------------------------------------
// Adder tree over named leaves; returns the root wire and its width.

std::string emit_tree(std::ostream& o, std::vector<std::string> names, const BigInt& leaf_max, int leaf_w,
                      int& out_w) {
  std::vector<int> cnt(names.size(), 1), wid(names.size(), leaf_w);
  int level = 0;
  while (names.size() > 1) {
    ++level;
    std::vector<std::string> nn;
    std::vector<int> nc, nw;
    for (size_t i = 0; i + 1 < names.size(); i += 2) {
      int c = cnt[i] + cnt[i + 1];
      int w = bitlen(leaf_max * c) + 1;
      std::string n = "t" + S(level) + "_" + S(long(i / 2));
      o << "  wire " << rng(w) << n << " = " << sext(names[i], wid[i], w) << " + " << sext(names[i + 1], wid[i + 1], w)
        << ";\n";
      nn.push_back(n);
      nc.push_back(c);
      nw.push_back(w);
    }
    if (names.size() % 2) {
      nn.push_back(names.back());
      nc.push_back(cnt.back());
      nw.push_back(wid.back());
    }
    names = nn;
    cnt = nc;
    wid = nw;
  }
  out_w = wid[0];
  return names[0];
}

// ---------------------------------------------------------------------------
// The PE top module.

void emit_top(std::ostream& o, const Geometry& g) {
  const PeSpec& sp = g.spec;
  const Operand &A = g.A, &B = g.B;
  const std::string P = sp.module_name;
  int L = g.lanes;
  bool sa = A.scale != ScaleKind::None, sb = B.scale != ScaleKind::None;
  bool flags_nan = A.nan || B.nan || A.inf || B.inf;
  bool want_nz = g.aligned && g.epw > 0;
  // ue4m3 codes: the sign bit is not part of the scale (FORMATS.md s2).
  int saw = A.scale == ScaleKind::UE4M3 ? 7 : 8, sbw = B.scale == ScaleKind::UE4M3 ? 7 : 8;

  o << "// " << P << ": processing element, " << A.name << " x " << B.name << ", " << L << " lane" << (L > 1 ? "s" : "")
    << ", group " << g.group << " (" << g.cpg << " chunk" << (g.cpg > 1 ? "s" : "") << "), "
    << (g.aligned ? "aligned:" + S(g.W) : std::string("exact-block"))
    << (sp.accum.mode == AccumMode::Aligned && !g.aligned ? " (aligned:" + S(sp.accum.width) + " is exact here)" : "")
    << ", accumulator " << (g.internal ? "internal" : "external (in_acc)") << ", pipeline +" << sp.pipeline
    << ", latency " << g.latency << ".\n";
  o << "// Contract: gen/pe_spec.hpp. Micro-architecture: docs/pe.md.\n";
  if (g.int_only)
    o << "// INT x INT: products are integers summed directly; the only floating-point\n"
         "// logic is the group -> float32 accumulate stage, once per PE.\n";
  std::vector<PortDecl> ports = {"input  wire clk", "input  wire rst", "input  wire in_valid"};
  // Inputs of the contract that this configuration does not read get a
  // documented lint waiver.
  if (g.internal)
    ports.push_back("input  wire in_first");
  else
    ports.push_back({"input  wire in_first", "external accumulator: in_acc replaces the restart"});
  ports.push_back("input  wire in_blk_last");
  if (g.internal)
    ports.push_back("input  wire in_last");
  else
    ports.push_back({"input  wire in_last", "external accumulator: every group is an output"});
  ports.push_back("input  wire " + rng(L * A.bits) + "in_a");
  ports.push_back("input  wire " + rng(L * B.bits) + "in_b");
  if (sa) {
    if (A.scale == ScaleKind::UE4M3)
      ports.push_back({"input  wire [7:0] in_a_scale", "bit 7: a ue4m3 scale has no sign"});
    else
      ports.push_back("input  wire [7:0] in_a_scale");
  }
  if (sb) {
    if (B.scale == ScaleKind::UE4M3)
      ports.push_back({"input  wire [7:0] in_b_scale", "bit 7: a ue4m3 scale has no sign"});
    else
      ports.push_back("input  wire [7:0] in_b_scale");
  }
  if (!g.internal) ports.push_back("input  wire [31:0] in_acc");
  ports.push_back("output wire out_valid");
  ports.push_back("output wire [31:0] out_acc");
  o << "module " << P << " (\n" << join_ports(ports) << ");\n";

  // Chunk bundle.
  Bundle c;
  c.add("valid", "in_valid", 1, true);
  if (g.internal) {
    c.add("first", "in_first", 1);
    c.add("last", "in_last", 1);
  }
  c.add("blk", "in_blk_last", 1);
  c.add("a", "in_a", L * A.bits);
  c.add("b", "in_b", L * B.bits);
  if (sa) c.add("as", saw == 7 ? "in_a_scale[6:0]" : "in_a_scale", saw);
  if (sb) c.add("bs", sbw == 7 ? "in_b_scale[6:0]" : "in_b_scale", sbw);
  if (!g.internal) c.add("acc", "in_acc", 32);
  for (int i = 0; i < g.in_regs; ++i)
    register_bundle(o, c, "i" + S(i + 1), "input register (pipeline stages beyond the datapath cuts)");

  // Lanes.
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
  if (g.has(Cut::Mul)) register_bundle(o, c, "m", cut_name(Cut::Mul));

  // Alignment.
  o << "\n  // Alignment of the lane products.\n";
  std::vector<std::string> leaves;
  for (int i = 0; i < L; ++i) {
    std::string lp = "lp" + S(i);
    o << "  wire " << rng(g.pow) << lp << " = " << slice(c["lp"], i * g.pow, g.pow) << ";\n";
  }
  if (!g.aligned) {
    if (g.epw == 0) {
      for (int i = 0; i < L; ++i) leaves.push_back("lp" + S(i));
    } else {
      o << "  // exact-block: each product shifted by its offset exponent into one fixed point.\n";
      for (int i = 0; i < L; ++i) {
        std::string lv = "lv" + S(i);
        o << "  wire " << rng(g.lw) << lv << " = " << sext("lp" + S(i), g.pow, g.lw) << " << "
          << slice(c["le"], i * g.epw, g.epw) << ";\n";
        leaves.push_back(lv);
      }
    }
  } else {
    int k = -g.umin;  // static left shift into the W window (negative: already truncated in the lane)
    auto placed = [&](int i) {
      std::string lp = "lp" + S(i);
      if (k > 0) return "{" + sext(lp, g.pow, g.lw - k) + ", " + S(k) + "'d0}";
      return sext(lp, g.pow, g.lw);
    };
    if (g.epw == 0) {
      for (int i = 0; i < L; ++i) {
        std::string lv = "lv" + S(i);
        o << "  wire " << rng(g.lw) << lv << " = " << placed(i) << ";\n";
        leaves.push_back(lv);
      }
    } else {
      o << "  // aligned:" << g.W << ": the chunk's largest product exponent (zero products excluded),\n"
        << "  // then each product shifted right from it with floor.\n";
      std::vector<std::string> ex;
      for (int i = 0; i < L; ++i) {
        std::string e = slice(c["le"], i * g.epw, g.epw);
        o << "  wire " << rng(g.epw) << "em" << i << " = " << c["lnz"] << "[" << i << "] ? " << e << " : "
          << cst(g.epw, 0) << ";\n";
        ex.push_back("em" + S(i));
      }
      int lvl = 0;
      while (ex.size() > 1) {
        ++lvl;
        std::vector<std::string> nx;
        for (size_t i = 0; i + 1 < ex.size(); i += 2) {
          std::string n = "mx" + S(lvl) + "_" + S(long(i / 2));
          o << "  wire " << rng(g.epw) << n << " = (" << ex[i] << " > " << ex[i + 1] << ") ? " << ex[i] << " : "
            << ex[i + 1] << ";\n";
          nx.push_back(n);
        }
        if (ex.size() % 2) nx.push_back(ex.back());
        ex = nx;
      }
      o << "  wire " << rng(g.epw) << "emax = " << ex[0] << ";\n";
      for (int i = 0; i < L; ++i) {
        std::string lv = "lv" + S(i);
        o << "  wire " << rng(g.lw) << "lw" << i << " = " << placed(i) << ";\n";
        o << "  wire " << rng(g.lw) << lv << " = $signed(lw" << i << ") >>> (emax - "
          << slice(c["le"], i * g.epw, g.epw) << ");\n";
        leaves.push_back(lv);
      }
    }
  }
  int leaf_w = (!g.aligned && g.epw == 0) ? g.pow : g.lw;
  if (g.epw > 0) c.drop("le");
  if (want_nz) c.drop("lnz");
  c.drop("lp");
  bool emax_sig = g.aligned && g.epw > 0;
  if (emax_sig) c.add("emax", "emax", g.epw);
  if (g.has(Cut::Align)) {
    std::string all;
    for (int i = L - 1; i >= 0; --i) all += leaves[size_t(i)] + (i ? ", " : "");
    o << "  wire " << vec(L * leaf_w) << "lane_v = {" << all << "};\n";
    c.add_bus("lv", "lane_v", L * leaf_w);
    register_bundle(o, c, "al", cut_name(Cut::Align));
    for (int i = 0; i < L; ++i) {
      o << "  wire " << rng(leaf_w) << "tv" << i << " = " << slice(c["lv"], i * leaf_w, leaf_w) << ";\n";
      leaves[size_t(i)] = "tv" + S(i);
    }
    c.drop("lv");
  }

  // Adder tree.
  o << "\n  // Adder tree over the lanes (each node as wide as its exact bound).\n";
  int tw = 0;
  std::string root = emit_tree(o, leaves, g.leaf_max, leaf_w, tw);
  o << "  wire " << rng(g.csw) << "c_sum = " << sext(root, tw, g.csw) << ";\n";
  c.add("sum", "c_sum", g.csw);
  if (g.has(Cut::Tree)) register_bundle(o, c, "tr", cut_name(Cut::Tree));

  // Group accumulator.
  int GW = g.gw;
  o << "\n  // Group accumulator: sums the chunks of a group exactly; g_* hold a complete\n"
       "  // group in the cycle after its last chunk.\n";
  o << "  reg         g_valid;\n  reg  " << rng(GW) << "g_sum;\n";
  Bundle gb;
  gb.add("valid", "g_valid", 1, true);
  std::vector<std::pair<std::string, int>> carried;  // captured from the chunk
  if (g.internal) carried.push_back({"last", 1});
  if (sa) carried.push_back({"as", saw});
  if (sb) carried.push_back({"bs", sbw});
  if (!g.internal) carried.push_back({"acc", 32});
  if (emax_sig && g.cpg == 1) carried.push_back({"emax", g.epw});
  std::vector<std::string> sticky;  // OR-ed over the chunks of a group
  if (g.internal) sticky.push_back("first");
  if (flags_nan) sticky.push_back("nan");
  if (g.has_inf) {
    sticky.push_back("pinf");
    sticky.push_back("ninf");
  }
  for (auto& [k, w] : carried) o << "  reg  " << rng(w) << "g_" << k << ";\n";
  for (auto& k : sticky) o << "  reg         g_" << k << ";\n";
  if (g.cpg == 1) {
    o << "  // One chunk per group: in_blk_last is set on every chunk.\n";
    o << "  always @(posedge clk) begin\n";
    o << "    if (rst) g_valid <= 1'b0;\n    else     g_valid <= " << c["valid"] << " & " << c["blk"] << ";\n";
    o << "    if (" << c["valid"] << ") begin\n";
    o << "      g_sum <= " << c["sum"] << ";\n";
    for (auto& k : sticky) o << "      g_" << k << " <= " << c[k] << ";\n";
    for (auto& [k, w] : carried) o << "      g_" << k << " <= " << c[k] << ";\n";
    o << "    end\n  end\n";
  } else {
    std::string add;
    if (!g.aligned) {
      o << "  wire " << rng(g.csw) << "c_in = " << c["sum"] << ";\n";
      add = sext("c_in", g.csw, GW);
    } else {
      o << "  wire " << rng(g.csw) << "c_in = " << c["sum"] << ";\n";
      std::string sh = emax_sig ? c["emax"] : "";
      if (g.umin >= 0) {
        std::string placed = g.umin > 0 ? "{" + sext("c_in", g.csw, GW - g.umin) + ", " + S(g.umin) + "'d0}"
                                        : sext("c_in", g.csw, GW);
        o << "  // The chunk sum's unit is 2^(emax + " << g.umin << ") group lsbs.\n";
        o << "  wire " << rng(GW) << "c_add = " << placed << (sh.empty() ? "" : " << " + sh) << ";\n";
      } else {
        int r = -g.umin;
        o << "  // The chunk sum's unit is 2^(emax - " << r
          << ") group lsbs; below the group lsb it is zero\n"
             "  // (those products were exact), so the low bits are dropped unread.\n";
        o << "  /* verilator lint_off UNUSEDSIGNAL */\n";
        o << "  wire " << rng(GW + r) << "c_wide = " << sext("c_in", g.csw, GW + r) << " << " << sh << ";\n";
        o << "  /* verilator lint_on UNUSEDSIGNAL */\n";
        o << "  wire " << rng(GW) << "c_add = " << slice("c_wide", r, GW) << ";\n";
      }
      add = "c_add";
    }
    o << "  reg         g_open;  // a group has begun and not yet ended\n";
    o << "  always @(posedge clk) begin\n";
    o << "    if (rst) begin\n      g_valid <= 1'b0;\n      g_open  <= 1'b0;\n    end else begin\n";
    o << "      g_valid <= " << c["valid"] << " & " << c["blk"] << ";\n";
    o << "      if (" << c["valid"] << ") g_open <= ~" << c["blk"] << ";\n    end\n";
    o << "    if (" << c["valid"] << ") begin\n";
    o << "      g_sum <= (g_open ? g_sum : " << cst(GW, 0) << ") + " << add << ";\n";
    for (auto& k : sticky) o << "      g_" << k << " <= (g_open & g_" << k << ") | " << c[k] << ";\n";
    for (auto& [k, w] : carried) o << "      g_" << k << " <= " << c[k] << ";\n";
    o << "    end\n  end\n";
  }
  for (auto& k : sticky) gb.add(k, "g_" + k, 1);
  for (auto& [k, w] : carried) gb.add(k, "g_" + k, w);

  // Block scales.
  o << "\n  // Group value = group sum x block scales: exponent adds (e8m0, ue4m3) and\n"
       "  // the ue4m3 significand product.\n";
  std::vector<std::string> eterms;
  std::vector<std::string> snan;
  std::string szero;
  auto scale_dec = [&](const char* v, ScaleKind k, const std::string& code) {
    std::string s = v;
    if (k == ScaleKind::E8M0) {
      o << "  wire " << s << "_nan = &" << code << ";  // e8m0 0xFF\n";
      eterms.push_back(zext(code, 8, g.ew));
    } else {
      o << "  wire " << s << "_nan = &" << code << ";  // ue4m3 S.1111.111\n";
      o << "  wire " << s << "_nrm = |" << code << "[6:3];\n";
      o << "  wire [3:0] " << s << "_sig = {" << s << "_nrm, " << code << "[2:0]};\n";
      o << "  wire " << s << "_zero = ~|" << code << ";\n";
      eterms.push_back(zext("{" + code + "[6:4], " + code + "[3] | ~" + s + "_nrm}", 4, g.ew));
    }
    snan.push_back(s + "_nan");
  };
  if (sa) scale_dec("sa", A.scale, gb["as"]);
  if (sb) scale_dec("sb", B.scale, gb["bs"]);
  std::string gsum = "g_sum";
  std::string sval;
  if (g.ue_a || g.ue_b) {
    if (g.ue_a && g.ue_b)
      o << "  wire " << rng(g.spw) << "s_sig = " << zext("sa_sig", 4, g.spw) << " * " << zext("sb_sig", 4, g.spw)
        << ";\n";
    else
      o << "  wire " << rng(g.spw) << "s_sig = " << (g.ue_a ? "sa_sig" : "sb_sig") << ";\n";
    o << "  wire " << rng(g.ssw) << "s_val = $signed(" << sext(gsum, GW, g.ssw) << ") * $signed("
      << zext("s_sig", g.spw, g.ssw) << ");\n";
    std::string z = g.ue_a && g.ue_b ? "sa_zero | sb_zero" : g.ue_a ? "sa_zero" : "sb_zero";
    o << "  wire s_szero = " << z << ";\n";
    szero = "s_szero";
    sval = "s_val";
  } else {
    sval = gsum;
  }
  o << "  wire s_zero = ~|" << gsum << (szero.empty() ? "" : " | " + szero) << ";  // the group value is zero\n";
  std::string nan_expr, inf_expr, isgn_expr;
  {
    std::vector<std::string> t;
    if (flags_nan) t.push_back(gb["nan"]);
    if (g.has_inf) t.push_back("(" + gb["pinf"] + " & " + gb["ninf"] + ")");
    for (auto& s : snan) t.push_back(s);
    if (g.has_inf && !szero.empty()) t.push_back("((" + gb["pinf"] + " | " + gb["ninf"] + ") & " + szero + ")");
    if (!t.empty()) {
      o << "  wire s_nan = ";
      for (size_t i = 0; i < t.size(); ++i) o << (i ? " | " : "") << t[i];
      o << ";\n";
    }
    if (g.has_inf) {
      o << "  wire s_inf = " << gb["pinf"] << " | " << gb["ninf"] << ";\n";
      o << "  wire s_isgn = " << gb["ninf"] << ";\n";
    }
  }
  o << "  // Biased float32 exponent of the value's MSB before normalization (the\n"
       "  // leading-zero count is subtracted next): element lsbs, scale exponents"
    << (emax_sig && g.cpg == 1 ? ", chunk exponent" : "") << ".\n";
  std::string ex = cst(g.ew, g.kconst);
  for (auto& t : eterms) ex += " + " + t;
  if (emax_sig && g.cpg == 1) ex += " + " + zext(gb["emax"], g.epw, g.ew);
  o << "  wire " << rng(g.ew) << "s_exp = " << ex << ";\n";
  // Bundle after the scale stage.
  Bundle sbd;
  sbd.add("valid", gb["valid"], 1, true);
  if (g.internal) {
    sbd.add("first", gb["first"], 1);
    sbd.add("last", gb["last"], 1);
  } else {
    sbd.add("acc", gb["acc"], 32);
  }
  sbd.add("val", sval, g.ssw);
  sbd.add("exp", "s_exp", g.ew);
  sbd.add("zero", "s_zero", 1);
  if (g.has_nan) sbd.add("nan", "s_nan", 1);
  if (g.has_inf) {
    sbd.add("inf", "s_inf", 1);
    sbd.add("isgn", "s_isgn", 1);
  }
  if (g.has(Cut::Scale)) register_bundle(o, sbd, "sc", cut_name(Cut::Scale));

  // Normalization.
  int MW = g.mw;
  o << "\n  // Normalization of the exact group value: magnitude, leading zeros, shift.\n";
  o << "  wire " << rng(g.ssw) << "n_val = " << sbd["val"] << ";\n";
  o << "  wire n_sgn = n_val[" << g.ssw - 1 << "];\n";
  o << "  wire " << rng(MW) << "n_mag = n_sgn ? -" << slice("n_val", 0, MW) << " : " << slice("n_val", 0, MW) << ";\n";
  o << "  wire " << rng(lzc_bits(MW)) << "n_lz;\n";
  o << "  mf_lzc #(.W(" << MW << ")) u_nlzc (.x(n_mag), .cnt(n_lz));\n";
  o << "  wire " << rng(MW) << "n_sig = n_mag << n_lz;\n";
  o << "  wire " << rng(g.ew) << "n_exp = " << sbd["exp"] << " - " << zext("n_lz", lzc_bits(MW), g.ew) << ";\n";
  sbd.drop("val");
  sbd.drop("exp");
  sbd.add("sgn", "n_sgn", 1);
  sbd.add("sig", "n_sig", MW);
  sbd.add("exp", "n_exp", g.ew);
  if (g.has(Cut::Norm)) register_bundle(o, sbd, "nr", cut_name(Cut::Norm));

  // Float32 accumulate.
  o << "\n  // Float32 accumulate (one rounding per group).\n";
  o << "  reg         o_valid;\n  reg  [31:0] acc_q;\n";
  o << "  wire [31:0] f_sum;\n";
  std::string acc_in;
  if (g.internal) {
    o << "  // The first group of a dot product starts from +0.0.\n";
    o << "  wire [31:0] f_acc = " << sbd["first"] << " ? 32'd0 : acc_q;\n";
    acc_in = "f_acc";
  } else {
    acc_in = sbd["acc"];
  }
  o << "  " << P << "_fadd u_fadd (.acc(" << acc_in << "), .v_sgn(" << sbd["sgn"] << "), .v_sig(" << sbd["sig"]
    << "), .v_exp(" << sbd["exp"] << "), .v_zero(" << sbd["zero"] << ")";
  if (g.has_nan) o << ", .v_nan(" << sbd["nan"] << ")";
  if (g.has_inf) o << ", .v_inf(" << sbd["inf"] << "), .v_isgn(" << sbd["isgn"] << ")";
  o << ", .sum(f_sum));\n";
  o << "  always @(posedge clk) begin\n";
  o << "    if (rst) begin\n      o_valid <= 1'b0;\n      acc_q   <= 32'd0;\n    end else begin\n";
  if (g.internal)
    o << "      o_valid <= " << sbd["valid"] << " & " << sbd["last"] << ";\n";
  else
    o << "      o_valid <= " << sbd["valid"] << ";\n";
  o << "      if (" << sbd["valid"] << ") acc_q <= f_sum;\n    end\n  end\n";
  o << "  assign out_valid = o_valid;\n  assign out_acc = acc_q;\n";
  o << "endmodule\n\n";
}

std::string rtl_path(const std::string& f) { return std::string(MACFORGE_RTL_DIR) + "/" + f; }

}  // namespace

std::string rtl_dir() { return MACFORGE_RTL_DIR; }

PeInfo pe_info(const PeSpec& spec) {
  Geometry g = geometry(spec);
  PeInfo info;
  info.module_name = spec.module_name;
  info.latency = g.latency;
  info.a_bits = g.A.bits;
  info.b_bits = g.B.bits;
  info.a_scale = g.A.scale != ScaleKind::None;
  info.b_scale = g.B.scale != ScaleKind::None;
  info.group = g.group;
  return info;
}

PeWidths pe_widths(const PeSpec& spec) {
  Geometry g = geometry(spec);
  PeWidths w;
  w.group = g.group;
  w.chunks_per_group = g.cpg;
  w.int_only = g.int_only;
  w.aligned = g.aligned;
  w.lane_product = g.pow;
  w.lane_exp = g.epw;
  w.lane_value = (!g.aligned && g.epw == 0) ? g.pow : g.lw;
  w.chunk_sum = g.csw;
  w.group_sum = g.gw;
  w.scaled_sum = g.ssw;
  w.norm_sig = g.mw;
  w.exp_bits = g.ew;
  w.add_window = g.nwin;
  for (Cut c : g.cuts) w.cuts.push_back(cut_name(c));
  for (int i = 0; i < g.in_regs; ++i) w.cuts.push_back("input register");
  return w;
}

std::vector<PeFile> pe_files(const PeSpec& spec) {
  Geometry g = geometry(spec);
  const std::string head =
      "// Generated by macforge (gen/pe_emit.cpp) from PE spec " + spec.module_name + ". Do not edit.\n\n";
  std::ostringstream mul, fadd, top;
  emit_mul(mul, g);
  emit_fadd(fadd, g);
  emit_top(top, g);
  return {{spec.module_name + "_mul.v", head + mul.str()},
          {spec.module_name + "_fadd.v", head + "// Instantiates mf_lzc (rtl/mf_lzc.v).\n" + fadd.str()},
          {spec.module_name + ".v", head + "// Instantiates " + spec.module_name + "_mul, " + spec.module_name +
                                        "_fadd and mf_lzc (rtl/mf_lzc.v).\n" + top.str()}};
}

PeInfo emit_pe(const PeSpec& spec, std::ostream& out) {
  for (const PeFile& f : pe_files(spec)) out << f.text;
  return pe_info(spec);
}

PeInfo emit_pe(const PeSpec& spec, const std::string& out_dir) {
  namespace fs = std::filesystem;
  fs::create_directories(out_dir);
  for (const PeFile& f : pe_files(spec)) {
    std::string path = out_dir + "/" + f.name;
    std::ofstream os(path);
    os << f.text;
    if (!os) throw std::runtime_error("cannot write " + path);
  }
  for (const std::string& p : pe_primitive_files(spec))
    fs::copy_file(p, fs::path(out_dir) / fs::path(p).filename(), fs::copy_options::overwrite_existing);
  return pe_info(spec);
}

std::vector<std::string> pe_primitive_files(const PeSpec& spec) {
  geometry(spec);  // validates
  return {rtl_path("mf_lzc.v")};
}

std::vector<std::string> fp32_mul_primitive_files() { return {rtl_path("mf_lzc.v"), rtl_path("mf_fp32_mul.v")}; }

}  // namespace macforge::gen

// Multi-format PEs (gen/pe/modes.hpp, docs/pe.md "Multi-format PEs").
#include "gen/pe/modes.hpp"

#include <functional>
#include <sstream>

#include "gen/pe/accumulator.hpp"
#include "gen/pe/adder_tree.hpp"
#include "gen/pe/alignment.hpp"
#include "gen/pe/bundle.hpp"
#include "gen/pe/multiplier.hpp"
#include "gen/pe/normalization.hpp"
#include "gen/pe/reuse_multiplier.hpp"
#include "gen/pe/scale.hpp"

namespace macforge::gen::pe {
namespace {

[[noreturn]] void fail(const std::string& field, const std::string& what) {
  throw FormatError("PE: " + field + ": " + what);
}

std::string pair_name(const BlockFormat& a, const BlockFormat& b) {
  return a.name == b.name ? a.name : a.name + "/" + b.name;
}

// Mode m of the spec as a single-format PE named `name` with `lanes` lanes.
PeSpec single(const PeSpec& s, int m, int lanes, const std::string& name) {
  PeSpec r = s;
  r.modes = 1;
  r.module_name = name;
  if (m == 1) {
    r.a = s.a1;
    r.b = s.b1;
  }
  r.a1 = BlockFormat{};
  r.b1 = BlockFormat{};
  r.reuse = Reuse::None;
  r.lanes = lanes;
  r.accum.lanes = lanes;
  return r;
}

Geometry checked_geometry(const PeSpec& s, int m) {
  try {
    return geometry(s);
  } catch (const FormatError& e) {
    std::string what = e.what();
    if (what.rfind("PE: ", 0) == 0) what = what.substr(4);
    fail("pe.modes[" + S(m) + "]", what);
  }
}

int scale_bits(const Operand& op) { return op.scaled() ? op.scale_code_bits() : 0; }

}  // namespace

ModePlan mode_plan(const PeSpec& spec) {
  ModePlan p;
  p.spec = spec;
  if (spec.modes != 2) fail("pe.modes", "a multi-format PE has exactly 2 modes, got " + S(spec.modes));
  if (spec.accum.mode != AccumMode::ExactBlock)
    fail("pe.accumulation", spec.accum.name() + " in a multi-format PE (allowed: exact-block)");
  int wa0 = spec.a.elem.bits, wb0 = spec.b.elem.bits, wa1 = spec.a1.elem.bits, wb1 = spec.b1.elem.bits;
  if (wa0 != 8 || wb0 != 8)
    fail("pe.modes[0]", pair_name(spec.a, spec.b) + " has " + S(std::max(wa0, wb0) == 8 ? std::min(wa0, wb0) : std::max(wa0, wb0)) +
                            "-bit elements; mode 0 is the 8-bit mode (allowed: both operands with 8-bit elements)");
  if (wa1 != wb1 || (wa1 != 4 && wa1 != 6))
    fail("pe.modes[1]", pair_name(spec.a1, spec.b1) + " has " + S(wa1) + "- and " + S(wb1) +
                            "-bit elements (allowed: both operands 4-bit, or both 6-bit)");
  const std::string P = spec.module_name;
  int L = spec.lanes, L1 = mode_lanes(spec, 1);
  p.mode[0] = checked_geometry(single(spec, 0, L, P + "_b0"), 0);
  p.mode[1] = checked_geometry(single(spec, 1, L1, P + "_b1"), 1);
  const Geometry &g0 = p.mode[0], &g1 = p.mode[1];
  auto fits = [&](bool ok, const std::string& why) {
    if (!ok)
      fail("pe.reuse", std::string(reuse_name(spec.reuse)) + " does not fit " + pair_name(spec.a, spec.b) + " + " +
                           pair_name(spec.a1, spec.b1) + ": " + why + " (allowed: none" +
                           (g0.int_only && g1.int_only ? std::string(", int-scheme1") + (wa1 == 4 ? ", int-scheme2" : "")
                            : !g0.A.is_int && !g0.B.is_int && placeable(g0.A, g1.A) && placeable(g0.B, g1.B)
                                ? ", fp-shared"
                                : "") +
                           ")");
  };
  switch (spec.reuse) {
    case Reuse::None: break;
    case Reuse::IntScheme1:
      fits(g0.int_only && g1.int_only, "it needs integer elements in both modes");
      break;
    case Reuse::IntScheme2:
      fits(g0.int_only && g1.int_only, "it needs integer elements in both modes");
      fits(wa1 == 4, "it splits int8 lanes into int4 halves, mode 1 must have 4-bit elements");
      break;
    case Reuse::FpShared:
      fits(!g0.A.is_int && !g0.B.is_int && !g1.A.is_int && !g1.B.is_int, "it needs FP elements in both modes");
      fits(placeable(g0.A, g1.A) && placeable(g0.B, g1.B),
           "a mode-1 exponent or mantissa field is wider than mode 0's, or mode 1 has NaN/Inf codes");
      break;
  }
  if (spec.reuse == Reuse::None) {
    p.h0 = checked_geometry(single(spec, 0, L, P + "_h0"), 0);
    p.h1 = checked_geometry(single(spec, 1, L1, P + "_h1"), 1);
    p.has_h1 = true;
  } else if (spec.reuse == Reuse::IntScheme2) {
    p.h0 = checked_geometry(single(spec, 0, L, P + "_h0"), 0);
  } else {
    p.h0 = checked_geometry(single(spec, 0, L, P + "_h0"), 0);
    p.shift = placement_shift(g0.A, g1.A) + placement_shift(g0.B, g1.B);
    if (L1 > L) {
      p.h1 = checked_geometry(single(spec, 1, L1 - L, P + "_h1"), 1);
      p.has_h1 = true;
    }
  }
  p.top_regs = std::min(g0.in_regs, g1.in_regs);
  // The shared normalization and float32 accumulate take either mode's exact
  // group value, MSB-aligned in the wider window.
  Geometry& m = p.merged;
  m = g0;
  m.spec.module_name = P;
  m.mw = std::max(g0.mw, g1.mw);
  m.ssw = m.mw + 1;
  m.ew = std::max(g0.ew, g1.ew) + 1;
  m.nwin = std::max(m.mw + 1, 26);
  m.has_nan = g0.has_nan || g1.has_nan;
  m.has_inf = g0.has_inf || g1.has_inf;
  p.latency = g0.latency;
  return p;
}

namespace {

using Body = std::function<void(std::ostream&, Bundle&)>;

// A module whose inputs are the signals of `in` (ports i_<key>) and whose
// outputs are whatever `body` leaves in the bundle (ports o_<key>). Returns
// the output bundle's signals (key, width), for the instance.
std::vector<Sig> emit_stage_module(std::ostream& o, const std::string& name, const std::string& what,
                                   const std::vector<Sig>& in, const Body& body) {
  Bundle c;
  for (const Sig& s : in) {
    c.sigs.push_back(s);
    c.sigs.back().expr = "i_" + s.key;
  }
  std::ostringstream b;
  body(b, c);
  std::vector<PortDecl> ports = {"input  wire clk", "input  wire rst"};
  for (const Sig& s : in) ports.push_back("input  wire " + rng(s.width) + "i_" + s.key);
  for (const Sig& s : c.sigs) ports.push_back("output wire " + rng(s.width) + "o_" + s.key);
  o << "// " << name << ": " << what << "\n";
  // The stage modules live in the PE's file, next to the module that uses
  // them (so a synthesis report's source lines stay in one file); clk/rst are
  // unused when the stage has no register.
  o << "/* verilator lint_off DECLFILENAME */\n/* verilator lint_off UNUSEDSIGNAL */\n";
  o << "module " << name << " (\n" << join_ports(ports) << ");\n";
  o << "/* verilator lint_on UNUSEDSIGNAL */\n/* verilator lint_on DECLFILENAME */\n";
  o << b.str();
  o << "\n";
  for (const Sig& s : c.sigs) o << "  assign o_" << s.key << " = " << s.expr << ";\n";
  o << "endmodule\n\n";
  return c.sigs;
}

Sig sig(const std::string& key, int w, bool valid = false) { return Sig{key, "", w, valid, false}; }

// The chunk signals a front half reads: control, operands, scale codes.
std::vector<Sig> half_inputs(const ModePlan& p, const Geometry& h, bool with_mode, int as_bits, int bs_bits,
                             bool sum_only) {
  std::vector<Sig> in;
  if (!sum_only) {
    in.push_back(sig("valid", 1, true));
    if (with_mode) in.push_back(sig("mode", 1));
    if (p.mode[0].internal) {
      in.push_back(sig("first", 1));
      in.push_back(sig("last", 1));
    }
    in.push_back(sig("blk", 1));
  }
  in.push_back(sig("a", h.lanes * h.A.bits));
  in.push_back(sig("b", h.lanes * h.B.bits));
  if (!sum_only) {
    if (as_bits) in.push_back(sig("as", as_bits));
    if (bs_bits) in.push_back(sig("bs", bs_bits));
    if (!p.mode[0].internal) in.push_back(sig("acc", 32));
  }
  return in;
}

// The body of a front half built from the single-format part emitters:
// lanes -> [m] -> alignment -> [al] -> adder tree.
void single_front(std::ostream& o, const Geometry& h, Bundle& c, int extra_regs) {
  for (int i = 0; i < extra_regs; ++i)
    register_bundle(o, c, "i" + S(i + 1), "input register (pipeline stages beyond the datapath cuts)");
  if (fused_lanes(h)) {
    emit_fused_lanes(o, h, c);
    return;
  }
  emit_lanes(o, h, c);
  if (h.has(Cut::Mul)) register_bundle(o, c, "m", cut_name(Cut::Mul));
  Leaves leaves = emit_alignment(o, h, c);
  if (h.has(Cut::Align)) leaves = register_leaves(o, h, c, leaves);
  emit_chunk_sum(o, h, c, leaves);
}

// The back half of mode m: [tr] -> group accumulator -> block scales -> [sc].
std::vector<Sig> back_inputs(const Geometry& g) {
  std::vector<Sig> in = {sig("valid", 1, true)};
  if (g.internal) {
    in.push_back(sig("first", 1));
    in.push_back(sig("last", 1));
  }
  in.push_back(sig("blk", 1));
  in.push_back(sig("sum", g.csw));
  if (g.lane_nan()) in.push_back(sig("nan", 1));
  if (g.has_inf) {
    in.push_back(sig("pinf", 1));
    in.push_back(sig("ninf", 1));
  }
  if (g.A.scaled()) in.push_back(sig("as", g.A.scale_code_bits()));
  if (g.B.scaled()) in.push_back(sig("bs", g.B.scale_code_bits()));
  if (!g.internal) in.push_back(sig("acc", 32));
  return in;
}

void back_body(std::ostream& o, const Geometry& g, Bundle& c) {
  if (g.has(Cut::Tree)) register_bundle(o, c, "tr", cut_name(Cut::Tree));
  Bundle gb = emit_group_accumulator(o, g, c);
  Bundle v = emit_scale(o, g, gb);
  if (g.has(Cut::Scale)) register_bundle(o, v, "sc", cut_name(Cut::Scale));
  c = v;
}

// Instance of a stage module: inputs from `from` (key -> expression), outputs
// to wires <inst>_<key>; returns the output bundle.
Bundle instantiate(std::ostream& o, const std::string& module, const std::string& inst, const std::vector<Sig>& in,
                   const std::vector<Sig>& out, const std::function<std::string(const Sig&)>& from,
                   const std::vector<std::string>& unused = {}) {
  Bundle r;
  for (const Sig& s : out) {
    bool waive = std::find(unused.begin(), unused.end(), s.key) != unused.end();
    if (waive) o << "  /* verilator lint_off UNUSEDSIGNAL */\n";
    o << "  wire " << rng(s.width) << inst << "_" << s.key << ";\n";
    if (waive) o << "  /* verilator lint_on UNUSEDSIGNAL */\n";
    r.sigs.push_back(Sig{s.key, inst + "_" + s.key, s.width, s.valid, false});
  }
  o << "  " << module << " " << inst << " (.clk(clk), .rst(rst)";
  for (const Sig& s : in) o << ",\n      .i_" << s.key << "(" << from(s) << ")";
  for (const Sig& s : out) o << ",\n      .o_" << s.key << "(" << inst << "_" << s.key << ")";
  o << ");\n";
  return r;
}

std::string top_text(const ModePlan& p, std::ostream& mods) {
  const PeSpec& sp = p.spec;
  const Geometry &g0 = p.mode[0], &g1 = p.mode[1];
  const std::string P = sp.module_name;
  const bool internal = g0.internal;
  const int L = g0.lanes, L1 = g1.lanes;
  const int abits = std::max(L * g0.A.bits, L1 * g1.A.bits), bbits = std::max(L * g0.B.bits, L1 * g1.B.bits);
  const int as_bits = std::max(scale_bits(g0.A), scale_bits(g1.A)), bs_bits = std::max(scale_bits(g0.B), scale_bits(g1.B));
  const bool shared = sp.reuse != Reuse::None;

  std::ostringstream o;
  o << "// " << P << ": multi-format processing element, mode 0 " << pair_name(sp.a, sp.b) << " (" << L << " lane"
    << (L > 1 ? "s" : "") << "), mode 1 " << pair_name(sp.a1, sp.b1) << " (" << L1 << " lanes), pe.reuse "
    << reuse_name(sp.reuse) << ", accumulator " << (internal ? "internal" : "external (in_acc)") << ", pipeline +"
    << sp.pipeline << ", latency " << p.latency << " in both modes.\n";
  o << "// Contract: gen/pe_spec.hpp. Micro-architecture: docs/pe.md \"Multi-format PEs\".\n";
  std::vector<PortDecl> ports = {"input  wire clk", "input  wire rst", "input  wire in_valid", "input  wire in_mode"};
  if (internal)
    ports.push_back("input  wire in_first");
  else
    ports.push_back({"input  wire in_first", "external accumulator: in_acc replaces the restart"});
  ports.push_back("input  wire in_blk_last");
  if (internal)
    ports.push_back("input  wire in_last");
  else
    ports.push_back({"input  wire in_last", "external accumulator: every group is an output"});
  ports.push_back("input  wire " + rng(abits) + "in_a");
  ports.push_back("input  wire " + rng(bbits) + "in_b");
  auto scale_port = [&](int bits, const std::string& port) {
    if (!bits) return;
    if (bits < 8)
      ports.push_back({"input  wire [7:0] " + port, "bit 7: a ue4m3 scale has no sign"});
    else
      ports.push_back("input  wire [7:0] " + port);
  };
  scale_port(as_bits, "in_a_scale");
  scale_port(bs_bits, "in_b_scale");
  if (!internal) ports.push_back("input  wire [31:0] in_acc");
  ports.push_back("output wire out_valid");
  ports.push_back("output wire [31:0] out_acc");
  o << "module " << P << " (\n" << join_ports(ports) << ");\n";

  Bundle t;
  t.add("valid", "in_valid", 1, true);
  t.add("mode", "in_mode", 1);
  if (internal) {
    t.add("first", "in_first", 1);
    t.add("last", "in_last", 1);
  }
  t.add("blk", "in_blk_last", 1);
  t.add("a", "in_a", abits);
  t.add("b", "in_b", bbits);
  if (as_bits) t.add("as", as_bits == 7 ? "in_a_scale[6:0]" : "in_a_scale", as_bits);
  if (bs_bits) t.add("bs", bs_bits == 7 ? "in_b_scale[6:0]" : "in_b_scale", bs_bits);
  if (!internal) t.add("acc", "in_acc", 32);
  for (int i = 0; i < p.top_regs; ++i)
    register_bundle(o, t, "i" + S(i + 1), "input register (pipeline stages beyond the datapath cuts)");

  auto ctl = [&](const Sig& s) -> std::string {
    if (s.key == "as") return slice(t["as"], 0, s.width);
    if (s.key == "bs") return slice(t["bs"], 0, s.width);
    return t[s.key];
  };
  const std::string mode = t["mode"];
  Bundle f0, f1;  // the two modes' chunk sums with their control (inputs of the back halves)
  o << "\n  // Lane multipliers (pe.reuse " << reuse_name(sp.reuse) << ").\n";
  if (!shared) {
    // Side by side: each mode's own lanes. The idle mode's operands are held at
    // zero (operand isolation), so its datapath does not toggle.
    o << "  wire " << rng(L * g0.A.bits) << "x_a0 = {" << L * g0.A.bits << "{~" << mode << "}} & "
      << slice(t["a"], 0, L * g0.A.bits) << ";\n";
    o << "  wire " << rng(L * g0.B.bits) << "x_b0 = {" << L * g0.B.bits << "{~" << mode << "}} & "
      << slice(t["b"], 0, L * g0.B.bits) << ";\n";
    o << "  wire " << rng(L1 * g1.A.bits) << "x_a1 = {" << L1 * g1.A.bits << "{" << mode << "}} & "
      << slice(t["a"], 0, L1 * g1.A.bits) << ";\n";
    o << "  wire " << rng(L1 * g1.B.bits) << "x_b1 = {" << L1 * g1.B.bits << "{" << mode << "}} & "
      << slice(t["b"], 0, L1 * g1.B.bits) << ";\n";
    o << "  wire x_v0 = " << t["valid"] << " & ~" << mode << ";\n";
    o << "  wire x_v1 = " << t["valid"] << " & " << mode << ";\n";
    for (int m = 0; m < 2; ++m) {
      const Geometry& h = m ? p.h1 : p.h0;
      const Geometry& g = p.mode[m];
      int ab = scale_bits(g.A), bb = scale_bits(g.B);
      std::vector<Sig> in = half_inputs(p, h, false, ab, bb, false);
      std::string name = P + "_h" + S(m);
      std::vector<Sig> out =
          emit_stage_module(mods, name, "mode " + S(m) + " lanes -> alignment -> adder tree (" + h.A.name + " x " +
                                            h.B.name + ", " + S(h.lanes) + " lanes)",
                            in, [&](std::ostream& b, Bundle& c) { single_front(b, h, c, h.in_regs - p.top_regs); });
      Bundle& f = m ? f1 : f0;
      f = instantiate(o, name, "u_h" + S(m), in, out, [&](const Sig& s) -> std::string {
        if (s.key == "valid") return "x_v" + S(m);
        if (s.key == "a") return "x_a" + S(m);
        if (s.key == "b") return "x_b" + S(m);
        return ctl(s);
      });
    }
  } else {
    const Geometry& h = p.h0;
    std::vector<Sig> in = half_inputs(p, h, true, as_bits, bs_bits, false);
    std::string name = P + "_h0";
    std::vector<Sig> out;
    if (sp.reuse == Reuse::IntScheme2) {
      out = emit_stage_module(mods, name,
                              "int-scheme2 split lane multipliers: " + S(L) + " int8 lanes or " + S(L1) +
                                  " int4 lanes -> two partial-product trees -> each mode's chunk sum",
                              in, [&](std::ostream& b, Bundle& c) {
                                for (int i = 0; i < h.in_regs - p.top_regs; ++i)
                                  register_bundle(b, c, "i" + S(i + 1), "input register");
                                emit_split_int_lanes(b, g0, g1, c, h.has(Cut::Mul));
                              });
      f0 = instantiate(o, name, "u_h0", in, out, ctl);
    } else {
      // Mode 1 places lanes 0..L-1 in the mode-0 fields; lanes L..2L-1 go to
      // the extra narrow lanes of h1, whose operands are zero in mode 0.
      const int na = g1.A.bits, nb = g1.B.bits;
      o << "  // Mode 1: lanes 0.." << L - 1 << " placed in the " << g0.A.name << " fields ("
        << place_narrow(g0.A, g1.A, "x") << "), the product then " << p.shift << " bits up.\n";
      o << "  wire " << vec(L * 8) << "x_a0;\n  wire " << vec(L * 8) << "x_b0;\n";
      for (int i = 0; i < L; ++i) {
        o << "  wire " << rng(na) << "x_na" << i << " = " << slice(t["a"], i * na, na) << ";\n";
        o << "  wire " << rng(nb) << "x_nb" << i << " = " << slice(t["b"], i * nb, nb) << ";\n";
        o << "  assign " << slice("x_a0", 8 * i, 8) << " = " << mode << " ? " << place_narrow(g0.A, g1.A, "x_na" + S(i))
          << " : " << slice(t["a"], 8 * i, 8) << ";\n";
        o << "  assign " << slice("x_b0", 8 * i, 8) << " = " << mode << " ? " << place_narrow(g0.B, g1.B, "x_nb" + S(i))
          << " : " << slice(t["b"], 8 * i, 8) << ";\n";
      }
      out = emit_stage_module(mods, name,
                              "lanes shared by both modes -> alignment -> adder tree (" + h.A.name + " x " + h.B.name +
                                  ", " + S(L) + " lanes)",
                              in, [&](std::ostream& b, Bundle& c) { single_front(b, h, c, h.in_regs - p.top_regs); });
      f0 = instantiate(o, name, "u_h0", in, out, [&](const Sig& s) -> std::string {
        if (s.key == "a") return "x_a0";
        if (s.key == "b") return "x_b0";
        return ctl(s);
      });
      Bundle s1;
      if (p.has_h1) {
        const Geometry& x = p.h1;
        int wa = x.lanes * na, wb = x.lanes * nb;
        o << "  wire " << rng(wa) << "x_a1 = {" << wa << "{" << mode << "}} & " << slice(t["a"], L * na, wa) << ";\n";
        o << "  wire " << rng(wb) << "x_b1 = {" << wb << "{" << mode << "}} & " << slice(t["b"], L * nb, wb) << ";\n";
        std::vector<Sig> xin = half_inputs(p, x, false, 0, 0, true);
        std::vector<Sig> xout = emit_stage_module(
            mods, P + "_h1", "mode 1's extra lanes " + S(L) + ".." + S(L1 - 1) + " -> alignment -> adder tree", xin,
            [&](std::ostream& b, Bundle& c) { single_front(b, x, c, x.in_regs - p.top_regs); });
        s1 = instantiate(o, P + "_h1", "u_h1", xin, xout,
                         [&](const Sig& s) -> std::string { return s.key == "a" ? "x_a1" : "x_b1"; });
      }
      o << "\n  // Adder tree: mode 1's chunk sum = the shared lanes' sum (exact multiple of 2^" << p.shift
        << ") >>> " << p.shift << (p.has_h1 ? " + the extra lanes' sum" : "") << ".\n";
      int w0 = p.mode[0].csw, w1 = g1.csw;
      const std::string s0 = f0["sum"];
      // Mode 1's sum fits w1 bits; the sum is formed modulo 2^w1.
      int top = std::min(w0 - p.shift, w1);
      o << "  /* verilator lint_off UNUSEDSIGNAL */\n";
      o << "  wire " << rng(w0) << "x_s0 = " << s0 << ";  // its low " << p.shift << " bits are zero in mode 1\n";
      o << "  /* verilator lint_on UNUSEDSIGNAL */\n";
      o << "  wire " << rng(top) << "x_s0h = " << slice("x_s0", p.shift, top) << ";\n";
      o << "  wire " << rng(w1) << "x_sum1 = " << sext("x_s0h", top, w1);
      if (p.has_h1) o << " + " << sext(s1["sum"], p.h1.csw, w1);
      o << ";\n";
      f0.add("sum1", "x_sum1", w1);
    }
  }

  // The back halves: each mode's group accumulator and block scales.
  Bundle v[2];
  for (int m = 0; m < 2; ++m) {
    const Geometry& g = p.mode[m];
    std::vector<Sig> in = back_inputs(g);
    std::string name = P + "_b" + S(m);
    std::vector<Sig> out =
        emit_stage_module(mods, name, "mode " + S(m) + " group accumulator -> block scales (" + pair_name(m ? sp.a1 : sp.a, m ? sp.b1 : sp.b) + ")",
                          in, [&](std::ostream& b, Bundle& c) { back_body(b, g, c); });
    const Bundle& f = shared ? f0 : (m ? f1 : f0);
    if (shared) {
      o << "  wire x_bv" << m << " = " << f["valid"] << " & " << (m ? "" : "~") << f["mode"] << ";\n";
    }
    v[m] = instantiate(o, name, "u_b" + S(m), in, out, [&](const Sig& s) -> std::string {
      if (shared && s.key == "valid") return "x_bv" + S(m);
      if (shared && s.key == "sum") return m ? f["sum1"] : f["sum"];
      if (s.key == "as") return slice(f["as"], 0, s.width);
      if (s.key == "bs") return slice(f["bs"], 0, s.width);
      return f[s.key];
    });
  }

  // Mode select: the two modes have equal latency and take one chunk a cycle,
  // so at most one group value arrives per cycle.
  const Geometry& mg = p.merged;
  o << "\n  // Mode select: the group value of the mode that has one; the narrower value is\n"
       "  // MSB-extended to " << mg.ssw << " bits and its exponent moved by the extra width.\n";
  Bundle n;
  o << "  wire y_valid = " << v[0]["valid"] << " | " << v[1]["valid"] << ";\n";
  n.add("valid", "y_valid", 1, true);
  auto pick = [&](const std::string& key, int w) {
    std::string e[2];
    for (int m = 0; m < 2; ++m) e[m] = v[m].has(key) ? v[m][key] : cst(w, 0);
    o << "  wire " << rng(w) << "y_" << key << " = " << v[1]["valid"] << " ? " << e[1] << " : " << e[0] << ";\n";
    n.add(key, "y_" + key, w);
  };
  if (internal) {
    pick("first", 1);
    pick("last", 1);
  } else {
    pick("acc", 32);
  }
  std::string val[2], ex[2];
  for (int m = 0; m < 2; ++m) {
    const Geometry& g = p.mode[m];
    val[m] = sext(v[m]["val"], g.ssw, mg.ssw);
    std::string e = sext(v[m]["exp"], g.ew, mg.ew);
    ex[m] = mg.mw > g.mw ? e + " + " + cst(mg.ew, mg.mw - g.mw) : e;
  }
  o << "  wire " << rng(mg.ssw) << "y_val = " << v[1]["valid"] << " ? " << val[1] << " : " << val[0] << ";\n";
  o << "  wire " << rng(mg.ew) << "y_exp = " << v[1]["valid"] << " ? " << ex[1] << " : " << ex[0] << ";\n";
  n.add("val", "y_val", mg.ssw);
  n.add("exp", "y_exp", mg.ew);
  pick("zero", 1);
  if (mg.has_nan) pick("nan", 1);
  if (mg.has_inf) {
    pick("inf", 1);
    pick("isgn", 1);
  }
  emit_normalization(o, mg, n);
  if (mg.has(Cut::Norm)) register_bundle(o, n, "nr", cut_name(Cut::Norm));
  emit_float_accumulate(o, mg, n);
  o << "endmodule\n\n";
  return o.str();
}

}  // namespace

std::vector<PeFile> mode_pe_files(const ModePlan& p) {
  const std::string P = p.spec.module_name;
  const std::string head = "// Generated by macforge (gen/pe/modes.cpp) from PE spec " + P + ". Do not edit.\n\n";
  std::vector<PeFile> files;
  auto mul = [&](const Geometry& h) {
    std::ostringstream s;
    emit_mul_module(s, h);
    files.push_back({h.spec.module_name + "_mul.v", head + s.str()});
  };
  if (p.spec.reuse != Reuse::IntScheme2 && !fused_lanes(p.h0)) mul(p.h0);
  if (p.has_h1 && !fused_lanes(p.h1)) mul(p.h1);
  std::ostringstream fadd, mods;
  emit_fadd_module(fadd, p.merged);
  files.push_back({P + "_fadd.v", head + "// Instantiates mf_lzc (rtl/mf_lzc.v).\n" + fadd.str()});
  std::string top = top_text(p, mods);
  files.push_back({P + ".v", head + "// The stage modules of " + P + ", then " + P + " itself; instantiates " + P +
                                 "_*_mul, " + P + "_fadd and mf_lzc (rtl/mf_lzc.v).\n\n" + mods.str() + top});
  return files;
}

PeInfo mode_pe_info(const ModePlan& p) {
  PeInfo info;
  info.module_name = p.spec.module_name;
  info.latency = p.latency;
  const Geometry& g0 = p.mode[0];
  info.a_bits = g0.A.bits;
  info.b_bits = g0.B.bits;
  info.group = g0.group;
  for (int m = 0; m < 2; ++m) {
    const Geometry& g = p.mode[m];
    PeModeInfo mi;
    mi.a = m ? p.spec.a1 : p.spec.a;
    mi.b = m ? p.spec.b1 : p.spec.b;
    mi.lanes = g.lanes;
    mi.a_bits = g.A.bits;
    mi.b_bits = g.B.bits;
    mi.a_scale = g.A.scaled();
    mi.b_scale = g.B.scaled();
    mi.group = g.group;
    info.mode.push_back(mi);
    info.a_port_bits = std::max(info.a_port_bits, g.lanes * g.A.bits);
    info.b_port_bits = std::max(info.b_port_bits, g.lanes * g.B.bits);
    info.a_scale = info.a_scale || mi.a_scale;
    info.b_scale = info.b_scale || mi.b_scale;
  }
  return info;
}

}  // namespace macforge::gen::pe

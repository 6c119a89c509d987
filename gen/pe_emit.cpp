// The PE datapath emitter (docs/pe.md): the public API of gen/pe_emit.hpp and
// the PE top module, which calls the part emitters of gen/pe/ in datapath
// order. Each part is one file, and one row of the synthesis report
// (synth/partition.cpp): multiplier, alignment, adder_tree, accumulator (group
// and float32), scale, normalization. Every width comes from exact bounds
// (gen/pe/geometry.cpp), so the datapath is as narrow as the arithmetic allows.
#include "gen/pe_emit.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gen/pe/accumulator.hpp"
#include "gen/pe/adder_tree.hpp"
#include "gen/pe/alignment.hpp"
#include "gen/pe/bundle.hpp"
#include "gen/pe/fused_step.hpp"
#include "gen/pe/geometry.hpp"
#include "gen/pe/modes.hpp"
#include "gen/pe/multiplier.hpp"
#include "gen/pe/normalization.hpp"
#include "gen/pe/scale.hpp"

#ifndef MACFORGE_RTL_DIR
#error "MACFORGE_RTL_DIR must name the source tree's rtl/ directory"
#endif

namespace macforge::gen {
namespace {

using namespace pe;

// The PE module's header comment and ports; returns the chunk bundle (the
// inputs of one cycle), after the input registers of surplus pipeline stages.
Bundle emit_top_ports(std::ostream& o, const Geometry& g) {
  const PeSpec& sp = g.spec;
  const Operand &A = g.A, &B = g.B;
  const std::string P = sp.module_name;
  int L = g.lanes;

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
  auto scale_port = [&](const Operand& op, const std::string& port) {
    if (!op.scaled()) return;
    if (op.scale_code_bits() < 8)
      ports.push_back({"input  wire [7:0] " + port, "bit 7: a ue4m3 scale has no sign"});
    else
      ports.push_back("input  wire [7:0] " + port);
  };
  scale_port(A, "in_a_scale");
  scale_port(B, "in_b_scale");
  if (!g.internal) ports.push_back("input  wire [31:0] in_acc");
  ports.push_back("output wire out_valid");
  ports.push_back("output wire [31:0] out_acc");
  o << "module " << P << " (\n" << join_ports(ports) << ");\n";

  // The chunk bundle: what one cycle presents.
  Bundle c;
  c.add("valid", "in_valid", 1, true);
  if (g.internal) {
    c.add("first", "in_first", 1);
    c.add("last", "in_last", 1);
  }
  c.add("blk", "in_blk_last", 1);
  c.add("a", "in_a", L * A.bits);
  c.add("b", "in_b", L * B.bits);
  int saw = A.scale_code_bits(), sbw = B.scale_code_bits();
  if (A.scaled()) c.add("as", saw == 7 ? "in_a_scale[6:0]" : "in_a_scale", saw);
  if (B.scaled()) c.add("bs", sbw == 7 ? "in_b_scale[6:0]" : "in_b_scale", sbw);
  if (!g.internal) c.add("acc", "in_acc", 32);
  for (int i = 0; i < g.in_regs; ++i)
    register_bundle(o, c, "i" + S(i + 1), "input register (pipeline stages beyond the datapath cuts)");
  return c;
}

// The PE top in datapath order. Three bundles flow down it: the chunk (one
// cycle's LANES element pairs), the group (after the group accumulator) and
// the group value (after the block scales); a pipeline cut re-registers the
// bundle that crosses it.
void emit_top(std::ostream& o, const Geometry& g) {
  Bundle chunk = emit_top_ports(o, g);
  if (fused_lanes(g)) {
    emit_fused_lanes(o, g, chunk);  // multiplier.cpp: lanes + adder tree in one compressor tree
  } else {
    emit_lanes(o, g, chunk);  // multiplier.cpp
    if (g.has(Cut::Mul)) register_bundle(o, chunk, "m", cut_name(Cut::Mul));
    Leaves leaves = emit_alignment(o, g, chunk);  // alignment.cpp
    if (g.has(Cut::Align)) leaves = register_leaves(o, g, chunk, leaves);
    emit_chunk_sum(o, g, chunk, leaves);  // adder_tree.cpp
  }
  if (g.has(Cut::Tree)) register_bundle(o, chunk, "tr", cut_name(Cut::Tree));
  Bundle group = emit_group_accumulator(o, g, chunk);  // accumulator.cpp
  Bundle value = emit_scale(o, g, group);              // scale.cpp
  if (g.has(Cut::Scale)) register_bundle(o, value, "sc", cut_name(Cut::Scale));
  emit_normalization(o, g, value);  // normalization.cpp
  if (g.has(Cut::Norm)) register_bundle(o, value, "nr", cut_name(Cut::Norm));
  emit_float_accumulate(o, g, value);  // accumulator.cpp
  o << "endmodule\n\n";
}

std::string rtl_path(const std::string& f) { return std::string(MACFORGE_RTL_DIR) + "/" + f; }

}  // namespace

std::string rtl_dir() { return MACFORGE_RTL_DIR; }

PeInfo pe_info(const PeSpec& spec) {
  if (is_fused(spec)) return fused_pe_info(spec);
  if (spec.modes > 1) return mode_pe_info(mode_plan(spec));
  Geometry g = geometry(spec);
  PeInfo info;
  info.module_name = spec.module_name;
  info.latency = g.latency;
  info.a_bits = g.A.bits;
  info.b_bits = g.B.bits;
  info.a_scale = g.A.scale != ScaleKind::None;
  info.b_scale = g.B.scale != ScaleKind::None;
  info.group = g.group;
  PeModeInfo m0;
  m0.a = spec.a;
  m0.b = spec.b;
  m0.lanes = g.lanes;
  m0.a_bits = info.a_bits;
  m0.b_bits = info.b_bits;
  m0.a_scale = info.a_scale;
  m0.b_scale = info.b_scale;
  m0.group = g.group;
  info.mode = {m0};
  info.a_port_bits = g.lanes * g.A.bits;
  info.b_port_bits = g.lanes * g.B.bits;
  return info;
}

PeWidths pe_widths(const PeSpec& spec) {
  if (is_fused(spec)) return fused_pe_widths(spec);
  // A multi-format PE: mode 0's datapath, with the shared normalizer and adder.
  Geometry g = spec.modes > 1 ? mode_plan(spec).mode[0] : geometry(spec);
  Geometry shared = spec.modes > 1 ? mode_plan(spec).merged : g;
  PeWidths w;
  w.group = g.group;
  w.chunks_per_group = g.cpg;
  w.int_only = g.int_only;
  w.aligned = g.aligned;
  w.lane_product = g.pow;
  w.lane_exp = g.epw;
  w.lane_value = g.leaf_width();
  w.chunk_sum = g.csw;
  w.group_sum = g.gw;
  w.scaled_sum = g.ssw;
  w.norm_sig = shared.mw;
  w.exp_bits = shared.ew;
  w.add_window = shared.nwin;
  for (Cut c : g.cuts) w.cuts.push_back(cut_name(c));
  for (int i = 0; i < g.in_regs; ++i) w.cuts.push_back("input register");
  return w;
}

std::vector<PeFile> pe_files(const PeSpec& spec) {
  if (is_fused(spec)) return fused_pe_files(spec);
  if (spec.modes > 1) return mode_pe_files(mode_plan(spec));
  Geometry g = geometry(spec);
  const std::string head =
      "// Generated by macforge (gen/pe_emit.cpp) from PE spec " + spec.module_name + ". Do not edit.\n\n";
  std::ostringstream mul, fadd, top;
  emit_mul_module(mul, g);
  emit_fadd_module(fadd, g);
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
  if (is_fused(spec)) {
    fused_pe_info(spec);  // validates; the fused PE needs no rtl/ primitive
    return {};
  }
  if (spec.modes > 1)
    mode_plan(spec);  // validates
  else
    geometry(spec);
  return {rtl_path("mf_lzc.v")};
}

std::vector<std::string> fp32_mul_primitive_files() { return {rtl_path("mf_lzc.v"), rtl_path("mf_fp32_mul.v")}; }

}  // namespace macforge::gen

// The synthesis flow with the real tools (Yosys 0.23, Verilator 5.006):
// anchors, toggle counting, a PE end to end with its energy, the error paths of
// `macforge synth`, both real PDKs, flat vs hierarchical arrays, --compare.
// Tests whose name contains "Long" carry the ctest label `long`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "gen/config.hpp"
#include "gen/generate.hpp"
#include "gen/pe_emit.hpp"
#include "synth/compare.hpp"
#include "synth/energy.hpp"
#include "synth/errors.hpp"
#include "synth/flow.hpp"
#include "synth/gate_sim.hpp"
#include "synth/lib_prep.hpp"
#include "synth/netlist.hpp"
#include "synth/netlist_stats.hpp"
#include "synth/partition.hpp"
#include "synth/process.hpp"
#include "synth/stimulus.hpp"
#include "synth/yosys_flow.hpp"
#include "synth_test_util.hpp"

using namespace macforge;
using namespace macforge::synth;
using namespace macforge::synth::test;
namespace fs = std::filesystem;

namespace {

const Library& builtin() {
  static Library lib = read_liberty(synth_lib_dir() + "/macforge45.lib");
  return lib;
}

gen::ArrayConfig small_config(const std::string& name, const std::string& fmt, int lanes, int rows = 1, int cols = 1,
                              const std::string& fmt_b = "") {
  gen::ArrayConfig c;
  c.name = name;
  c.a_name = fmt;
  c.b_name = fmt_b.empty() ? fmt : fmt_b;
  c.lanes = lanes;
  c.pipeline = 0;
  c.rows = rows;
  c.cols = cols;
  gen::validate_config(c, "test");
  return c;
}

// Yosys on a small module with the built-in FA template.
YosysResult synth_module(const TempDir& t, const std::string& name, const std::string& verilog) {
  write_text_atomic(t / (name + ".v"), verilog);
  YosysJob j;
  j.dir = t.str();
  j.script = name + ".ys";
  j.log = name + ".log";
  j.netlist = name + "_net.v";
  j.stat_json = name + ".json";
  j.verilog_files = {name + ".v"};
  j.top = name;
  j.liberty = synth_lib_dir() + "/macforge45.lib";
  j.template_path = synth_lib_dir() + "/synth_template.ys";
  j.fa_map = synth_lib_dir() + "/fa_map.v";
  return run_yosys(j);
}

// SAT proof that the netlist implements the RTL (combinational modules).
bool equivalent(const TempDir& t, const std::string& name) {
  std::string s = "read_verilog " + name + ".v\nhierarchy -top " + name + "\nproc; flatten; opt_clean\nrename " + name +
                  " gold\ndesign -stash gold\nread_verilog " + name + "_net.v\nread_verilog " + synth_lib_dir() +
                  "/macforge45_cells.v\nhierarchy -top " + name + "\nflatten; opt_clean\nrename " + name +
                  " gate\ndesign -stash gate\ndesign -copy-from gold -as gold gold\ndesign -copy-from gate -as gate gate\n"
                  "miter -equiv -flatten -make_outputs gold gate miter\nhierarchy -top miter\nsat -verify -prove trigger 0 miter\n";
  write_text_atomic(t / (name + "_eq.ys"), s);
  ProcResult r = run_process({"yosys", "-q", "-s", name + "_eq.ys"}, t.str(), t / (name + "_eq.log"));
  return r.status == 0;
}

std::string fake_tool(const TempDir& t, const std::string& name, const std::string& message) {
  std::string dir = t / "fakebin";
  fs::create_directories(dir);
  std::string p = dir + "/" + name;
  write_text_atomic(p, "#!/bin/sh\necho \"" + message + "\"\nexit 1\n");
  fs::permissions(p, fs::perms::owner_all);
  return dir;
}

std::string config_file(const TempDir& t, const std::string& yaml) {
  std::string p = t / "cfg.yaml";
  write_text_atomic(p, yaml);
  return p;
}

const char* kTinyYaml =
    "name: tiny\npe:\n  a: nvint4\n  b: nvint4\n  lanes: 2\n  pipeline: 0\narray:\n  rows: 2\n  cols: 2\n";

}  // namespace

// Horowitz, ISSCC 2014, 45 nm: 8-bit multiplier 282 um^2, 32-bit adder 137 um^2.
TEST(SynthFlow, HorowitzAnchorsAndAreaEqualsLibertySum) {
  TempDir t("anchor");
  YosysResult m = synth_module(t, "mul8", "module mul8(input signed [7:0] a, b, output signed [15:0] p);\n"
                                          "  assign p = a * b;\nendmodule\n");
  YosysResult a = synth_module(t, "add32", "module add32(input [31:0] a, b, output [31:0] s);\n"
                                           "  assign s = a + b;\nendmodule\n");
  for (auto [r, name, anchor] : {std::tuple{&m, "mul8", 282.0}, std::tuple{&a, "add32", 137.0}}) {
    FlatNetlist n = flatten(read_netlist(r->netlist_path), name, builtin(), part_of_instance);
    NetlistStats s = netlist_stats(n);
    // our area (sum of the Liberty areas of the netlist's cells) is Yosys' stat
    EXPECT_NEAR(s.area_um2, r->top_area, 1e-3) << name;
    EXPECT_GE(s.area_um2, 0.5 * anchor) << name;
    EXPECT_LE(s.area_um2, 2.0 * anchor) << name;
    EXPECT_TRUE(equivalent(t, name)) << name << ": netlist not equivalent to the RTL (see " << t.str() << ")";
  }
}

// The Yosys 0.23 extract_fa bug the FA template no longer triggers: a
// sign-extended addition (docs/synthesis.md).
TEST(SynthFlow, SignExtendedAddIsCorrect) {
  TempDir t("sext");
  synth_module(t, "sext", "module sext(input [1:0] a, b, input signed [7:0] c, d, output [2:0] y, output [8:0] z);\n"
                          "  assign y = {a[1], a} + {b[1], b};\n  assign z = {c[7], c} - {d[7], d};\nendmodule\n");
  EXPECT_TRUE(equivalent(t, "sext"));
}

// What Verilator 5.006's toggle coverage counts, on a hand-made circuit: one
// count per value change of a net, rising and falling alike, in the window.
TEST(SynthFlow, ToggleCountsOnHandMadeCircuit) {
  TempDir t("tog");
  const char* v = R"(module tog(clk, d, q, y);
  input clk;
  wire clk;
  input [1:0] d;
  wire [1:0] d;
  output q;
  wire q;
  output y;
  wire y;
  wire n;
  wire x;
  DFF_X1 f (.CK(clk), .D(d[0]), .Q(q));
  INV_X1 i0 (.A(q), .ZN(n));
  INV_X1 i1 (.A(n), .ZN(x));
  XOR2_X1 g (.A(x), .B(d[1]), .Z(y));
endmodule
)";
  FlatNetlist n = flatten(parse_netlist(v, "tog.v"), "tog", builtin(), part_of_instance);
  Stimulus s;
  s.ports = {{"d", 2}};
  const unsigned d0[] = {0, 1, 0, 1, 0, 1, 1, 1, 0, 0};
  for (int c = 0; c < 10; ++c) s.cycles.push_back({d0[c] | (c >= 1 ? 2u : 0u)});
  s.warm = 2;
  s.measured_end = 10;
  GateSim g = build_gate_sim(n, s.ports, read_text(synth_lib_dir() + "/macforge45_cells.v"), t.str(), 1);
  Activity a = run_gate_sim(g, n, s, "hand");
  EXPECT_EQ(a.missing_nets, 0);
  auto port_net = [&](const std::string& p, int b) {
    for (const FlatPort& fp : n.ports)
      if (fp.name == p) return fp.nets[size_t(b)];
    return -1;
  };
  auto out_net = [&](const std::string& cellpath) {
    for (const FlatCell& c : n.cells)
      if (c.path == cellpath)
        for (const FlatPin& p : c.pins)
          if (p.output) return p.net;
    return -1;
  };
  // d[0] as the PE sees it (registered): 1 before the window, then 0 1 0 1 1 1 0 0
  EXPECT_EQ(a.toggles[size_t(port_net("d", 0))], 5);
  EXPECT_EQ(a.toggles[size_t(port_net("d", 1))], 0);
  EXPECT_EQ(a.toggles[size_t(port_net("q", 0))], 6);  // d[0] one cycle later
  EXPECT_EQ(a.toggles[size_t(out_net("i0"))], 6);
  EXPECT_EQ(a.toggles[size_t(out_net("i1"))], 6);
  EXPECT_EQ(a.toggles[size_t(port_net("y", 0))], 6);
  EXPECT_EQ(a.toggles[size_t(port_net("clk", 0))], 16);  // 8 cycles, two edges each
  EXPECT_EQ(a.cycles, 8);
}

// A small PE end to end on the built-in library: partitioned synthesis, the
// gate-level simulation checked against the reference, energy; and the same
// netlist with constant inputs costs only leakage and clock.
TEST(SynthFlow, PeEnergyRealisticAndIdle) {
  TempDir t("pe");
  gen::ArrayConfig cfg = small_config("tpe", "nvint4", 2);
  gen::PeSpec spec = gen::pe_spec(cfg);
  gen::generate(cfg, t / "rtl");
  PreparedLibrary L = prepare_library("", t.str());
  std::vector<std::string> files = {"rtl/mf_lzc.v"};
  for (const gen::PeFile& f : gen::pe_files(spec)) files.push_back("rtl/" + f.name);
  YosysJob j;
  j.dir = t.str();
  j.verilog_files = files;
  j.top = spec.module_name;
  j.liberty = L.yosys_liberty;
  j.template_path = L.template_path;
  j.fa_map = L.fa_map;
  j.pre_synth = coarse_commands(j.top);
  std::string top_file = "rtl/" + spec.module_name + ".v";
  for (const std::string& c : partition_commands(j.top, top_file, pe_sections(read_text(t / top_file), top_file)))
    j.pre_synth.push_back(c);
  YosysResult yr = run_yosys(j);
  FlatNetlist n = flatten(read_netlist(yr.netlist_path), j.top, L.lib, part_of_instance);
  NetlistStats st = netlist_stats(n);
  EXPECT_NEAR(st.area_um2, yr.top_area, 1e-3);
  for (const char* p : {"multipliers", "adder_tree", "scale", "accumulator", "registers", "align_norm"})
    EXPECT_GT(st.area_by_part.count(p) ? st.area_by_part.at(p) : 0.0, 0.0) << p;
  EXPECT_EQ(st.area_by_part.count("other"), 0u);  // every cell belongs to a known part

  Stimulus real = make_pe_stimulus(spec, StimKind::Realistic, 256, 7);
  Stimulus idle = make_pe_stimulus(spec, StimKind::Idle, 256, 7);
  GateSim g = build_gate_sim(n, real.ports, read_text(L.models), t.str(), 1);
  Activity ar = run_gate_sim(g, n, real, "realistic");
  Activity ai = run_gate_sim(g, n, idle, "idle");
  EXPECT_EQ(ar.results, int(real.expected.size()));
  EXPECT_GT(ar.results, 10);
  EXPECT_EQ(ar.missing_nets, 0);
  EnergyResult er = compute_energy(n, L.lib, ar.toggles, ar.cycles, ar.macs, EnergyParams{});
  EnergyResult ei = compute_energy(n, L.lib, ai.toggles, ai.cycles, 1, EnergyParams{});
  EXPECT_EQ(ei.total.switching, 0.0);
  EXPECT_EQ(ei.total.internal, 0.0);
  EXPECT_GT(ei.total.clock, 0.0);
  EXPECT_GT(ei.total.leakage, 0.0);
  EXPECT_NEAR(ei.total.clock, er.total.clock, 1e-9 * er.total.clock);  // same clock activity per window
  EXPECT_GT(er.total.switching, 0.0);
  EXPECT_GT(er.total.internal, 0.0);
  EXPECT_GT(er.mean_toggle_rate, 0.01);
  EXPECT_LT(er.mean_toggle_rate, 1.5);
  EXPECT_GT(er.pj_per_mac(), 0.01);
  EXPECT_LT(er.pj_per_mac(), 10.0);
  EXPECT_GT(er.by_part.at("multipliers").switching, 0.0);
}

TEST(SynthCli, LibertyErrorsAreUsageErrorsNamingFileAndLine) {
  TempDir t("clierr");
  std::string cfg = config_file(t, kTinyYaml);
  CliResult r = run_cli("synth --config " + cfg + " --liberty " + (t / "missing.lib") + " --out " + (t / "o1") + " --pe-only");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(t / "missing.lib:0:"), std::string::npos) << r.err;
  write_text_atomic(t / "bad.lib", "library (bad) {\n  capacitive_load_unit (1, pf);\n  cell (X) {{\n}\n");
  r = run_cli("synth --config " + cfg + " --liberty " + (t / "bad.lib") + " --out " + (t / "o2") + " --pe-only");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(t / "bad.lib:3:"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;  // one line
  write_text_atomic(t / "tiny.lib",
                    "library (tiny) {\n capacitive_load_unit (1, pf);\n nom_voltage : 1.0;\n cell (INV) {\n  area : 1;\n"
                    "  pin (A) { direction : input; capacitance : 0.001; }\n"
                    "  pin (Y) { direction : output; function : \"!A\"; }\n }\n}\n");
  r = run_cli("synth --config " + cfg + " --liberty " + (t / "tiny.lib") + " --out " + (t / "o3") + " --pe-only");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("lacks cells"), std::string::npos) << r.err;
  r = run_cli("synth --config " + (t / "nope.yaml") + " --out " + (t / "o4"));
  EXPECT_EQ(r.code, 2) << r.err;
  r = run_cli("synth --compare mxint8,notaformat --out " + (t / "o5"));
  EXPECT_EQ(r.code, 2) << r.err;
  r = run_cli("synth");
  EXPECT_EQ(r.code, 2) << r.err;
}

TEST(SynthCli, ToolFailuresNameTheLogAndLeaveNoReport) {
  TempDir t("clitool");
  std::string cfg = config_file(t, kTinyYaml);
  std::string out = t / "out";
  // a good run first (no energy: fast), then failures in the same directory
  CliResult ok = run_cli("synth --config " + cfg + " --out " + out + " --pe-only --no-energy --json");
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_TRUE(fs::exists(out + "/report.json"));
  EXPECT_NE(ok.out.find("\"area_um2\""), std::string::npos);
  std::string fy = fake_tool(t, "yosys", "ERROR: simulated yosys failure");
  CliResult r = run_cli("synth --config " + cfg + " --out " + out + " --pe-only --no-energy", "PATH=" + fy + ":$PATH");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find(out + "/yosys.log"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("simulated yosys failure"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out + "/report.json"));  // the earlier good report is gone
  EXPECT_FALSE(fs::exists(out + "/report.txt"));
  TempDir t2("clitool2");
  std::string fv = fake_tool(t2, "verilator", "%Error: simulated verilator failure");
  r = run_cli("synth --config " + cfg + " --out " + out + " --pe-only", "PATH=" + fv + ":$PATH");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find(out + "/sim/verilator.log"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out + "/report.json"));
  // a foreign non-empty directory is refused
  fs::create_directories(t / "foreign");
  write_text_atomic(t / "foreign/keep.txt", "mine\n");
  r = run_cli("synth --config " + cfg + " --out " + (t / "foreign") + " --pe-only --no-energy");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(fs::exists(t / "foreign/keep.txt"));
}

// The array with the PE as a black box, through the CLI, JSON keys.
TEST(SynthCli, ArrayReportJson) {
  TempDir t("cliarr");
  std::string cfg = config_file(t, kTinyYaml);
  CliResult r = run_cli("synth --config " + cfg + " --out " + (t / "o") + " --json --cycles 128");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* k : {"\"area_um2\"", "\"cells\"", "\"flops\"", "\"energy_pj_per_mac\"", "\"library\"",
                        "\"area_by_part_um2\"", "\"logic_depth\"", "\"clock_hz\"", "\"mean_toggle_rate\"",
                        "\"energy_by_part_pj_per_mac\"", "\"pe_count\": 4"})
    EXPECT_NE(r.out.find(k), std::string::npos) << k;
  EXPECT_TRUE(fs::exists(t / "o/yosys.log"));
  EXPECT_TRUE(fs::exists(t / "o/yosys_array.log"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("\"energy_pj_per_mac\": ([0-9.e+-]+)")));
  EXPECT_GT(std::stod(m[1]), 0.0);
}

namespace {

void pdk_end_to_end(const std::string& lib, const std::string& expect_flop, const std::string& forbidden) {
  TempDir t("pdk");
  gen::ArrayConfig cfg = small_config("tpdk", "nvint4", 2);
  SynthOptions so;
  so.liberty = lib;
  so.out_dir = t / "o";
  so.pe_only = true;
  so.cycles = 256;
  SynthReport r = run_synth(cfg, so);
  EXPECT_FALSE(r.lib_builtin);
  EXPECT_EQ(r.template_name, "synth_template_nofa.ys");
  EXPECT_TRUE(fs::exists(t / ("o/" + fs::path(lib).filename().string())));  // the patched copy
  EXPECT_NEAR(r.area_um2, r.pe_area_yosys, 1e-2);
  EXPECT_GT(r.area_by_part.at("multipliers"), 0.0);
  EXPECT_GT(r.area_by_part.at("registers"), 0.0);
  EXPECT_GT(r.cells_by_type.count(expect_flop), 0u) << expect_flop;
  for (const auto& [type, count] : r.cells_by_type) EXPECT_EQ(type.find(forbidden), std::string::npos) << type;
  EXPECT_TRUE(r.pe_energy.done);
  EXPECT_GT(r.pe_energy.results_checked, 10);  // the generated cell models compute the right results
  EXPECT_EQ(r.pe_energy.missing_nets, 0);
  EXPECT_GT(r.energy_pj_per_mac, 0.0);
  EXPECT_GT(r.energy_by_kind_pj_per_mac.at("leakage"), 0.0);
  EXPECT_TRUE(fs::exists(t / "o/sim/cells.v"));
}

}  // namespace

TEST(SynthPdk, Sky130EndToEnd) {
  MACFORGE_REQUIRE_PDK(sky130_lib());
  pdk_end_to_end(sky130_lib(), "sky130_fd_sc_hd__dfxtp_1", "lpflow");
}

TEST(SynthPdk, IhpEndToEnd) {
  MACFORGE_REQUIRE_PDK(ihp_lib());
  pdk_end_to_end(ihp_lib(), "sg13g2_dfrbpq_1", "sg13g2_fill");
}

// 4x4 array: flat synthesis and PE-once hierarchical synthesis agree within 5%.
TEST(SynthLong, FlatAndHierarchicalArrayAreaAgree) {
  TempDir t("flat");
  gen::ArrayConfig cfg = small_config("tarr", "int4", 2, 4, 4);
  SynthOptions so;
  so.energy = false;
  so.out_dir = t / "hier";
  SynthReport h = run_synth(cfg, so);
  so.out_dir = t / "flat";
  so.flat = true;
  SynthReport f = run_synth(cfg, so);
  EXPECT_EQ(h.pe_count, 16);
  EXPECT_NEAR(h.area_um2, f.area_um2, 0.05 * f.area_um2) << "hierarchical " << h.area_um2 << " flat " << f.area_um2;
  EXPECT_NEAR(f.area_um2, f.array_area_yosys, 1e-2);
}

TEST(SynthLong, CompareTable) {
  TempDir t("cmp");
  CompareOptions co;
  co.entries = parse_compare_list("mxfp4_e2m1,mxint4,mxfp8_e4m3+mxfp4_e2m1");
  co.lanes = 4;
  co.out_dir = t / "c";
  co.base.cycles = 128;
  CompareResult r = run_compare(co);
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_DOUBLE_EQ(r.rows[0].area_ratio, 1.0);
  EXPECT_DOUBLE_EQ(r.rows[0].energy_ratio, 1.0);
  EXPECT_DOUBLE_EQ(r.rows[2].area_ratio, 1.0);  // the first mixed entry is its own baseline
  EXPECT_EQ(r.rows[2].pes[0].second, 2);         // 8-bit half the lanes of the 4-bit
  EXPECT_EQ(r.rows[2].pes[1].second, 4);
  EXPECT_GT(r.rows[1].area_um2, 0.0);
  EXPECT_TRUE(fs::exists(t / "c/compare.md"));
  EXPECT_TRUE(fs::exists(t / "c/compare.csv"));
  EXPECT_NE(r.markdown.find("| mxint4 | 4 |"), std::string::npos) << r.markdown;
}

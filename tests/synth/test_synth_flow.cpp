// The synthesis flow with the real tools, the quick part (Yosys 0.23,
// Verilator 5.006): the Horowitz anchors, the sign-extension bug, toggle
// counting on a hand-made circuit, the error paths of `macforge synth`. The
// end-to-end runs (20-60 s each) are in test_synth_end_to_end.cpp.
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
  }
  // the netlists compute what the RTL does: the adder by a SAT proof, the
  // multiplier exhaustively (a SAT proof of a multiplier takes minutes)
  EXPECT_TRUE(equivalent(t, "add32")) << "add32 netlist not equivalent to the RTL (see " << t.str() << ")";
  write_text_atomic(t / "tb.v", R"(module tb;
  reg signed [7:0] a, b;
  wire signed [15:0] p;
  integer i, j, err;
  mul8 u (.a(a), .b(b), .p(p));
  initial begin
    err = 0;
    for (i = 0; i < 256; i = i + 1)
      for (j = 0; j < 256; j = j + 1) begin
        a = i; b = j; #1;
        if (p !== a * b) err = err + 1;
      end
    if (err == 0) $display("PASS"); else $display("FAIL %0d", err);
    $finish;
  end
endmodule
)");
  ProcResult c = run_process({"iverilog", "-o", "tb.vvp", "tb.v", "mul8_net.v", synth_lib_dir() + "/macforge45_cells.v"},
                             t.str(), t / "iverilog.log");
  ASSERT_EQ(c.status, 0) << read_text(t / "iverilog.log");
  ProcResult s = run_process({"vvp", "-n", "tb.vvp"}, t.str(), t / "vvp.log");
  EXPECT_EQ(s.status, 0);
  EXPECT_NE(read_text(t / "vvp.log").find("PASS"), std::string::npos) << read_text(t / "vvp.log");
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
  // the library is read before any Verilog is written: no output directory is left
  for (const char* o : {"o1", "o2", "o3"}) EXPECT_FALSE(std::filesystem::exists(t / o)) << o;
  r = run_cli("synth --compare mxint8 --liberty " + (t / "bad.lib") + " --out " + (t / "o6"));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_FALSE(std::filesystem::exists(t / "o6"));
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







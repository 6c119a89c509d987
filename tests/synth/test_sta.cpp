// OpenSTA timing (docs/timing.md): the netlist written for OpenSTA, the
// runner, the report_checks parser and hand-computed path delays.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "synth/errors.hpp"
#include "synth/liberty.hpp"
#include "synth/netlist.hpp"
#include "synth/partition.hpp"
#include "synth/process.hpp"
#include "synth/sta_netlist.hpp"
#include "synth/sta_run.hpp"
#include "synth/sta_timing.hpp"
#include "synth_test_util.hpp"

namespace macforge::synth {
namespace {

using test::TempDir;

// A Yosys-style netlist with the constructs the 2019 OpenSTA rejects
// (concatenations in connections, a sub-module): the STA netlist must be flat.
const char* kHier = R"(module sub(a, y);
  input [1:0] a;
  output y;
  NAND2_X1 g (.A1(a[0]), .A2(a[1]), .ZN(y));
endmodule
module top(clk, x, q, o);
  input clk;
  input [1:0] x;
  output q;
  output [2:0] o;
  wire w;
  sub mfp_multipliers (.a({x[1], x[0]}), .y(w));
  DFF_X1 r (.D(w), .CK(clk), .Q(q));
  assign o = {x[0], 1'b1, q};
endmodule
)";

TEST(StaNetlist, FlatScalarNetsPartsInNamesNoConcatenation) {
  Library lib = read_liberty(synth_lib_dir() + "/macforge45.lib");
  NlDesign d = parse_netlist(kHier, "hier.v");
  FlatNetlist f = flatten(d, "top", lib, part_of_instance);
  std::string v = sta_netlist_verilog(f, "top");
  EXPECT_EQ(v.find('{'), std::string::npos) << v;
  EXPECT_NE(v.find("NAND2_X1 multipliers__0 (.A1(x[0]), .A2(x[1]), .ZN(mf_n"), std::string::npos) << v;
  EXPECT_NE(v.find(".CK(clk), .Q(q));"), std::string::npos) << v;
  EXPECT_NE(v.find("assign o[0] = q;"), std::string::npos) << v;
  EXPECT_NE(v.find("assign o[1] = 1'b1;"), std::string::npos) << v;
  EXPECT_NE(v.find("assign o[2] = x[0];"), std::string::npos) << v;
  EXPECT_EQ(sta_instance_cell("multipliers__0/ZN"), 0);
  EXPECT_EQ(sta_instance_cell("top__1"), 1);
  EXPECT_EQ(f.cells[size_t(sta_instance_cell("top__1"))].type, "DFF_X1");
  EXPECT_EQ(sta_instance_cell("x[0]"), -1);
  // and it parses back with the project's reader (same cells, same ports)
  NlDesign back = parse_netlist(v, "sta.v");
  FlatNetlist g = flatten(back, "top", lib, part_of_instance);
  EXPECT_EQ(g.cells.size(), f.cells.size());
  EXPECT_EQ(g.ports.size(), f.ports.size());
}

TEST(StaRun, ErrorsNameTheLog) {
  if (find_program("sta").empty()) GTEST_SKIP() << "sta (OpenSTA) not installed";
  TempDir t("starun");
  // OpenSTA exits 0 after a failing command; the runner must still fail
  try {
    run_sta(t.str(), "bad", "read_liberty /nonexistent/x.lib\n");
    FAIL() << "no error";
  } catch (const ToolError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("log: " + (t / "bad.log")), std::string::npos) << m;
    EXPECT_NE(m.find("cannot read"), std::string::npos) << m;
  }
  StaRun ok = run_sta(t.str(), "ok", "puts \"hello [expr 6*7]\"\n");
  EXPECT_NE(ok.output.find("hello 42"), std::string::npos);
  EXPECT_EQ(tcl_quote("a b"), "{a b}");
  EXPECT_EQ(tcl_quote("/x/y.lib"), "/x/y.lib");
}

TEST(StaRun, MissingStaIsOneClearError) {
  TempDir t("stamissing");
  const char* old = std::getenv("PATH");
  std::string saved = old ? old : "";
  ::setenv("PATH", "/nonexistent", 1);
  std::string msg;
  try {
    run_sta(t.str(), "x", "puts hi\n");
  } catch (const ToolError& e) {
    msg = e.what();
  }
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_NE(msg.find("sta"), std::string::npos);
  EXPECT_NE(msg.find("(log: " + (t / "x.log") + ")"), std::string::npos) << msg;
}


// ---- timing a hand-made chain ---------------------------------------------------

// A 2x2 NLDM table of macforge45.lib (template delay_2x2 / constraint_2x2),
// interpolated bilinearly and extrapolated linearly like OpenSTA does.
struct Table2 {
  double x0, x1, y0, y1;  // variable_1, variable_2 breakpoints
  double v00, v01, v10, v11;
  double at(double x, double y) const {
    double u = (x - x0) / (x1 - x0), w = (y - y0) / (y1 - y0);
    return v00 * (1 - u) * (1 - w) + v01 * (1 - u) * w + v10 * u * (1 - w) + v11 * u * w;
  }
};
constexpr double kS0 = 0.00472397, kS1 = 0.0409838;  // slew breakpoints, ns
constexpr double kC0 = 0.00189304, kC1 = 0.00757217;  // load breakpoints, pF
Table2 delay(double a, double b, double c, double d) { return {kS0, kS1, kC0, kC1, a, b, c, d}; }
Table2 constraint(double a, double b, double c, double d) { return {kS0, kS1, kS0, kS1, a, b, c, d}; }

// The values as written in synth/lib/macforge45.lib (copied by hand).
struct Arc {
  Table2 rise, rise_tr, fall, fall_tr;
};
const Arc kInv{delay(0.01153, 0.02686, 0.02241, 0.03774), delay(0.00856, 0.02083, 0.01219, 0.02445),
               delay(0.00735, 0.01615, 0.01823, 0.02703), delay(0.00573, 0.01101, 0.00936, 0.01464)};
const Arc kBuf{delay(0.02534, 0.04010, 0.03622, 0.05098), delay(0.00841, 0.02022, 0.01204, 0.02385),
               delay(0.02545, 0.03453, 0.03632, 0.04541), delay(0.00579, 0.01124, 0.00942, 0.01487)};
const Arc kCkQ{delay(0.08492, 0.09969, 0.08492, 0.09969), delay(0.00841, 0.02022, 0.01204, 0.02385),
               delay(0.07903, 0.08812, 0.07903, 0.08812), delay(0.00579, 0.01124, 0.00942, 0.01487)};
const Table2 kSetupRise = constraint(0.03142, 0.03323, 0.04048, 0.04230);
const Table2 kSetupFall = constraint(0.04142, 0.04323, 0.05048, 0.05230);
constexpr double kCapInvA = 0.0017002, kCapBufA = 0.0009747, kCapDffD = 0.0011403;

// DFF r0 -> INV -> INV -> BUF -> DFF r1 (the chain inside a part submodule,
// the flops at the top level), clock ideal (slew 0), no wire load.
const char* kChain = R"(module top_mfp_adder_tree(a, y);
  input a;
  output y;
  wire n1, n2;
  INV_X1 i1 (.A(a), .ZN(n1));
  INV_X1 i2 (.A(n1), .ZN(n2));
  BUF_X1 b3 (.A(n2), .Z(y));
endmodule
module top(clk, d, q);
  input clk;
  input d;
  output q;
  wire q0, x;
  DFF_X1 r0 (.D(d), .CK(clk), .Q(q0));
  top_mfp_adder_tree top_mfp_adder_tree (.a(q0), .y(x));
  DFF_X1 r1 (.D(x), .CK(clk), .Q(q));
endmodule
)";

TEST(StaTiming, HandMadeChainOnBuiltInLibraryMatchesHandComputation) {
  if (find_program("sta").empty()) {
    if (test::in_ci()) FAIL() << "sta (OpenSTA) missing with CI=true";
    GTEST_SKIP() << "sta (OpenSTA) not installed";
  }
  // by hand: both edges of r0.Q through the chain (INVs flip the edge)
  double worst_need = 0, worst_arrival = 0;
  for (bool q_rise : {true, false}) {
    const double loads[4] = {kCapInvA, kCapInvA, kCapBufA, kCapDffD};  // r0.Q, i1, i2, b3 drive these
    const Arc* arcs[4] = {&kCkQ, &kInv, &kInv, &kBuf};
    double t = 0, slew = 0;  // ideal clock: CK slew 0
    bool rise = q_rise;
    for (int k = 0; k < 4; ++k) {
      if (k == 1 || k == 2) rise = !rise;  // inverters
      const Arc& a = *arcs[k];
      double d = rise ? a.rise.at(slew, loads[k]) : a.fall.at(slew, loads[k]);
      slew = rise ? a.rise_tr.at(slew, loads[k]) : a.fall_tr.at(slew, loads[k]);
      t += d;
    }
    double setup = rise ? kSetupRise.at(slew, 0.0) : kSetupFall.at(slew, 0.0);
    if (t + setup > worst_need) {
      worst_need = t + setup;
      worst_arrival = t;
    }
  }
  Library lib = read_liberty(synth_lib_dir() + "/macforge45.lib");
  ASSERT_TRUE(liberty_has_timing(synth_lib_dir() + "/macforge45.lib"));
  FlatNetlist f = flatten(parse_netlist(kChain, "chain.v"), "top", lib, part_of_instance);
  TempDir t("stachain");
  const double T = 0.5;
  StaTiming st = time_netlist(f, "top", synth_lib_dir() + "/macforge45.lib", T, t.str(), "chain");
  EXPECT_NEAR(st.path.arrival_ns, worst_arrival, 2e-6) << st.log_path;
  EXPECT_NEAR(st.path.slack_ns, T - worst_need, 2e-6) << st.log_path;
  EXPECT_NEAR(st.path.required_ns, T - (worst_need - worst_arrival), 2e-6);
  EXPECT_EQ(st.path.startpoint, sta_instance_name(f, 0));  // r0
  EXPECT_EQ(st.path.endpoint, sta_instance_name(f, f.cells.size() - 1));  // r1 (its D pin)
  EXPECT_EQ(st.path.parts, (std::vector<std::string>{"other", "adder_tree", "other"}));
  // an unmet clock is a result: a 0.1 ns clock gives a negative slack, no error
  StaTiming tight = time_netlist(f, "top", synth_lib_dir() + "/macforge45.lib", 0.1, t.str(), "tight");
  EXPECT_NEAR(tight.path.slack_ns, 0.1 - worst_need, 2e-6);
}

TEST(StaTiming, Sky130InverterChainsGrowByTableDelays) {
  if (!std::filesystem::exists(test::sky130_lib())) {
    if (test::in_ci()) FAIL() << "sky130 Liberty missing with CI=true: " << test::sky130_lib();
    GTEST_SKIP() << "no " << test::sky130_lib();
  }
  if (find_program("sta").empty()) GTEST_SKIP() << "sta (OpenSTA) not installed";
  Library lib = read_liberty(test::sky130_lib());
  TempDir t("stasky");
  auto chain = [&](int n) {
    std::string v = "module top(clk, d, q);\n  input clk;\n  input d;\n  output q;\n  wire w0;\n";
    for (int i = 1; i <= n; ++i) v += "  wire w" + std::to_string(i) + ";\n";
    v += "  sky130_fd_sc_hd__dfxtp_1 r0 (.CLK(clk), .D(d), .Q(w0));\n";
    for (int i = 1; i <= n; ++i)
      v += "  sky130_fd_sc_hd__inv_1 i" + std::to_string(i) + " (.A(w" + std::to_string(i - 1) + "), .Y(w" +
           std::to_string(i) + "));\n";
    v += "  sky130_fd_sc_hd__dfxtp_1 r1 (.CLK(clk), .D(w" + std::to_string(n) + "), .Q(q));\nendmodule\n";
    FlatNetlist f = flatten(parse_netlist(v, "sky.v"), "top", lib, part_of_instance);
    return time_netlist(f, "top", test::sky130_lib(), 5.0, t.str(), "sky" + std::to_string(n)).path;
  };
  TimingPath p2 = chain(2), p6 = chain(6);
  // four more inv_1 stages, each driving one inv_1 input (~2.3 fF): sky130_fd_sc_hd__inv_1
  // tt 1.8 V delays at that load are 20..60 ps per edge (its cell_rise / cell_fall tables)
  double per_stage = (p6.arrival_ns - p2.arrival_ns) / 4;
  EXPECT_GT(per_stage, 0.015);
  EXPECT_LT(per_stage, 0.08);
  // dfxtp_1 CLK->Q is 0.25..0.40 ns in those tables; required = T - setup
  EXPECT_GT(p2.arrival_ns, 0.25);
  EXPECT_LT(p2.arrival_ns, 0.55);
  EXPECT_NEAR(p2.slack_ns, p2.required_ns - p2.arrival_ns, 1e-6);
  EXPECT_GT(p2.required_ns, 4.8);
  EXPECT_LT(p2.required_ns, 5.0);
}

// A real report_checks output (OpenSTA 2.0.17, Debian), shortened in the middle.
const char* kCaptured = R"(Startpoint: registers__1658 (rising edge-triggered flip-flop clocked by clk)
Endpoint: registers__1690 (rising edge-triggered flip-flop clocked by clk)
Path Group: clk
Path Type: max

      Delay        Time   Description
-----------------------------------------------------------------
   0.000000    0.000000   clock clk (rise edge)
   0.000000    0.000000   clock network delay (ideal)
   0.000000    0.000000 ^ registers__1658/CK (DFF_X1)
   0.089547    0.089547 v registers__1658/Q (DFF_X1)
   0.156348    0.245895 ^ accumulator__16/ZN (INV_X1)
   0.057418    0.303313 v accumulator__165/ZN (NAND2_X1)
   0.032077    6.182659 ^ accumulator__816/Z (XOR2_X1)
   0.014434    6.197093 v accumulator__819/ZN (OAI21_X1)
   0.059699    6.256792 v registers__1595/Z (MUX2_X1)
   0.034425    6.291217 v registers__1596/ZN (AND2_X1)
   0.000000    6.291217 v registers__1690/D (DFF_X1)
               6.291217   data arrival time

   1.000000    1.000000   clock clk (rise edge)
   0.000000    1.000000   clock network delay (ideal)
   0.000000    1.000000   clock reconvergence pessimism
               1.000000 ^ registers__1690/CK (DFF_X1)
  -0.041608    0.958392   library setup time
               0.958392   data required time
-----------------------------------------------------------------
               0.958392   data required time
              -6.291217   data arrival time
-----------------------------------------------------------------
              -5.332826   slack (VIOLATED)


)";

TEST(StaTiming, ParsesACapturedReport) {
  TimingPath p = parse_report_checks(kCaptured, "x.log");
  EXPECT_EQ(p.startpoint, "registers__1658");
  EXPECT_EQ(p.endpoint, "registers__1690");
  EXPECT_DOUBLE_EQ(p.arrival_ns, 6.291217);
  EXPECT_DOUBLE_EQ(p.required_ns, 0.958392);
  EXPECT_DOUBLE_EQ(p.slack_ns, -5.332826);
  EXPECT_EQ(p.parts, (std::vector<std::string>{"registers", "accumulator", "registers"}));
  // output-port endpoint, MET, 4 digits
  const char* met = R"(Startpoint: top__2 (rising edge-triggered flip-flop clocked by clk)
Endpoint: y[0] (output port clocked by clk)
Path Group: clk
Path Type: max

    Delay      Time   Description
-------------------------------------------------------------
   0.0000    0.0000   clock clk (rise edge)
   0.0000    0.0000   clock network delay (ideal)
   0.0000    0.0000 ^ top__2/CLK (sky130_fd_sc_hd__dfxtp_1)
   0.2642    0.2642 ^ top__2/Q (sky130_fd_sc_hd__dfxtp_1)
   0.0006    0.2648 ^ y[0] (out)
             0.2648   data arrival time

   1.0000    1.0000   clock clk (rise edge)
   0.0000    1.0000   clock network delay (ideal)
   0.0000    1.0000   clock reconvergence pessimism
   0.0000    1.0000   output external delay
             1.0000   data required time
-------------------------------------------------------------
             1.0000   data required time
            -0.2648   data arrival time
-------------------------------------------------------------
             0.7352   slack (MET)
)";
  TimingPath q = parse_report_checks(met, "y.log");
  EXPECT_EQ(q.endpoint, "y[0]");
  EXPECT_DOUBLE_EQ(q.slack_ns, 0.7352);
  EXPECT_EQ(q.parts, (std::vector<std::string>{"top"}));
  try {
    parse_report_checks("No paths found.\n", "z.log");
    FAIL();
  } catch (const ToolError& e) {
    EXPECT_NE(std::string(e.what()).find("(log: z.log)"), std::string::npos);
  }
}

TEST(StaTiming, TclScriptConstrainsClockAndIo) {
  std::string s = timing_tcl("/l/x.lib", "n.v", "top", 1.25, true);
  EXPECT_NE(s.find("create_clock -name clk -period 1.25 [get_ports clk]"), std::string::npos) << s;
  EXPECT_NE(s.find("set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk]]"), std::string::npos);
  EXPECT_NE(s.find("set_output_delay 0 -clock clk [all_outputs]"), std::string::npos);
  std::string v = timing_tcl("/l/a b.lib", "n.v", "top", 2, false);
  EXPECT_NE(v.find("read_liberty {/l/a b.lib}"), std::string::npos) << v;
  EXPECT_NE(v.find("create_clock -name clk -period 2\n"), std::string::npos) << v;
  EXPECT_EQ(default_clock_ns(true, "macforge45"), 1.0);
}


TEST(StaTiming, ArrayWithPeInlinedMarksPeParts) {
  const char* array = R"(module pe(clk, a, y);
  input clk;
  input a;
  output y;
endmodule
module top(clk, a, y);
  input clk;
  input a;
  output y;
  wire w;
  DFF_X1 r (.D(a), .CK(clk), .Q(w));
  pe \g[0].u_pe  (.clk(clk), .a(w), .y(y));
endmodule
)";
  const char* pe = R"(module pe_mfp_multipliers(a, y);
  input a;
  output y;
  INV_X1 i (.A(a), .ZN(y));
endmodule
module pe(clk, a, y);
  input clk;
  input a;
  output y;
  wire n;
  pe_mfp_multipliers pe_mfp_multipliers (.a(a), .y(n));
  DFF_X1 q (.D(n), .CK(clk), .Q(y));
endmodule
)";
  Library lib = read_liberty(synth_lib_dir() + "/macforge45.lib");
  NlDesign whole = inline_pe(parse_netlist(array, "array.v"), parse_netlist(pe, "pe.v"));
  FlatNetlist f = flatten(whole, "top", lib, part_of_instance);
  mark_pe_cells(f, whole, "pe");
  std::map<std::string, std::string> part;
  for (const FlatCell& c : f.cells) part[c.type] = c.part;
  ASSERT_EQ(f.cells.size(), 3u);
  EXPECT_EQ(part["INV_X1"], "pe_multipliers");
  int pe_flops = 0;
  for (const FlatCell& c : f.cells)
    if (c.type == "DFF_X1") pe_flops += c.part == "pe_other";
  EXPECT_EQ(pe_flops, 1);  // q inside the PE; r at the array level stays "other"
  if (find_program("sta").empty()) return;
  TempDir t("stainl");
  StaTiming st = time_netlist(f, "top", synth_lib_dir() + "/macforge45.lib", 1.0, t.str(), "arr");
  EXPECT_EQ(st.path.parts, (std::vector<std::string>{"other", "pe_multipliers", "pe_other"}));
}


TEST(StaTiming, InterfaceModelKeepsBoundaryPathsAndTheirLoads) {
  // a -> i1 -> r1 and a -> i1 -> s (input cone), r1 -> i2 -> i3 -> r2
  // (inside: only i2 stays, as r1's load), r2 -> b -> y (output path)
  const char* pe = R"(module pe(clk, a, y);
  input clk;
  input a;
  output y;
  wire n1, q1, n2, n3, q2, ns;
  INV_X1 i1 (.A(a), .ZN(n1));
  INV_X1 s (.A(n1), .ZN(ns));
  DFF_X1 r1 (.D(n1), .CK(clk), .Q(q1));
  INV_X1 i2 (.A(q1), .ZN(n2));
  INV_X1 i3 (.A(n2), .ZN(n3));
  DFF_X1 r2 (.D(n3), .CK(clk), .Q(q2));
  BUF_X1 b (.A(q2), .Z(y));
endmodule
)";
  Library lib = read_liberty(synth_lib_dir() + "/macforge45.lib");
  FlatNetlist f = flatten(parse_netlist(pe, "pe.v"), "pe", lib, part_of_instance);
  FlatNetlist m = interface_model(f);
  std::map<std::string, size_t> pins;  // instance -> connected pins
  for (const FlatCell& c : m.cells) pins[c.path] = c.pins.size();
  EXPECT_EQ(pins.count("i3"), 0u);
  EXPECT_EQ(pins["i1"], 2u);
  EXPECT_EQ(pins["s"], 2u);   // in the input's fan-out cone
  EXPECT_EQ(pins["i2"], 1u);  // r1's load, output open
  EXPECT_EQ(pins["r1"], 3u);
  EXPECT_EQ(pins["r2"], 3u);
  EXPECT_EQ(pins["b"], 2u);
  EXPECT_EQ(m.cells.size(), 6u);
  // and it reads back (the flow inlines it into the array from this text)
  NlDesign back = parse_netlist(sta_netlist_verilog(m, "pe"), "ilm.v");
  FlatNetlist g = flatten(back, "pe", lib, sta_part_of_instance);
  EXPECT_EQ(g.cells.size(), 6u);
  EXPECT_EQ(sta_part_of_instance("accumulator__12"), "accumulator");
  EXPECT_EQ(sta_part_of_instance("nopart__12"), "other");
}

}  // namespace
}  // namespace macforge::synth

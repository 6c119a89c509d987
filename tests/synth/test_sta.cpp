// OpenSTA timing (docs/timing.md): the netlist written for OpenSTA, the
// runner, the report_checks parser and hand-computed path delays.
#include <gtest/gtest.h>

#include <fstream>

#include "synth/errors.hpp"
#include "synth/liberty.hpp"
#include "synth/netlist.hpp"
#include "synth/partition.hpp"
#include "synth/process.hpp"
#include "synth/sta_netlist.hpp"
#include "synth/sta_run.hpp"
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

}  // namespace
}  // namespace macforge::synth

// The Liberty reader, boolean functions, generated cell models and the
// library preparation: built-in library and both real PDKs.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "synth/cell_models.hpp"
#include "synth/errors.hpp"
#include "synth/lib_prep.hpp"
#include "synth/liberty.hpp"
#include "synth/liberty_expr.hpp"
#include "synth/process.hpp"
#include "synth_test_util.hpp"

using namespace macforge::synth;
using namespace macforge::synth::test;

namespace {

const Library& builtin() {
  static Library lib = read_liberty(synth_lib_dir() + "/macforge45.lib");
  return lib;
}

bool truth(const std::string& f, const std::vector<std::string>& vars, unsigned v) {
  std::map<std::string, bool> env;
  for (size_t i = 0; i < vars.size(); ++i) env[vars[i]] = (v >> i) & 1;
  return parse_bool_expr(f)->eval(env);
}

}  // namespace

TEST(Liberty, BuiltinCellsUnitsAndTables) {
  const Library& lib = builtin();
  EXPECT_EQ(lib.name, "macforge45");
  EXPECT_EQ(lib.cells.size(), 17u);
  EXPECT_DOUBLE_EQ(lib.voltage, 1.1);
  EXPECT_DOUBLE_EQ(lib.cap_unit_pf, 1.0);
  EXPECT_DOUBLE_EQ(lib.leak_unit_nw, 1.0);
  EXPECT_DOUBLE_EQ(lib.energy_unit_pj, 1.0);
  ASSERT_NE(lib.cell("INV_X1"), nullptr);
  EXPECT_DOUBLE_EQ(lib.cell("INV_X1")->area, 0.532);
  EXPECT_NEAR(lib.cell("INV_X1")->leakage_nw, 14.353185, 1e-9);
  EXPECT_NEAR(lib.cell("INV_X1")->pin("A")->cap_pf, 0.0017002, 1e-12);
  EXPECT_DOUBLE_EQ(lib.cell("FA_X1")->area, 4.256);
  EXPECT_DOUBLE_EQ(lib.cell("DFF_X1")->area, 4.522);
  EXPECT_TRUE(lib.cell("DFF_X1")->is_flop());
  EXPECT_TRUE(lib.cell("DFFR_X1")->is_flop());
  EXPECT_FALSE(lib.cell("NAND2_X1")->sequential());
  EXPECT_EQ(lib.cell("FA_X1")->outputs().size(), 2u);
  EXPECT_EQ(lib.cell("DFFR_X1")->seq[0].clear, "!RN");
  // internal power: scalar, rise and fall per related pin
  const LibPin* zn = lib.cell("INV_X1")->pin("ZN");
  ASSERT_FALSE(zn->power.empty());
  EXPECT_EQ(zn->power[0].related_pin, "A");
  EXPECT_NEAR(zn->power[0].rise.lookup(0.1, 0.002), 0.0018971, 1e-9);
  EXPECT_EQ(lib.wire_load(), nullptr);  // no wire-load model in the built-in library
  EXPECT_TRUE(lib.cell("DFF_X1")->pin("CK") != nullptr);
}

TEST(Liberty, TableInterpolation) {
  LibTable t;
  t.slew = {0.1, 0.2};
  t.load = {0.01, 0.03};
  t.values = {1, 3, 5, 7};  // [slew][load]
  EXPECT_DOUBLE_EQ(t.lookup(0.1, 0.01), 1);
  EXPECT_DOUBLE_EQ(t.lookup(0.2, 0.03), 7);
  EXPECT_DOUBLE_EQ(t.lookup(0.15, 0.02), 4);
  EXPECT_DOUBLE_EQ(t.lookup(0.1, 0.05), 5);  // linear extrapolation
}

TEST(Liberty, ErrorsNameFileAndLine) {
  try {
    read_liberty("/nonexistent/dir/x.lib");
    FAIL() << "no error";
  } catch (const LibertyError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.lib:0:"), std::string::npos) << e.what();
  }
  const std::string bad = "library (x) {\n  capacitive_load_unit (1, pf);\n  cell (A) {\n    area : 1.0\n    pin (Z) {\n      direction : output;\n    }\n  }\n  cell (B) {\n    area : ;\n  }\n}\n";
  try {
    parse_liberty(bad, "bad.lib");
    FAIL() << "no error";
  } catch (const LibertyError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("bad.lib:10:", 0), 0u) << e.what();
  }
  try {
    parse_liberty("library (x) {\n  cell (A) {\n", "open.lib");
    FAIL() << "no error";
  } catch (const LibertyError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("open.lib:", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("not closed"), std::string::npos) << e.what();
  }
  try {
    parse_liberty("library (x) {\n  capacitive_load_unit (1, pf);\n  nom_voltage : 1.0;\n  cell (A) { area : abc; }\n}\n", "num.lib");
    FAIL() << "no error";
  } catch (const LibertyError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("num.lib:4:", 0), 0u) << e.what();
  }
}

TEST(Liberty, MissingCellsAreAnInputError) {
  TempDir t("lib");
  std::string only_inv = "library (tiny) {\n capacitive_load_unit (1, pf);\n nom_voltage : 1.0;\n"
                         " cell (INV) {\n  area : 1;\n  pin (A) { direction : input; capacitance : 0.001; }\n"
                         "  pin (Y) { direction : output; function : \"!A\"; }\n }\n}\n";
  write_text_atomic(t / "tiny.lib", only_inv);
  try {
    prepare_library(t / "tiny.lib", t / "out");
    FAIL() << "no error";
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("tiny.lib"), std::string::npos) << m;
    EXPECT_NE(m.find("2-input NAND or NOR"), std::string::npos) << m;
    EXPECT_NE(m.find("flip-flop"), std::string::npos) << m;
    EXPECT_EQ(m.find("an inverter"), std::string::npos) << m;
  }
}

TEST(LibertyExpr, SyntaxVariants) {
  std::vector<std::string> ab = {"A", "B"};
  for (unsigned v = 0; v < 4; ++v) {
    bool a = v & 1, b = v & 2;
    EXPECT_EQ(truth("!(A&B)", ab, v), !(a && b));
    EXPECT_EQ(truth("(!A) | (!B)", ab, v), !(a && b));
    EXPECT_EQ(truth("!(A*B)", ab, v), !(a && b));
    EXPECT_EQ(truth("A B'", ab, v), a && !b);
    EXPECT_EQ(truth("(A^B)", ab, v), a != b);
    EXPECT_EQ(truth("!(A+B)", ab, v), !(a || b));
    EXPECT_EQ(truth("A^B+A", ab, v), (a != b) || a);  // XOR binds tighter than OR
    EXPECT_EQ(truth("!A^B", ab, v), (!a) != b);
  }
  std::vector<std::string> mux = {"S", "A0", "A1"};
  for (unsigned v = 0; v < 8; ++v) {
    bool s = v & 1, a0 = v & 2, a1 = v & 4;
    EXPECT_EQ(truth("(!S*A0)+(S*A1)", mux, v), s ? a1 : a0);
  }
  EXPECT_THROW(parse_bool_expr("(A&B"), ExprError);
  EXPECT_THROW(parse_bool_expr(""), ExprError);
  std::string n;
  bool inv = false;
  EXPECT_TRUE(single_var(*parse_bool_expr("RESET_B'"), n, inv));
  EXPECT_EQ(n, "RESET_B");
  EXPECT_TRUE(inv);
}

TEST(CellModels, FlopAndGateModelsFromFunctions) {
  std::string v = cell_models_verilog(builtin(), {"DFFR_X1", "AOI21_X1", "FA_X1"});
  EXPECT_NE(v.find("module DFFR_X1 ("), std::string::npos);
  EXPECT_NE(v.find("always @(posedge ck_s0 or posedge clr_s0)"), std::string::npos) << v;
  EXPECT_NE(v.find("assign ZN = (~(A | (B1 & B2)));"), std::string::npos) << v;
  EXPECT_NE(v.find("assign CO ="), std::string::npos) << v;
  EXPECT_THROW(cell_models_verilog(builtin(), {"NO_SUCH_CELL"}), LibertyError);
}

TEST(LibertyPdk, Ihp) {
  MACFORGE_REQUIRE_PDK(ihp_lib());
  Library lib = read_liberty(ihp_lib());
  EXPECT_EQ(lib.cells.size(), 84u);
  EXPECT_NEAR(lib.cell("sg13g2_inv_1")->area, 5.44, 0.005);
  EXPECT_NEAR(lib.cell("sg13g2_nand2_1")->area, 7.26, 0.005);
  EXPECT_NEAR(lib.cell("sg13g2_xor2_1")->area, 14.52, 0.005);
  EXPECT_NEAR(lib.cell("sg13g2_dfrbpq_1")->area, 48.99, 0.005);
  EXPECT_DOUBLE_EQ(lib.voltage, 1.2);
  EXPECT_NEAR(lib.leak_unit_nw, 1e-3, 1e-15);                       // pW
  EXPECT_NEAR(lib.cell("sg13g2_inv_1")->leakage_nw, 0.0630032, 1e-9);  // 63.0032 pW
  EXPECT_TRUE(lib.cell("sg13g2_dfrbpq_1")->is_flop());
  EXPECT_EQ(lib.cell("sg13g2_dfrbpq_1")->seq[0].clear, "RESET_B'");
  EXPECT_TRUE(lib.cell("sg13g2_fill_1")->dont_use);
  ASSERT_NE(lib.wire_load(), nullptr);
  EXPECT_EQ(lib.wire_load()->name, "1k");
  // the power tables are 7x7 over slew and load
  const LibPin* y = lib.cell("sg13g2_inv_1")->pin("Y");
  ASSERT_FALSE(y->power.empty());
  EXPECT_EQ(y->power[0].rise.slew.size(), 7u);
  EXPECT_EQ(y->power[0].rise.load.size(), 7u);
  EXPECT_TRUE(dont_use_candidates(lib).empty());  // IHP marks its special cells itself
  // every usable combinational cell model is generated without error
  std::set<std::string> cells;
  for (const LibCell& c : lib.cells)
    if (!c.dont_use && !c.statetable && !c.outputs().empty()) cells.insert(c.name);
  EXPECT_NO_THROW(cell_models_verilog(lib, cells));
}

TEST(LibertyPdk, Sky130) {
  MACFORGE_REQUIRE_PDK(sky130_lib());
  Library lib = read_liberty(sky130_lib());
  EXPECT_EQ(lib.cells.size(), 428u);
  EXPECT_NEAR(lib.cell("sky130_fd_sc_hd__inv_1")->area, 3.75, 0.005);
  EXPECT_NEAR(lib.cell("sky130_fd_sc_hd__nand2_1")->area, 3.75, 0.005);
  EXPECT_NEAR(lib.cell("sky130_fd_sc_hd__xor2_1")->area, 8.76, 0.005);
  EXPECT_NEAR(lib.cell("sky130_fd_sc_hd__ha_1")->area, 12.51, 0.005);
  EXPECT_NEAR(lib.cell("sky130_fd_sc_hd__fa_1")->area, 20.02, 0.005);
  EXPECT_NEAR(lib.cell("sky130_fd_sc_hd__dfxtp_1")->area, 20.02, 0.005);
  EXPECT_DOUBLE_EQ(lib.voltage, 1.8);
  EXPECT_DOUBLE_EQ(lib.leak_unit_nw, 1.0);
  EXPECT_EQ(lib.cell("sky130_fd_sc_hd__dfxtp_1")->seq[0].iqn, "IQ_N");
  EXPECT_TRUE(lib.cell("sky130_fd_sc_hd__dfxtp_1")->pin("CLK")->clock);
  ASSERT_NE(lib.wire_load(), nullptr);
  EXPECT_EQ(lib.wire_load()->name, "Small");
  EXPECT_NEAR(lib.wire_load()->cap_pf(1), 23.2746 * 1.42e-5, 1e-12);
  std::vector<std::string> du = dont_use_candidates(lib);
  int lpflow = 0;
  for (const LibCell& c : lib.cells) lpflow += c.name.find("lpflow_") != std::string::npos;
  EXPECT_EQ(lpflow, 34);
  for (const LibCell& c : lib.cells) {
    if (c.name.find("lpflow_") != std::string::npos) {
      EXPECT_NE(std::find(du.begin(), du.end(), c.name), du.end()) << c.name;
    }
  }
}

TEST(LibertyPdk, Sky130PatchedCopyMarksLpflow) {
  MACFORGE_REQUIRE_PDK(sky130_lib());
  TempDir t("patch");
  PreparedLibrary p = prepare_library(sky130_lib(), t.str());
  EXPECT_FALSE(p.builtin);
  EXPECT_NE(p.template_path.find("synth_template_nofa.ys"), std::string::npos);
  EXPECT_EQ(p.yosys_liberty, t / "sky130_fd_sc_hd__tt_025C_1v80.lib");
  Library copy = read_liberty(p.yosys_liberty);  // the copy still parses
  EXPECT_EQ(copy.cells.size(), 428u);
  EXPECT_TRUE(copy.cell("sky130_fd_sc_hd__lpflow_isobufsrc_1")->dont_use);
  EXPECT_TRUE(copy.cell("sky130_fd_sc_hd__lpflow_inputiso1p_1")->dont_use);
  EXPECT_FALSE(copy.cell("sky130_fd_sc_hd__nand2_1")->dont_use);
  EXPECT_GE(p.dont_use_added.size(), 34u);
}

// Sweep files: parsing, checks with FILE:LINE:COL, expansion, filters, hashes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sweep/expr.hpp"
#include "sweep/spec.hpp"

namespace {

using namespace macforge::sweep;
namespace fs = std::filesystem;

std::string data(const std::string& f) { return std::string(MF_SWEEP_DATA) + "/" + f; }

std::string write_tmp(const std::string& name, const std::string& text) {
  // One directory per test: ctest runs the tests in parallel.
  std::string dir = std::string(MF_WORK_DIR) + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  fs::create_directories(dir);
  std::string p = dir + "/" + name;
  std::ofstream(p) << text;
  // The workloads of these files are relative to their directory.
  fs::copy_file(data("layers.csv"), dir + "/layers.csv", fs::copy_options::overwrite_existing);
  return p;
}

// The message of the SweepError that loading (and expanding) text raises.
std::string error_of(const std::string& text) {
  std::string p = write_tmp("bad.yaml", text);
  try {
    SweepSpec s = load_sweep(p);
    expand(s, "test");
  } catch (const SweepError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(SweepSpec, SmallExpandsToFourPointsInAxisOrder) {
  SweepSpec s = load_sweep(data("small.yaml"));
  EXPECT_EQ(s.name, "small");
  EXPECT_EQ(s.stages, (std::vector<std::string>{"gen", "lint", "sim", "qsnr"}));
  ASSERT_EQ(s.workloads.size(), 2u);
  EXPECT_EQ(s.workloads[1].name, "block");
  EXPECT_TRUE(fs::path(s.workloads[1].layers).is_absolute());
  Expansion ex = expand(s, "v1");
  ASSERT_EQ(ex.points.size(), 4u);
  EXPECT_EQ(ex.points[0].label, "mxfp8_e4m3 2x2");
  EXPECT_EQ(ex.points[1].label, "mxfp8_e4m3 4x4");
  EXPECT_EQ(ex.points[2].label, "mxint8 2x2");
  EXPECT_EQ(ex.points[3].label, "mxint8 4x4");
  EXPECT_EQ(ex.points[3].param("lanes"), "8");
  EXPECT_EQ(ex.points[3].param("block"), "32");
  EXPECT_EQ(ex.points[3].param("peak_macs_per_cycle"), "128");
  EXPECT_EQ(ex.points[3].cfg.pipeline, 1);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(ex.points[i].index, i);
}

TEST(SweepSpec, HashesAreStableDistinctAndCoverTheToolVersion) {
  SweepSpec s = load_sweep(data("small.yaml"));
  Expansion a = expand(s, "v1"), b = expand(s, "v1"), c = expand(s, "v2");
  std::set<std::string> seen;
  for (size_t i = 0; i < a.points.size(); ++i) {
    EXPECT_EQ(a.points[i].hash, b.points[i].hash);
    EXPECT_NE(a.points[i].hash, c.points[i].hash);  // never reused across versions
    EXPECT_EQ(a.points[i].hash.size(), 16u);
    EXPECT_TRUE(seen.insert(a.points[i].hash).second);
    EXPECT_NE(a.points[i].key.find(a.points[i].cfg.canonical_json()), std::string::npos);
  }
  // A stage setting changes every hash.
  std::string text = "name: t\nstages: [qsnr]\naxes: {format: mxint8}\nqsnr: {n: 100}\n";
  Expansion x = expand(load_sweep(write_tmp("h1.yaml", text)), "v");
  text.replace(text.find("100"), 3, "200");
  Expansion y = expand(load_sweep(write_tmp("h2.yaml", text)), "v");
  EXPECT_NE(x.points[0].hash, y.points[0].hash);
}

TEST(SweepSpec, FiltersAndBlockAxis) {
  SweepSpec s = load_sweep(data("qsnr_only.yaml"));
  Expansion ex = expand(s, "v");
  // 6 formats x 2 blocks, minus nvint4/16 and the two fp x int pairs.
  ASSERT_EQ(ex.points.size(), 9u);
  EXPECT_EQ(ex.excluded, 3u);
  for (const Point& p : ex.points) {
    EXPECT_FALSE(p.param("format") == "nvint4" && p.axis.at("block") == "16") << p.label;  // excluded by its a
    EXPECT_FALSE(p.param("a_kind") == "fp" && p.param("b_kind") == "int") << p.label;
  }
  bool found = false;
  for (const Point& p : ex.points)
    if (p.label == "mxint8 B16") {
      found = true;
      EXPECT_EQ(p.cfg.a_name, "int8/16/e8m0");
      EXPECT_EQ(p.param("block"), "16");
    }
  EXPECT_TRUE(found);
}

TEST(SweepSpec, InvalidCombinationsFailOrAreSkipped) {
  std::string text = "name: t\nstages: [qsnr]\naxes:\n  format: [mxint8, nvint4]\n  lanes: [8, 32]\n";
  std::string msg = error_of(text);
  EXPECT_NE(msg.find("the combination format=nvint4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("lanes=32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("skip_invalid"), std::string::npos) << msg;
  SweepSpec s = load_sweep(write_tmp("skip.yaml", text + "skip_invalid: true\n"));
  Expansion ex = expand(s, "v");
  EXPECT_EQ(ex.points.size(), 3u);
  ASSERT_EQ(ex.skipped.size(), 1u);
  EXPECT_NE(ex.skipped[0].find("nvint4"), std::string::npos);
  // An exclude rule removes it before it is checked.
  s = load_sweep(write_tmp("ex.yaml", text + "exclude: [{format: nvint4, lanes: 32}]\n"));
  EXPECT_EQ(expand(s, "v").points.size(), 3u);
}

TEST(SweepSpec, ErrorsNameTheFileLineAndColumn) {
  struct Case {
    std::string text, where, words;
  };
  std::vector<Case> cases = {
      {"name: t\naxes:\n  format: [mxint8\n", ":4:1:", "YAML syntax error"},
      {"name: t\naxes: {format: mxint8}\nstagez: [qsnr]\n", ":3:1:", "stagez: unknown key"},
      {"name: t\naxes:\n  format: [mxint8, mxint9]\n", ":3:20:", "unknown format 'mxint9'"},
      {"name: t\naxes:\n  format: mxint8\n  lanes: [8, 0]\n", ":4:14:", "out of range"},
      {"name: t\naxes:\n  format: mxint8\n  array: 8by8\n", ":4:10:", "not an array shape"},
      {"name: t\naxes: {format: mxint8}\nexclude:\n  - \"rows >< 3\"\n", ":4:5:", "bad expression"},
      {"name: t\naxes: {format: mxint8}\nwhere: \"colz == 3\"\n", ":3:8:", "unknown name 'colz'"},
      {"name: t\naxes: {format: mxint8}\nbaseline: mxfp8_e4m3\n", ":3:11:", "not a format label"},
      {"name: t\naxes: {format: mxint8}\ncomposites:\n  - {name: c, parts: {nvfp4: 2}}\n", ":4:23:",
       "not a format label"},
      {"name: t\naxes: {format: mxint8}\nstages: [sim]\n", ":1:1:", "needs at least one workload"},
      {"name: t\naxes: {format: mxint8}\nstages: [synthesis]\n", ":3:10:", "unknown stage"},
      {"name: t\naxes: {format: mxint8}\nworkloads: [{name: w, layers: nope.csv}]\nstages: [sim]\n", ":3:31:",
       "cannot read"},
      // "pareto_energy: " is 15 characters: the value starts at column 16.
      {"name: t\naxes: {format: mxint8}\nworkloads: [{name: w, layers: layers.csv}]\npareto_energy: v\n", ":4:16:",
       "pareto_energy: 'v' is not a workload name (valid: w)"},
      {"name: t\n", ":1:1:", "axes: missing"},
      {"", "", "empty sweep file"},
  };
  for (const Case& c : cases) {
    std::string msg = error_of(c.text);
    EXPECT_NE(msg.find("bad.yaml" + c.where), std::string::npos) << c.text << "\n-> " << msg;
    EXPECT_NE(msg.find(c.words), std::string::npos) << c.text << "\n-> " << msg;
  }
}

TEST(SweepExpr, EvaluatesComparisonsLogicListsAndRegex) {
  std::vector<std::string> names = {"rows", "cols", "format", "a_bits"};
  std::map<std::string, std::string> v = {{"rows", "8"}, {"cols", "4"}, {"format", "mxint8"}, {"a_bits", "8"}};
  auto ev = [&](const std::string& t) { return Expr::parse(t, names).eval(v); };
  EXPECT_TRUE(ev("rows == 8"));
  EXPECT_TRUE(ev("rows > cols && !(cols > 4)"));
  EXPECT_TRUE(ev("rows * cols == 32"));
  EXPECT_TRUE(ev("rows == 8.0"));
  EXPECT_TRUE(ev("format == 'mxint8'"));
  EXPECT_TRUE(ev("format =~ 'int'"));
  EXPECT_FALSE(ev("format =~ '^mxfp'"));
  EXPECT_TRUE(ev("format in ['nvint4', \"mxint8\"]"));
  EXPECT_TRUE(ev("a_bits in [4, 8] or rows < 2"));
  EXPECT_FALSE(ev("not (rows >= 8)"));
  EXPECT_TRUE(ev("true"));
  EXPECT_THROW(Expr::parse("rows === 3", names), ExprError);
  EXPECT_THROW(Expr::parse("rows == ", names), ExprError);
  EXPECT_THROW(Expr::parse("format == mxint8", names), ExprError);  // text must be quoted
  try {
    Expr::parse("rows == 3 && lanez > 2", names);
    FAIL();
  } catch (const ExprError& e) {
    EXPECT_NE(std::string(e.what()).find("column 14"), std::string::npos) << e.what();
  }
}

}  // namespace

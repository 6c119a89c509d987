// The Table 5 ablation and the timing settings of sweeps (docs/sweeps.md
// sections 1 and 10): the ablation section and `pipeline: auto` (good and bad
// input), the auto-pipeline choice on a fake synthesis, the ablation table on
// synthetic results (hand-computed ratios), the shipped table5_ablation.yaml
// against the paper's Eq. 44.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "sweep/point.hpp"
#include "sweep/report.hpp"
#include "sweep/spec.hpp"

namespace {

using namespace macforge::sweep;
namespace fs = std::filesystem;

std::string write_tmp(const std::string& name, const std::string& text) {
  std::string dir = std::string(MF_WORK_DIR) + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  fs::create_directories(dir);
  std::string p = dir + "/" + name;
  std::ofstream(p) << text;
  return p;
}

std::string error_of(const std::string& text) {
  std::string p = write_tmp("bad.yaml", text);
  try {
    expand(load_sweep(p), "test");
  } catch (const SweepError& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kTwo =
    "stages: [synth]\n"
    "axes:\n"
    "  format: [mxfp8_e4m3, mxint8]\n"
    "  array: 1x1\n"
    "synth: {pe_only: true}\n";

// The paper's Eq. 44 (arXiv 2510.25602): an FP aligner keeps
// n = min(2^(x+1) + 2y, 24) bits for x exponent and y mantissa bits.
int eq44(int x, int y) { return std::min((1 << (x + 1)) + 2 * y, 24); }

TEST(SweepAblation, ShippedTable5FileFollowsThePaper) {
  SweepSpec s = load_sweep(std::string(MACFORGE_SOURCE_DIR) + "/configs/sweeps/table5_ablation.yaml");
  ASSERT_TRUE(s.has_ablation);
  const auto& cols = s.ablation.columns;
  std::vector<std::string> names;
  for (const AblationColumn& c : cols) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"paper", "array multiplier", "lanes 8", "exact-block", "flip-flops in",
                                             "simulated activity", "clock 1 ns"}));
  const AblationColumn& p = cols[0];
  EXPECT_EQ(p.lanes.at("mxfp8_e4m3"), "32");
  EXPECT_EQ(p.lanes.at("mxint8"), "32");
  EXPECT_EQ(p.lanes.at("nvfp4"), "16");
  EXPECT_EQ(p.lanes.at("nvint4"), "16");
  EXPECT_EQ(p.accumulation.at("mxfp8_e4m3"), "aligned:" + std::to_string(eq44(4, 3)));  // 24
  EXPECT_EQ(p.accumulation.at("nvfp4"), "aligned:" + std::to_string(eq44(2, 1)));       // 10
  EXPECT_EQ(p.accumulation.at("mxint8"), "exact-block");
  EXPECT_EQ(p.knobs.multiplier, "booth4");
  EXPECT_EQ(p.knobs.area_scope, "combinational");
  EXPECT_EQ(p.knobs.activity, "uniform:0.5");
  EXPECT_TRUE(p.knobs.timing);
  EXPECT_EQ(p.knobs.clock_ns, 1000.0);  // binds nothing: no clock constraint
  EXPECT_TRUE(p.knobs.pe_only);
  // Cumulative: the last column is macforge's defaults.
  const AblationColumn& last = cols.back();
  EXPECT_EQ(last.lanes.at("nvfp4"), "8");
  EXPECT_EQ(last.accumulation.at("mxfp8_e4m3"), "exact-block");
  EXPECT_EQ(last.knobs.multiplier, "");
  EXPECT_EQ(last.knobs.area_scope, "all");
  EXPECT_EQ(last.knobs.activity, "sim");
  EXPECT_TRUE(last.knobs.timing);
  EXPECT_EQ(last.knobs.clock_ns, 1.0);

  Expansion ex = expand(s, "v");
  ASSERT_EQ(ex.column_points.size(), cols.size());
  for (const auto& cp : ex.column_points) EXPECT_EQ(cp.size(), 4u);
  // area_scope is chosen in the report: the same synthesis runs.
  EXPECT_EQ(ex.column_points[3], ex.column_points[4]);
  // exact-block changes only the FP formats (INT is exact anyway).
  EXPECT_EQ(ex.column_points[2].at("mxint8"), ex.column_points[3].at("mxint8"));
  EXPECT_NE(ex.column_points[2].at("mxfp8_e4m3"), ex.column_points[3].at("mxfp8_e4m3"));
  std::set<std::string> all;
  for (const auto& cp : ex.column_points)
    for (const auto& [l, h] : cp) all.insert(h);
  EXPECT_EQ(ex.points.size(), all.size());  // every distinct run once
  EXPECT_EQ(ex.points.size(), 7u * 4u - 4u - 2u);
  // The multiplier reaches the point's config text.
  EXPECT_NE(point_config_yaml(s, ex.points[0]).find("  multiplier: booth4\n"), std::string::npos);
  EXPECT_EQ(ex.points[0].cfg.multiplier, macforge::gen::Multiplier::Booth4);
  EXPECT_NE(ex.points[0].key.find("\"multiplier\":\"booth4\""), std::string::npos);
}

TEST(SweepAblation, BadAblationSectionsNameFileLineAndKey) {
  std::string base = std::string(kTwo) + "ablation:\n  base: {name: p, lanes: 8}\n  steps:\n";
  std::string e = error_of(base + "    - {name: a, lanes: 4, activity: sim}\n");
  EXPECT_NE(e.find("bad.yaml:9:7: ablation.steps: a step changes exactly one setting (it changes 2"), std::string::npos) << e;
  e = error_of(std::string(kTwo) + "ablation:\n  base: {lanes: {mxint8: 8}}\n  steps: [{lanes: 4}]\n");
  EXPECT_NE(e.find(":7:17: ablation.base.lanes: no value for the format 'mxfp8_e4m3'"), std::string::npos) << e;
  e = error_of(base + "    - {name: a, activity: random}\n");
  EXPECT_NE(e.find(":9:27: ablation.steps.activity: 'random' (allowed: sim, uniform:A"), std::string::npos) << e;
  e = error_of(base + "    - {name: a, activity: 'uniform:1.5'}\n");
  EXPECT_NE(e.find("uniform:A must be in (0, 1]"), std::string::npos) << e;
  e = error_of(base + "    - {name: a, multiplier: wallace}\n");
  EXPECT_NE(e.find("ablation.steps.multiplier: 'wallace' (allowed: booth4, array, behavioural, default)"),
            std::string::npos) << e;
  e = error_of(base + "    - {name: a, clock_ns: -1}\n");
  EXPECT_NE(e.find("ablation.steps.clock_ns: must be in (0, 1000] ns, or none"), std::string::npos) << e;
  e = error_of(base + "    - {name: a, pipeline: 2}\n");
  EXPECT_NE(e.find("ablation.steps.pipeline: unknown key"), std::string::npos) << e;
  e = error_of(base + "    - {name: p, lanes: 4}\n");
  EXPECT_NE(e.find("duplicate column name 'p'"), std::string::npos) << e;
  e = error_of(std::string(kTwo) + "ablation:\n  steps: [{lanes: 4}]\n");
  EXPECT_NE(e.find("ablation: missing 'base'"), std::string::npos) << e;
  e = error_of("stages: [synth]\naxes: {format: mxint8, lanes: [4, 8]}\nablation:\n  base: {lanes: 8}\n  steps: [{lanes: 4}]\n");
  EXPECT_NE(e.find("ablation: the columns are the only thing varied: give one value for lanes"), std::string::npos) << e;
  // Every message is one line.
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(SweepAblation, PipelineAutoParsesAndIsChecked) {
  std::string good = "stages: [synth]\naxes:\n  format: mxint8\n  pipeline: [1, auto]\nsynth: {clock_ns: 0.8}\n";
  SweepSpec s = load_sweep(write_tmp("auto.yaml", good));
  EXPECT_EQ(s.pipelines, (std::vector<int>{1, kPipelineAuto}));
  EXPECT_DOUBLE_EQ(s.synth.clock_ns, 0.8);
  Expansion ex = expand(s, "v");
  ASSERT_EQ(ex.points.size(), 2u);
  EXPECT_FALSE(ex.points[0].pipeline_auto);
  EXPECT_TRUE(ex.points[1].pipeline_auto);
  EXPECT_EQ(ex.points[1].label, "mxint8 Pauto");
  EXPECT_EQ(ex.points[1].param("pipeline"), "auto");
  EXPECT_EQ(ex.points[1].cfg.pipeline, 0);  // the search starts at 0
  EXPECT_NE(ex.points[0].hash, ex.points[1].hash);
  // The clock is part of the hash.
  std::string other = good;
  other.replace(other.find("0.8"), 3, "1.2");
  EXPECT_NE(expand(load_sweep(write_tmp("auto2.yaml", other)), "v").points[1].hash, ex.points[1].hash);

  std::string e = error_of("stages: [synth]\naxes:\n  format: mxint8\n  pipeline: autox\n");
  EXPECT_NE(e.find("bad.yaml:4:13: axes.pipeline: 'autox' is not a pipeline depth (allowed: 0..8, auto)"),
            std::string::npos) << e;
  e = error_of("stages: [qsnr]\naxes:\n  format: mxint8\n  pipeline: auto\n");
  EXPECT_NE(e.find("bad.yaml:4:13: axes.pipeline: auto needs the synth stage"), std::string::npos) << e;
  e = error_of("stages: [synth]\naxes:\n  format: mxint8\n  pipeline: auto\nsynth: {clock_ns: none}\n");
  EXPECT_NE(e.find("bad.yaml:4:13: axes.pipeline: auto needs timing"), std::string::npos) << e;
  e = error_of("stages: [synth]\naxes:\n  format: mxint8\nsynth: {area_scope: logic}\n");
  EXPECT_NE(e.find("bad.yaml:4:21: synth.area_scope: 'logic' (allowed: all, combinational)"), std::string::npos) << e;
}

TEST(SweepAblation, BadSweepFileExitsTwoWithOneLine) {
  std::string p = write_tmp("bad.yaml", "stages: [synth]\naxes:\n  format: mxint8\n  pipeline: autox\n");
  std::string err = p + ".err";
  int st = std::system((std::string(MF_MACFORGE) + " sweep " + p + " --dry-run --out " + p + ".d 2> " + err).c_str());
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 2);
  std::ifstream in(err);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_NE(text.find("bad.yaml:4:13: axes.pipeline:"), std::string::npos) << text;
}

DepthTry fake(double slack) {
  DepthTry t;
  t.slack_ns = slack;
  t.met = slack >= 0;
  return t;
}

TEST(SweepAblation, AutoPipelineKeepsTheSmallestDepthThatMeetsTheClock) {
  // Slack improves with depth; depth 2 is the first to meet T: the search
  // stops there (no synthesis of 3..5).
  std::vector<double> slack = {-0.40, -0.12, 0.03, 0.20, 0.25, 0.26};
  std::vector<int> asked;
  PipelineChoice c = choose_pipeline(5, [&](int d) {
    asked.push_back(d);
    return fake(slack[size_t(d)]);
  });
  EXPECT_EQ(c.chosen, 2);
  EXPECT_TRUE(c.met);
  EXPECT_EQ(asked, (std::vector<int>{0, 1, 2}));
  ASSERT_EQ(c.tried.size(), 3u);
  EXPECT_EQ(c.tried[1].depth, 1);
  EXPECT_DOUBLE_EQ(c.tried[1].slack_ns, -0.12);
  // Depth 0 already meets T.
  c = choose_pipeline(5, [&](int) { return fake(0.0); });
  EXPECT_EQ(c.chosen, 0);
  EXPECT_EQ(c.tried.size(), 1u);
  // None meets T: every depth up to the bound is tried, the largest slack kept,
  // the smaller depth on a tie.
  std::vector<double> bad = {-0.5, -0.2, -0.1, -0.1, -0.3};
  asked.clear();
  c = choose_pipeline(4, [&](int d) {
    asked.push_back(d);
    return fake(bad[size_t(d)]);
  });
  EXPECT_FALSE(c.met);
  EXPECT_EQ(c.chosen, 2);
  EXPECT_EQ(asked, (std::vector<int>{0, 1, 2, 3, 4}));
  // A failing synthesis propagates.
  EXPECT_THROW(choose_pipeline(3, [](int d) -> DepthTry {
                 if (d == 1) throw std::runtime_error("yosys failed");
                 return fake(-1);
               }),
               std::runtime_error);
}

// A manifest of two columns over mxfp8 (F), mxint8 (I), nvfp4 (G), nvint4 (J)
// with hand-picked figures; ratios computed by hand below.
json synthetic_manifest() {
  json m;
  m["baseline"] = "F";
  m["composite_baseline"] = "F+G";
  m["composites"] = json::array({json{{"name", "F+G"}, {"parts", json::array({json{{"format", "F"}, {"units", 1}},
                                                                               json{{"format", "G"}, {"units", 2}}})}},
                                 json{{"name", "I+J"}, {"parts", json::array({json{{"format", "I"}, {"units", 1}},
                                                                               json{{"format", "J"}, {"units", 2}}})}}});
  m["reference"] = {{"rows", json::array({json{{"name", "I"}, {"values", {{"area", 0.79}, {"energy", 0.63}}}},
                                          json{{"name", "I+J"}, {"values", {{"area", 0.66}}}}})}};
  json lanes = {{"F", "32"}, {"I", "32"}, {"G", "16"}, {"J", "16"}};
  json c0 = {{"name", "paper"}, {"changed", ""}, {"area_scope", "combinational"},
             {"points", {{"F", "f0"}, {"I", "i0"}, {"G", "g0"}, {"J", "j0"}}}, {"lanes", lanes}};
  json c1 = {{"name", "flip-flops in"}, {"changed", "area_scope: all"}, {"area_scope", "all"},
             {"points", {{"F", "f0"}, {"I", "i0"}, {"G", "g0"}, {"J", "jX"}}}, {"lanes", lanes}};
  m["ablation"] = {{"title", "t"}, {"ratios", json::array({"I", "G"})}, {"columns", json::array({c0, c1})}};
  return m;
}

json fig(double area, double area_c, double e, double e_c) {
  return {{"area_um2", area}, {"area_combinational_um2", area_c}, {"energy_pj_per_mac", e},
          {"energy_combinational_pj_per_mac", e_c}};
}

TEST(SweepAblation, TableRatiosAndCompositesByHand) {
  std::map<std::string, json> rec = {{"f0", fig(1000, 800, 2.0, 1.6)},
                                     {"i0", fig(700, 600, 1.0, 0.8)},
                                     {"g0", fig(400, 300, 1.5, 1.2)},
                                     {"j0", fig(200, 150, 0.5, 0.4)}};
  AblationTable t = ablation_table(synthetic_manifest(), rec);
  ASSERT_EQ(t.columns.size(), 2u);
  ASSERT_EQ(t.rows.size(), 6u);  // I and G (area, energy), I+J (area, energy)
  EXPECT_EQ(t.rows[0].name, "I / F");
  EXPECT_EQ(t.rows[0].metric, "area");
  EXPECT_DOUBLE_EQ(t.rows[0].paper, 0.79);
  EXPECT_DOUBLE_EQ(t.rows[0].values[0], 600.0 / 800.0);  // combinational
  EXPECT_DOUBLE_EQ(t.rows[0].values[1], 700.0 / 1000.0);  // all
  EXPECT_DOUBLE_EQ(t.rows[1].values[0], 0.8 / 1.6);
  EXPECT_DOUBLE_EQ(t.rows[3].values[0], 1.2 / 1.6);  // G energy
  EXPECT_EQ(t.rows[4].name, "I+J / F+G");
  EXPECT_DOUBLE_EQ(t.rows[4].paper, 0.66);
  EXPECT_TRUE(std::isnan(t.rows[5].paper));
  // Composite area per MAC/cycle: (600 + 2*150) / (32 + 2*16) over
  // (800 + 2*300) / 64; energy weighted by units x lanes: (32*0.8 + 2*16*0.4)
  // / 64 over (32*1.6 + 2*16*1.2) / 64.
  EXPECT_DOUBLE_EQ(t.rows[4].values[0], (900.0 / 64) / (1400.0 / 64));
  EXPECT_DOUBLE_EQ(t.rows[5].values[0], (32 * 0.8 + 32 * 0.4) / (32 * 1.6 + 32 * 1.2));
  // Column 1 misses J: its composite is n/a, the rest is there, and a note says why.
  EXPECT_TRUE(std::isnan(t.rows[4].values[1]));
  // Area per lane: G has 16 lanes, F 32.
  EXPECT_DOUBLE_EQ(t.rows[2].values[1], (400.0 / 16) / (1000.0 / 32));
  ASSERT_EQ(t.notes.size(), 1u);
  EXPECT_EQ(t.notes[0], "flip-flops in: no result for J");
  EXPECT_DOUBLE_EQ(t.base_area[0], 800);
  EXPECT_DOUBLE_EQ(t.base_area[1], 1000);
  EXPECT_DOUBLE_EQ(t.base_energy[1], 2.0);

  std::string md = render_ablation_md(t);
  EXPECT_NE(md.find("| | published | paper | flip-flops in |"), std::string::npos) << md;
  EXPECT_NE(md.find("| I / F area | 0.79 | 0.75 | 0.70 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| I+J / F+G area | 0.66 | 0.64 | n/a |"), std::string::npos) << md;
  EXPECT_NE(md.find("| F area um^2 (the whole unit) | | 800 | 1000 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| change | | (base) | area_scope: all |"), std::string::npos) << md;
  std::string csv = render_ablation_csv(t);
  EXPECT_NE(csv.find("I / F,area,0.79,0.75,0.7\n"), std::string::npos) << csv;
  json j = ablation_json(t);
  EXPECT_DOUBLE_EQ(j["columns"][1]["ratios"]["G / F"]["area"].get<double>(), 0.8);
  EXPECT_TRUE(j["columns"][1]["ratios"]["I+J / F+G"]["area"].is_null());
}

TEST(SweepAblation, MultiplierIsWrittenIntoThePeSection) {
  macforge::gen::ArrayConfig c;
  c.name = "x";
  c.a_name = c.b_name = "mxint8";
  c.lanes = 8;
  c.pipeline = 1;
  c.rows = c.cols = 1;
  macforge::gen::validate_config(c, "t");
  std::string y = config_yaml_with_multiplier(c, "booth4");
  EXPECT_NE(y.find("  pipeline: 1\n  multiplier: booth4\narray:"), std::string::npos) << y;
  EXPECT_EQ(config_yaml_with_multiplier(c, ""), macforge::gen::to_yaml(c));
  // A generator that writes the key already: the value is replaced, not doubled.
  std::string twice = config_yaml_with_multiplier(c, "array");
  EXPECT_EQ(twice.find("multiplier:"), twice.rfind("multiplier:"));
}

}  // namespace

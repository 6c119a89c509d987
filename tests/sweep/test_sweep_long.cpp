// Long sweep tests (ctest label `long`): synthesis and co-simulation through a
// sweep, area and energy checked against `macforge synth` run directly.
#include <gtest/gtest.h>

#include <cmath>

#include "sweep_test_util.hpp"

namespace {

using namespace mf_test;

TEST(SweepLong, SynthAndCosimPointsMatchTheToolsRunDirectly) {
  std::string w = work_dir("synth_small");
  Result r = mf("sweep " + q(data("synth_small.yaml")) + " -j 2 --out " + q(w + "/out"), "synth_small");
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  auto rows = read_csv(w + "/out/results.csv");
  ASSERT_EQ(rows.size(), 4u);
  for (auto& row : rows) {
    EXPECT_EQ(row["status"], "ok") << row["error"];
    EXPECT_EQ(row["cosim_ok"], "1");
    EXPECT_GT(std::stod(row["area_um2"]), 0);
    EXPECT_GT(std::stod(row["energy_pj_per_mac"]), 0);
    EXPECT_NEAR(std::stod(row["energy_uj_g"]), std::stod(row["energy_pj_per_mac"]) * 16 * 16 * 64 * 1e-6,
                1e-9 * std::stod(row["energy_uj_g"]));
  }
  // nvint4 3x2 written by hand and synthesized directly: the same area and energy.
  std::string cfg = w + "/direct.yaml";
  std::ofstream(cfg) << "name: nvint4_3x2\npe: {a: nvint4, b: nvint4, lanes: 4}\narray: {rows: 3, cols: 2}\n";
  Result s = mf("synth --config " + q(cfg) + " --out " + q(w + "/direct") +
                       " --json --no-uniform --cycles 256 --clock-ghz 1",
                   "direct_synth");
  ASSERT_EQ(s.code, 0) << s.err;
  json j = json::parse(s.out);
  auto& row = rows[3];
  ASSERT_EQ(row["label"], "nvint4 3x2");
  EXPECT_DOUBLE_EQ(std::stod(row["area_um2"]), j["area_um2"].get<double>());
  EXPECT_NEAR(std::stod(row["energy_pj_per_mac"]), j["energy_pj_per_mac"].get<double>(),
              1e-9 * j["energy_pj_per_mac"].get<double>());
  EXPECT_EQ(std::stod(row["flops"]), j["flops"].get<double>());
  // Relative to the baseline (mxint4 at the same array size).
  EXPECT_NEAR(std::stod(row["area_um2_rel"]), std::stod(row["area_um2"]) / std::stod(rows[1]["area_um2"]), 1e-9);
  std::string md = read(w + "/out/report.md");
  EXPECT_NE(md.find("## Hardware cost"), std::string::npos);
  for (std::string p : {"area_energy", "pareto", "workloads", "throughput_area"}) {
    EXPECT_TRUE(fs::exists(w + "/out/plots/" + p + ".png")) << p;
    EXPECT_TRUE(fs::exists(w + "/out/plots/" + p + ".svg")) << p;
  }
}

}  // namespace

namespace {

// pipeline: auto through a sweep: MXFP8 with 8 lanes misses 10 ns without a
// pipeline stage on the built-in library (its float32 accumulator path plus
// the unpipelined products) and meets it with one (docs/int_vs_fp.md).
TEST(SweepLong, PipelineAutoKeepsTheSmallestDepthMeetingTheClock) {
  std::string w = work_dir("auto_pipe");
  std::string f = w + "/auto.yaml";
  std::ofstream(f) << "stages: [gen, synth]\naxes:\n  format: mxfp8_e4m3\n  array: 1x1\n  lanes: 8\n"
                      "  pipeline: auto\nsynth: {energy: false, clock_ns: 10, pipeline_max: 3}\n";
  Result r = mf("sweep " + q(f) + " -j 1 --out " + q(w + "/out"), "auto_pipe");
  auto rows = read_csv(w + "/out/results.csv");
  ASSERT_EQ(rows.size(), 1u) << r.err;
  auto& row = rows[0];
  ASSERT_EQ(row["status"], "ok") << row["error"];
  EXPECT_EQ(row["pipeline"], "auto");
  int chosen = std::stoi(row["pipeline_chosen"]);
  EXPECT_EQ(row["pipeline_met"], "1");
  EXPECT_EQ(row["timing_met"], "1");
  EXPECT_GE(std::stod(row["slack_ns"]), 0.0);
  EXPECT_EQ(std::stod(row["clock_ns"]), 10.0);
  // docs/pe.md: LATENCY = 2 + pipeline; gen ran at the chosen depth.
  EXPECT_EQ(std::stoi(row["pe_latency"]), 2 + chosen);
  // Every smaller depth tried missed the clock; the chosen one met it.
  json rec = json::parse(read(w + "/out/points/" + row["hash"] + ".json"));
  const json& tried = rec["raw"]["pipeline_search"]["tried"];
  ASSERT_EQ(int(tried.size()), chosen + 1);
  for (int d = 0; d < chosen; ++d) EXPECT_FALSE(tried[size_t(d)]["met"].get<bool>()) << d;
  EXPECT_TRUE(tried[size_t(chosen)]["met"].get<bool>());
  EXPECT_EQ(rec["config"]["pe"]["pipeline"].get<int>(), chosen);
  std::string report = read(w + "/out/report.md");
  EXPECT_NE(report.find("at the clock T = 10 ns"), std::string::npos);
  EXPECT_NE(report.find("(auto)"), std::string::npos);
}

}  // namespace

// Multi-format PEs in sweeps (docs/sweeps.md section 11): the format-axis
// entry {modes, reuse}, its checks, unchanged hashes of single-format points,
// per-mode synthesis figures of a point, and the report's "Multi-format PEs"
// table from hand-written records (every ratio worked out by hand below).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sweep/collect.hpp"
#include "sweep/point.hpp"
#include "sweep/report.hpp"
#include "sweep/spec.hpp"

namespace {

using namespace macforge::sweep;
namespace fs = std::filesystem;

std::string test_dir() {
  std::string d = std::string(MF_WORK_DIR) + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string error_of(const std::string& text) {
  std::string p = write(test_dir() + "/bad.yaml", text);
  try {
    expand(load_sweep(p), "t");
  } catch (const SweepError& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kMulti =
    "name: m\n"
    "stages: [synth]\n"
    "axes:\n"
    "  format:\n"
    "    - mxfp8_e4m3\n"
    "    - {modes: [mxint8, nvint4], reuse: [none, int-scheme1, int-scheme2]}\n"
    "    - {label: FP pair, modes: [mxfp8_e4m3, nvfp4], reuse: fp-shared}\n"
    "    - {modes: [mxfp8_e4m3, mxfp6_e2m3]}\n"
    "  array: 2x2\n"
    "  lanes: 8\n"
    "synth: {clock_ns: none}\n"
    "composites:\n"
    "  - {name: FP, parts: {FP pair: 1}}\n"
    "  - {name: INT, parts: {mxint8+nvint4 int-scheme2: 1}}\n"
    "multi_format:\n"
    "  baseline: FP pair\n"
    "  title: paper, Table 7\n"
    "  reference: {mxint8+nvint4 int-scheme2: lowest area}\n";

TEST(SweepMulti, ModesEntryExpandsOnePointPerScheme) {
  SweepSpec s = load_sweep(write(test_dir() + "/m.yaml", kMulti));
  ASSERT_EQ(s.formats.size(), 6u);
  EXPECT_FALSE(s.formats[0].multi);
  EXPECT_EQ(s.formats[1].label, "mxint8+nvint4 none");
  EXPECT_EQ(s.formats[3].label, "mxint8+nvint4 int-scheme2");
  EXPECT_EQ(s.formats[3].reuse, "int-scheme2");
  EXPECT_EQ(s.formats[4].label, "FP pair");  // one scheme: the label as given
  EXPECT_EQ(s.formats[4].a1, "nvfp4");
  EXPECT_EQ(s.formats[5].label, "mxfp8_e4m3+mxfp6_e2m3 none");  // reuse defaults to none
  EXPECT_EQ(s.multi_baseline, "FP pair");
  ASSERT_EQ(s.multi_reference.size(), 1u);
  EXPECT_EQ(s.multi_reference[0].second, "lowest area");

  Expansion ex = expand(s, "t");
  ASSERT_EQ(ex.points.size(), 6u);
  const Point& p = ex.points[3];
  EXPECT_EQ(p.param("modes"), "2");
  EXPECT_EQ(p.param("a"), "mxint8");
  EXPECT_EQ(p.param("a1"), "nvint4");
  EXPECT_EQ(p.param("reuse"), "int-scheme2");
  // 4-bit mode: twice the lanes (gen/pe_spec.hpp); 6-bit: the same lanes.
  EXPECT_EQ(p.param("lanes1"), "16");
  EXPECT_EQ(p.param("peak_macs_per_cycle"), "32");         // 2x2 PEs x 8 lanes
  EXPECT_EQ(p.param("peak_macs_per_cycle_mode1"), "64");   // 2x2 PEs x 16 lanes
  EXPECT_EQ(ex.points[5].param("lanes1"), "8");
  EXPECT_EQ(ex.points[0].param("modes"), "1");
  EXPECT_EQ(ex.points[0].param("reuse"), "");
  // The scheme is part of what the result depends on: distinct hashes.
  EXPECT_NE(ex.points[1].hash, ex.points[2].hash);
  EXPECT_NE(ex.points[2].hash, ex.points[3].hash);
  EXPECT_NE(p.key.find("\"reuse\":\"int-scheme2\""), std::string::npos) << p.key;
  EXPECT_EQ(ex.points[0].key.find("\"modes\""), std::string::npos) << ex.points[0].key;
  // The point's config names both modes and the scheme in its pe: section.
  std::string y = point_config_yaml(s, p);
  EXPECT_NE(y.find("\npe:\n  modes: [mxint8, nvint4]\n  reuse: int-scheme2\n  lanes: 8\n"), std::string::npos) << y;
  EXPECT_EQ(p.cfg.modes, 2);
  EXPECT_EQ(p.cfg.a1_name, "nvint4");
  EXPECT_EQ(p.cfg.reuse, macforge::gen::Reuse::IntScheme2);
}

TEST(SweepMulti, BadModesNameTheFileLineAndChoices) {
  std::string head = "name: t\nstages: [synth]\naxes:\n  format:\n";
  struct Case {
    std::string entry, want;
  };
  std::vector<Case> cases = {
      {"    - {modes: [mxint8]}\n", "give exactly two modes"},
      {"    - {modes: [nvint4, mxint8]}\n", "mode 0 must have 8-bit elements"},
      {"    - {modes: [mxint8, mxint8]}\n", "mode 1 must have 4- or 6-bit elements"},
      {"    - {modes: [mxint8, nvint4], reuse: fp-shared}\n",
       "fp-shared needs FP elements in both modes (allowed here: none, int-scheme1, int-scheme2)"},
      {"    - {modes: [mxfp8_e4m3, nvfp4], reuse: int-scheme2}\n",
       "int-scheme2 needs INT elements in both modes (allowed here: none, fp-shared)"},
      {"    - {modes: [mxint8, nvint4], reuse: scheme3}\n",
       "unknown scheme 'scheme3' (allowed: none, int-scheme1, int-scheme2, fp-shared)"},
      {"    - {modes: [mxint8, nvint9]}\n", "unknown"},
      {"    - {modes: [mxint8, nvint4], a: mxint8}\n", "unknown key"},
  };
  for (const Case& c : cases) {
    std::string e = error_of(head + c.entry);
    EXPECT_NE(e.find("bad.yaml:5:"), std::string::npos) << c.entry << " -> " << e;
    EXPECT_NE(e.find(c.want), std::string::npos) << c.entry << " -> " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  std::string e = error_of(head + "    - {modes: [mxint8, nvint4]}\nmulti_format: {baseline: nope}\n");
  EXPECT_NE(e.find("multi_format.baseline: 'nope' is not a multi-format label or composite name (allowed: "
                   "mxint8+nvint4 none)"),
            std::string::npos)
      << e;
  e = error_of(head + "    - mxint8\nmulti_format: {baseline: mxint8}\n");
  EXPECT_NE(e.find("multi_format: the format axis has no multi-format PE"), std::string::npos) << e;
  e = error_of(head + "    - mxint8\n    - nvint4\ncomposites:\n  - {name: c, parts: {mxint8: 1}, baseline: d}\n");
  EXPECT_NE(e.find("composites.baseline: 'd' is not a composite name (allowed: c)"), std::string::npos) << e;
}

// The hashes of the main job's eight single-format points and of small.yaml,
// computed with the code before multi-format points existed (commit 9f94a96,
// tool version "pin"): a stored result of an old point keeps its name.
TEST(SweepMulti, SingleFormatHashesAreUnchanged) {
  std::map<std::string, std::string> want = {
      {"mxfp8_e4m3", "b4be480b4ecf1d6c"}, {"mxint8", "3332f419f5f6b09b"}, {"mxfp6_e2m3", "2c71f72e1e0dc780"},
      {"mxint6", "99c677fc6e5d5421"},     {"mxfp4_e2m1", "d105f766b2d172b0"}, {"mxint4", "a9dbba9aba885517"},
      {"nvfp4", "d15e8e30aef175d9"},      {"nvint4", "6afad2b8c867e5ac"}};
  Expansion ex = expand(load_sweep(std::string(MACFORGE_SOURCE_DIR) + "/configs/sweeps/int_vs_fp.yaml"), "pin");
  size_t found = 0;
  for (const Point& p : ex.points)
    if (want.count(p.label)) {
      EXPECT_EQ(p.hash, want[p.label]) << p.label;
      ++found;
    }
  EXPECT_EQ(found, want.size());
  std::map<std::string, std::string> small = {{"mxfp8_e4m3 2x2", "99cd2522a7c1ac88"},
                                              {"mxfp8_e4m3 4x4", "68f45e53c00cc324"},
                                              {"mxint8 2x2", "ea2d3a05154f11af"},
                                              {"mxint8 4x4", "63e5524fbbcc6baf"}};
  Expansion sx = expand(load_sweep(std::string(MF_SWEEP_DATA) + "/small.yaml"), "pin");
  ASSERT_EQ(sx.points.size(), small.size());
  for (const Point& p : sx.points) EXPECT_EQ(p.hash, small[p.label]) << p.label;
}

// A point's synth stage with a stand-in for `macforge synth` that prints a
// fixed report: per-mode energies, the equal-time mixed figure, per-mode area
// per MAC per cycle.
TEST(SweepMulti, SynthStageRecordsPerModeFigures) {
  std::string dir = test_dir();
  std::string fake = write(dir + "/fake_macforge",
                           "#!/bin/sh\n"
                           "cat <<'EOF'\n"
                           "{\"area_um2\": 1200, \"energy_pj_per_mac\": 9.5, \"modes\": [\n"
                           " {\"mode\": 0, \"a\": \"mxint8\", \"b\": \"mxint8\", \"lanes\": 8, \"energy_pj_per_mac\": 1.7},\n"
                           " {\"mode\": 1, \"a\": \"nvint4\", \"b\": \"nvint4\", \"lanes\": 16, \"energy_pj_per_mac\": 0.5}]}\n"
                           "EOF\n");
  fs::permissions(fake, fs::perms::owner_all);
  SweepSpec s = load_sweep(write(dir + "/m.yaml",
                                 "name: m\nstages: [synth]\naxes:\n  format: {modes: [mxint8, nvint4], reuse: "
                                 "int-scheme2}\n  array: 2x2\n  lanes: 8\nsynth: {clock_ns: none}\n"));
  Expansion ex = expand(s, "t");
  ASSERT_EQ(ex.points.size(), 1u);
  PointContext ctx{dir + "/out", fake, "t"};
  json rec = run_point(s, ex.points[0], ctx);
  ASSERT_EQ(rec.value("status", ""), "ok") << rec.dump(1);
  const json& m = rec["metrics"];
  EXPECT_DOUBLE_EQ(m["energy_mode0_pj_per_mac"].get<double>(), 1.7);
  EXPECT_DOUBLE_EQ(m["energy_mode1_pj_per_mac"].get<double>(), 0.5);
  // Equal time in each mode: (8 x 1.7 + 16 x 0.5) / 24 = 21.6 / 24 = 0.9.
  EXPECT_NEAR(m["energy_pj_per_mac"].get<double>(), 0.9, 1e-12);
  // synth's top-level energy_pj_per_mac (mode 0's, 9.5 in the stand-in) is replaced by the mixed figure.
  // 1200 um^2 over 2x2 PEs x 8 lanes = 32 MACs/cycle, and x 16 lanes = 64.
  EXPECT_DOUBLE_EQ(m["area_per_mac_mode0_um2"].get<double>(), 37.5);
  EXPECT_DOUBLE_EQ(m["area_per_mac_mode1_um2"].get<double>(), 18.75);
  EXPECT_DOUBLE_EQ(m["peak_macs_per_cycle_mode1"].get<double>(), 64);
  std::string cfg = read(dir + "/out/work/" + ex.points[0].hash + "/config.yaml");
  EXPECT_NE(cfg.find("reuse: int-scheme2"), std::string::npos) << cfg;

  // A report without per-mode energies fails the point with one clear line.
  write(fake, "#!/bin/sh\necho '{\"area_um2\": 1200, \"energy_pj_per_mac\": 1.0}'\n");
  rec = run_point(s, ex.points[0], ctx);
  EXPECT_EQ(rec.value("status", ""), "failed");
  EXPECT_NE(rec.value("error", "").find("no energy per MAC for both modes"), std::string::npos) << rec.dump(1);
}

// --- The report from hand-written records ------------------------------------
//
// 2x2 arrays of 8-lane PEs: 32 MACs/cycle in mode 0 (and single-format
// arrays), 64 in a 4-bit mode 1.
//   point                       area   E mode 0  E mode 1
//   mxfp8_e4m3                  1000   2.0       -
//   nvfp4                        600   1.0       -
//   mxint8                       700   1.5       -
//   nvint4                       500   0.6       -
//   mxfp8+nvfp4 fp-shared       1500   2.1       0.9   mixed (32*2.1 + 64*0.9)/96 = 1.3
//   mxfp8+nvfp4 none            1800   2.0       1.0   mixed 128/96 = 4/3
//   mxint8+nvint4 none          1400   1.5       0.6   mixed 86.4/96 = 0.9
//   mxint8+nvint4 int-scheme1   1200   1.6       0.7   mixed 96/96 = 1.0
//   mxint8+nvint4 int-scheme2   1000   1.7       0.5   mixed 86.4/96 = 0.9
// Side-by-side FP (1 x mxfp8 + 2 x nvfp4): area 2200, mode 0 32 MACs/cycle
// at 2.0, mode 1 64 at 1.0, mixed 4/3; INT (1 x mxint8 + 2 x nvint4): area
// 1700, 1.5 and 0.6, mixed 0.9.
struct Fixture {
  std::string label, a, b, a1, b1, reuse;
  double area, e0, e1;
};

void write_fixture(const std::string& dir) {
  std::vector<Fixture> pts = {{"mxfp8_e4m3", "mxfp8_e4m3", "mxfp8_e4m3", "", "", "", 1000, 2.0, NAN},
                              {"nvfp4", "nvfp4", "nvfp4", "", "", "", 600, 1.0, NAN},
                              {"mxint8", "mxint8", "mxint8", "", "", "", 700, 1.5, NAN},
                              {"nvint4", "nvint4", "nvint4", "", "", "", 500, 0.6, NAN},
                              {"mxfp8+nvfp4 fp-shared", "mxfp8_e4m3", "mxfp8_e4m3", "nvfp4", "nvfp4", "fp-shared", 1500, 2.1, 0.9},
                              {"mxfp8+nvfp4 none", "mxfp8_e4m3", "mxfp8_e4m3", "nvfp4", "nvfp4", "none", 1800, 2.0, 1.0},
                              {"mxint8+nvint4 none", "mxint8", "mxint8", "nvint4", "nvint4", "none", 1400, 1.5, 0.6},
                              {"mxint8+nvint4 int-scheme1", "mxint8", "mxint8", "nvint4", "nvint4", "int-scheme1", 1200, 1.6, 0.7},
                              {"mxint8+nvint4 int-scheme2", "mxint8", "mxint8", "nvint4", "nvint4", "int-scheme2", 1000, 1.7, 0.5}};
  json m;
  m["schema"] = kManifestSchema;
  m["name"] = "fixture";
  m["stages"] = json::array({"synth"});
  m["swept"] = json::array();
  m["baseline"] = "mxfp8_e4m3";
  auto part = [](const std::string& f, double u) { return json{{"format", f}, {"units", u}}; };
  m["composites"] = json::array(
      {json{{"name", "MXFP8+NVFP4"}, {"parts", json::array({part("mxfp8+nvfp4 fp-shared", 1)})}},
       json{{"name", "MXINT8+NVINT4"}, {"parts", json::array({part("mxint8+nvint4 int-scheme2", 1)})}},
       json{{"name", "MXFP8+NVFP4 side-by-side"}, {"parts", json::array({part("mxfp8_e4m3", 1), part("nvfp4", 2)})}},
       json{{"name", "MXINT8+NVINT4 side-by-side"},
            {"parts", json::array({part("mxint8", 1), part("nvint4", 2)})},
            {"baseline", "MXFP8+NVFP4 side-by-side"}}});
  m["composite_baseline"] = "MXFP8+NVFP4";
  m["pareto_qsnr"] = "";
  m["workloads"] = json::array();
  m["qsnr_data"] = json::array();
  m["reference"] = {{"title", "Table 5"},
                    {"note", ""},
                    {"rows", json::array({json{{"name", "MXINT8+NVINT4"}, {"values", {{"area", 0.66}, {"energy", 0.75}}}}})}};
  m["multi_format"] = {{"baseline", "mxfp8+nvfp4 fp-shared"},
                       {"title", "arXiv 2510.25602, Table 7"},
                       {"note", ""},
                       {"reference", json::array({json{{"name", "mxint8+nvint4 int-scheme2"}, {"text", "lowest area"}}})}};
  m["skipped"] = json::array();
  json points = json::array();
  fs::create_directories(dir + "/points");
  for (size_t i = 0; i < pts.size(); ++i) {
    const Fixture& f = pts[i];
    bool multi = !f.a1.empty();
    auto bits = [](const std::string& x) { return x.find('8') != std::string::npos ? "8" : "4"; };
    json params = {{"format", f.label}, {"a", f.a}, {"b", f.b}, {"a_bits", bits(f.a)}, {"b_bits", bits(f.b)},
                   {"a_kind", f.a.find("int") != std::string::npos ? "int" : "fp"},
                   {"array", "2x2"}, {"peak_macs_per_cycle", "32"}, {"modes", multi ? "2" : "1"},
                   {"a1", f.a1}, {"b1", f.b1}, {"reuse", f.reuse}, {"lanes1", multi ? "16" : ""},
                   {"peak_macs_per_cycle_mode1", multi ? "64" : ""}};
    std::string hash = "h" + std::to_string(i);
    points.push_back({{"index", i}, {"hash", hash}, {"label", f.label}, {"params", params},
                      {"axis", {{"format", f.label}, {"array", "2x2"}}}});
    json metrics = {{"area_um2", f.area}};
    if (multi) {
      metrics["energy_mode0_pj_per_mac"] = f.e0;
      metrics["energy_mode1_pj_per_mac"] = f.e1;
      metrics["energy_pj_per_mac"] = (32 * f.e0 + 64 * f.e1) / 96;  // as the point computes it
    } else {
      metrics["energy_pj_per_mac"] = f.e0;
    }
    json rec = {{"schema", kPointSchema}, {"hash", hash}, {"status", "ok"}, {"metrics", metrics}};
    write(dir + "/points/" + hash + ".json", rec.dump());
  }
  m["points"] = points;
  write(dir + "/sweep.json", m.dump(1));
}

TEST(SweepMulti, ReportTableRatiosAndRanksByHand) {
  std::string dir = test_dir();
  write_fixture(dir);
  std::ostringstream err;
  CollectSummary sum = collect(dir, err);
  EXPECT_EQ(sum.ok, 9u);
  json res = json::parse(read(dir + "/results.json"));
  const json& rows = res["multi_format"]["rows"];
  ASSERT_EQ(rows.size(), 7u);  // 5 shared PEs + 2 side-by-side composites
  std::map<std::string, json> by;
  for (const json& r : rows) by[r["name"]] = r;
  const json& s2 = by["mxint8+nvint4 int-scheme2"];
  EXPECT_EQ(s2["kind"], "shared");
  EXPECT_EQ(s2["modes"], "mxint8 / nvint4");
  EXPECT_EQ(s2["area_rank"], 1);
  EXPECT_EQ(by["mxint8+nvint4 int-scheme1"]["area_rank"], 2);
  EXPECT_EQ(by["mxint8+nvint4 none"]["area_rank"], 3);
  EXPECT_EQ(by["mxfp8+nvfp4 fp-shared"]["area_rank"], 1);
  EXPECT_EQ(by["mxfp8+nvfp4 none"]["area_rank"], 2);
  EXPECT_EQ(s2["paper"], "lowest area");
  EXPECT_DOUBLE_EQ(s2["per_mode"][0]["area_per_mac_per_cycle_um2"].get<double>(), 1000.0 / 32);
  EXPECT_DOUBLE_EQ(s2["per_mode"][1]["area_per_mac_per_cycle_um2"].get<double>(), 1000.0 / 64);
  EXPECT_NEAR(s2["energy_mixed_pj_per_mac"].get<double>(), 0.9, 1e-12);
  EXPECT_NEAR(s2["area_rel"].get<double>(), 1000.0 / 1500, 1e-12);
  EXPECT_NEAR(s2["energy_rel"].get<double>(), 0.9 / 1.3, 1e-12);
  const json& sbs = by["MXFP8+NVFP4 side-by-side"];
  EXPECT_EQ(sbs["kind"], "side-by-side");
  EXPECT_EQ(sbs["modes"], "mxfp8_e4m3 / nvfp4");
  EXPECT_DOUBLE_EQ(sbs["area_um2"].get<double>(), 2200);
  EXPECT_DOUBLE_EQ(sbs["per_mode"][0]["peak_macs_per_cycle"].get<double>(), 32);
  EXPECT_DOUBLE_EQ(sbs["per_mode"][1]["peak_macs_per_cycle"].get<double>(), 64);
  EXPECT_DOUBLE_EQ(sbs["per_mode"][1]["energy_pj_per_mac"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(sbs["per_mode"][1]["area_per_mac_per_cycle_um2"].get<double>(), 2200.0 / 64);
  EXPECT_NEAR(sbs["energy_mixed_pj_per_mac"].get<double>(), 4.0 / 3, 1e-12);
  EXPECT_NEAR(sbs["area_rel"].get<double>(), 2200.0 / 1500, 1e-12);
  EXPECT_EQ(sbs["area_rank"], 0);

  // Composites: the shared INT design against the shared FP design (the
  // paper's Table 5 mixed row), the side-by-side pair against its own baseline.
  std::map<std::string, json> comp;
  for (const json& c : res["composites"]) comp[c["name"]] = c;
  EXPECT_NEAR(comp["MXINT8+NVINT4"]["area_um2_rel"].get<double>(), 1000.0 / 1500, 1e-12);
  EXPECT_NEAR(comp["MXINT8+NVINT4"]["energy_pj_per_mac_rel"].get<double>(), 0.9 / 1.3, 1e-12);
  EXPECT_NEAR(comp["MXINT8+NVINT4 side-by-side"]["area_um2_rel"].get<double>(), 1700.0 / 2200, 1e-12);
  EXPECT_NEAR(comp["MXINT8+NVINT4 side-by-side"]["energy_pj_per_mac_rel"].get<double>(), 0.9 / (4.0 / 3), 1e-12);
  EXPECT_EQ(comp["MXINT8+NVINT4 side-by-side"]["baseline"], "MXFP8+NVFP4 side-by-side");

  std::string md = read(dir + "/report.md");
  EXPECT_NE(md.find("## Multi-format PEs"), std::string::npos) << md;
  EXPECT_NE(md.find("| mxint8+nvint4 int-scheme2 | mxint8 / nvint4 | int-scheme2 | 1000 | 0.67x | 31.25 | 15.62 | "
                    "1.7 | 0.5 | 0.9 | 0.69x | 1 | lowest area |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| mxfp8+nvfp4 fp-shared (baseline) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| MXFP8+NVFP4 side-by-side | mxfp8_e4m3 / nvfp4 | side-by-side | 2200 | 1.47x |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("- `mxint8 / nvint4` by area, smallest first: int-scheme2 (1000) < int-scheme1 (1200) < none "
                    "(1400); side-by-side arrays: 1700"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| MXINT8+NVINT4 | 0.66x | 0.67x | 0.75x | 0.69x |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 32 / 64 (mode 0 / mode 1) |"), std::string::npos) << md;
}

}  // namespace

// OpenSTA timing in `macforge synth` end to end (docs/timing.md): the CLI's
// --clock-ns checks, a PE and an array on the built-in library and on
// sky130, a Liberty without delay tables, and a failing OpenSTA.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "synth/flow.hpp"
#include "synth/partition.hpp"
#include "synth/process.hpp"
#include "synth_test_util.hpp"

namespace macforge::synth {
namespace {

namespace fs = std::filesystem;
using test::CliResult;
using test::config_file;
using test::run_cli;
using test::TempDir;

const char* kPeYaml = "name: tt\npe:\n  a: nvint4\n  b: nvint4\n  lanes: 2\n  pipeline: 0\narray:\n  rows: 1\n  cols: 2\n";

double json_number(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\": (-?[0-9.e+-]+)"))) return NAN;
  return std::stod(m[1]);
}

void require_sta() {
  if (find_program("sta").empty()) {
    if (test::in_ci()) FAIL() << "sta (OpenSTA) missing with CI=true";
    GTEST_SKIP() << "sta (OpenSTA) not installed";
  }
}

TEST(SynthTimingCli, ClockNsMustBePositive) {
  TempDir t("clk0");
  std::string cfg = config_file(t, kPeYaml);
  for (const char* v : {"0", "-1", "nan"}) {
    CliResult r = run_cli(std::string("synth --config ") + cfg + " --out " + (t / "o") + " --clock-ns " + v);
    EXPECT_EQ(r.code, 2) << v << ": " << r.err;
    EXPECT_NE(r.err.find("--clock-ns"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(t / "o/report.json"));
  }
}

// The consistency every timing report must have (independent of the numbers).
void check_timing(const TimingReport& tr, double T) {
  ASSERT_TRUE(tr.available) << tr.unavailable_reason;
  EXPECT_DOUBLE_EQ(tr.clock_ns, T);
  EXPECT_NEAR(tr.critical_path_ns, T - tr.slack_ns, 1e-9);
  EXPECT_NEAR(tr.fmax_mhz, 1000.0 / tr.critical_path_ns, 1e-6);
  EXPECT_EQ(tr.met, tr.slack_ns >= 0);
  EXPECT_GT(tr.critical_path_ns, 0.05);  // at least a flip-flop's clock-to-output and setup
  EXPECT_FALSE(tr.pe_path.startpoint.empty());
  EXPECT_FALSE(tr.pe_path.endpoint.empty());
  EXPECT_FALSE(tr.pe_path.parts.empty());
  std::set<std::string> known(kParts.begin(), kParts.end());
  known.insert("top");
  for (const std::string& p : tr.pe_path.parts) EXPECT_TRUE(known.count(p)) << p;
  // OpenSTA keeps delays in single precision (about 2e-6 ns resolution at 30 ns,
  // sky130's path lengths) and prints 6 decimals
  EXPECT_NEAR(tr.pe_path.slack_ns, tr.pe_path.required_ns - tr.pe_path.arrival_ns,
              2e-6 + 1e-7 * std::fabs(tr.pe_path.arrival_ns));
}

TEST(SynthTiming, BuiltInPeAndArray) {
  require_sta();
  TempDir t("tbuiltin");
  std::string cfg = config_file(t, kPeYaml);
  CliResult r = run_cli("synth --config " + cfg + " --out " + (t / "o") + " --no-energy --json --clock-ns 2.5");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  double cp = json_number(r.out, "critical_path_ns"), slack = json_number(r.out, "slack_ns");
  EXPECT_NEAR(cp, 2.5 - slack, 1e-6);
  EXPECT_NEAR(json_number(r.out, "fmax_mhz"), 1000.0 / cp, 1e-3);
  EXPECT_NE(r.out.find(slack >= 0 ? "\"timing_met\": true" : "\"timing_met\": false"), std::string::npos);
  EXPECT_NE(r.out.find("\"pe_path\": {\"startpoint\""), std::string::npos);
  EXPECT_NE(r.out.find("\"array_path\": {\"startpoint\""), std::string::npos);
  EXPECT_NE(r.out.find("\"area_um2\""), std::string::npos);  // existing fields stay
  EXPECT_TRUE(fs::exists(t / "o/sta_pe.log"));
  EXPECT_TRUE(fs::exists(t / "o/sta_array.log"));
  EXPECT_NE(read_text(t / "o/synth_pe.ys").find("abc -D 2500 -liberty"), std::string::npos);
  std::string txt = read_text(t / "o/report.txt");
  EXPECT_NE(txt.find("timing (OpenSTA, clock 2.500 ns): critical path"), std::string::npos) << txt;
  EXPECT_NE(txt.find("array path:"), std::string::npos);
}

TEST(SynthTiming, BuiltInPeDefaultClockApi) {
  require_sta();
  TempDir t("tapi");
  SynthOptions so;
  so.out_dir = t / "o";
  so.pe_only = true;
  so.energy = false;
  SynthReport r = run_synth(test::small_config("tapi", "nvint4", 1), so);
  check_timing(r.timing, 1.0);
  EXPECT_FALSE(r.timing.has_array_path);
  EXPECT_GT(r.t_sta, 0.0);
  EXPECT_GT(r.area_um2, 0.0);
  // the netlist written for OpenSTA is lint-clean Verilog (with the cell models)
  if (!find_program("verilator").empty()) {
    std::string cmd = "verilator --lint-only -Wall -Wno-DECLFILENAME --top-module " + r.pe_top + " " +
                      (t / "o/sta_pe.v") + " " + synth_lib_dir() + "/macforge45_cells.v > " + (t / "lint.log") + " 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << read_text(t / "lint.log");
  }
}

TEST(SynthTiming, Sky130Pe) {
  MACFORGE_REQUIRE_PDK(test::sky130_lib());
  require_sta();
  TempDir t("tsky");
  SynthOptions so;
  so.liberty = test::sky130_lib();
  so.out_dir = t / "o";
  so.pe_only = true;
  so.energy = false;
  SynthReport r = run_synth(test::small_config("tsky", "nvint4", 1), so);
  check_timing(r.timing, 5.0);  // the documented default for a real Liberty
  // sky130 hd flops: clock-to-output alone is > 0.25 ns
  EXPECT_GT(r.timing.critical_path_ns, 0.3);
}

// The built-in library with every timing group removed: a Liberty without delay tables.
std::string strip_timing(const std::string& lib) {
  std::string out;
  size_t i = 0;
  std::regex start(R"(timing\s*\(\s*\)\s*\{)");
  std::smatch m;
  std::string rest = lib;
  while (std::regex_search(rest, m, start)) {
    out += rest.substr(0, size_t(m.position(0)));
    size_t j = size_t(m.position(0) + m.length(0));
    int depth = 1;
    while (j < rest.size() && depth > 0) {
      if (rest[j] == '{') ++depth;
      if (rest[j] == '}') --depth;
      ++j;
    }
    rest = rest.substr(j);
  }
  (void)i;
  out += rest;
  // the templates' comments say cell_rise/cell_fall; keep the check honest
  return std::regex_replace(out, std::regex("cell_rise|cell_fall"), "cell_delay");
}

TEST(SynthTiming, LibertyWithoutTimingGivesAreaAndOneWarning) {
  TempDir t("tnotime");
  std::string lib = t / "notiming.lib";
  write_text_atomic(lib, strip_timing(read_text(synth_lib_dir() + "/macforge45.lib")));
  ASSERT_EQ(read_text(lib).find("timing ("), std::string::npos);
  std::string cfg = config_file(t, kPeYaml);
  CliResult r = run_cli("synth --config " + cfg + " --liberty " + lib + " --out " + (t / "o") +
                        " --pe-only --no-energy --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("timing unavailable"), std::string::npos) << r.err;
  EXPECT_GT(json_number(r.out, "area_um2"), 0.0);
  EXPECT_NE(r.out.find("\"critical_path_ns\": null"), std::string::npos);
  EXPECT_NE(r.out.find("\"timing_met\": null"), std::string::npos);
  EXPECT_NE(r.out.find("\"available\": false"), std::string::npos);
  EXPECT_EQ(read_text(t / "o/synth_pe.ys").find("abc -D"), std::string::npos);  // no delay target
}

TEST(SynthTiming, FailingOpenStaIsOneErrorNamingTheLog) {
  TempDir t("tfail");
  fs::create_directories(t / "bin");
  std::string fake = t / "bin/sta";
  write_text_atomic(fake, "#!/bin/sh\necho 'Error: simulated OpenSTA failure'\nexit 0\n");
  fs::permissions(fake, fs::perms::owner_all);
  std::string cfg = config_file(t, kPeYaml);
  CliResult r = run_cli("synth --config " + cfg + " --out " + (t / "o") + " --pe-only --no-energy",
                        "PATH=" + (t / "bin") + ":$PATH");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("simulated OpenSTA failure"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(log: " + (t / "o/sta_pe.log") + ")"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(t / "o/report.json"));
  EXPECT_FALSE(fs::exists(t / "o/report.txt"));
  // --no-timing does not need OpenSTA at all
  CliResult n = run_cli("synth --config " + cfg + " --out " + (t / "o") + " --pe-only --no-energy --no-timing",
                        "PATH=" + (t / "bin") + ":$PATH");
  EXPECT_EQ(n.code, 0) << n.err;
  EXPECT_EQ(n.err, "");
}

// --adders (synth/adders.hpp, docs/timing.md "Adder architecture").
TEST(SynthAdders, UnknownArchitectureIsAUsageError) {
  TempDir t("aderr");
  std::string cfg = config_file(t, kPeYaml);
  CliResult r = run_cli("synth --config " + cfg + " --out " + (t / "o") + " --pe-only --adders kogge");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--adders must be ripple, prefix or auto (got 'kogge')"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(t / "o/report.json"));
}

// A loose clock: the ripple candidate meets it, auto keeps it (one candidate),
// and the array level is synthesized with ripple adders too.
TEST(SynthAdders, LooseClockKeepsRipple) {
  require_sta();
  TempDir t("adloose");
  std::string cfg = config_file(t, kPeYaml);
  CliResult r = run_cli("synth --config " + cfg + " --out " + (t / "o") + " --no-energy --json --clock-ns 50");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"adders\": \"ripple\",\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"adders\": {\"mode\": \"auto\", \"chosen\": \"ripple\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"timing_met\": true"), std::string::npos);
  EXPECT_EQ(r.out.find("\"adders\": \"prefix\""), std::string::npos);  // no second candidate
  EXPECT_FALSE(fs::exists(t / "o/yosys_prefix.log"));
  // ripple on the built-in library: the FA template without the prefix define, PE and array
  for (const char* ys : {"o/synth_pe.ys", "o/synth_array.ys"}) {
    std::string s = read_text(t / ys);
    EXPECT_NE(s.find("-D MF45_LCU_ONLY\n"), std::string::npos) << ys;
    EXPECT_EQ(s.find("MF45_LCU_ONLY -D MF45_PREFIX"), std::string::npos) << ys;
  }
  EXPECT_NE(read_text(t / "o/report.txt").find("adders: ripple (auto: ripple meets the clock"), std::string::npos);
}

// A tight clock: ripple misses, auto synthesizes prefix too and keeps the
// better slack; the energy simulation runs on the kept netlist (its results
// are checked against the reference model, a functional check of it).
TEST(SynthAdders, TightClockKeepsTheBetterSlack) {
  require_sta();
  TempDir t("adtight");
  SynthOptions so;
  so.out_dir = t / "o";
  so.pe_only = true;
  so.uniform = false;
  so.cycles = 64;
  so.clock_ns = 0.2;
  SynthReport r = run_synth(test::small_config("adtight", "mxint8", 2), so);
  check_timing(r.timing, 0.2);
  const AdderChoice& a = r.adders;
  EXPECT_EQ(a.mode, AdderMode::Auto);
  ASSERT_EQ(a.candidates.size(), 2u);
  const AdderCandidate &rc = a.candidates[0], &pc = a.candidates[1];
  EXPECT_EQ(rc.arch, AdderArch::Ripple);
  EXPECT_EQ(pc.arch, AdderArch::Prefix);
  ASSERT_TRUE(rc.timed && pc.timed);
  EXPECT_FALSE(rc.met);
  // the kept one has the larger slack (the rule, applied to the two measured candidates)
  const AdderCandidate& kept = pc.slack_ns > rc.slack_ns ? pc : rc;
  EXPECT_EQ(a.chosen, kept.arch);
  // the report's PE numbers are the kept candidate's
  EXPECT_NEAR(r.timing.slack_ns, kept.slack_ns, 1e-9);
  EXPECT_NEAR(r.area_um2, kept.area_um2, 1e-9);
  EXPECT_NEAR(r.area_um2, r.pe_area_yosys, 1e-2);
  std::string kept_log = a.chosen == AdderArch::Prefix ? "yosys_prefix.log" : "yosys.log";
  EXPECT_EQ(fs::path(r.yosys_log).filename().string(), kept_log);
  // on this PE the prefix adders are the faster ones (the float32 accumulator's carry chain)
  EXPECT_EQ(a.chosen, AdderArch::Prefix) << rc.critical_path_ns << " vs " << pc.critical_path_ns;
  EXPECT_NE(read_text(t / "o/synth_pe_prefix.ys").find("-D MF45_LCU_ONLY -D MF45_PREFIX"), std::string::npos);
  ASSERT_TRUE(r.pe_energy.done);
  EXPECT_GT(r.pe_energy.results_checked, 0);
  std::string js = read_text(t / "o/report.json");
  EXPECT_NE(js.find(std::string("\"adders\": \"") + adder_name(a.chosen) + "\",\n"), std::string::npos);
  for (const char* k : {"\"candidates\": [{\"adders\": \"ripple\", \"pe_area_um2\": ",
                        "}, {\"adders\": \"prefix\", \"pe_area_um2\": ", "\"reason\": \"ripple misses the clock; "})
    EXPECT_NE(js.find(k), std::string::npos) << k;
  std::string txt = read_text(t / "o/report.txt");
  EXPECT_NE(txt.find("ripple PE "), std::string::npos) << txt;
  EXPECT_NE(txt.find("prefix PE "), std::string::npos) << txt;
}

}  // namespace
}  // namespace macforge::synth

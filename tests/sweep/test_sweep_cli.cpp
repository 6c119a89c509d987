// Sweeps end to end through the macforge binary: the local pool, results
// checked against independent computations, kill and resume, ninja, Slurm,
// collect, failures, malformed files.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "numerics/block_format.hpp"
#include "numerics/metrics.hpp"
#include "numerics/qsnr_study.hpp"
#include "sweep_test_util.hpp"

namespace {

using namespace mf_test;

double num(const std::string& s) { return std::stod(s); }

// The sim figure of a config written by hand (independent of the sweep).
double direct_sim_cycles(const std::string& dir, const std::string& fmt, int rows, int cols, const std::string& wl) {
  std::string cfg = dir + "/direct_" + fmt + std::to_string(rows) + ".yaml";
  std::ofstream(cfg) << "name: direct\npe: {a: " << fmt << ", lanes: 8, pipeline: 1}\narray: {rows: " << rows
                     << ", cols: " << cols << "}\n";
  Result r = mf("sim --config " + q(cfg) + " " + wl + " --timing-only", "direct_sim");
  EXPECT_EQ(r.code, 0) << r.err;
  return json::parse(r.out)["total"]["total_cycles"].get<double>();
}

TEST(SweepCli, SmallSweepWritesTheTablesReportAndPlots) {
  std::string w = work_dir("small");
  Result r = mf("sweep " + q(data("small.yaml")) + " -j 2 --out " + q(w + "/out"), "small");
  ASSERT_EQ(r.code, 0) << r.err;
  std::string out = w + "/out";
  auto rows = read_csv(out + "/results.csv");
  ASSERT_EQ(rows.size(), 4u);
  std::vector<std::string> labels = {"mxfp8_e4m3 2x2", "mxfp8_e4m3 4x4", "mxint8 2x2", "mxint8 4x4"};
  std::set<std::string> hashes;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(rows[i]["label"], labels[i]);
    EXPECT_EQ(rows[i]["status"], "ok") << rows[i]["error"];
    EXPECT_EQ(rows[i]["index"], std::to_string(i));
    EXPECT_EQ(rows[i]["lint_warnings"], "0");
    EXPECT_TRUE(fs::exists(out + "/points/" + rows[i]["hash"] + ".json"));
    EXPECT_TRUE(fs::exists(out + "/" + rows[i]["log"]));
    hashes.insert(rows[i]["hash"]);
  }
  EXPECT_EQ(hashes.size(), 4u);
  EXPECT_EQ(rows[3]["array"], "4x4");
  EXPECT_EQ(rows[3]["peak_macs_per_cycle"], "128");

  // QSNR equals the numerics computed directly.
  for (const auto& row : rows) {
    macforge::BlockFormat f = macforge::parse_block_format(row.at("format"));
    macforge::QsnrSetup s;
    s.n = 4096;
    s.seed = 7;
    s.rotate_block = 32;
    double g = macforge::measure_qsnr(f, f.default_rule, s).qsnr_db;
    EXPECT_NEAR(num(row.at("qsnr_gaussian")), g, 1e-8 * std::fabs(g));
    s.dist = macforge::parse_distribution("student-t:3");
    s.dist.outlier_p = 0.01;
    s.dist.outlier_mag = 20;
    s.rotate = true;
    double o = macforge::measure_qsnr(f, f.default_rule, s).qsnr_db;
    EXPECT_NEAR(num(row.at("qsnr_outliers_rot")), o, 1e-8 * std::fabs(o));
  }
  // mxint8 beats mxfp8 on Gaussian data; the delta column is the difference.
  EXPECT_GT(num(rows[2]["qsnr_gaussian"]), num(rows[0]["qsnr_gaussian"]));
  EXPECT_NEAR(num(rows[2]["qsnr_gaussian_delta_db"]), num(rows[2]["qsnr_gaussian"]) - num(rows[0]["qsnr_gaussian"]),
              1e-6);
  EXPECT_EQ(rows[0]["qsnr_gaussian_delta_db"], "0");

  // Cycles equal `macforge sim` on the same array written by hand.
  EXPECT_EQ(num(rows[1]["cycles_g64"]), direct_sim_cycles(w, "mxfp8_e4m3", 4, 4, "--gemm 64,48,96"));
  EXPECT_EQ(num(rows[2]["cycles_block"]), direct_sim_cycles(w, "mxint8", 2, 2, "--layers " + q(data("layers.csv"))));
  EXPECT_EQ(num(rows[3]["macs_g64"]), 64.0 * 48 * 96);
  EXPECT_NEAR(num(rows[3]["cycles_g64_rel"]), num(rows[3]["cycles_g64"]) / num(rows[1]["cycles_g64"]), 1e-9);

  // results.json holds the same rows and every metric.
  json res = json::parse(read(out + "/results.json"));
  ASSERT_EQ(res["points"].size(), 4u);
  EXPECT_EQ(res["summary"]["ok"], 4);
  EXPECT_EQ(res["points"][2]["label"], "mxint8 2x2");
  EXPECT_DOUBLE_EQ(res["points"][2]["metrics"]["qsnr_gaussian"].get<double>(), num(rows[2]["qsnr_gaussian"]));
  EXPECT_EQ(res["points"][3]["metrics"]["cycles_block"].get<double>(), num(rows[3]["cycles_block"]));
  EXPECT_EQ(res["composites"].size(), 4u);  // 2 composites x 2 array sizes

  // The report and the plots.
  std::string md = read(out + "/report.md");
  for (const char* s : {"# Sweep `small`", "## QSNR (dB)", "## Workloads", "### g64", "mxint8 4x4",
                               "## Composite (mixed-precision) designs", "plots/workloads.png"})
    EXPECT_NE(md.find(s), std::string::npos) << s;
  for (std::string f : {"workloads.png", "workloads.svg", "workloads.gp", "workloads.dat"}) {
    EXPECT_TRUE(fs::exists(out + "/plots/" + f)) << f;
    EXPECT_GT(fs::file_size(out + "/plots/" + f), 100u) << f;
  }
  EXPECT_EQ(read(out + "/plots/workloads.png").substr(1, 3), "PNG");
  EXPECT_NE(read(out + "/plots/workloads.svg").find("<svg"), std::string::npos);

  // A second run reuses every stored result and writes the same table.
  std::string before = read(out + "/results.csv");
  Result again = mf("sweep " + q(data("small.yaml")) + " -j 2 --out " + q(out), "small2");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("4 of 4 points already have results"), std::string::npos) << again.err;
  EXPECT_EQ(read(out + "/results.csv"), before);
}

TEST(SweepCli, NinjaGivesTheSameTableAsThePoolAndIsIncremental) {
  std::string w = work_dir("ninja");
  ASSERT_EQ(mf("sweep " + q(data("small.yaml")) + " -j 2 --out " + q(w + "/pool"), "nj_pool").code, 0);
  Result e = mf("sweep " + q(data("small.yaml")) + " --emit ninja --out " + q(w + "/ninja"), "nj_emit");
  ASSERT_EQ(e.code, 0) << e.err;
  std::string bn = read(w + "/ninja/build.ninja");
  EXPECT_NE(bn.find("rule point"), std::string::npos);
  EXPECT_NE(bn.find("rule collect"), std::string::npos);
  EXPECT_EQ(count_files(w + "/ninja/points", ".json"), 0u);
  Result n1 = shell("ninja -f " + q(w + "/ninja/build.ninja") + " -j 2", "nj1");
  ASSERT_EQ(n1.code, 0) << n1.out << n1.err;
  EXPECT_EQ(count_files(w + "/ninja/points", ".json"), 4u);
  EXPECT_EQ(read(w + "/ninja/results.csv"), read(w + "/pool/results.csv"));
  Result n2 = shell("ninja -f " + q(w + "/ninja/build.ninja"), "nj2");
  ASSERT_EQ(n2.code, 0);
  EXPECT_NE(n2.out.find("no work to do"), std::string::npos) << n2.out;
  // collect on its own gives the same table again.
  ASSERT_EQ(mf("collect " + q(w + "/ninja"), "nj_collect").code, 0);
  EXPECT_EQ(read(w + "/ninja/results.csv"), read(w + "/pool/results.csv"));
}

// Runs resume.yaml uninterrupted, and interrupted by `sig` to the process
// group after the first point is stored, then resumed: the same table.
void kill_and_resume(int sig, const std::string& name) {
  std::string w = work_dir(name);
  std::string sweep = data("resume.yaml");
  Result full = mf("sweep " + q(sweep) + " -j 2 --out " + q(w + "/full"), name + "_full");
  ASSERT_EQ(full.code, 0) << full.err;

  std::string out = w + "/killed";
  pid_t pid = start_group({"sweep", sweep, "-j", "1", "--out", out}, w + "/killed.log");
  auto t0 = std::chrono::steady_clock::now();
  while (count_files(out + "/points", ".json") == 0) {
    int st;
    ASSERT_EQ(::waitpid(pid, &st, WNOHANG), 0) << "the sweep ended before storing a point: " << read(w + "/killed.log");
    ASSERT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(120));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid, sig);
  int st = 0;
  ::waitpid(pid, &st, 0);
  size_t stored = count_files(out + "/points", ".json");
  EXPECT_GE(stored, 1u);
  EXPECT_LT(stored, 6u) << "the sweep finished before it was interrupted";
  if (sig == SIGKILL) {
    EXPECT_TRUE(WIFSIGNALED(st));
  } else {
    ASSERT_TRUE(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 128 + sig) << read(w + "/killed.log");
  }
  // Give killed children a moment to disappear, then resume.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Result resumed = mf("sweep " + q(sweep) + " -j 2 --resume --out " + q(out), name + "_resume");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find(std::to_string(stored) + " of 6 points already have results"), std::string::npos)
      << resumed.err;
  EXPECT_EQ(read(out + "/results.csv"), read(w + "/full/results.csv"));
  auto rows = read_csv(out + "/results.csv");
  ASSERT_EQ(rows.size(), 6u);
  std::set<std::string> hashes;
  for (auto& r : rows) {
    EXPECT_EQ(r["status"], "ok");
    hashes.insert(r["hash"]);
  }
  EXPECT_EQ(hashes.size(), 6u);
  EXPECT_EQ(count_files(out + "/points", ".json"), 6u);
  for (const auto& e : fs::directory_iterator(out + "/points"))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(SweepCli, KilledSweepResumesToTheSameResults) { kill_and_resume(SIGKILL, "kill"); }
TEST(SweepCli, TerminatedSweepResumesToTheSameResults) { kill_and_resume(SIGTERM, "term"); }

TEST(SweepCli, SlurmScriptRunsEveryIndexAndCollectMerges) {
  std::string w = work_dir("slurm");
  std::string sweep = data("qsnr_only.yaml");
  ASSERT_EQ(mf("sweep " + q(sweep) + " --out " + q(w + "/pool"), "sl_pool").code, 0);
  Result e = mf("sweep " + q(sweep) + " --emit slurm --out " + q(w + "/slurm"), "sl_emit");
  ASSERT_EQ(e.code, 0) << e.err;
  std::string script = read(w + "/slurm/slurm.sh");
  EXPECT_NE(script.find("#SBATCH --array=0-8"), std::string::npos) << script;
  EXPECT_NE(script.find("$SLURM_ARRAY_TASK_ID"), std::string::npos);
  for (int i = 0; i < 9; ++i) {
    Result t = shell("SLURM_ARRAY_TASK_ID=" + std::to_string(i) + " bash " + q(w + "/slurm/slurm.sh"), "sl_task");
    ASSERT_EQ(t.code, 0) << t.out << t.err;
  }
  // A task run again finds its result.
  Result again = shell("SLURM_ARRAY_TASK_ID=3 bash " + q(w + "/slurm/slurm.sh"), "sl_again");
  EXPECT_NE(again.out.find("stored result"), std::string::npos) << again.out;
  ASSERT_EQ(shell("bash " + q(w + "/slurm/slurm_collect.sh"), "sl_collect").code, 0);
  EXPECT_EQ(read(w + "/slurm/results.csv"), read(w + "/pool/results.csv"));
}

TEST(SweepCli, FailedPointIsRecordedWithItsErrorAndRunAgain) {
  std::string w = work_dir("failing");
  std::string cmd = "sweep " + q(data("failing.yaml")) + " --out " + q(w);
  Result r = mf(cmd, "fail1");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("FAILED"), std::string::npos) << r.err;
  auto rows = read_csv(w + "/results.csv");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["status"], "failed");
  EXPECT_NE(rows[0]["error"].find("sim:"), std::string::npos) << rows[0]["error"];
  ASSERT_FALSE(rows[0]["log"].empty());
  EXPECT_NE(read(w + "/" + rows[0]["log"]).find("macforge sim"), std::string::npos);
  json rec = json::parse(read(w + "/points/" + rows[0]["hash"] + ".json"));
  EXPECT_EQ(rec["status"], "failed");
  EXPECT_EQ(rec["failed_stage"], "sim");
  EXPECT_NE(read(w + "/report.md").find("## Points without a result"), std::string::npos);
  Result again = mf(cmd, "fail2");
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.err.find("already have results"), std::string::npos) << again.err;  // not cached
  EXPECT_NE(again.err.find("FAILED"), std::string::npos);
}

TEST(SweepCli, MalformedSweepFileIsExit2WithItsLine) {
  std::string w = work_dir("malformed");
  std::string bad = w + "/bad.yaml";
  std::ofstream(bad) << "name: bad\naxes:\n  format: [mxint8, mxint9]\n";
  Result r = mf("sweep " + q(bad) + " --out " + q(w + "/out"), "bad1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad.yaml:3:20: axes.format[1]: unknown format 'mxint9'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(w + "/out"));
  std::ofstream(bad) << "name: bad\naxes:\n  format: mxint8\n  lanes: {x: 1\n";
  r = mf("sweep " + q(bad) + " --out " + q(w + "/out"), "bad2");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad.yaml:5:1: YAML syntax error"), std::string::npos) << r.err;
  r = mf("sweep " + q(w + "/missing.yaml"), "bad3");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
  r = mf("point --sweep " + q(data("qsnr_only.yaml")) + " --index 99 --out " + q(w + "/p"), "bad4");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("out of range"), std::string::npos) << r.err;
  r = mf("point --sweep " + q(data("qsnr_only.yaml")) + " --index 0 --out " + q(w + "/p") +
                   " --expect-hash 0123456789abcdef",
               "bad5");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("emit it again"), std::string::npos) << r.err;
  r = mf("sweep " + q(data("qsnr_only.yaml")) + " --emit make", "bad6");
  EXPECT_EQ(r.code, 2);
  r = mf("collect " + q(w + "/nothing"), "bad7");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot read the sweep manifest"), std::string::npos) << r.err;
}

TEST(SweepCli, MissingGnuplotIsAnErrorButTheTablesAreWritten) {
  std::string w = work_dir("nognuplot");
  Result r = shell("env PATH=/nonexistent " + q(MF_MACFORGE) + " sweep " + q(data("qsnr_only.yaml")) + " --out " +
                    q(w),
                "nognuplot");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("gnuplot is not installed"), std::string::npos) << r.err;
  EXPECT_EQ(read_csv(w + "/results.csv").size(), 9u);
  EXPECT_TRUE(fs::exists(w + "/results.json"));
  EXPECT_TRUE(fs::exists(w + "/report.md"));
  EXPECT_TRUE(fs::exists(w + "/plots/qsnr.gp"));  // the data and script are there to draw later
  EXPECT_TRUE(fs::exists(w + "/plots/qsnr.dat"));
  EXPECT_FALSE(fs::exists(w + "/plots/qsnr.png"));
  EXPECT_NE(read(w + "/report.md").find("gnuplot is not installed"), std::string::npos);
}

TEST(SweepCli, DryRunListsThePoints) {
  std::string w = work_dir("dry");
  Result r = mf("sweep " + q(data("qsnr_only.yaml")) + " --dry-run --out " + q(w), "dry");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("9 points (3 excluded by filters"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\tmxint8 native\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\tnvfp4 B16\n"), std::string::npos) << r.out;
  EXPECT_EQ(count_files(w + "/points", ".json"), 0u);
}

}  // namespace

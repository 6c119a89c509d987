// The accumulation error study (numerics/accum_study.hpp, `macforge
// accum-study`): the exact reference against hand-computed sums, the float32
// rounding bound of exact-block, the DeepSeek-V3 effect (arXiv 2412.19437,
// section 3.3.2) in the hopper-fp8 models, and bad study files.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "numerics/accum_study.hpp"

namespace macforge {
namespace {

QMatrix cast_row(const std::vector<float>& x) {
  return quantize(parse_block_format("fp8_e4m3"), Rule::Cast, x.data(), 1, x.size());
}

TEST(AccumStudy, ExactDotMatchesHandSums) {
  const double tiny = std::ldexp(1.0, -9);  // E4M3's smallest subnormal
  // 448 + 2^-9 and 448 - 448 + 2^-9: a float32 sum loses the 2^-9 in the first.
  QMatrix a = cast_row({448.0f, float(tiny)}), one = cast_row({1.0f, 1.0f});
  EXPECT_EQ(exact_dot(a, 0, one, 0), 448.0 + tiny);
  QMatrix c = cast_row({448.0f, -448.0f, float(tiny)}), ones = cast_row({1.0f, 1.0f, 1.0f});
  EXPECT_EQ(exact_dot(c, 0, ones, 0), tiny);
  // 16384 products 2^-9 * 2^-9 = 2^-18 each: exactly 2^-4.
  std::vector<float> t(16384, float(tiny));
  QMatrix T = cast_row(t);
  EXPECT_EQ(exact_dot(T, 0, T, 0), 0.0625);
  // A NaN element makes the result NaN.
  QMatrix n = cast_row({std::nanf(""), 1.0f});
  EXPECT_TRUE(std::isnan(exact_dot(n, 0, one, 0)));
}

// exact-block with L lanes and per-tensor scales: n = ceil(K/L) exact group
// sums added into a float32 accumulator with RNE (n roundings: the first
// group sum need not be a float32 either), then two roundings for the scales
// (RNE(gA*gB) and RNE(acc*g)). Standard recursive-summation analysis (Higham,
// Accuracy and Stability of Numerical Algorithms, 2nd ed., section 4.2):
// |C - E| <= gamma_{n+2} *
// sum|p_k| * gA*gB with gamma_j = j*u / (1 - j*u), u = 2^-24.
TEST(AccumStudy, ExactBlockErrorWithinFloat32Bound) {
  Distribution d;
  const size_t M = 4, N = 4, K = 2048;
  std::vector<float> xa = draw(d, M * K, 11), xb = draw(d, N * K, 12);
  BlockFormat f = parse_block_format("fp8_e4m3/tensor/fp32");
  QMatrix A = quantize(f, Rule::Absmax, xa.data(), M, K), B = quantize(f, Rule::Absmax, xb.data(), N, K);
  std::vector<double> E = exact_gemm(A, B);
  const double u = std::ldexp(1.0, -24);
  for (int lanes : {1, 8, 32}) {
    AccumSpec acc = parse_accum("exact-block");
    acc.lanes = lanes;
    std::vector<float> C = gemm(A, B, acc);
    double n = double((K + lanes - 1) / lanes) + 2;
    double gamma = n * u / (1 - n * u);
    int nonzero_err = 0;
    for (size_t m = 0; m < M; ++m)
      for (size_t j = 0; j < N; ++j) {
        double abs_sum = 0;
        for (size_t k = 0; k < K; ++k)
          abs_sum += std::fabs(f.elem.decode(A.code(m, k)) * f.elem.decode(B.code(j, k)));
        double g = double(A.tensor_gd) * double(B.tensor_gd);
        if (A.fmt.has_fp32_scale()) g = double(A.channel_scale(m)) * double(B.channel_scale(j));
        double err = std::fabs(double(C[m * N + j]) - E[m * N + j]);
        EXPECT_LE(err, gamma * abs_sum * g * (1 + 1e-12)) << "lanes " << lanes << " output " << m << "," << j;
        nonzero_err += err > 0;
      }
    // The rounding is real (the test would pass vacuously on an exact model).
    EXPECT_GT(nonzero_err, 0) << "lanes " << lanes;
  }
}

AccumStudySpec hopper_study(std::vector<size_t> K) {
  AccumStudySpec s;
  s.M = s.N = 8;
  s.seeds = 2;
  s.K = K;
  for (const char* name : {"hopper-fp8", "hopper-fp8-cublas"}) {
    AccumStudyMode m;
    m.label = name;
    m.acc = parse_accum(name);
    m.format = parse_block_format("fp8_e4m3/tensor/fp32");
    m.rule = Rule::Absmax;
    s.modes.push_back(m);
  }
  AccumStudyData g;
  g.label = "gaussian";
  s.data.push_back(g);
  return s;
}

// DeepSeek-V3 (section 3.3.2): Hopper FP8 accumulation error grows with K;
// promoting to float32 every 128 elements removes most of it.
TEST(AccumStudy, HopperFastAccumulationErrorGrowsWithKAndPromotionRemovesIt) {
  std::vector<AccumStudyCell> c = run_accum_study(hopper_study({128, 4096}));
  ASSERT_EQ(c.size(), 4u);
  // Order: data, K, mode.
  double fast128 = c[0].rel_err, prom128 = c[1].rel_err, fast4096 = c[2].rel_err, prom4096 = c[3].rel_err;
  // Up to K = 128 both are the same computation (no promotion has happened
  // before the end): equal errors.
  EXPECT_EQ(fast128, prom128);
  EXPECT_GT(fast4096, 4 * fast128);
  EXPECT_GT(fast4096, 4 * prom4096);
  // Promotion's remaining error is that of one 128-element stretch.
  EXPECT_LT(prom4096, 3 * prom128);
}

// ---- the CLI: bad study files ----

struct CliRun {
  int status;
  std::string out, err;
};

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ctest runs each test as its own process in parallel: each test gets its own
// directory, or two tests' captured output files would overwrite each other.
std::string work_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string d = std::string(MF_WORK_DIR) + "/" + info->test_suite_name() + "." + info->name();
  std::filesystem::create_directories(d);
  return d;
}

CliRun run_cli(const std::string& args) {
  std::string o = work_dir() + "/out.txt", e = work_dir() + "/err.txt";
  int st = std::system((std::string(MF_MACFORGE) + " accum-study " + args + " > " + o + " 2> " + e).c_str());
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(o), slurp(e)};
}

const char* kGood =
    "name: tiny\n"
    "M: 2\n"
    "N: 2\n"
    "K: [32, 64]\n"
    "seeds: 1\n"
    "format: fp8_e4m3/tensor/fp32\n"
    "rule: absmax\n"
    "data:\n"
    "  - name: gaussian\n"
    "    dist: gaussian\n"
    "modes:\n"
    "  - name: seq\n"
    "    accum: exact-block\n"
    "    lanes: 1\n"
    "  - accum: hopper-fp8\n";

std::string write_study(const std::string& name, const std::string& text) {
  std::string p = work_dir() + "/" + name;
  std::ofstream(p) << text;
  return p;
}

TEST(AccumStudyCli, RunsATinyStudy) {
  std::string p = write_study("good.yaml", kGood);
  std::string out = work_dir() + "/good-out";
  std::filesystem::remove_all(out);
  CliRun r = run_cli(p + " --out " + out + " --no-plot");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* f : {"accum_study.json", "accum_study.csv", "accum_study.md", "accumulation.dat", "accumulation.gp"})
    EXPECT_TRUE(std::filesystem::exists(out + "/" + f)) << f;
  std::string csv = slurp(out + "/accum_study.csv");
  EXPECT_NE(csv.find("gaussian,64,hopper-fp8,hopper-fp8,"), std::string::npos) << csv;
  EXPECT_NE(r.out.find("n/a (no RTL yet)"), std::string::npos);
}

// A synthesis report listed under hardware: its area, area per MAC/cycle and
// energy go into the table (hand-made report: 1000 um^2, 4 MACs per cycle).
TEST(AccumStudyCli, ReadsSynthesisReports) {
  std::ofstream(work_dir() + "/hw.json")
      << "{\"area_um2\": 1000, \"lanes\": 4, \"macs_per_cycle\": 4, \"energy_pj_per_mac\": 0.25,"
         " \"config\": {\"pe\": {\"a\": \"fp8_e4m3\", \"b\": \"fp8_e4m3\", \"accumulation\": \"exact-block\"}}}\n";
  std::string p = write_study("hw.yaml", std::string(kGood) + "hardware:\n  seq: hw.json\n  hopper-fp8: absent.json\n");
  CliRun r = run_cli(p + " --no-plot --out " + work_dir() + "/hw-out");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("| 1000.0 | 4 | 250.0 | 0.2500 | fp8_e4m3 x fp8_e4m3, exact-block |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("absent.json missing"), std::string::npos) << r.out;
}

void expect_bad(const std::string& name, const std::string& text, const std::string& where, const std::string& what) {
  std::string p = write_study(name, text);
  CliRun r = run_cli(p + " --out " + work_dir() + "/bad-out --no-plot");
  EXPECT_EQ(r.status, 2) << name << ": " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << name << ": " << r.err;
  EXPECT_NE(r.err.find(p + ":" + where), std::string::npos) << name << ": " << r.err;
  EXPECT_NE(r.err.find(what), std::string::npos) << name << ": " << r.err;
}

std::string replace(std::string s, const std::string& a, const std::string& b) {
  size_t i = s.find(a);
  EXPECT_NE(i, std::string::npos) << a;
  return s.replace(i, a.size(), b);
}

TEST(AccumStudyCli, BadStudyFilesGiveOneLineAndExit2) {
  std::string g = kGood;
  expect_bad("unknown_key.yaml", g + "colour: red\n", "16:", "colour: unknown key");
  expect_bad("bad_accum.yaml", replace(g, "accum: hopper-fp8", "accum: hopper-fp9"), "15:", "modes[1].accum");
  expect_bad("bad_k.yaml", replace(g, "K: [32, 64]", "K: [32, x]"), "4:", "K[1]: 'x' is not an integer");
  expect_bad("k_zero.yaml", replace(g, "K: [32, 64]", "K: [0]"), "4:", "out of range");
  expect_bad("dup_mode.yaml", g + "  - name: seq\n    accum: exact-block\n", "16:", "duplicate mode name 'seq'");
  expect_bad("fused_lanes.yaml", replace(g, "accum: hopper-fp8", "accum: hopper-fp8\n    lanes: 4"), "16:",
             "modes[1].lanes");
  expect_bad("bad_dist.yaml", replace(g, "dist: gaussian", "dist: cauchy"), "10:", "data[0].dist");
  expect_bad("bad_format.yaml", replace(g, "format: fp8_e4m3/tensor/fp32", "format: fp9"), "6:", "format");
  expect_bad("hw_mode.yaml", g + "hardware:\n  nosuch: x.json\n", "17:", "hardware.nosuch: no mode of that name");
  expect_bad("syntax.yaml", g + "modes: [\n", "", "YAML syntax error");
  expect_bad("missing.yaml", replace(g, "name: tiny\n", ""), "", "name: missing");
  std::string p = write_study("hw_bad_json.yaml", g + "hardware:\n  seq: notjson.txt\n");
  std::ofstream(work_dir() + "/notjson.txt") << "area 3\n";
  CliRun r = run_cli(p + " --no-plot --out " + work_dir() + "/bad-out");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("is not JSON"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace macforge

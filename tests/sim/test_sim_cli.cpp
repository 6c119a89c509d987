// The `macforge sim` and `macforge cosim` command lines: JSON fields, exit
// codes, one-line errors, and no partial output on failure.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct CliRun {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// One directory per test: ctest runs the tests of this file in parallel.
fs::path work() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path d = fs::path(MF_WORK_DIR) / (std::string(info->test_suite_name()) + "." + info->name());
  fs::create_directories(d);
  return d;
}

// Runs `macforge ARGS`, or ARGS itself when it starts with "env ".
CliRun run(const std::string& args) {
  fs::path o = work() / "stdout.txt", e = work() / "stderr.txt";
  std::string cmd = args.rfind("env ", 0) == 0 ? args.substr(0, args.find(" #")) : std::string(MF_MACFORGE) + " " + args;
  int st = std::system((cmd + " > " + o.string() + " 2> " + e.string()).c_str());
  CliRun r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(o);
  r.err = slurp(e);
  return r;
}

fs::path write(const std::string& name, const std::string& text) {
  fs::path p = work() / name;
  std::ofstream(p) << text;
  return p;
}

const char* kCfg =
    "name: cli_os\npe:\n  a: mxfp8_e4m3\n  b: mxfp8_e4m3\n  lanes: 4\narray:\n  rows: 4\n  cols: 4\n"
    "  dataflow: output-stationary\nmemory:\n  dram: {bandwidth: 16, latency: 40}\n";

int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST(SimCli, PrintsTheReport) {
  fs::path cfg = write("cli.yaml", kCfg);
  CliRun r = run("sim --config " + cfg.string() + " --gemm 64,48,100 --timing-only");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* key : {"\"total_cycles\"", "\"compute_cycles\"", "\"stall_cycles\"", "\"utilization\"",
                          "\"reads_words\"", "\"reads_bytes\"", "\"writes_words\"", "\"writes_bytes\"",
                          "\"dram_bytes\"", "\"input\"", "\"weight\"", "\"output\"", "\"total\""})
    EXPECT_NE(r.out.find(key), std::string::npos) << key;
  EXPECT_TRUE(r.err.empty()) << r.err;
  CliRun f = run("sim --config " + cfg.string() + " --gemm 20,20,70 --dataflow ws --array 4x3");
  ASSERT_EQ(f.code, 0) << f.err;
  EXPECT_NE(f.out.find("\"output_hash\""), std::string::npos);
  EXPECT_NE(f.out.find("\"dataflow\": \"ws\""), std::string::npos);
  EXPECT_NE(f.out.find("\"cols\": 3"), std::string::npos);
  CliRun i = run("sim --config " + cfg.string() + " --gemm 20,20,70 --dataflow is --ideal-memory --timing-only");
  ASSERT_EQ(i.code, 0) << i.err;
  EXPECT_NE(i.out.find("\"stall_cycles\": 0"), std::string::npos);
}

TEST(SimCli, LayerFile) {
  fs::path cfg = write("cli.yaml", kCfg);
  fs::path layers = write("layers.csv", "name,M,N,K,count\nproj,64,64,128,1\nheads,16,16,32,4\n");
  fs::path out = work() / "report.json";
  fs::remove(out);
  CliRun r = run("sim --config " + cfg.string() + " --layers " + layers.string() + " --timing-only --out " +
                 out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  std::string j = slurp(out);
  EXPECT_NE(j.find("\"name\": \"proj\""), std::string::npos);
  EXPECT_NE(j.find("\"count\": 4"), std::string::npos);
  // A single-format array has one mode, its own format.
  EXPECT_NE(j.find("\"format\": \"mxfp8_e4m3\", \"mode\": 0, \"lanes\": 4"), std::string::npos) << j;
  fs::path named = write("named.csv", "name,M,N,K,format\nproj,64,64,128,mxfp8_e4m3\nagain,8,8,8,0\n");
  CliRun n = run("sim --config " + cfg.string() + " --layers " + named.string() + " --timing-only");
  ASSERT_EQ(n.code, 0) << n.err;
}

TEST(SimCli, BadInputIsOneLineAndExitTwo) {
  fs::path cfg = write("cli.yaml", kCfg);
  fs::path bad_layers = write("bad.csv", "name,M,N,K\nok,4,4,4\nbroken,4,-4,4\n");
  fs::path bad_format = write("badfmt.csv", "name,M,N,K,format\nok,4,4,4,mxfp8_e4m3\nfour,4,4,4,nvint4\n");
  fs::path tiny = write("tiny.yaml", std::string(kCfg) + "  input: {capacity: 16}\n");
  fs::path big = write("big.yaml", "name: big\npe: {a: mxint8}\narray: {rows: 128, cols: 4}\n");
  fs::path badmem = write("badmem.yaml", std::string(kCfg) + "  weight: {banks: 0}\n");
  struct Case {
    std::string args, expect;
  };
  std::string c = "sim --config " + cfg.string();
  for (const Case& k : {Case{c + " --gemm 0,4,4", "M must be a positive integer"},
                        Case{c + " --gemm 4,-4,4", "N must be a positive integer"},
                        Case{c + " --gemm 4,4", "expected M,N,K"},
                        Case{c + " --layers " + bad_layers.string(), "bad.csv:3: N must be a positive integer"},
                        Case{c + " --layers " + bad_format.string(),
                             "badfmt.csv:3: format: 'nvint4' is not a mode of this array (allowed: mxfp8_e4m3)"},
                        Case{"sim --config " + tiny.string() + " --gemm 64,64,64", "too small for one tile"},
                        Case{"sim --config " + big.string() + " --gemm 4,4,4", "array.rows"},
                        Case{"sim --config " + badmem.string() + " --gemm 4,4,4", "memory.weight.banks"},
                        Case{c + " --gemm 4,4,4 --array 4by4", "expected RxC"},
                        Case{c + " --gemm 4,4,4 --dataflow diagonal", "unknown dataflow"},
                        Case{c + " --gemm 4,4,4 --layers " + bad_layers.string(), "exactly one of"},
                        Case{"sim --gemm 4,4,4", "--config is required"},
                        Case{"cosim --config " + cfg.string() + " --gemm 4,4,4 --dataflow is", "input-stationary"},
                        Case{"cosim --config " + cfg.string() + " --gemm 0,4,4", "M must be a positive integer"},
                        Case{"cosim --config " + big.string() + " --gemm 4,4,4", "array.rows"}}) {
    fs::path out = work() / "never.json";
    fs::remove(out);
    CliRun r = run(k.args + " --out " + out.string());
    if (k.args.rfind("cosim", 0) == 0) r = run(k.args);  // cosim has no --out
    EXPECT_EQ(r.code, 2) << k.args << "\n" << r.err;
    EXPECT_EQ(lines(r.err), 1) << k.args << "\n" << r.err;
    EXPECT_NE(r.err.find(k.expect), std::string::npos) << k.args << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << k.args;
    EXPECT_FALSE(fs::exists(out)) << k.args;
  }
  // Nothing half-written beside the target either.
  for (const auto& e : fs::directory_iterator(work()))
    EXPECT_EQ(e.path().filename().string().find("never.json"), std::string::npos) << e.path();
  // A layer file that cannot be read is a usage error too (like a missing config).
  CliRun missing = run(c + " --layers " + (work() / "nope.csv").string());
  EXPECT_EQ(missing.code, 2) << missing.err;
  EXPECT_EQ(lines(missing.err), 1) << missing.err;
  EXPECT_NE(missing.err.find("nope.csv: cannot read the layer file"), std::string::npos) << missing.err;
}

// A co-simulation mismatch: exit 1, the first differing output (indices,
// float32 codes, values) on stderr and in the JSON. The model is the one the
// build made for tests/sim/configs/cosim_os_mxfp8_4x4.yaml; the fault is
// injected by the executable's test hook.
TEST(CosimCli, MismatchIsReported) {
#ifndef MF_HAVE_COSIM
  GTEST_SKIP() << "verilator not found: no co-simulation models";
#endif
  std::string args = "cosim --config " + std::string(MF_COSIM_CONFIG) + " --gemm 5,6,40 --cache-dir " +
                     std::string(MF_COSIM_CACHE);
  CliRun ok = run(args);
  ASSERT_EQ(ok.code, 0) << ok.err << ok.out;
  EXPECT_NE(ok.out.find("\"cycles_match\": true, \"outputs_match\": true"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("\"ok\": true"), std::string::npos);
  CliRun bad = run("env MACFORGE_COSIM_FAULT=1 " + std::string(MF_MACFORGE) + " " + args + " #");
  EXPECT_EQ(bad.code, 1) << bad.err << bad.out;
  EXPECT_NE(bad.err.find("MISMATCH rtl GEMM 5x6x40: C[0][0] = 0x"), std::string::npos) << bad.err;
  EXPECT_NE(bad.out.find("\"first_mismatch\": {\"backend\": \"rtl\", \"m\": 0, \"n\": 0"), std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("\"ok\": false"), std::string::npos);
}

namespace {

int64_t json_int(const std::string& j, const std::string& key, size_t from = 0) {
  size_t p = j.find("\"" + key + "\": ", from);
  if (p == std::string::npos) return -1;
  return std::stoll(j.substr(p + key.size() + 4));
}

}  // namespace

// A [mxint8, nvint4] array running a mixed layer file: each layer at its
// mode's lanes (docs/timing_model.md section 8.1, computed here by hand).
TEST(SimCli, MixedPrecisionLayers) {
  fs::path cfg = write("mixed.yaml",
                       "name: mixed\npe: {modes: [mxint8, nvint4], reuse: int-scheme2, lanes: 8}\n"
                       "array: {rows: 4, cols: 4, dataflow: output-stationary}\n");
  fs::path layers = write("mixed.csv", "# attention in mxint8, FFN in nvint4\nname,M,N,K,format\n"
                                       "proj,16,12,200,mxint8\nffn,16,12,200,nvint4\nplain,16,12,200,\n");
  CliRun r = run("sim --config " + cfg.string() + " --layers " + layers.string() + " --ideal-memory --timing-only");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string& j = r.out;
  int64_t LAT = json_int(j, "pe_latency"), S = json_int(j, "out_stage");
  ASSERT_GE(LAT, 1) << j;
  ASSERT_GE(S, 0) << j;
  EXPECT_NE(j.find("{\"mode\": 1, \"format\": \"nvint4\", \"a\": \"nvint4\", \"b\": \"nvint4\", \"lanes\": 16, \"group\": 16}"),
            std::string::npos)
      << j;
  // OS: (T - 1) * max(nk, R, C) + nk + LAT + C + R - 1 + S, T = 4 * 3 tiles,
  // nk = ceil(200 / 8) = 25 in mode 0, ceil(200 / 16) = 13 in mode 1.
  int64_t c0 = 11 * 25 + 25 + LAT + 4 + 4 - 1 + S, c1 = 11 * 13 + 13 + LAT + 4 + 4 - 1 + S;
  size_t proj = j.find("\"name\": \"proj\""), ffn = j.find("\"name\": \"ffn\""), plain = j.find("\"name\": \"plain\"");
  size_t total = j.find("\"total\": ");
  ASSERT_TRUE(proj != std::string::npos && ffn != std::string::npos && plain != std::string::npos &&
              total != std::string::npos)
      << j;
  EXPECT_NE(j.find("\"format\": \"mxint8\", \"mode\": 0, \"lanes\": 8", proj), std::string::npos);
  EXPECT_NE(j.find("\"format\": \"nvint4\", \"mode\": 1, \"lanes\": 16", ffn), std::string::npos);
  EXPECT_EQ(json_int(j, "total_cycles", proj), c0);
  EXPECT_EQ(json_int(j, "total_cycles", ffn), c1);
  EXPECT_EQ(json_int(j, "total_cycles", plain), c0);
  EXPECT_EQ(json_int(j, "total_cycles", total), 2 * c0 + c1);
  // Traffic in each mode's bits (docs/timing_model.md section 8.1).
  EXPECT_EQ(json_int(j, "dram_read_bytes", proj), 5796);
  EXPECT_EQ(json_int(j, "dram_read_bytes", ffn), 3284);

  // The functional run takes the same cycles.
  CliRun f = run("sim --config " + cfg.string() + " --layers " + layers.string() + " --ideal-memory");
  ASSERT_EQ(f.code, 0) << f.err;
  EXPECT_EQ(json_int(f.out, "total_cycles", f.out.find("\"total\": ")), 2 * c0 + c1);
  EXPECT_NE(f.out.find("\"output_hash\""), std::string::npos);

  // One GEMM in a mode: --mode.
  CliRun g = run("sim --config " + cfg.string() + " --gemm 16,12,200 --mode nvint4 --ideal-memory --timing-only");
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_EQ(json_int(g.out, "total_cycles", g.out.find("\"total\": ")), c1);
  for (const auto& [args, expect] : std::vector<std::pair<std::string, std::string>>{
           {" --gemm 4,4,4 --mode 2", "--mode: '2' is not a mode of this array (allowed: mxint8, nvint4)"},
           {" --layers " + layers.string() + " --mode 1", "--mode applies to --gemm"}}) {
    CliRun b = run("sim --config " + cfg.string() + args);
    EXPECT_EQ(b.code, 2) << args;
    EXPECT_EQ(lines(b.err), 1) << b.err;
    EXPECT_NE(b.err.find(expect), std::string::npos) << b.err;
    EXPECT_TRUE(b.out.empty()) << args;
  }

  // A format the array lacks: one line, exit 2, nothing written.
  fs::path bad = write("bad.csv", "name,M,N,K,format\nok,4,4,4,nvint4\nx,4,4,4,fp8\n");
  fs::path out = work() / "never.json";
  CliRun e = run("sim --config " + cfg.string() + " --layers " + bad.string() + " --out " + out.string());
  EXPECT_EQ(e.code, 2);
  EXPECT_EQ(lines(e.err), 1) << e.err;
  EXPECT_NE(e.err.find("bad.csv:3: format: 'fp8' is not a mode of this array (allowed: mxint8, nvint4)"),
            std::string::npos)
      << e.err;
  EXPECT_FALSE(fs::exists(out));
}

// The shipped mixed-precision transformer block on the shipped [mxint8, nvint4]
// config: the FFN layers run in nvint4 at half the compute cycles of mxint8.
TEST(SimCli, ShippedMixedWorkload) {
  std::string src = MF_SOURCE_DIR;
  std::string base = "sim --config " + src + "/configs/mxint8_nvint4.yaml --array 16x16 --timing-only --layers ";
  CliRun mixed = run(base + src + "/configs/workloads/transformer_block_mixed.csv");
  ASSERT_EQ(mixed.code, 0) << mixed.err;
  CliRun eight = run(base + src + "/configs/workloads/transformer_block.csv");
  ASSERT_EQ(eight.code, 0) << eight.err;
  const std::string &m = mixed.out, &e = eight.out;
  int64_t LAT = json_int(m, "pe_latency"), S = json_int(m, "out_stage");
  for (const char* name : {"mlp_up", "mlp_down"}) {
    size_t pm = m.find(std::string("\"name\": \"") + name + "\""), pe = e.find(std::string("\"name\": \"") + name + "\"");
    ASSERT_NE(pm, std::string::npos) << name;
    EXPECT_NE(m.find("\"format\": \"nvint4\", \"mode\": 1, \"lanes\": 16", pm), std::string::npos) << name;
    // OS 16x16, K = 4096 (up) / 16384 (down): T * nk + LAT + 31 + S cycles with
    // nk = K / 16 in nvint4 and K / 8 in mxint8 (nk >= max(R, C)).
    int64_t T = std::string(name) == "mlp_up" ? 128 * 1024 : 128 * 256;
    int64_t K = std::string(name) == "mlp_up" ? 4096 : 16384;
    EXPECT_EQ(json_int(m, "compute_cycles", pm), T * (K / 16) + LAT + 31 + S) << name;
    EXPECT_EQ(json_int(e, "compute_cycles", pe), T * (K / 8) + LAT + 31 + S) << name;
    EXPECT_LT(json_int(m, "dram_bytes", pm), json_int(e, "dram_bytes", pe)) << name;
  }
  EXPECT_LT(json_int(m, "total_cycles", m.find("\"total\": ")), json_int(e, "total_cycles", e.find("\"total\": ")));
}

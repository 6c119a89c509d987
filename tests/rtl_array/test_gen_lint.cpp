// Property test: random valid configs (formats incl. mixed, lanes, pipeline,
// sizes, dataflow, accumulation; one in four a multi-format PE, pe.modes with
// every reuse scheme) generate Verilog that is clean under
// `verilator --lint-only -Wall`, compiles with `iverilog -g2005`, and (every
// tenth) passes yosys `hierarchy -check; proc`. The shipped configs/ are
// linted and compiled the same way. Lints run two at a time.
//   MF_LINT_COUNT (default 50), MF_LINT_SEED (default 2024) override.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "gen/config.hpp"
#include "gen/generate.hpp"

using namespace macforge;
using namespace macforge::gen;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kFormats = {
    "mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4_e2m1", "mxint8",        "mxint6",
    "mxint4",     "nvfp4",      "nvint4",     "fp8_e4m3",   "fp8_e5m2",   "int8",          "int4",
    "e3m4",       "fp16",       "bf16",       "fp8_e4m3/tensor/fp32",   "int8/tensor/fp32", "int8/channel/fp32",
    "int4/16/ue4m3", "fp8_e4m3/64/e8m0", "fp4_e2m1/8/e8m0", "int8_full",
};

// Multi-format draws: an 8-bit mode 0 and a 4- or 6-bit mode 1 (either may
// be "A/B"); validation rejects the reuse schemes that do not fit.
const std::vector<std::string> kMode0 = {"mxint8", "mxfp8_e4m3", "mxfp8_e5m2", "mxint8/mxfp8_e4m3"};
const std::vector<std::string> kMode1 = {"nvint4", "mxint4",     "nvfp4",      "mxfp4_e2m1",
                                         "mxint6", "mxfp6_e2m3", "nvfp4/nvint4"};

void split_pair(const std::string& s, std::string& a, std::string& b) {
  size_t p = s.find('/');
  a = s.substr(0, p);
  b = p == std::string::npos ? a : s.substr(p + 1);
}

int env_int(const char* name, int dflt) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : dflt;
}

// A random config that passes validation (invalid draws are redrawn).
ArrayConfig random_config(std::mt19937& rng, int k) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (;;) {
    ArrayConfig c;
    c.name = "rc" + std::to_string(k);
    c.a_name = kFormats[size_t(pick(0, int(kFormats.size()) - 1))];
    c.b_name = pick(0, 2) == 0 ? c.a_name : kFormats[size_t(pick(0, int(kFormats.size()) - 1))];
    c.rows = pick(1, 4);
    c.cols = pick(1, 4);
    c.pipeline = pick(0, 9) == 0 ? pick(4, kMaxPipeline) : pick(0, 3);
    c.dataflow = pick(0, 1) ? Dataflow::WeightStationary : Dataflow::OutputStationary;
    c.lanes = 1 << pick(0, 4);  // 1..16; must divide the group when block-scaled
    if (pick(0, 9) == 0) c.lanes = pick(1, 7);
    if (k % 4 == 3) {  // a multi-format PE: exact-block only
      c.modes = 2;
      split_pair(kMode0[size_t(pick(0, int(kMode0.size()) - 1))], c.a_name, c.b_name);
      split_pair(kMode1[size_t(pick(0, int(kMode1.size()) - 1))], c.a1_name, c.b1_name);
      c.reuse = Reuse(pick(0, 3));
      c.lanes = 1 << pick(0, 3);
      c.rows = pick(1, 2);  // the PE is the larger part: keep the lint time of the draw down
      c.cols = pick(1, 2);
    } else if (pick(0, 3) == 0) {
      c.accum.mode = AccumMode::Aligned;
      c.accum.width = pick(8, 40);
    }
    try {
      validate_config(c, "random");
      return c;
    } catch (const ConfigError&) {
      continue;  // e.g. lanes not dividing the block, W below one product: draw again
    }
  }
}

int run(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(GenLint, RandomConfigsAreLintClean) {
  int count = env_int("MF_LINT_COUNT", 50);
  unsigned seed = unsigned(env_int("MF_LINT_SEED", 2024));
  // ctest runs the configs in shards (MF_LINT_SHARD of MF_LINT_SHARDS) so that no single test
  // comes near its timeout on a loaded 2-core machine; every shard draws the same sequence.
  int shards = std::max(1, env_int("MF_LINT_SHARDS", 1));
  int shard = env_int("MF_LINT_SHARD", 0);
  fs::path work = fs::path(MF_WORK_DIR) / ("shard" + std::to_string(shard));
  fs::remove_all(work);
  fs::create_directories(work);
  std::mt19937 rng(seed);
  struct Job {
    ArrayConfig cfg;
    fs::path dir;
    std::string top;
    int index = -1;  // k of a random config, -1 for a shipped one
  };
  std::vector<Job> jobs;
  int ws = 0, mixed = 0, aligned = 0, multi = 0;
  for (int k = 0; k < count; ++k) {
    Job j;
    j.cfg = random_config(rng, k);
    if (k % shards != shard) continue;
    j.index = k;
    j.dir = work / j.cfg.name;
    GenerateResult r = generate(j.cfg, j.dir.string());
    j.top = r.top;
    ws += j.cfg.dataflow == Dataflow::WeightStationary;
    mixed += j.cfg.a_name != j.cfg.b_name;
    aligned += j.cfg.accum.mode == AccumMode::Aligned;
    multi += j.cfg.modes == 2;
    jobs.push_back(j);
  }
  // The shipped configs (configs/*.yaml) must be clean too.
  int shipped = 0, shipped_seen = 0;
  for (const auto& e : fs::directory_iterator(fs::path(MF_SOURCE_DIR) / "configs")) {
    if (e.path().extension() != ".yaml") continue;
    if (shipped_seen++ % shards != shard) continue;
    Job j;
    j.cfg = load_config(e.path().string());
    j.dir = work / ("shipped_" + j.cfg.name);
    j.top = generate(j.cfg, j.dir.string()).top;
    jobs.push_back(j);
    ++shipped;
  }
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::vector<std::string> failures;
  auto worker = [&] {
    for (size_t k; (k = next++) < jobs.size();) {
      const Job& j = jobs[k];
      std::string f = (j.dir / "files.f").string(), log = (j.dir / "lint.log").string();
      std::string desc = j.cfg.name + " (" + j.cfg.canonical_json() + ")";
      auto fail = [&](const std::string& tool) {
        std::lock_guard<std::mutex> lock(mu);
        failures.push_back(tool + ": " + desc + "\n" + read(log));
      };
      if (run(std::string(MF_VERILATOR) + " --lint-only -Wall -F " + f + " --top-module " + j.top + " > " + log +
              " 2>&1") != 0 ||
          !read(log).empty())
        fail("verilator -Wall");
      if (std::string(MF_IVERILOG).size() &&
          run("cd " + j.dir.string() + " && " + MF_IVERILOG + " -g2005 -o /dev/null -s " + j.top +
              " $(cat files.f) > " + log + " 2>&1") != 0)
        fail("iverilog -g2005");
      std::string files;
      std::istringstream fl(read(f));
      for (std::string line; std::getline(fl, line);) files += " " + line;
      if (std::string(MF_YOSYS).size() && j.index >= 0 && j.index % 10 == 0 &&
          run("cd " + j.dir.string() + " && " + MF_YOSYS + " -q -p 'read_verilog" + files + "; hierarchy -check -top " +
              j.top + "; proc' > " + log + " 2>&1") != 0)
        fail("yosys");
    }
  };
  std::thread t1(worker), t2(worker);
  t1.join();
  t2.join();
  std::cout << "shard " << shard << " of " << shards << ": random configs of " << count << " (" << ws << " weight-stationary, " << mixed << " mixed formats, " << aligned
            << " aligned:W, " << multi << " multi-format), seed " << seed << ", and " << shipped << " shipped configs: " << failures.size()
            << " failure(s)\n";
  for (const std::string& f : failures) ADD_FAILURE() << f;
  if (failures.empty()) fs::remove_all(work);
}

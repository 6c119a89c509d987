// Config parsing and the `macforge gen` CLI: defaults, canonical form and hash,
// one-line errors naming file:line:col, field and allowed values, exit codes,
// and the all-or-nothing output directory.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gen/config.hpp"
#include "gen/manifest.hpp"

using namespace macforge;
using namespace macforge::gen;
namespace fs = std::filesystem;

namespace {

fs::path work_dir(const std::string& name) {
  fs::path p = fs::path(MF_WORK_DIR) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string write(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
  return p.string();
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CliRun {
  int code = -1;
  std::string out, err;
};

CliRun run_cli(const std::string& args, const fs::path& dir) {
  std::string o = (dir / "stdout.txt").string(), e = (dir / "stderr.txt").string();
  int st = std::system((std::string(MF_MACFORGE) + " " + args + " > " + o + " 2> " + e).c_str());
  CliRun r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = read(o);
  r.err = read(e);
  return r;
}

std::string error_of(const std::string& text, const std::string& source = "cfg.yaml") {
  try {
    parse_config(text, source);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(GenConfig, DefaultsAreFilledIn) {
  ArrayConfig c = parse_config("pe:\n  a: mxint8\n", "dir/my-array.yaml");
  EXPECT_EQ(c.name, "my_array");
  EXPECT_EQ(c.b_name, "mxint8");
  EXPECT_EQ(c.lanes, 8);
  EXPECT_EQ(c.accum.name(), "exact-block");
  EXPECT_EQ(c.pipeline, 0);
  EXPECT_EQ(c.rows, 4);
  EXPECT_EQ(c.cols, 4);
  EXPECT_EQ(c.dataflow, Dataflow::OutputStationary);
  EXPECT_EQ(c.group, 32);
  EXPECT_EQ(c.chunks_per_group(), 4);
  // No block scale: the group is the lanes.
  ArrayConfig t = parse_config("pe: {a: int8/tensor/fp32, lanes: 6}\n", "t.yaml");
  EXPECT_EQ(t.group, 6);
  // nvfp4 blocks of 16 nest in mxint4's 32.
  ArrayConfig m = parse_config("pe: {a: nvfp4, b: mxint4, lanes: 16}\n", "m.yaml");
  EXPECT_EQ(m.group, 16);
}

TEST(GenConfig, MemorySectionIsLeftToTheSimulator) {
  ArrayConfig a = parse_config("name: x\npe: {a: mxint8}\n", "a.yaml");
  ArrayConfig b = parse_config("name: x\npe: {a: mxint8}\nmemory:\n  dram: {bandwidth: 32}\n", "b.yaml");
  EXPECT_EQ(a.hash(), b.hash());
}

TEST(GenConfig, JsonIsAccepted) {
  ArrayConfig c = parse_config(
      R"({"name": "j", "pe": {"a": "mxfp8_e4m3", "b": "mxint4", "lanes": 4, "pipeline": 2},
          "array": {"rows": 2, "cols": 3, "dataflow": "weight-stationary"}})",
      "j.json");
  EXPECT_EQ(c.name, "j");
  EXPECT_EQ(c.rows, 2);
  EXPECT_EQ(c.cols, 3);
  EXPECT_EQ(c.dataflow, Dataflow::WeightStationary);
  EXPECT_EQ(c.pipeline, 2);
}

TEST(GenConfig, HashIsOfTheResolvedConfig) {
  ArrayConfig a = parse_config("name: x\npe:\n  a: mxint8\n", "a.yaml");
  ArrayConfig b = parse_config(
      "name: x\npe: {a: mxint8, b: mxint8, lanes: 8, accumulation: exact-block, pipeline: 0}\n"
      "array: {rows: 4, cols: 4, dataflow: output-stationary}\n",
      "b.yaml");
  EXPECT_EQ(a.canonical_json(), b.canonical_json());
  EXPECT_EQ(a.hash(), b.hash());
  ArrayConfig c = parse_config("name: x\npe:\n  a: mxint8\n  pipeline: 1\n", "c.yaml");
  EXPECT_NE(a.hash(), c.hash());
  // to_yaml round-trips.
  ArrayConfig d = parse_config(to_yaml(c), "d.yaml");
  EXPECT_EQ(d.canonical_json(), c.canonical_json());
}

TEST(GenConfig, CodeBuiltConfigsAreValidatedToo) {
  ArrayConfig c;
  c.name = "code";
  c.a_name = "mxint8";
  c.lanes = 3;
  try {
    validate_config(c, "builder");
    FAIL() << "lanes 3 accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("builder: pe.lanes: 3 lanes cannot tile"), std::string::npos) << e.what();
  }
}

// Each bad config gives one line: FILE:LINE:COL: FIELD: problem (allowed: ...).
TEST(GenConfig, ErrorsNameFileLineFieldAndAllowedValues) {
  struct Bad {
    const char* text;
    const char* where;  // expected prefix after "cfg.yaml:"
    const char* what;   // expected substring
  };
  const Bad cases[] = {
      {"pe: {a: mxint8}\nfoo: 1\n", "2:1: foo: unknown key", "allowed: name, pe, array, memory"},
      {"pe:\n  a: mxint8\n  lane: 8\n", "3:3: pe.lane: unknown key", "allowed: a, b, lanes, accumulation, pipeline"},
      {"pe:\n  a: mxint8\narray:\n  depth: 3\n", "4:3: array.depth: unknown key", "allowed: rows, cols, dataflow"},
      {"pe:\n  a: mxint9\n", "2:6: pe.a: unknown format 'mxint9'", "valid: mxfp8_e4m3"},
      {"pe:\n  a: mxint8\n  b: fp8_e4m3/64/e9m0\n", "3:6: pe.b:", "valid: e8m0, ue4m3, fp32"},
      {"pe:\n  a: fp32\n", "2:6: pe.a:", "allowed: any format whose element is <= 16 bits"},
      {"pe:\n  a: mxint8\n  lanes: 12\n", "3:10: pe.lanes: 12 lanes cannot tile", "allowed: 1, 2, 4, 8, 16, 32"},
      {"pe:\n  a: mxint8\n  lanes: 0\n", "3:10: pe.lanes: 0 is out of range", "allowed: 1..64"},
      {"pe:\n  a: mxint8\n  multiplier: wallace\n", "3:15: pe.multiplier: unknown multiplier 'wallace'",
       "allowed: booth4, array, behavioural"},
      {"pe:\n  a: int8\n  lanes: 65\n", "3:10: pe.lanes: 65 is out of range", "allowed: 1..64"},
      {"pe:\n  a: mxint8\n  lanes: eight\n", "3:10: pe.lanes: 'eight' is not an integer", "allowed: 1..64"},
      {"pe:\n  a: mxint8\n  pipeline: 9\n", "3:13: pe.pipeline: 9 is out of range", "allowed: 0..8"},
      {"pe:\n  a: mxint8\n  accumulation: fast\n", "3:17: pe.accumulation: unknown accumulation mode",
       "valid: exact-block, aligned:W"},
      {"pe:\n  a: mxint8\n  accumulation: aligned:8\n", "3:17: pe.accumulation: aligned:8 cannot hold",
       "allowed: exact-block, aligned:W with W = 16..96"},
      {"pe:\n  a: fp8_e4m3/24/e8m0\n  b: mxint8\n", "3:6: pe.b:", "do not nest"},
      {"pe: {a: mxint8}\narray:\n  rows: 0\n", "3:9: array.rows: 0 is out of range", "allowed: 1..64"},
      {"pe: {a: mxint8}\narray:\n  cols: 100\n", "3:9: array.cols: 100 is out of range", "allowed: 1..64"},
      {"pe: {a: mxint8}\narray:\n  dataflow: row-stationary\n", "3:13: array.dataflow: unknown dataflow",
       "allowed: output-stationary, weight-stationary"},
      {"pe: {a: mxint8, lanes: 1}\narray:\n  dataflow: weight-stationary\n", "3:13: array.dataflow: weight-stationary",
       "allowed: pe.lanes >= 2"},
      {"name: 9lives\npe: {a: mxint8}\n", "1:7: name: '9lives' is not a valid module prefix", "allowed: a letter"},
      {"name: a-b\npe: {a: mxint8}\n", "1:7: name:", "allowed: a letter"},
      {"pe:\n  a: mxint8\n  a: mxint4\n", "3:3: pe.a: duplicate key", ""},
      {"pe: [mxint8]\n", "1:5: pe: pe must be a mapping", "allowed keys: a, b"},
      {"name: x\n", "1:1: pe: missing", "the PE section"},
      {"pe:\n  lanes: 4\n", "2:3: pe.a: missing", "allowed: mxfp8_e4m3"},
      {"pe: {a: mxint8\n", "2:1: YAML syntax error", ""},
  };
  for (const Bad& b : cases) {
    std::string e = error_of(b.text);
    EXPECT_EQ(e.rfind(std::string("cfg.yaml:") + b.where, 0), 0u) << "config:\n" << b.text << "error: " << e;
    EXPECT_NE(e.find(b.what), std::string::npos) << "config:\n" << b.text << "error: " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << "not one line: " << e;
  }
  // YAML syntax errors carry a position too.
  EXPECT_NE(error_of("pe: {a: mxint8\n").find("cfg.yaml:"), std::string::npos);
}

TEST(GenConfig, ShippedConfigsAreValid) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(fs::path(MF_SOURCE_DIR) / "configs")) {
    if (e.path().extension() != ".yaml") continue;
    ArrayConfig c = load_config(e.path().string());
    EXPECT_EQ(c.name, e.path().stem().string()) << "config name should match its file name";
    ++n;
  }
  EXPECT_GE(n, 13);
}

TEST(GenCli, BadConfigExitsTwoAndWritesNothing) {
  fs::path dir = work_dir("bad");
  std::string cfg = write(dir / "bad.yaml", "pe:\n  a: mxint8\n  lanes: 7\n");
  fs::path out = dir / "nested" / "out";
  CliRun r = run_cli("gen " + cfg + " -o " + out.string(), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("error: " + cfg + ":3:10: pe.lanes: 7 lanes cannot tile", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir / "nested"));
  // Unknown file: exit 2 as well.
  r = run_cli("gen " + (dir / "missing.yaml").string() + " -o " + out.string(), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(fs::exists(dir / "nested"));
  // Missing -o.
  r = run_cli("gen " + cfg, dir);
  EXPECT_EQ(r.code, 2);
}

TEST(GenCli, GeneratesASelfContainedDirectory) {
  fs::path dir = work_dir("good");
  std::string cfg = write(dir / "small.yaml",
                          "name: small\npe: {a: nvfp4, b: mxint4, lanes: 8}\narray: {rows: 2, cols: 3}\n");
  fs::path out = dir / "out" / "small";
  CliRun r = run_cli("gen " + cfg + " -o " + out.string(), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> files;
  std::istringstream fl(read(out / "files.f"));
  for (std::string line; std::getline(fl, line);) files.push_back(line);
  ASSERT_GE(files.size(), 4u);
  EXPECT_EQ(files.back(), "small_top.v");
  for (const std::string& f : files) EXPECT_TRUE(fs::exists(out / f)) << f;
  size_t verilog = 0;
  for (const auto& e : fs::directory_iterator(out)) verilog += e.path().extension() == ".v";
  EXPECT_EQ(verilog, files.size()) << "files.f lists every Verilog file";
  EXPECT_TRUE(fs::exists(out / "mf_fp32_mul.v"));  // nvfp4's tensor scale: the output multiplier

  // JSON is YAML: read the manifest back.
  YAML::Node m = YAML::LoadFile((out / "manifest.json").string());
  ArrayConfig c = load_config(cfg);
  EXPECT_EQ(m["config_hash"].as<std::string>(), "fnv1a64:" + hex64(c.hash()));
  EXPECT_EQ(m["modules"]["top"].as<std::string>(), "small_top");
  EXPECT_EQ(m["config"]["pe"]["b"].as<std::string>(), "mxint4");
  EXPECT_EQ(m["config"]["pe"]["lanes"].as<int>(), 8);
  EXPECT_EQ(m["derived"]["accumulation_group"].as<int>(), 16);
  EXPECT_EQ(m["derived"]["a_output_scale"].as<std::string>(), "tensor");
  EXPECT_EQ(m["schedule"]["symbols"]["R"].as<int>(), 2);
  EXPECT_GT(m["latency"]["pe"].as<int>(), 0);
  bool has_ga = false;
  for (const auto& p : m["ports"]) has_ga |= p["name"].as<std::string>() == "in_ga";
  EXPECT_TRUE(has_ga);

  // Generating again replaces the earlier output; --check writes nothing.
  write(out / "stale.v", "// stale\n");
  r = run_cli("gen " + cfg + " -o " + out.string(), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(out / "stale.v"));
  r = run_cli("gen " + cfg + " --check", dir);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("lanes: 8"), std::string::npos);
  EXPECT_NE(r.out.find("dataflow: output-stationary"), std::string::npos);
  // No temporary directories are left beside the output.
  for (const auto& e : fs::directory_iterator(dir / "out"))
    EXPECT_EQ(e.path().filename().string().find(".small.tmp"), std::string::npos) << e.path();
}

TEST(GenCli, RefusesToOverwriteForeignDirectories) {
  fs::path dir = work_dir("foreign");
  std::string cfg = write(dir / "c.yaml", "pe: {a: mxint8}\narray: {rows: 1, cols: 1}\n");
  fs::create_directories(dir / "mine");
  write(dir / "mine" / "notes.txt", "keep me\n");
  CliRun r = run_cli("gen " + cfg + " -o " + (dir / "mine").string(), dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("refusing to overwrite"), std::string::npos) << r.err;
  EXPECT_EQ(read(dir / "mine" / "notes.txt"), "keep me\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "mine"), fs::directory_iterator()), 1);
}

// Config parsing and the `macforge gen` CLI: defaults, canonical form and hash,
// one-line errors naming file:line:col, field and allowed values, exit codes,
// and the all-or-nothing output directory.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
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

// ---- multi-format PEs (pe.modes, pe.reuse) ---------------------------------

// The sweep caches key on the hash of canonical_json(): a single-format config
// must keep the exact bytes it had before pe.modes existed. The literals were
// recorded from the generator at commit 9f94a96 (before modes were parsed).
TEST(GenConfigModes, SingleFormatCanonicalFormIsUnchanged) {
  const fs::path src(MF_SOURCE_DIR);
  ArrayConfig c = load_config((src / "configs" / "mxint8.yaml").string());
  EXPECT_EQ(c.canonical_json(),
            R"({"name":"mxint8","pe":{"a":"mxint8","b":"mxint8","lanes":8,"accumulation":"exact-block",)"
            R"("pipeline":1,"multiplier":"array"},"array":{"rows":4,"cols":4,"dataflow":"output-stationary"}})");
  EXPECT_EQ(hex64(c.hash()), "cf927081cff13c83");
  ArrayConfig w = load_config((src / "configs" / "w4a8_mxfp8_mxint4.yaml").string());
  EXPECT_EQ(w.canonical_json(),
            R"({"name":"w4a8_mxfp8_mxint4","pe":{"a":"mxfp8_e4m3","b":"mxint4","lanes":8,)"
            R"("accumulation":"exact-block","pipeline":1,"multiplier":"array"},)"
            R"("array":{"rows":8,"cols":8,"dataflow":"weight-stationary"}})");
  EXPECT_EQ(hex64(w.hash()), "e93c1a4c55e4c3ce");
  EXPECT_EQ(hex64(load_config((src / "configs" / "nvfp4.yaml").string()).hash()), "a5070e6ba7277404");
  EXPECT_EQ(c.modes, 1);
  // to_yaml of a single-format config: a and b, no mode keys.
  EXPECT_EQ(to_yaml(c),
            "name: mxint8\npe:\n  a: mxint8\n  b: mxint8\n  lanes: 8\n  accumulation: exact-block\n  pipeline: 1\n"
            "  multiplier: array\narray:\n  rows: 4\n  cols: 4\n  dataflow: output-stationary\n");
  EXPECT_EQ(pe_spec(c).modes, 1);
}

// Lanes and groups worked by hand: MX blocks are 32, NV blocks 16 (OCP MX v1.0,
// NVIDIA NVFP4); a 4-bit mode 1 has 2 x lanes lanes, a 6-bit one the same lanes.
TEST(GenConfigModes, DerivedLanesAndGroups) {
  struct Case {
    const char* modes;
    int lanes, lanes1, group, group1;
  };
  const Case cases[] = {
      {"[mxint8, nvint4]", 8, 16, 32, 16},       // 16 nvint4 lanes = one block per cycle
      {"[mxfp8_e4m3, nvfp4]", 8, 16, 32, 16},
      {"[mxfp8_e4m3, mxfp6_e2m3]", 8, 8, 32, 32},  // 6-bit: lanes1 = lanes
      {"[mxint8, mxint4]", 8, 16, 32, 32},
      {"[mxint8, int4/8/e8m0]", 4, 8, 32, 8},    // 8 lanes would need 16 | 8: the default drops to 4
      {"[int8, int4]", 8, 16, 8, 16},            // no block scales: each group is its mode's lanes
  };
  for (const Case& k : cases) {
    ArrayConfig c = parse_config(std::string("pe:\n  modes: ") + k.modes + "\n", "m.yaml");
    EXPECT_EQ(c.modes, 2) << k.modes;
    EXPECT_EQ(c.lanes, k.lanes) << k.modes;
    EXPECT_EQ(c.lanes1, k.lanes1) << k.modes;
    EXPECT_EQ(c.group, k.group) << k.modes;
    EXPECT_EQ(c.group1, k.group1) << k.modes;
    EXPECT_EQ(c.chunks_per_group(), k.group / k.lanes) << k.modes;
    EXPECT_EQ(c.chunks_per_group1(), k.group1 / k.lanes1) << k.modes;
    EXPECT_EQ(c.reuse, Reuse::None) << k.modes;
    PeSpec s = pe_spec(c);
    EXPECT_EQ(s.modes, 2);
    EXPECT_EQ(mode_lanes(s, 1), c.lanes1) << k.modes;
  }
  // An explicit lanes: 4 -> 8 nvint4 lanes, two chunks per block of 16.
  ArrayConfig c = parse_config("pe:\n  modes: [mxint8, nvint4]\n  lanes: 4\n  reuse: int-scheme1\n", "m.yaml");
  EXPECT_EQ(c.lanes1, 8);
  EXPECT_EQ(c.chunks_per_group(), 8);
  EXPECT_EQ(c.chunks_per_group1(), 2);
  EXPECT_EQ(c.reuse, Reuse::IntScheme1);
}

TEST(GenConfigModes, EntryFormsAndPeSpec) {
  // FORMAT for both operands, A/B, {a, b}: one resolved config.
  ArrayConfig s = parse_config("name: x\npe:\n  modes: [mxfp8_e4m3/mxint8, nvfp4/nvint4]\n", "s.yaml");
  ArrayConfig m = parse_config("name: x\npe:\n  modes: [{a: mxfp8_e4m3, b: mxint8}, {a: nvfp4, b: nvint4}]\n", "m.yaml");
  EXPECT_EQ(s.a_name, "mxfp8_e4m3");
  EXPECT_EQ(s.b_name, "mxint8");
  EXPECT_EQ(s.a1_name, "nvfp4");
  EXPECT_EQ(s.b1_name, "nvint4");
  EXPECT_EQ(s.canonical_json(), m.canonical_json());
  ArrayConfig same = parse_config("name: x\npe:\n  modes: [{a: mxint8}, nvint4/nvint4]\n", "same.yaml");
  EXPECT_EQ(same.b_name, "mxint8");
  EXPECT_EQ(same.canonical_json(), parse_config("name: x\npe:\n  modes: [mxint8, nvint4]\n", "p.yaml").canonical_json());
  // ELEM/BLOCK/SCALE halves contain slashes themselves.
  ArrayConfig e = parse_config("pe:\n  modes: [fp8_e4m3/32/e8m0/int8/32/e8m0, int4/16/ue4m3]\n", "e.yaml");
  EXPECT_EQ(e.a_name, "fp8_e4m3/32/e8m0");
  EXPECT_EQ(e.b_name, "int8/32/e8m0");
  EXPECT_EQ(e.a1_name, "int4/16/ue4m3");
  EXPECT_EQ(e.b1_name, "int4/16/ue4m3");
  // A whole string that is a format is one format, never split.
  ArrayConfig t = parse_config("pe:\n  modes: [int8/tensor/fp32, int4/tensor/fp32]\n", "t.yaml");
  EXPECT_EQ(t.a_name, "int8/tensor/fp32");
  EXPECT_EQ(t.b_name, "int8/tensor/fp32");

  ArrayConfig c = parse_config("name: mf\npe:\n  modes: [mxfp8_e4m3, nvfp4]\n  reuse: fp-shared\n", "c.yaml");
  PeSpec p = pe_spec(c);
  EXPECT_EQ(p.module_name, "mf_pe");
  EXPECT_EQ(p.modes, 2);
  EXPECT_EQ(p.a.name, "mxfp8_e4m3");
  EXPECT_EQ(p.a1.name, "nvfp4");
  EXPECT_EQ(p.b1.name, "nvfp4");
  EXPECT_EQ(p.reuse, Reuse::FpShared);
  EXPECT_EQ(p.lanes, 8);
}

TEST(GenConfigModes, CanonicalFormRoundTripAndHash) {
  const char* texts[] = {
      "name: a\npe:\n  modes: [mxint8, nvint4]\n  reuse: int-scheme2\n",
      "name: a\npe:\n  modes: [mxint8, nvint4]\n  reuse: int-scheme1\n",
      "name: a\npe:\n  modes: [mxint8, nvint4]\n",
      "name: a\npe:\n  modes: [mxfp8_e4m3/mxint8, {a: nvfp4, b: nvint4}]\n  lanes: 4\n  pipeline: 2\n"
      "array: {rows: 2, cols: 3, dataflow: weight-stationary}\n",
      "name: a\npe:\n  modes: [fp8_e4m3/32/e8m0/int8/32/e8m0, int4/16/ue4m3]\n  multiplier: booth4\n",
      "name: a\npe:\n  modes: [mxfp8_e4m3, mxfp6_e3m2]\n  reuse: fp-shared\n",
  };
  std::set<std::string> hashes;
  for (const char* t : texts) {
    ArrayConfig c = parse_config(t, "r.yaml");
    std::string y = to_yaml(c);
    EXPECT_EQ(y.find("\n  a: "), std::string::npos) << y;
    EXPECT_NE(y.find("\n  modes: ["), std::string::npos) << y;
    ArrayConfig d = parse_config(y, "d.yaml");
    EXPECT_EQ(d.canonical_json(), c.canonical_json()) << y;
    EXPECT_EQ(d.lanes1, c.lanes1);
    EXPECT_EQ(d.group1, c.group1);
    hashes.insert(hex64(c.hash()));
  }
  EXPECT_EQ(hashes.size(), std::size(texts)) << "reuse, formats and lanes each change the hash";
  ArrayConfig c = parse_config(texts[0], "r.yaml");
  EXPECT_EQ(c.canonical_json(),
            R"({"name":"a","pe":{"a":"mxint8","b":"mxint8","a1":"nvint4","b1":"nvint4","reuse":"int-scheme2",)"
            R"("lanes":8,"accumulation":"exact-block","pipeline":0,"multiplier":"array"},)"
            R"("array":{"rows":4,"cols":4,"dataflow":"output-stationary"}})");
  EXPECT_EQ(to_yaml(c),
            "name: a\npe:\n  modes: [mxint8, nvint4]\n  reuse: int-scheme2\n  lanes: 8\n  accumulation: exact-block\n"
            "  pipeline: 0\n  multiplier: array\narray:\n  rows: 4\n  cols: 4\n  dataflow: output-stationary\n");
}

// Every multi-format check: one line, FILE:LINE:COL: FIELD: problem (allowed: ...).
TEST(GenConfigModes, ErrorsNameFieldAndAllowedValues) {
  struct Bad {
    const char* text;
    const char* where;  // expected prefix after "cfg.yaml:"
    const char* what;   // expected substring
  };
  const Bad cases[] = {
      // Two modes that cannot share.
      {"pe:\n  modes: [mxint8, mxfp8_e4m3]\n", "2:19: pe.modes[1]: mode 1 mxfp8_e4m3 x mxfp8_e4m3 has 8-bit elements",
       "allowed: 4-bit elements on both operands (mxfp4_e2m1, mxint4, nvfp4, nvint4, int4, fp4_e2m1) or 6-bit on both "
       "(mxfp6_e2m3, mxfp6_e3m2, mxint6, int6, fp6_e2m3, fp6_e3m2)"},
      {"pe:\n  modes: [mxint8, {a: mxint4, b: mxint6}]\n", "2:19: pe.modes[1]: mode 1 mxint4 x mxint6 has 4-bit x 6-bit",
       "allowed: 4-bit elements on both operands"},
      {"pe:\n  modes: [nvint4, mxint8]\n", "2:11: pe.modes[0]: mode 0 is the 8-bit mode, but nvint4 x nvint4 has 4-bit",
       "(list the 8-bit mode first) (allowed: 8-bit elements on both operands: mxfp8_e4m3, mxfp8_e5m2, mxint8, int8, "
       "fp8_e4m3, fp8_e5m2)"},
      {"pe:\n  modes: [mxfp6_e2m3, nvfp4]\n", "2:11: pe.modes[0]: mode 0 is the 8-bit mode", "allowed: 8-bit"},
      {"pe:\n  modes: [mxint8/mxint4, nvint4]\n", "2:11: pe.modes[0]: mode 0 is the 8-bit mode, but mxint8 x mxint4 has "
       "8-bit x 4-bit", "allowed: 8-bit"},
      {"pe:\n  modes: [mxint8]\n", "2:10: pe.modes: 1 entries", "allowed: e.g. [mxint8, nvint4]"},
      {"pe:\n  modes: [mxint8, nvint4, mxint4]\n", "2:10: pe.modes: 3 entries", "allowed: e.g."},
      {"pe:\n  modes: mxint8\n", "2:10: pe.modes: not a list", "allowed: e.g."},
      {"pe:\n  modes: [mxint9, nvint4]\n", "2:11: pe.modes[0]: unknown format 'mxint9'", "valid: mxfp8_e4m3"},
      {"pe:\n  modes: [mxint8, nvint4/nvint5]\n", "2:19: pe.modes[1]: 'nvint4/nvint5' is neither a format nor A/B",
       "B 'nvint5': unknown format 'nvint5' (valid: "},
      {"pe:\n  modes: [mxint8, {a: nvint4, c: nvint4}]\n", "2:31: pe.modes[1].c: unknown key", "allowed: a, b"},
      {"pe:\n  modes: [mxint8, {b: nvint4}]\n", "2:19: pe.modes[1].a: missing", "allowed: mxfp8_e4m3"},
      {"pe:\n  modes: [fp8_e4m3/24/e8m0/mxint8, nvint4]\n", "2:11: pe.modes[0]:", "do not nest"},
      // pe.a / pe.b beside pe.modes.
      {"pe:\n  a: mxint8\n  modes: [mxint8, nvint4]\n", "2:6: pe.a: conflicts with pe.modes",
       "allowed: pe.modes without pe.a/pe.b, or pe.a/pe.b without pe.modes"},
      {"pe:\n  modes: [mxint8, nvint4]\n  b: mxint8\n", "3:6: pe.b: conflicts with pe.modes", "allowed: pe.modes"},
      // Reuse schemes.
      {"pe:\n  modes: [mxint8, nvint4]\n  reuse: int-scheme3\n", "3:10: pe.reuse: unknown reuse scheme 'int-scheme3'",
       "allowed: none, int-scheme1, int-scheme2, fp-shared"},
      {"pe:\n  a: mxint8\n  reuse: int-scheme2\n", "3:10: pe.reuse: 'int-scheme2' needs a multi-format PE",
       "allowed: pe.reuse together with pe.modes"},
      {"pe:\n  modes: [mxint8, nvfp4]\n  reuse: int-scheme1\n", "3:10: pe.reuse: int-scheme1 needs INT x INT elements "
       "in both modes, but mode 0 is mxint8 x mxint8, mode 1 nvfp4 x nvfp4", "(allowed for these modes: none)"},
      {"pe:\n  modes: [mxint8, mxint6]\n  reuse: int-scheme2\n", "3:10: pe.reuse: int-scheme2 splits each int8",
       "mode 1 must be 4-bit, but it is mxint6 x mxint6 (6-bit) (allowed for these modes: none, int-scheme1)"},
      {"pe:\n  modes: [mxfp8_e4m3/mxint8, nvfp4/nvint4]\n  reuse: int-scheme2\n", "3:10: pe.reuse: int-scheme2 needs "
       "INT x INT", "(allowed for these modes: none)"},
      {"pe:\n  modes: [mxfp8_e4m3, nvint4]\n  reuse: fp-shared\n", "3:10: pe.reuse: fp-shared needs FP x FP",
       "(allowed for these modes: none)"},
      // fp-shared per operand: E2M3's 3 mantissa bits do not fit E5M2's 2; every 8-bit preset has at least
      // E3M2's 3 exponent bits, so the exponent case uses a user format, e2m5 (8 bits, 2 exponent bits).
      {"pe:\n  modes: [mxfp8_e5m2, mxfp6_e2m3]\n  reuse: fp-shared\n", "3:10: pe.reuse: fp-shared places",
       "A's fp6_e2m3 has 3 mantissa bits > fp8_e5m2's 2 (allowed for these modes: none)"},
      {"pe:\n  modes: [e2m5/32/e8m0, mxfp6_e3m2]\n  reuse: fp-shared\n", "3:10: pe.reuse: fp-shared places",
       "has 3 exponent bits > e2m5's 2 (allowed for these modes: none)"},
      {"pe:\n  modes: [mxfp8_e4m3/mxfp8_e5m2, mxfp6_e2m3]\n  reuse: fp-shared\n", "3:10: pe.reuse: fp-shared places",
       "B's fp6_e2m3 has 3 mantissa bits > fp8_e5m2's 2"},
      {"pe:\n  modes: [mxint8, nvint4]\n  reuse: [int-scheme1]\n", "3:10: pe.reuse: must be a single value",
       "allowed: none, int-scheme1"},
      // Lanes: mode 0's group of 32 and mode 1's group of 16 with 2 x lanes.
      {"pe:\n  modes: [mxint8, nvint4]\n  lanes: 16\n", "3:10: pe.lanes: 16 lanes (32 in mode 1) cannot tile mode 1's "
       "accumulation group of 16 elements (nvint4 x nvint4)", "(allowed: 1, 2, 4, 8)"},
      {"pe:\n  modes: [mxint8, nvint4]\n  lanes: 12\n", "3:10: pe.lanes: 12 lanes cannot tile mode 0's accumulation "
       "group of 32 elements (mxint8 x mxint8)", "(allowed: 1, 2, 4, 8)"},
      {"pe:\n  modes: [mxfp8_e4m3, mxfp6_e2m3]\n  lanes: 24\n", "3:10: pe.lanes: 24 lanes cannot tile mode 0's",
       "(allowed: 1, 2, 4, 8, 16, 32)"},
      {"pe:\n  modes: [int8, int4]\n  lanes: 48\n", "3:10: pe.lanes: 48 lanes give 96 lanes in mode 1 (int4 x int4), "
       "more than 64", "(allowed: 1..32)"},
      // Accumulation.
      {"pe:\n  modes: [mxint8, nvint4]\n  accumulation: aligned:32\n", "3:17: pe.accumulation: aligned:32: a "
       "multi-format PE accumulates exact-block only", "(allowed: exact-block)"},
      // Weight-stationary: mode 0 needs 32 / 1 = 32 chunks; mode 1 of int4/64 blocks with 1 x 2 lanes needs 32 too.
      {"pe:\n  modes: [mxint8, nvint4]\n  lanes: 1\narray: {dataflow: weight-stationary}\n",
       "4:19: array.dataflow: weight-stationary: a PE holds one accumulation group in at most 16 chunks, but mode 0 "
       "(mxint8 x mxint8, 32 elements on 1 lane) needs 32", "(allowed: pe.lanes 2, 4, 8, or dataflow output-stationary)"},
      {"pe:\n  modes: [int8/64/e8m0, int4/64/e8m0]\n  lanes: 2\narray: {dataflow: weight-stationary}\n",
       "4:19: array.dataflow: weight-stationary: a PE holds one accumulation group in at most 16 chunks, but mode 0 "
       "(int8/64/e8m0 x int8/64/e8m0, 64 elements on 2 lanes) needs 32", "(allowed: pe.lanes 4, 8, 16, 32"},
  };
  for (const Bad& b : cases) {
    std::string e = error_of(b.text);
    EXPECT_EQ(e.rfind(std::string("cfg.yaml:") + b.where, 0), 0u) << "config:\n" << b.text << "error: " << e;
    EXPECT_NE(e.find(b.what), std::string::npos) << "config:\n" << b.text << "error: " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << "not one line: " << e;
  }
}

TEST(GenConfigModes, WsChunksOfModeOne) {
  // lanes 2: mode 0 mxint8 needs 32 / 2 = 16 chunks (the limit). A 4-bit mode 1 in blocks of 64 runs on
  // 2 x 2 = 4 lanes, 16 chunks; a 6-bit one on 2 lanes needs 32, and the error names mode 1.
  ArrayConfig ok = parse_config("pe:\n  modes: [mxint8, int4/64/e8m0]\n  lanes: 2\narray: {dataflow: weight-stationary}\n",
                                "w.yaml");
  EXPECT_EQ(ok.chunks_per_group(), 16);
  EXPECT_EQ(ok.chunks_per_group1(), 16);
  std::string e = error_of("pe:\n  modes: [mxint8, int6/64/e8m0]\n  lanes: 2\narray: {dataflow: weight-stationary}\n");
  EXPECT_EQ(e.rfind("cfg.yaml:4:19: array.dataflow: weight-stationary: a PE holds one accumulation group in at most 16 "
                    "chunks, but mode 1 (int6/64/e8m0 x int6/64/e8m0, 64 elements on 2 lanes) needs 32 "
                    "(allowed: pe.lanes 4, 8, 16, 32, or dataflow output-stationary)",
                    0),
            0u)
      << e;
}

TEST(GenConfigModes, CodeBuiltConfigsAreValidatedToo) {
  ArrayConfig c;
  c.name = "code";
  c.modes = 2;
  c.a_name = "mxint8";
  c.a1_name = "nvint4";
  c.reuse = Reuse::IntScheme2;
  validate_config(c, "builder");
  EXPECT_EQ(c.b1_name, "nvint4");
  EXPECT_EQ(c.lanes, 8);
  EXPECT_EQ(c.lanes1, 16);
  EXPECT_EQ(c.group1, 16);
  ArrayConfig s;
  s.name = "single";
  s.a_name = "mxint8";
  s.reuse = Reuse::FpShared;
  try {
    validate_config(s, "builder");
    FAIL() << "reuse without modes accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("builder: pe.reuse: fp-shared needs a multi-format PE", 0), 0u) << e.what();
  }
}

TEST(GenCliModes, BadModesExitTwoAndWriteNothing) {
  fs::path dir = work_dir("bad_modes");
  std::string cfg = write(dir / "bad.yaml", "pe:\n  modes: [mxint8, mxint8]\n");
  fs::path out = dir / "out";
  CliRun r = run_cli("gen " + cfg + " -o " + out.string(), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("error: " + cfg + ":2:19: pe.modes[1]: mode 1 mxint8 x mxint8 has 8-bit elements", 0), 0u)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

// The manifest's derived section lists each mode (needs the multi-format PE
// emitter for `macforge gen`).
TEST(GenCliModes, ManifestListsEachMode) {
  fs::path dir = work_dir("modes_manifest");
  fs::path out = dir / "out";
  std::string cfg = (fs::path(MF_SOURCE_DIR) / "configs" / "mxint8_nvint4.yaml").string();
  CliRun r = run_cli("gen " + cfg + " -o " + out.string(), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  YAML::Node m = YAML::LoadFile((out / "manifest.json").string());
  ArrayConfig c = load_config(cfg);
  EXPECT_EQ(m["config_hash"].as<std::string>(), "fnv1a64:" + hex64(c.hash()));
  EXPECT_EQ(m["config"]["pe"]["a1"].as<std::string>(), "nvint4");
  EXPECT_EQ(m["config"]["pe"]["reuse"].as<std::string>(), "int-scheme2");
  const YAML::Node d = m["derived"];
  EXPECT_EQ(d["reuse"].as<std::string>(), "int-scheme2");
  ASSERT_EQ(d["modes"].size(), 2u);
  EXPECT_EQ(d["modes"][0]["a_format"].as<std::string>(), "mxint8");
  EXPECT_EQ(d["modes"][0]["lanes"].as<int>(), 8);
  EXPECT_EQ(d["modes"][0]["accumulation_group"].as<int>(), 32);
  EXPECT_EQ(d["modes"][0]["chunks_per_group"].as<int>(), 4);
  EXPECT_EQ(d["modes"][1]["b_format"].as<std::string>(), "nvint4");
  EXPECT_EQ(d["modes"][1]["a_bits"].as<int>(), 4);
  EXPECT_EQ(d["modes"][1]["lanes"].as<int>(), 16);
  EXPECT_EQ(d["modes"][1]["accumulation_group"].as<int>(), 16);
  EXPECT_EQ(d["modes"][1]["chunks_per_group"].as<int>(), 1);
}

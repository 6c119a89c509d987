#include "sim/sim_config.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "gen/array_emit.hpp"
#include "gen/pe_emit.hpp"
#include "gen/schedule.hpp"

namespace macforge::sim {

void parse_array_shape(const std::string& s, int& rows, int& cols) {
  static const std::regex re("([0-9]{1,6})[xX]([0-9]{1,6})");
  std::smatch m;
  if (!std::regex_match(s, m, re)) throw FormatError("--array '" + s + "': expected RxC, e.g. 16x16");
  rows = std::stoi(m[1].str());
  cols = std::stoi(m[2].str());
  if (rows < 1 || cols < 1) throw FormatError("--array '" + s + "': rows and cols must be at least 1");
}

std::string strip_memory_section(const std::string& text, const std::string& source, std::string& memory_text,
                                 int& memory_line) {
  memory_text.clear();
  memory_line = 0;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException&) {
    return text;  // the generator's parser reports the syntax error with its position
  }
  if (!root.IsMap() || !root["memory"]) return text;
  // Lines of the top-level keys, in document order.
  int mem = -1, next = -1;
  bool flow = false;
  std::vector<int> key_lines;
  for (const auto& kv : root) {
    int line = kv.first.Mark().is_null() ? -1 : kv.first.Mark().line;
    if (kv.first.IsScalar() && kv.first.Scalar() == "memory") {
      mem = line;
    } else {
      if (mem >= 0 && next < 0 && line > mem) next = line;
      key_lines.push_back(line);
    }
  }
  for (int l : key_lines)
    if (l == mem) flow = true;  // several keys on the memory line: flow style (JSON)
  YAML::Emitter em;
  em << root["memory"];
  memory_text = em.c_str();
  memory_line = mem + 1;
  if (flow || mem < 0) {
    // One-line flow/JSON document: re-emit it without the memory key.
    YAML::Node copy = YAML::Clone(root);
    copy.remove("memory");
    YAML::Emitter e2;
    e2 << YAML::Flow << copy;
    (void)source;
    return std::string(e2.c_str()) + "\n";
  }
  std::istringstream in(text);
  std::ostringstream out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    bool inside = n >= mem && (next < 0 || n < next);
    // Comments after the section that precede the next key stay blanked too.
    out << (inside ? std::string() : line) << "\n";
    ++n;
  }
  return out.str();
}

namespace {

// The layer-file name of a mode: its format, or "A/B" when the operands differ.
std::string mode_label(const std::string& a, const std::string& b) { return a == b ? a : a + "/" + b; }

}  // namespace

ArraySpec array_spec(const gen::ArrayConfig& cfg, Dataflow df) {
  // The generator's own timing of this config (PE latency, output stage).
  gen::PeInfo pe = gen::pe_info(gen::pe_spec(cfg));
  gen::ArrayTiming t = gen::array_timing(cfg, pe);
  ArraySpec a;
  a.rows = cfg.rows;
  a.cols = cfg.cols;
  a.dataflow = df;
  a.lanes = cfg.lanes;
  a.a = cfg.a;
  a.b = cfg.b;
  a.accum = cfg.accum;
  a.accum.lanes = cfg.lanes;
  a.pipeline = cfg.pipeline;
  a.pe_latency = t.pe_latency;
  a.out_stage = t.out_stage;
  a.timing = t;
  a.modes.push_back({mode_label(cfg.a_name, cfg.b_name), cfg.a, cfg.b, cfg.lanes, t});
  // Mode 1 of a multi-format config (pe.modes): its formats, lanes1 lanes and
  // the generator's timing in that mode (its chunks and group; the same LAT
  // and output stage).
  if (cfg.modes >= 2)
    a.modes.push_back({mode_label(cfg.a1_name, cfg.b1_name), cfg.a1, cfg.b1, cfg.lanes1, gen::array_timing(cfg, pe, 0, 1)});
  return a;
}

LoadedConfig parse_sim_config(const std::string& text, const std::string& source, const ConfigOverrides& ov) {
  std::string mem_text;
  int mem_line = 0;
  std::string rest = strip_memory_section(text, source, mem_text, mem_line);
  LoadedConfig lc;
  lc.gen = gen::parse_config(rest, source);
  Dataflow df = lc.gen.dataflow == gen::Dataflow::WeightStationary ? Dataflow::WS : Dataflow::OS;
  if (ov.dataflow) df = *ov.dataflow;
  bool changed = false;
  if (ov.rows) lc.gen.rows = ov.rows, changed = true;
  if (ov.cols) lc.gen.cols = ov.cols, changed = true;
  gen::Dataflow gdf = df == Dataflow::OS ? gen::Dataflow::OutputStationary : gen::Dataflow::WeightStationary;
  if (gdf != lc.gen.dataflow) lc.gen.dataflow = gdf, changed = true;
  if (changed) {
    std::string where = source + " (with the command-line overrides)";
    gen::validate_config(lc.gen, where);
  }
  lc.accel.array = array_spec(lc.gen, df);
  YAML::Node mem;
  if (!mem_text.empty()) {
    // Parse the section from the original text so that marks are positions in the file.
    YAML::Node root = YAML::Load(text);
    mem = root["memory"];
  }
  lc.accel.memory = parse_memory_config(mem, source);
  lc.accel.source = source;
  lc.memory_yaml = to_yaml(lc.accel.memory);
  return lc;
}

LoadedConfig load_sim_config(const std::string& path, const ConfigOverrides& ov) {
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) throw gen::ConfigError(path + ": cannot read the configuration file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_sim_config(ss.str(), path, ov);
}

}  // namespace macforge::sim

#include "sim/memory_config.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <regex>
#include <set>
#include <sstream>

#include "numerics/elem_format.hpp"

namespace macforge::sim {
namespace {

// Where the node being parsed sits: "FILE:LINE:COL" (set by parse_memory_config).
thread_local std::string g_source;
thread_local YAML::Mark g_mark;

[[noreturn]] void fail(const std::string& key, const std::string& what) {
  std::string where = g_source.empty() ? std::string("memory config") : g_source;
  if (!g_source.empty() && !g_mark.is_null())
    where += ":" + std::to_string(g_mark.line + 1) + ":" + std::to_string(g_mark.column + 1);
  throw FormatError(where + ": " + key + ": " + what);
}

void at(const YAML::Node& n) {
  if (n && !n.Mark().is_null()) g_mark = n.Mark();
}

std::string scalar(const YAML::Node& n, const std::string& key) {
  at(n);
  if (!n.IsScalar()) fail(key, "expected a scalar value");
  return n.Scalar();
}

int64_t parse_int(const YAML::Node& n, const std::string& key, int64_t lo, int64_t hi) {
  std::string s = scalar(n, key);
  static const std::regex re("[+-]?[0-9]{1,18}");
  if (!std::regex_match(s, re)) fail(key, "expected an integer (got '" + s + "')");
  int64_t v = std::stoll(s);
  if (v < lo || v > hi)
    fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] (got " + s + ")");
  return v;
}

bool parse_bool(const YAML::Node& n, const std::string& key) {
  std::string s = scalar(n, key);
  if (s == "true" || s == "yes" || s == "on" || s == "1") return true;
  if (s == "false" || s == "no" || s == "off" || s == "0") return false;
  fail(key, "expected true or false (got '" + s + "')");
}

void check_keys(const YAML::Node& n, const std::string& where, const std::set<std::string>& valid) {
  at(n);
  if (!n.IsMap()) fail(where, "expected a mapping");
  std::set<std::string> seen;
  for (const auto& kv : n) {
    at(kv.first);
    std::string k = kv.first.Scalar();
    if (!seen.insert(k).second) fail(where + "." + k, "duplicate key");
    if (!valid.count(k)) {
      std::string list;
      for (const auto& v : valid) list += (list.empty() ? "" : ", ") + v;
      fail(where.empty() ? k : where + "." + k, "unknown key (valid: " + list + ")");
    }
  }
}

// A non-negative decimal number in [lo, hi] (energy figures, voltages).
double parse_real(const YAML::Node& n, const std::string& key, double lo, double hi, const std::string& what) {
  std::string s = scalar(n, key);
  static const std::regex num("[0-9]+(\\.[0-9]*)?([eE][+-]?[0-9]+)?");
  if (!std::regex_match(s, num)) fail(key, "expected " + what + " (got '" + s + "')");
  double v = std::stod(s);
  if (!std::isfinite(v) || v < lo || v > hi) {
    std::ostringstream r;
    r << "must be in [" << lo << ", " << hi << "] (got " << s + ")";
    fail(key, r.str());
  }
  return v;
}

BufferConfig parse_buffer(const YAML::Node& n, const std::string& key) {
  BufferConfig b;
  if (!n || n.IsNull()) return b;
  check_keys(n, key, {"capacity", "banks", "ports", "double_buffer", "word_bytes", "read_pj_per_bit",
                      "write_pj_per_bit", "leakage_mw"});
  if (n["capacity"]) b.capacity = parse_bytes(scalar(n["capacity"], key + ".capacity"), key + ".capacity");
  if (n["banks"]) b.banks = int(parse_int(n["banks"], key + ".banks", 1, 1024));
  if (n["ports"]) b.ports = int(parse_int(n["ports"], key + ".ports", 1, 2));
  if (n["double_buffer"]) b.double_buffer = parse_bool(n["double_buffer"], key + ".double_buffer");
  if (n["word_bytes"]) {
    if (n["word_bytes"].IsScalar() && n["word_bytes"].Scalar() == "auto") b.word_bytes = 0;
    else b.word_bytes = int(parse_int(n["word_bytes"], key + ".word_bytes", 1, 4096));
  }
  if (n["read_pj_per_bit"])
    b.read_pj_per_bit = parse_real(n["read_pj_per_bit"], key + ".read_pj_per_bit", 0, 1e4, "energy in pJ per bit");
  if (n["write_pj_per_bit"])
    b.write_pj_per_bit = parse_real(n["write_pj_per_bit"], key + ".write_pj_per_bit", 0, 1e4, "energy in pJ per bit");
  if (n["leakage_mw"]) b.leakage_mw = parse_real(n["leakage_mw"], key + ".leakage_mw", 0, 1e6, "power in mW");
  if (b.capacity == 0) {
    at(n["capacity"]);
    fail(key + ".capacity", "must be positive");
  }
  return b;
}

}  // namespace

uint64_t parse_bytes(const std::string& text, const std::string& key) {
  static const std::regex re("\\s*([0-9]+(\\.[0-9]+)?)\\s*([KMG]i?B?|B)?\\s*", std::regex::icase);
  std::smatch m;
  if (!std::regex_match(text, m, re))
    fail(key, "expected a byte size such as 262144, 256KiB or 1MiB (got '" + text + "')");
  double v = std::stod(m[1].str());
  std::string suf = m[3].str();
  for (auto& c : suf) c = char(std::toupper(static_cast<unsigned char>(c)));
  double mult = 1;
  if (!suf.empty() && suf != "B") {
    bool binary = suf.size() == 1 || suf.find('I') != std::string::npos;
    double base = binary ? 1024.0 : 1000.0;
    int p = suf[0] == 'K' ? 1 : suf[0] == 'M' ? 2 : 3;
    mult = std::pow(base, p);
  }
  double bytes = v * mult;
  if (bytes != std::floor(bytes) || bytes > 1e15)
    fail(key, "not a whole number of bytes up to 1e15 (got '" + text + "')");
  return uint64_t(bytes);
}

MemoryConfig parse_memory_config(const YAML::Node& n, const std::string& source) {
  MemoryConfig m;
  if (!n || n.IsNull()) return m;
  g_source = source;
  g_mark = YAML::Mark::null_mark();
  check_keys(n, "memory", {"dram", "input", "weight", "output", "energy"});
  m.input = parse_buffer(n["input"], "memory.input");
  m.weight = parse_buffer(n["weight"], "memory.weight");
  m.output = parse_buffer(n["output"], "memory.output");
  if (const YAML::Node d = n["dram"]) {
    check_keys(d, "memory.dram", {"bandwidth", "latency", "technology", "pj_per_bit"});
    if (d["bandwidth"]) {
      std::string s = scalar(d["bandwidth"], "memory.dram.bandwidth");
      static const std::regex num("[0-9]+(\\.[0-9]*)?([eE][+-]?[0-9]+)?");
      if (!std::regex_match(s, num)) fail("memory.dram.bandwidth", "expected a number of bytes per cycle (got '" + s + "')");
      m.dram.bandwidth = std::stod(s);
      if (m.dram.bandwidth > 1e12) fail("memory.dram.bandwidth", "must be at most 1e12 (got " + s + ")");
      if (!(m.dram.bandwidth > 0) || !std::isfinite(m.dram.bandwidth))
        fail("memory.dram.bandwidth", "must be positive (got " + s + ")");
    }
    if (d["latency"]) m.dram.latency = parse_int(d["latency"], "memory.dram.latency", 0, 1000000000);
    if (d["technology"]) {
      std::string t = scalar(d["technology"], "memory.dram.technology");
      // The names sim/memory_energy.cpp has figures for (kept here so that
      // the config parser needs no energy model).
      static const char* const kTech[] = {"ddr4", "lpddr4", "lpddr5", "hbm2", "hbm3"};
      bool ok = false;
      for (const char* k : kTech) ok = ok || t == k;
      if (!ok) fail("memory.dram.technology", "unknown DRAM technology '" + t + "' (valid: ddr4, lpddr4, lpddr5, hbm2, hbm3)");
      m.dram.technology = t;
    }
    if (d["pj_per_bit"])
      m.dram.pj_per_bit = parse_real(d["pj_per_bit"], "memory.dram.pj_per_bit", 0, 1e4, "energy in pJ per bit");
  }
  if (const YAML::Node e = n["energy"]) {
    check_keys(e, "memory.energy", {"node_nm", "voltage", "clock_mhz"});
    if (e["node_nm"]) m.node_nm = parse_real(e["node_nm"], "memory.energy.node_nm", 1, 1000, "a process node in nm");
    if (e["voltage"]) m.voltage = parse_real(e["voltage"], "memory.energy.voltage", 0.1, 5, "a supply voltage in V");
    if (e["clock_mhz"])
      m.clock_mhz = parse_real(e["clock_mhz"], "memory.energy.clock_mhz", 1e-3, 1e5, "a clock frequency in MHz");
  }
  return m;
}

std::string to_yaml(const MemoryConfig& m) {
  std::ostringstream s;
  s << "memory:\n  dram: {bandwidth: " << m.dram.bandwidth << ", latency: " << m.dram.latency;
  if (m.dram.technology != DramConfig{}.technology) s << ", technology: " << m.dram.technology;
  if (m.dram.pj_per_bit >= 0) s << ", pj_per_bit: " << m.dram.pj_per_bit;
  s << "}\n";
  if (m.node_nm > 0 || m.voltage > 0 || m.clock_mhz != MemoryConfig{}.clock_mhz)
    s << "  energy: {node_nm: " << m.node_nm << ", voltage: " << m.voltage << ", clock_mhz: " << m.clock_mhz << "}\n";
  auto buf = [&](const char* name, const BufferConfig& b) {
    s << "  " << name << ": {capacity: " << b.capacity << ", banks: " << b.banks << ", ports: " << b.ports
      << ", double_buffer: " << (b.double_buffer ? "true" : "false") << ", word_bytes: "
      << (b.word_bytes ? std::to_string(b.word_bytes) : std::string("auto"));
    // Energy keys only when set: configurations without them keep their text (and hashes).
    if (b.read_pj_per_bit >= 0) s << ", read_pj_per_bit: " << b.read_pj_per_bit;
    if (b.write_pj_per_bit >= 0) s << ", write_pj_per_bit: " << b.write_pj_per_bit;
    if (b.leakage_mw >= 0) s << ", leakage_mw: " << b.leakage_mw;
    s << "}\n";
  };
  buf("input", m.input);
  buf("weight", m.weight);
  buf("output", m.output);
  return s.str();
}

}  // namespace macforge::sim

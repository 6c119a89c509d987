#include "sim/scalesim.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "numerics/elem_format.hpp"
#include "sim/report.hpp"

namespace macforge::sim {
namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string read_file(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f.good()) throw FormatError(path + ": cannot read the " + what);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Positive integer (SCALE-Sim reads every size with int()); "" on success.
std::string positive(const std::string& v, int64_t limit, int64_t& out) {
  static const std::regex re("[+]?[0-9]{1,12}");
  if (!std::regex_match(v, re)) return "must be a positive integer (got '" + v + "')";
  int64_t x = std::stoll(v);
  if (x <= 0) return "must be a positive integer (got '" + v + "')";
  if (x > limit) return "must be at most " + std::to_string(limit) + " (got '" + v + "')";
  out = x;
  return "";
}

struct Entry {
  std::string key;  // as written
  std::string value;
  int line = 0;
};

int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

std::string ScaleSimConfig::warning() const {
  if (ignored.empty()) return "";
  std::string s = "warning: " + source + ": SCALE-Sim settings macforge does not model (ignored): ";
  for (size_t i = 0; i < ignored.size(); ++i) s += (i ? "; " : "") + ignored[i];
  return s;
}

ScaleSimConfig parse_scalesim_config(const std::string& text, const std::string& origin) {
  // configparser: [section] headers, `key: value` or `key = value`, keys
  // case-insensitive, whole-line comments with # or ;.
  std::map<std::string, std::map<std::string, Entry>> sec;
  std::map<std::string, int> sec_line;
  std::vector<std::pair<std::string, std::string>> order;  // (section, key lower) as they appear
  std::istringstream in(text);
  std::string line, cur;
  int lineno = 0;
  auto err = [&](int l, const std::string& what) {
    return FormatError(origin + ":" + std::to_string(l) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++lineno;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t[0] == '[') {
      if (t.back() != ']') throw err(lineno, "expected a section header '[name]', got '" + t + "'");
      cur = lower(trim(t.substr(1, t.size() - 2)));
      if (sec_line.count(cur)) throw err(lineno, "section [" + cur + "] appears twice");
      sec_line[cur] = lineno;
      sec[cur];
      continue;
    }
    size_t p = t.find_first_of(":=");
    if (p == std::string::npos || p == 0)
      throw err(lineno, "expected 'Key: value' or 'Key = value', got '" + t + "'");
    if (cur.empty()) throw err(lineno, "'" + t + "' comes before any [section] header");
    Entry e{trim(t.substr(0, p)), trim(t.substr(p + 1)), lineno};
    std::string k = lower(e.key);
    if (sec[cur].count(k)) throw err(lineno, "'" + e.key + "' appears twice in [" + cur + "]");
    sec[cur][k] = e;
    order.push_back({cur, k});
  }

  ScaleSimConfig c;
  c.source = origin;
  std::map<std::string, bool> used;  // "section/key" mapped onto macforge
  auto find = [&](const std::string& s, const std::string& k) -> const Entry* {
    auto i = sec.find(s);
    if (i == sec.end()) return nullptr;
    auto j = i->second.find(k);
    if (j == i->second.end()) return nullptr;
    used[s + "/" + k] = true;
    return &j->second;
  };
  auto need = [&](const std::string& s, const std::string& k, const char* name) -> const Entry& {
    const Entry* e = find(s, k);
    if (!e) {
      auto i = sec_line.find(s);
      std::string where = i == sec_line.end() ? origin : origin + ":" + std::to_string(i->second);
      throw FormatError(where + ": [" + s + "] has no " + name + " (SCALE-Sim requires it)");
    }
    return *e;
  };
  auto size_kb = [&](const char* key, const char* name, int64_t& out) {
    if (const Entry* e = find("architecture_presets", key)) {
      std::string m = positive(e->value, int64_t(1) << 30, out);
      if (!m.empty()) throw err(e->line, std::string(name) + " " + m);
    }
  };

  if (const Entry* e = find("general", "run_name")) c.run_name = e->value;
  {
    int64_t v = 0;
    const Entry& h = need("architecture_presets", "arrayheight", "ArrayHeight");
    std::string m = positive(h.value, 1 << 20, v);
    if (!m.empty()) throw err(h.line, "ArrayHeight " + m);
    c.rows = int(v);
    c.shape_line = h.line;
    const Entry& w = need("architecture_presets", "arraywidth", "ArrayWidth");
    m = positive(w.value, 1 << 20, v);
    if (!m.empty()) throw err(w.line, "ArrayWidth " + m);
    c.cols = int(v);
  }
  {
    const Entry& d = need("architecture_presets", "dataflow", "Dataflow");
    std::string v = lower(d.value);
    if (v == "os") c.dataflow = Dataflow::OS;
    else if (v == "ws") c.dataflow = Dataflow::WS;
    else if (v == "is") c.dataflow = Dataflow::IS;
    else throw err(d.line, "Dataflow: '" + d.value + "' is not a SCALE-Sim dataflow (allowed: os, ws, is)");
  }
  size_kb("ifmapsramszkb", "IfmapSramSzkB", c.ifmap_kb);
  size_kb("filtersramszkb", "FilterSramSzkB", c.filter_kb);
  size_kb("ofmapsramszkb", "OfmapSramSzkB", c.ofmap_kb);

  std::string mode = "CALC";
  const Entry* ib = find("run_presets", "interfacebandwidth");
  if (ib) {
    mode = ib->value;
    if (mode != "USER" && mode != "CALC")
      throw err(ib->line, "InterfaceBandwidth: '" + ib->value + "' is not a mode (allowed: USER, CALC)");
  }
  c.user_bandwidth = mode == "USER";
  if (const Entry* b = find("architecture_presets", "bandwidth")) {
    // One figure per DRAM bank (MemoryBanks); SCALE-Sim's stall model uses the smallest.
    std::stringstream ss(b->value);
    std::string cell;
    int n = 0;
    while (std::getline(ss, cell, ',')) {
      int64_t v = 0;
      std::string m = positive(trim(cell), int64_t(1) << 30, v);
      if (!m.empty()) throw err(b->line, "Bandwidth " + m);
      c.bandwidth = n++ == 0 ? double(v) : std::min(c.bandwidth, double(v));
    }
    if (n == 0) throw err(b->line, "Bandwidth must be a positive integer (got '')");
    if (n > 1)
      c.ignored.push_back("Bandwidth per bank (" + b->value + "; macforge has one DRAM channel each way: uses " +
                          json_number(c.bandwidth) + " B/cycle)");
  } else if (c.user_bandwidth) {
    auto i = sec_line.find("architecture_presets");
    throw FormatError(origin + ":" + std::to_string(i->second) +
                      ": [architecture_presets] has no Bandwidth, which InterfaceBandwidth = USER requires");
  }
  if (!c.user_bandwidth)
    c.ignored.push_back(std::string("InterfaceBandwidth = CALC (SCALE-Sim sizes the DRAM bandwidth for no stalls; ") +
                        (c.bandwidth > 0 ? "macforge models Bandwidth = " + json_number(c.bandwidth)
                                         : std::string("macforge models its default 64")) +
                        " B/cycle, --ideal-memory for none)");
  if (const Entry* mb = find("architecture_presets", "memorybanks")) {
    int64_t v = 0;
    std::string m = positive(mb->value, 1 << 20, v);
    if (!m.empty()) throw err(mb->line, "MemoryBanks " + m);
    if (v > 1) c.ignored.push_back("MemoryBanks = " + mb->value);
  }
  if (const Entry* t = find("network_presets", "topologycsvloc")) {
    std::string v = t->value;
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    c.topology = v;
  }
  if (const Entry* s = find("sparsity", "sparsitysupport")) {
    if (lower(s->value) == "true")
      throw err(s->line, "SparsitySupport = true: macforge models dense GEMMs only (allowed: false)");
    if (lower(s->value) != "false")
      throw err(s->line, "SparsitySupport: '" + s->value + "' (allowed: true, false)");
  }
  // Everything else is named: offsets only place the trace addresses (macforge
  // writes no traces), the layout and bank keys describe SRAM layouts macforge
  // sizes itself (memory.*.banks / word_bytes), unknown keys are unknown.
  for (const auto& [s, k] : order) {
    if (used.count(s + "/" + k)) continue;
    const Entry& e = sec[s][k];
    std::string why;
    if (k == "ifmapoffset" || k == "filteroffset" || k == "ofmapoffset") why = " (trace addresses)";
    c.ignored.push_back(e.key + why);
  }
  for (const auto& [s, l] : sec_line) {
    (void)l;
    static const char* known[] = {"general", "architecture_presets", "run_presets", "network_presets", "sparsity"};
    if (std::find(std::begin(known), std::end(known), s) == std::end(known) && sec[s].empty())
      c.ignored.push_back("[" + s + "]");
  }
  return c;
}

ScaleSimConfig load_scalesim_config(const std::string& path) {
  return parse_scalesim_config(read_file(path, "SCALE-Sim configuration"), path);
}

std::vector<Gemm> parse_scalesim_topology(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  bool header = false, gemm_form = false;
  std::vector<Gemm> out;
  auto err = [&](const std::string& what) {
    return FormatError(origin + ":" + std::to_string(lineno) + ": " + what);
  };
  const std::string conv_header =
      "'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,'";
  const std::string gemm_header = "'Layer, M, N, K,'";
  while (std::getline(in, line)) {
    ++lineno;
    std::string t = trim(line);
    if (t.empty()) continue;
    // SCALE-Sim drops the last cell of a row (the rows end with a comma).
    std::vector<std::string> c;
    {
      std::stringstream ss(t);
      std::string cell;
      while (std::getline(ss, cell, ',')) c.push_back(trim(cell));
    }
    if (!header) {
      std::vector<std::string> l;
      for (auto& x : c) l.push_back(lower(x));
      if (l.size() >= 4 && l[1] == "m" && l[2] == "n" && l[3] == "k") {
        if (l.size() > 4)
          throw err("GEMM topology header: expected " + gemm_header + ", got the extra column '" + c[4] + "'");
        gemm_form = true;
      } else if (l.size() == 8 || l.size() == 9) {
        static const char* words[] = {"", "ifmap", "ifmap", "filter", "filter", "channel", "filter", "stride", "stride"};
        for (size_t i = 1; i < l.size(); ++i)
          if (l[i].find(words[i]) == std::string::npos)
            throw err("expected the header " + conv_header + " or " + gemm_header + ", got the column '" + c[i] +
                      "' in position " + std::to_string(i + 1));
      } else {
        throw err("expected the header " + conv_header + " (8 or 9 columns) or " + gemm_header + ", got " +
                  std::to_string(c.size()) + " columns");
      }
      header = true;
      continue;
    }
    size_t want = gemm_form ? 4 : 8;
    if (c.size() < want || c.size() > (gemm_form ? 4u : 9u))
      throw err(std::string("expected ") + (gemm_form ? "4 fields (Layer, M, N, K)" : "8 or 9 fields (" + conv_header + ")") +
                ", got " + std::to_string(c.size()));
    Gemm g;
    g.name = c[0];
    if (g.name.empty()) throw err("empty layer name");
    for (char ch : g.name)
      if (ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20)
        throw err("layer name '" + g.name + "' contains a quote, backslash or control character");
    auto dim = [&](size_t i, const char* what, int64_t& v) {
      std::string m = positive(c[i], int64_t(1) << 24, v);
      if (!m.empty()) throw err(std::string(what) + " " + m);
    };
    if (gemm_form) {
      dim(1, "M", g.M), dim(2, "N", g.N), dim(3, "K", g.K);
    } else {
      ConvShape s;
      s.scalesim_ceil = true;
      dim(1, "IFMAP Height", s.H), dim(2, "IFMAP Width", s.W), dim(3, "Filter Height", s.Fh);
      dim(4, "Filter Width", s.Fw), dim(5, "Channels", s.C), dim(6, "Num Filter", s.F);
      dim(7, "Strides", s.Sh);
      s.Sw = s.Sh;
      if (c.size() == 9) dim(8, "Stride width", s.Sw);
      // SCALE-Sim's depthwise convention: one layer of one channel per channel.
      if (g.name.find("DP") != std::string::npos) {
        g.count = s.C;
        s.C = 1;
      }
      std::string e = conv_to_gemm(s, g);
      if (!e.empty()) throw err("layer '" + g.name + "': " + e);
    }
    g.origin = origin;
    g.line = lineno;
    out.push_back(g);
  }
  if (!header) throw FormatError(origin + ": empty topology (expected the header " + conv_header + " or " + gemm_header + ")");
  if (out.empty()) throw FormatError(origin + ": no layers after the header");
  return out;
}

std::vector<Gemm> load_scalesim_topology(const std::string& path) {
  return parse_scalesim_topology(read_file(path, "SCALE-Sim topology"), path);
}

LoadedConfig scalesim_accel_config(const ScaleSimConfig& sc) {
  std::ostringstream y;
  // The generator's array: IS is built as the weight-stationary array it mirrors.
  y << "name: scalesim\npe:\n  a: int8\n  b: int8\n  lanes: 1\narray:\n  rows: " << sc.rows << "\n  cols: " << sc.cols
    << "\n  dataflow: " << (sc.dataflow == Dataflow::OS ? "output-stationary" : "weight-stationary") << "\n";
  ConfigOverrides ov;
  ov.dataflow = sc.dataflow;
  LoadedConfig lc;
  try {
    lc = parse_sim_config(y.str(), sc.source, ov);
  } catch (const FormatError&) {
    // The only thing of the cfg the generator can refuse is the shape.
    throw FormatError(sc.source + ":" + std::to_string(sc.shape_line) + ": ArrayHeight x ArrayWidth = " +
                      std::to_string(sc.rows) + "x" + std::to_string(sc.cols) +
                      ": macforge's model builds 1..64 rows and columns (--convention scalesim takes any size)");
  }
  MemoryConfig& m = lc.accel.memory;
  m.input.capacity = uint64_t(sc.ifmap_kb) * 1024;
  m.weight.capacity = uint64_t(sc.filter_kb) * 1024;
  m.output.capacity = uint64_t(sc.ofmap_kb) * 1024;
  m.input.double_buffer = m.weight.double_buffer = m.output.double_buffer = true;
  if (sc.bandwidth > 0) m.dram.bandwidth = sc.bandwidth;
  lc.memory_yaml = to_yaml(m);
  return lc;
}

ScaleSimCycles scalesim_cycles(int64_t R, int64_t C, Dataflow df, const Gemm& g) {
  ScaleSimCycles r;
  // topology_utils.py calc_spatio_temporal_params: the operand matrices are
  // ifmap M x K, filter K x N, ofmap M x N.
  int64_t fill;
  if (df == Dataflow::OS) {
    r.Sr = g.M, r.Sc = g.N, r.T = g.K;
    // ifmap demand per fold: T rows + (C - 1) drain rows, skewed over R rows.
    fill = R + C - 2;
  } else {
    r.Sr = g.K, r.Sc = df == Dataflow::WS ? g.N : g.M, r.T = df == Dataflow::WS ? g.M : g.N;
    // R rows to load the stationary operand, T streamed, C - 1 drain, R - 1 skew.
    fill = 2 * R + C - 2;
  }
  r.folds = cdiv(r.Sr, R) * cdiv(r.Sc, C);
  r.fold_cycles = r.T + fill;
  if (double(r.folds) * double(r.fold_cycles) > 9e18) return r;  // cycles = 0: too large (scalesim_json refuses)
  // total_cycles = the service cycle of the last demand row, counted from 0.
  r.cycles = r.folds * r.fold_cycles - 1;
  return r;
}

std::string scalesim_json(int rows, int cols, Dataflow df, const std::vector<Gemm>& gemms,
                          const std::string& source, const std::string& run_name) {
  std::ostringstream s;
  s << "{\n  \"convention\": \"scalesim\",\n  \"config\": \"" << json_escape(source) << "\",\n";
  if (!run_name.empty()) s << "  \"run_name\": \"" << json_escape(run_name) << "\",\n";
  s << "  \"array\": {\"rows\": " << rows << ", \"cols\": " << cols << ", \"lanes\": 1, \"dataflow\": \""
    << dataflow_name(df) << "\"},\n  \"layers\": [\n";
  int64_t total = 0;
  double macs = 0;
  for (size_t i = 0; i < gemms.size(); ++i) {
    const Gemm& g = gemms[i];
    ScaleSimCycles c = scalesim_cycles(rows, cols, df, g);
    if (double(c.folds) * double(c.fold_cycles) * double(g.count) + double(total) > 9e18)
      throw FormatError("layer '" + g.name + "': SCALE-Sim's cycle count does not fit in 64 bits");
    int64_t cyc = c.cycles * g.count;
    total += cyc;
    macs += g.macs();
    s << "    {\"name\": \"" << json_escape(g.name) << "\", \"M\": " << g.M << ", \"N\": " << g.N
      << ", \"K\": " << g.K << ", \"count\": " << g.count << ", \"Sr\": " << c.Sr << ", \"Sc\": " << c.Sc
      << ", \"T\": " << c.T << ", \"folds\": " << c.folds << ", \"fold_cycles\": " << c.fold_cycles
      << ", \"compute_cycles\": " << cyc << ", \"macs\": " << json_number(g.macs())
      << ", \"utilization\": " << json_number(g.macs() / (double(rows) * cols * double(cyc))) << "}"
      << (i + 1 < gemms.size() ? "," : "") << "\n";
  }
  s << "  ],\n  \"total\": {\"compute_cycles\": " << total << ", \"macs\": " << json_number(macs)
    << ", \"utilization\": " << json_number(macs / (double(rows) * cols * double(total))) << "}\n}\n";
  return s.str();
}

}  // namespace macforge::sim

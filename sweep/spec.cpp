#include "sweep/spec.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "numerics/block_format.hpp"
#include "numerics/dot.hpp"
#include "numerics/metrics.hpp"
#include "sweep/util.hpp"

namespace macforge::sweep {

const std::vector<std::string> kStages = {"gen", "lint", "cosim", "synth", "sim", "qsnr"};

bool SweepSpec::has_stage(const std::string& s) const {
  return std::find(stages.begin(), stages.end(), s) != stages.end();
}

std::string Point::param(const std::string& name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return "";
}

const std::vector<std::string>& param_names() {
  static const std::vector<std::string> names = {
      "format", "a", "b", "a_bits", "b_bits", "a_kind", "b_kind", "array", "rows", "cols", "pes", "lanes",
      "block", "accumulation", "pipeline", "dataflow", "liberty", "peak_macs_per_cycle",
      "modes", "a1", "b1", "reuse", "lanes1", "peak_macs_per_cycle_mode1"};
  return names;
}

namespace {

const std::vector<std::string> kTopKeys = {
    "name", "description", "stages", "axes", "where", "exclude", "skip_invalid", "workloads", "memory", "sim",
    "cosim", "synth", "qsnr", "timeout", "baseline", "composites", "composite_baseline", "pareto_qsnr", "pareto_energy", "reference", "ablation", "multi_format"};
const std::vector<std::string> kAxisKeys = {"format", "array", "lanes", "block", "accumulation",
                                            "pipeline", "dataflow", "liberty", "workloads"};

// Reads YAML nodes, reporting FILE:LINE:COL: KEY: problem.
class Reader {
 public:
  explicit Reader(const std::string& source) : src_(source) {}

  std::string where(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    if (m.is_null()) return src_;
    return src_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }
  [[noreturn]] void fail(const YAML::Node& n, const std::string& key, const std::string& msg) const {
    throw SweepError(where(n) + ": " + (key.empty() ? "" : key + ": ") + msg);
  }

  // A map with only allowed keys, no duplicates; returns (key node, value) pairs.
  std::vector<std::pair<YAML::Node, YAML::Node>> map(const YAML::Node& n, const std::string& key,
                                                     const std::vector<std::string>& allowed) const {
    std::string what = key.empty() ? "the top level" : key;
    if (!n.IsMap()) fail(n, key, what + " must be a mapping (allowed keys: " + join(allowed) + ")");
    std::vector<std::pair<YAML::Node, YAML::Node>> out;
    std::set<std::string> seen;
    for (const auto& kv : n) {
      std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      std::string field = key.empty() ? k : key + "." + k;
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), k) == allowed.end())
        fail(kv.first, field, "unknown key in " + what + " (allowed: " + join(allowed) + ")");
      if (!seen.insert(k).second) fail(kv.first, field, "duplicate key");
      out.emplace_back(kv.first, kv.second);
    }
    return out;
  }

  std::string scalar(const YAML::Node& n, const std::string& key, const std::string& allowed) const {
    if (!n.IsScalar()) fail(n, key, "must be a single value (allowed: " + allowed + ")");
    return n.Scalar();
  }

  long long integer(const YAML::Node& n, const std::string& key, long long lo, long long hi) const {
    std::string s = scalar(n, key, std::to_string(lo) + ".." + std::to_string(hi));
    static const std::regex re("[+-]?[0-9]{1,15}");
    if (!std::regex_match(s, re))
      fail(n, key, "'" + s + "' is not an integer (allowed: " + std::to_string(lo) + ".." + std::to_string(hi) + ")");
    long long v = std::stoll(s);
    if (v < lo || v > hi)
      fail(n, key, s + " is out of range (allowed: " + std::to_string(lo) + ".." + std::to_string(hi) + ")");
    return v;
  }

  double number(const YAML::Node& n, const std::string& key) const {
    std::string s = scalar(n, key, "a number");
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || !end || *end) fail(n, key, "'" + s + "' is not a number");
    return v;
  }

  bool boolean(const YAML::Node& n, const std::string& key) const {
    std::string s = scalar(n, key, "true, false");
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
    fail(n, key, "'" + s + "' is not a boolean (allowed: true, false)");
  }

  // A scalar or a list of scalars / nodes: the list items.
  std::vector<YAML::Node> list(const YAML::Node& n, const std::string& key) const {
    std::vector<YAML::Node> v;
    if (n.IsSequence()) {
      for (const auto& x : n) v.push_back(x);
      if (v.empty()) fail(n, key, "empty list (give at least one value)");
    } else if (n.IsNull()) {
      fail(n, key, "missing value");
    } else {
      v.push_back(n);
    }
    return v;
  }

  const std::string& source() const { return src_; }

 private:
  std::string src_;
};

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_ident(const std::string& s) { return std::regex_match(s, std::regex("[A-Za-z0-9][A-Za-z0-9_.+-]*")); }
bool is_column_name(const std::string& s) { return std::regex_match(s, std::regex("[A-Za-z0-9][A-Za-z0-9_]*")); }

std::string normalize_dataflow(const std::string& s) {
  std::string l = lower(s);
  if (l == "os" || l == "output-stationary") return "output-stationary";
  if (l == "ws" || l == "weight-stationary") return "weight-stationary";
  return "";
}

std::string resolve_path(const SweepSpec& spec, const std::string& p) {
  if (!p.empty() && p[0] == '/') return p;
  return absolute_path(spec.dir + "/" + p);
}

void check_format(const Reader& r, const YAML::Node& n, const std::string& key, const std::string& f) {
  try {
    parse_block_format(f);
  } catch (const FormatError& e) {
    r.fail(n, key, e.what());
  }
}

// "A" or "A x B" (activations x weights).
std::pair<std::string, std::string> split_pair(const std::string& text) {
  std::string s = trim(text);
  size_t x = s.find(" x ");
  if (x == std::string::npos) return {s, s};
  return {trim(s.substr(0, x)), trim(s.substr(x + 3))};
}

void check_label(const Reader& r, const YAML::Node& n, const std::string& key, const std::string& label) {
  if (label.find(',') != std::string::npos || label.find('"') != std::string::npos)
    r.fail(n, key, "label '" + label + "' may not contain ',' or '\"'");
}

// {label, modes: [M0, M1], reuse: R | [R, ...]}: one multi-format PE per
// reuse scheme. The checks here are the ones a sweep file can get wrong by
// itself (mode widths, a scheme that does not fit the element kinds), with the
// file position; the generator checks the rest (lanes, accumulation) per point.
std::vector<FormatChoice> read_multi_format(const Reader& r, const YAML::Node& n, const std::string& key) {
  std::string label;
  YAML::Node modes, reuse;
  bool has_reuse = false;
  for (const auto& [k, v] : r.map(n, key, {"label", "modes", "reuse"})) {
    std::string kk = k.Scalar();
    if (kk == "label") label = trim(r.scalar(v, key + ".label", "text"));
    else if (kk == "modes") modes = v;
    else {
      reuse = v;
      has_reuse = true;
    }
  }
  std::string mk = key + ".modes";
  if (!modes.IsSequence() || modes.size() != 2)
    r.fail(modes, mk, "give exactly two modes: [8-bit format, 4- or 6-bit format] (e.g. [mxint8, nvint4])");
  std::pair<std::string, std::string> m[2];
  BlockFormat f[2][2];
  for (int i = 0; i < 2; ++i) {
    std::string ik = mk + "[" + std::to_string(i) + "]";
    m[i] = split_pair(r.scalar(modes[i], ik, "a format name or 'A x B'"));
    check_format(r, modes[i], ik, m[i].first);
    check_format(r, modes[i], ik, m[i].second);
    f[i][0] = parse_block_format(m[i].first);
    f[i][1] = parse_block_format(m[i].second);
  }
  if (f[0][0].elem.bits != 8 || f[0][1].elem.bits != 8)
    r.fail(modes[0], mk + "[0]", "mode 0 must have 8-bit elements (allowed: an 8-bit format, e.g. mxint8, mxfp8_e4m3)");
  for (int o = 0; o < 2; ++o)
    if (f[1][o].elem.bits != 4 && f[1][o].elem.bits != 6)
      r.fail(modes[1], mk + "[1]", "mode 1 must have 4- or 6-bit elements (allowed: e.g. nvint4, nvfp4, mxfp6_e2m3)");
  bool all_int = true, all_fp = true;
  for (auto& mode : f)
    for (auto& x : mode) {
      all_int = all_int && x.elem.is_int();
      all_fp = all_fp && x.elem.is_float();
    }
  std::vector<std::string> schemes;
  if (!has_reuse) {
    schemes.push_back("none");
  } else {
    for (const YAML::Node& x : r.list(reuse, key + ".reuse")) {
      std::string s = lower(trim(r.scalar(x, key + ".reuse", gen::kReuseChoices)));
      if (s != "none" && s != "int-scheme1" && s != "int-scheme2" && s != "fp-shared")
        r.fail(x, key + ".reuse", "unknown scheme '" + s + "' (allowed: " + gen::kReuseChoices + ")");
      if ((s == "int-scheme1" || s == "int-scheme2") && !all_int)
        r.fail(x, key + ".reuse", s + " needs INT elements in both modes (allowed here: " +
                                      std::string(all_fp ? "none, fp-shared" : "none") + ")");
      if (s == "fp-shared" && !all_fp)
        r.fail(x, key + ".reuse", "fp-shared needs FP elements in both modes (allowed here: " +
                                      std::string(all_int ? "none, int-scheme1, int-scheme2" : "none") + ")");
      if (std::find(schemes.begin(), schemes.end(), s) != schemes.end())
        r.fail(x, key + ".reuse", "scheme '" + s + "' given twice");
      schemes.push_back(s);
    }
  }
  auto name = [](const std::pair<std::string, std::string>& p) {
    return p.first == p.second ? p.first : p.first + " x " + p.second;
  };
  std::vector<FormatChoice> out;
  for (const std::string& s : schemes) {
    FormatChoice c;
    c.multi = true;
    c.a = m[0].first;
    c.b = m[0].second;
    c.a1 = m[1].first;
    c.b1 = m[1].second;
    c.reuse = s;
    // The scheme is part of the label unless one label names one scheme.
    if (label.empty()) c.label = name(m[0]) + "+" + name(m[1]) + " " + s;
    else c.label = schemes.size() > 1 ? label + " " + s : label;
    check_label(r, n, key, c.label);
    out.push_back(c);
  }
  return out;
}

std::vector<FormatChoice> read_format(const Reader& r, const YAML::Node& n, const std::string& key) {
  if (n.IsMap() && n["modes"]) return read_multi_format(r, n, key);
  FormatChoice c;
  if (n.IsMap()) {
    for (const auto& [k, v] : r.map(n, key, {"label", "a", "b"})) {
      std::string kk = k.Scalar();
      std::string val = r.scalar(v, key + "." + kk, "a format name");
      if (kk == "label") c.label = val;
      else if (kk == "a") c.a = val;
      else c.b = val;
    }
    if (c.a.empty()) r.fail(n, key, "missing 'a' (the activation format), or modes: [M0, M1] for a multi-format PE");
    if (c.b.empty()) c.b = c.a;
    check_format(r, n["a"], key + ".a", c.a);
    check_format(r, n["b"] ? n["b"] : n["a"], key + ".b", c.b);
    if (c.label.empty()) c.label = c.a == c.b ? c.a : c.a + " x " + c.b;
  } else {
    auto [a, b] = split_pair(r.scalar(n, key, "a format name, 'A x B', {label, a, b}, or {label, modes, reuse}"));
    c.a = a;
    c.b = b;
    check_format(r, n, key, c.a);
    check_format(r, n, key, c.b);
    c.label = c.a == c.b ? c.a : c.a + " x " + c.b;
  }
  check_label(r, n, key, c.label);
  return {c};
}

Filter read_filter(const Reader& r, const YAML::Node& n, const std::string& key) {
  Filter f;
  f.where = r.where(n);
  if (n.IsScalar()) {
    f.is_expr = true;
    try {
      f.expr = Expr::parse(n.Scalar(), param_names());
    } catch (const ExprError& e) {
      r.fail(n, key, std::string("bad expression: ") + e.what());
    }
    return f;
  }
  if (!n.IsMap())
    r.fail(n, key, "a filter is an expression (text) or a mapping of parameter: value(s), e.g. {format: nvint4, array: 8x8}");
  for (const auto& [k, v] : r.map(n, key, param_names())) {
    std::string pk = k.Scalar();
    std::vector<std::string> vals;
    for (const YAML::Node& x : r.list(v, key + "." + pk)) {
      std::string s = trim(r.scalar(x, key + "." + pk, "a value or a list of values"));
      if (pk == "dataflow" && !normalize_dataflow(s).empty()) s = normalize_dataflow(s);
      vals.push_back(s);
    }
    f.match[pk] = vals;
  }
  return f;
}

bool filter_matches(const Filter& f, const std::map<std::string, std::string>& vars) {
  if (f.is_expr) {
    try {
      return f.expr.eval(vars);
    } catch (const ExprError& e) {
      throw SweepError(f.where + ": " + e.what());
    }
  }
  for (const auto& [k, alts] : f.match) {
    auto it = vars.find(k);
    std::string v = it == vars.end() ? "" : it->second;
    bool any = false;
    for (const std::string& a : alts) {
      if (a == v) any = true;
      // Numbers compare numerically ("8" == "8.0").
      char *e1 = nullptr, *e2 = nullptr;
      double x = std::strtod(a.c_str(), &e1), y = std::strtod(v.c_str(), &e2);
      if (!a.empty() && !v.empty() && e1 && !*e1 && e2 && !*e2 && x == y) any = true;
    }
    if (!any) return false;
  }
  return true;
}

void read_workloads(const Reader& r, const YAML::Node& n, const std::string& key, SweepSpec& spec) {
  if (!spec.workloads.empty()) r.fail(n, key, "workloads are given twice (use one of the top level and axes)");
  for (const YAML::Node& w : r.list(n, key)) {
    WorkloadSpec ws;
    if (w.IsScalar()) {
      ws.layers = w.Scalar();
    } else {
      for (const auto& [k, v] : r.map(w, key, {"name", "layers", "gemm"})) {
        std::string kk = k.Scalar();
        std::string s = r.scalar(v, key + "." + kk, kk == "gemm" ? "M,N,K" : "text");
        if (kk == "name") ws.name = s;
        else if (kk == "layers") ws.layers = s;
        else ws.gemm = s;
      }
    }
    if (ws.layers.empty() == ws.gemm.empty()) r.fail(w, key, "give exactly one of layers: FILE.csv and gemm: M,N,K");
    if (!ws.gemm.empty() && !std::regex_match(ws.gemm, std::regex(" *[0-9]+ *, *[0-9]+ *, *[0-9]+ *")))
      r.fail(w, key + ".gemm", "'" + ws.gemm + "' is not M,N,K");
    if (!ws.layers.empty()) {
      std::string rel = ws.layers;
      ws.layers = resolve_path(spec, rel);
      if (!file_exists(ws.layers))
        r.fail(w.IsMap() ? w["layers"] : w, key + ".layers", "cannot read '" + ws.layers + "'");
      ws.layers_hash = hash_file(ws.layers);
      if (ws.name.empty()) {
        ws.name = std::filesystem::path(rel).stem().string();
        for (char& c : ws.name)
          if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
    }
    if (ws.name.empty()) {
      ws.name = "gemm_" + ws.gemm;
      for (char& c : ws.name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    if (!is_column_name(ws.name)) r.fail(w, key + ".name", "'" + ws.name + "' must be letters, digits and _");
    for (const WorkloadSpec& o : spec.workloads)
      if (o.name == ws.name) r.fail(w, key + ".name", "duplicate workload name '" + ws.name + "'");
    spec.workloads.push_back(ws);
  }
}

void read_axes(const Reader& r, const YAML::Node& axes, SweepSpec& spec) {
  for (const auto& [k, v] : r.map(axes, "axes", kAxisKeys)) {
    std::string ax = k.Scalar(), key = "axes." + ax;
    if (ax == "workloads") {
      read_workloads(r, v, key, spec);
      continue;
    }
    std::vector<YAML::Node> items = r.list(v, key);
    for (size_t i = 0; i < items.size(); ++i) {
      const YAML::Node& n = items[i];
      std::string ik = key + (items.size() > 1 || v.IsSequence() ? "[" + std::to_string(i) + "]" : "");
      if (ax == "format") {
        for (const FormatChoice& c : read_format(r, n, ik)) spec.formats.push_back(c);
      } else if (ax == "array") {
        std::string s = lower(trim(r.scalar(n, ik, "RxC, e.g. 8x8, or N for NxN")));
        std::smatch m;
        int R = 0, C = 0;
        if (std::regex_match(s, m, std::regex("([0-9]{1,3}) *x *([0-9]{1,3})"))) {
          R = std::stoi(m[1]);
          C = std::stoi(m[2]);
        } else if (std::regex_match(s, std::regex("[0-9]{1,3}"))) {
          R = C = std::stoi(s);
        } else {
          r.fail(n, ik, "'" + s + "' is not an array shape (allowed: RxC, e.g. 8x8, or N for NxN)");
        }
        if (R < 1 || R > gen::kMaxDim || C < 1 || C > gen::kMaxDim)
          r.fail(n, ik, s + " is out of range (allowed: 1..64 rows and columns)");
        spec.arrays.emplace_back(R, C);
      } else if (ax == "lanes") {
        std::string s = lower(trim(r.scalar(n, ik, "auto or 1..64")));
        if (s != "auto") s = std::to_string(r.integer(n, ik, 1, gen::kMaxLanes));
        spec.lanes.push_back(s);
      } else if (ax == "block") {
        std::string s = lower(trim(r.scalar(n, ik, "native or a block size")));
        if (s != "native") s = std::to_string(r.integer(n, ik, 1, 4096));
        spec.blocks.push_back(s);
      } else if (ax == "accumulation") {
        std::string s = trim(r.scalar(n, ik, "exact-block, aligned:W"));
        try {
          s = parse_accum(s).name();
        } catch (const FormatError& e) {
          r.fail(n, ik, e.what());
        }
        spec.accumulations.push_back(s);
      } else if (ax == "pipeline") {
        if (n.IsScalar() && lower(trim(n.Scalar())) == "auto") spec.pipelines.push_back(kPipelineAuto);
        else if (n.IsScalar() && !std::regex_match(trim(n.Scalar()), std::regex("[+-]?[0-9]+")))
          r.fail(n, ik, "'" + n.Scalar() + "' is not a pipeline depth (allowed: 0.." +
                            std::to_string(gen::kMaxPipeline) + ", auto)");
        else spec.pipelines.push_back(int(r.integer(n, ik, 0, gen::kMaxPipeline)));
      } else if (ax == "dataflow") {
        std::string s = normalize_dataflow(trim(r.scalar(n, ik, "output-stationary, weight-stationary")));
        if (s.empty())
          r.fail(n, ik, "unknown dataflow '" + n.Scalar() + "' (allowed: output-stationary, weight-stationary, os, ws)");
        spec.dataflows.push_back(s);
      } else if (ax == "liberty") {
        std::string s = trim(r.scalar(n, ik, "builtin or a Liberty file"));
        if (s != "builtin") {
          s = resolve_path(spec, s);
          if (!file_exists(s)) r.fail(n, ik, "cannot read the Liberty file '" + s + "'");
        }
        spec.liberties.push_back(s);
      }
    }
  }
}

QsnrData read_qsnr_data(const Reader& r, const YAML::Node& n, const std::string& key) {
  QsnrData d;
  for (const auto& [k, v] : r.map(n, key, {"name", "dist", "outliers", "crest", "rotate", "rotate_block", "operand"})) {
    std::string kk = k.Scalar(), fk = key + "." + kk;
    if (kk == "name") {
      d.name = r.scalar(v, fk, "letters, digits and _");
      if (!is_column_name(d.name)) r.fail(v, fk, "'" + d.name + "' must be letters, digits and _");
    } else if (kk == "dist") {
      d.dist = r.scalar(v, fk, "gaussian, laplace, student-t:NU");
      try {
        parse_distribution(d.dist);
      } catch (const FormatError& e) {
        r.fail(v, fk, e.what());
      }
    } else if (kk == "outliers") {
      std::string s = r.scalar(v, fk, "P:MAG, e.g. 0.01:20");
      std::smatch m;
      if (!std::regex_match(s, m, std::regex(" *([0-9.eE+-]+) *: *([0-9.eE+-]+) *")))
        r.fail(v, fk, "'" + s + "' is not P:MAG (e.g. 0.01:20)");
      d.outlier_p = std::stod(m[1]);
      d.outlier_mag = std::stod(m[2]);
      if (d.outlier_p < 0 || d.outlier_p > 1) r.fail(v, fk, "P must be in [0,1]");
    } else if (kk == "crest") {
      d.crest = r.number(v, fk);
      if (!(d.crest > 0)) r.fail(v, fk, "must be positive");
    } else if (kk == "rotate") {
      d.rotate = r.boolean(v, fk);
    } else if (kk == "rotate_block") {
      d.rotate_block = int(r.integer(v, fk, 16, 32));
      if (d.rotate_block != 16 && d.rotate_block != 32) r.fail(v, fk, "must be 16 or 32");
    } else if (kk == "operand") {
      std::string s = r.scalar(v, fk, "a, b");
      if (s != "a" && s != "b") r.fail(v, fk, "'" + s + "' (allowed: a, b)");
      d.operand = s[0];
    }
  }
  if (d.name.empty()) r.fail(n, key, "missing 'name' (the column is qsnr_<name>)");
  return d;
}

void read_reference(const Reader& r, const YAML::Node& n, SweepSpec& spec) {
  for (const auto& [k, v] : r.map(n, "reference", {"title", "note", "rows"})) {
    std::string kk = k.Scalar();
    if (kk == "title") {
      spec.reference_title = r.scalar(v, "reference.title", "text");
      continue;
    }
    if (kk == "note") {
      spec.reference_note = r.scalar(v, "reference.note", "text");
      continue;
    }
    for (const YAML::Node& row : r.list(v, "reference.rows")) {
      ReferenceRow rr;
      for (const auto& [rk, rv] : r.map(row, "reference.rows", {"name", "area", "energy"})) {
        std::string rks = rk.Scalar();
        if (rks == "name") rr.name = r.scalar(rv, "reference.rows.name", "a format label or composite name");
        else rr.values[rks] = r.number(rv, "reference.rows." + rks);
      }
      if (rr.name.empty()) r.fail(row, "reference.rows", "missing 'name'");
      spec.reference.push_back(rr);
    }
  }
}

const std::vector<std::string> kKnobKeys = {"clock_ns", "activity", "multiplier", "area_scope"};

// A synthesis setting of the `synth:` section or of an ablation column.
void read_knob(const Reader& r, const YAML::Node& v, const std::string& key, const std::string& name, SynthKnobs& k) {
  if (name == "clock_ns") {
    std::string s = lower(trim(r.scalar(v, key, "a clock period in ns, or none")));
    if (s == "none") {
      k.timing = false;
      k.clock_ns = 0;
      return;
    }
    double t = r.number(v, key);
    if (!(t > 0) || t > 1000) r.fail(v, key, "must be in (0, 1000] ns, or none (no timing)");
    k.timing = true;
    k.clock_ns = t;
  } else if (name == "activity") {
    std::string s = lower(trim(r.scalar(v, key, "sim, uniform:A")));
    std::smatch m;
    if (s == "sim") {
      k.activity = s;
    } else if (std::regex_match(s, m, std::regex("uniform:([0-9]*\\.?[0-9]+(e-?[0-9]+)?)"))) {
      double a = std::stod(m[1]);
      if (!(a > 0) || a > 1) r.fail(v, key, "the toggle rate A of uniform:A must be in (0, 1]");
      k.activity = "uniform:" + fmt_num(a);
    } else {
      r.fail(v, key, "'" + s + "' (allowed: sim, uniform:A with A toggles per net per cycle in (0, 1])");
    }
  } else if (name == "multiplier") {
    std::string s = lower(trim(r.scalar(v, key, "booth4, array, behavioural, default")));
    if (s != "booth4" && s != "array" && s != "behavioural" && s != "default")
      r.fail(v, key, "'" + s + "' (allowed: booth4, array, behavioural, default)");
    k.multiplier = s == "default" ? "" : s;
  } else if (name == "area_scope") {
    std::string s = lower(trim(r.scalar(v, key, "all, combinational")));
    if (s != "all" && s != "combinational") r.fail(v, key, "'" + s + "' (allowed: all, combinational)");
    k.area_scope = s;
  } else if (name == "pe_only") {
    k.pe_only = r.boolean(v, key);
  } else if (name == "pipeline_max") {
    k.pipeline_max = int(r.integer(v, key, 0, gen::kMaxPipeline));
  }
}

// A per-format setting of an ablation column: one value for every format, or
// {format label: value} naming every format.
std::map<std::string, std::string> per_format(const Reader& r, const YAML::Node& v, const std::string& key,
                                              const SweepSpec& spec,
                                              const std::function<std::string(const YAML::Node&, const std::string&)>& check) {
  std::map<std::string, std::string> out;
  std::vector<std::string> labels;
  for (const FormatChoice& f : spec.formats) labels.push_back(f.label);
  if (v.IsMap()) {
    for (const auto& [fk, fv] : r.map(v, key, labels)) out[fk.Scalar()] = check(fv, key + "." + fk.Scalar());
    for (const std::string& l : labels)
      if (!out.count(l)) r.fail(v, key, "no value for the format '" + l + "' (give every format: " + join(labels) + ")");
  } else {
    std::string one = check(v, key);
    for (const std::string& l : labels) out[l] = one;
  }
  return out;
}

void read_ablation(const Reader& r, const YAML::Node& n, SweepSpec& spec) {
  AblationSpec& ab = spec.ablation;
  const std::vector<std::string> col_keys = {"name", "lanes", "accumulation", "clock_ns", "activity", "multiplier",
                                             "area_scope"};
  auto lanes_of = [&](const YAML::Node& x, const std::string& k) {
    return std::to_string(r.integer(x, k, 1, gen::kMaxLanes));
  };
  auto acc_of = [&](const YAML::Node& x, const std::string& k) {
    std::string s = trim(r.scalar(x, k, "exact-block, aligned:W"));
    try {
      return parse_accum(s).name();
    } catch (const FormatError& e) {
      r.fail(x, k, e.what());
    }
  };
  // Applies one column entry to `col`; returns the number of settings it changed.
  auto apply = [&](const YAML::Node& c, const std::string& key, AblationColumn& col) {
    int changed = 0;
    for (const auto& [k, v] : r.map(c, key, col_keys)) {
      std::string name = k.Scalar(), fk = key + "." + name;
      if (name == "name") {
        col.name = trim(r.scalar(v, fk, "text"));
        if (col.name.empty() || col.name.find_first_of(",\"|") != std::string::npos)
          r.fail(v, fk, "a column name must be non-empty text without , \" or |");
        continue;
      }
      ++changed;
      std::string text = v.IsScalar() ? v.Scalar() : "per format";
      col.changed = name + ": " + text;
      if (name == "lanes") col.lanes = per_format(r, v, fk, spec, lanes_of);
      else if (name == "accumulation") col.accumulation = per_format(r, v, fk, spec, acc_of);
      else read_knob(r, v, fk, name, col.knobs);
    }
    return changed;
  };
  YAML::Node steps;
  AblationColumn base;
  base.knobs = spec.synth;
  for (const FormatChoice& f : spec.formats) {
    base.lanes[f.label] = spec.lanes[0];
    base.accumulation[f.label] = spec.accumulations[0];
  }
  bool have_base = false;
  for (const auto& [k, v] : r.map(n, "ablation", {"title", "base", "steps", "ratios"})) {
    std::string kk = k.Scalar();
    if (kk == "title") ab.title = r.scalar(v, "ablation.title", "text");
    else if (kk == "base") {
      apply(v, "ablation.base", base);
      base.changed = "";
      if (base.name.empty()) base.name = "base";
      have_base = true;
    } else if (kk == "steps") {
      steps = v;
    } else {
      std::set<std::string> labels;
      for (const FormatChoice& f : spec.formats) labels.insert(f.label);
      for (const YAML::Node& x : r.list(v, "ablation.ratios")) {
        std::string l = r.scalar(x, "ablation.ratios", "a format label");
        if (!labels.count(l)) r.fail(x, "ablation.ratios", "'" + l + "' is not a format label of axes.format");
        ab.ratios.push_back(l);
      }
    }
  }
  if (!have_base) r.fail(n, "ablation", "missing 'base' (the first column: the paper's settings)");
  if (!steps) r.fail(n, "ablation", "missing 'steps' (a list of one-setting changes)");
  ab.columns.push_back(base);
  std::set<std::string> names = {base.name};
  for (const YAML::Node& st : r.list(steps, "ablation.steps")) {
    AblationColumn col = ab.columns.back();
    col.name.clear();
    int changed = apply(st, "ablation.steps", col);
    if (changed != 1)
      r.fail(st, "ablation.steps", "a step changes exactly one setting (it changes " + std::to_string(changed) +
                                       "; allowed: lanes, accumulation, clock_ns, activity, multiplier, area_scope)");
    if (col.name.empty()) col.name = col.changed;
    if (!names.insert(col.name).second) r.fail(st, "ablation.steps", "duplicate column name '" + col.name + "'");
    ab.columns.push_back(col);
  }
}

// multi_format: {baseline, title, reference: {DESIGN: text}, note} (after the
// formats and composites: the names it uses are theirs).
void read_multi_section(const Reader& r, const YAML::Node& n, SweepSpec& spec) {
  std::vector<std::string> names;
  for (const FormatChoice& f : spec.formats)
    if (f.multi) names.push_back(f.label);
  if (names.empty()) r.fail(n, "multi_format", "the format axis has no multi-format PE ({modes: [M0, M1], reuse: ...})");
  for (const CompositeSpec& c : spec.composites) names.push_back(c.name);
  auto check = [&](const YAML::Node& v, const std::string& k, const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end())
      r.fail(v, k, "'" + name + "' is not a multi-format label or composite name (allowed: " + join(names) + ")");
  };
  for (const auto& [k, v] : r.map(n, "multi_format", {"baseline", "title", "reference", "note"})) {
    std::string kk = k.Scalar(), fk = "multi_format." + kk;
    if (kk == "baseline") {
      spec.multi_baseline = r.scalar(v, fk, "a multi-format label or composite name");
      check(v, fk, spec.multi_baseline);
    } else if (kk == "title") {
      spec.multi_reference_title = r.scalar(v, fk, "text");
    } else if (kk == "note") {
      spec.multi_note = r.scalar(v, fk, "text");
    } else {
      for (const auto& [dk, dv] : r.map(v, fk, {})) {
        check(dk, fk, dk.Scalar());
        spec.multi_reference.emplace_back(dk.Scalar(), r.scalar(dv, fk + "." + dk.Scalar(), "text"));
      }
    }
  }
  if (spec.multi_baseline.empty())
    for (const FormatChoice& f : spec.formats)
      if (f.multi && spec.multi_baseline.empty()) spec.multi_baseline = f.label;
}

bool croot_has_workloads(const YAML::Node& root) {
  const YAML::Node& c = root;
  return bool(c["workloads"]) || (c["axes"] && c["axes"].IsMap() && c["axes"]["workloads"]);
}

}  // namespace

SweepSpec load_sweep(const std::string& path) {
  SweepSpec spec;
  spec.path = absolute_path(path);
  spec.dir = dir_of(spec.path);
  std::string text;
  try {
    text = read_file(path);
  } catch (const SweepRuntimeError&) {
    throw SweepError(path + ": cannot read the sweep file");
  }
  Reader r(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw SweepError(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                     ": YAML syntax error: " + e.msg);
  }
  if (!root || root.IsNull()) throw SweepError(path + ": empty sweep file (expected keys: " + join(kTopKeys) + ")");

  spec.name = std::filesystem::path(path).stem().string();
  std::vector<std::string> stages;  // default: gen, lint, synth, (sim with workloads), qsnr
  YAML::Node axes_node, where_node, exclude_node, composites_node;
  std::string baseline;
  YAML::Node baseline_node, cbase_node, pareto_node, ablation_node, multi_node, penergy_node;

  for (const auto& [k, v] : r.map(root, "", kTopKeys)) {
    std::string key = k.Scalar();
    if (key == "name") {
      spec.name = r.scalar(v, key, "letters, digits, _ and -");
      if (!is_ident(spec.name)) r.fail(v, key, "'" + spec.name + "' (allowed: letters, digits, _ . + -)");
    } else if (key == "description") {
      spec.description = r.scalar(v, key, "text");
    } else if (key == "stages") {
      std::set<std::string> want;
      for (const YAML::Node& s : r.list(v, key)) {
        std::string st = lower(trim(r.scalar(s, key, join(kStages))));
        if (st == "all") {
          want.insert(kStages.begin(), kStages.end());
          continue;
        }
        if (std::find(kStages.begin(), kStages.end(), st) == kStages.end())
          r.fail(s, key, "unknown stage '" + st + "' (allowed: " + join(kStages) + ", all)");
        want.insert(st);
      }
      if (want.count("lint")) want.insert("gen");
      stages.clear();
      for (const std::string& s : kStages)
        if (want.count(s)) stages.push_back(s);
    } else if (key == "axes") {
      axes_node = v;
    } else if (key == "where") {
      where_node = v;
    } else if (key == "exclude") {
      exclude_node = v;
    } else if (key == "skip_invalid") {
      spec.skip_invalid = r.boolean(v, key);
    } else if (key == "workloads") {
      read_workloads(r, v, key, spec);
    } else if (key == "memory") {
      if (!v.IsMap()) r.fail(v, key, "must be a mapping (the memory section of docs/timing_model.md)");
      YAML::Emitter em;
      em << YAML::BeginMap << YAML::Key << "memory" << YAML::Value << v << YAML::EndMap;
      spec.memory_yaml = std::string(em.c_str()) + "\n";
    } else if (key == "sim") {
      for (const auto& [sk, sv] : r.map(v, key, {"timing_only", "ideal_memory"})) {
        if (sk.Scalar() == "timing_only") spec.sim_timing_only = r.boolean(sv, "sim.timing_only");
        else spec.sim_ideal_memory = r.boolean(sv, "sim.ideal_memory");
      }
    } else if (key == "cosim") {
      for (const auto& [ck, cv] : r.map(v, key, {"gemm", "seed"})) {
        if (ck.Scalar() == "gemm") {
          spec.cosim_gemm = r.scalar(cv, "cosim.gemm", "M,N,K");
          if (!std::regex_match(spec.cosim_gemm, std::regex("[0-9]+,[0-9]+,[0-9]+")))
            r.fail(cv, "cosim.gemm", "'" + spec.cosim_gemm + "' is not M,N,K");
        } else {
          spec.cosim_seed = uint64_t(r.integer(cv, "cosim.seed", 0, (1LL << 53)));
        }
      }
    } else if (key == "synth") {
      for (const auto& [sk, sv] : r.map(v, key, {"energy", "uniform", "cycles", "clock_ghz", "clock_ns", "activity",
                                                 "multiplier", "area_scope", "pe_only", "pipeline_max"})) {
        std::string q = sk.Scalar();
        if (std::find(kKnobKeys.begin(), kKnobKeys.end(), q) != kKnobKeys.end() || q == "pe_only" ||
            q == "pipeline_max")
          read_knob(r, sv, "synth." + q, q, spec.synth);
        else if (q == "energy") spec.synth_energy = r.boolean(sv, "synth.energy");
        else if (q == "uniform") spec.synth_uniform = r.boolean(sv, "synth.uniform");
        else if (q == "cycles") spec.synth_cycles = int(r.integer(sv, "synth.cycles", 16, 1000000));
        else {
          spec.synth_clock_ghz = r.number(sv, "synth.clock_ghz");
          if (!(spec.synth_clock_ghz > 0) || spec.synth_clock_ghz > 100) r.fail(sv, "synth.clock_ghz", "must be in (0, 100]");
        }
      }
    } else if (key == "qsnr") {
      for (const auto& [qk, qv] : r.map(v, key, {"n", "seed", "data"})) {
        std::string q = qk.Scalar();
        if (q == "n") spec.qsnr_n = size_t(r.integer(qv, "qsnr.n", 1, 1LL << 28));
        else if (q == "seed") spec.qsnr_seed = uint64_t(r.integer(qv, "qsnr.seed", 0, (1LL << 53)));
        else
          for (const YAML::Node& d : r.list(qv, "qsnr.data")) {
            QsnrData qd = read_qsnr_data(r, d, "qsnr.data");
            for (const QsnrData& o : spec.qsnr_data)
              if (o.name == qd.name) r.fail(d, "qsnr.data", "duplicate name '" + qd.name + "'");
            spec.qsnr_data.push_back(qd);
          }
      }
    } else if (key == "timeout") {
      spec.timeout = r.number(v, key);
      if (!(spec.timeout > 0)) r.fail(v, key, "must be a positive number of seconds");
    } else if (key == "baseline") {
      baseline_node = v;
      spec.baseline = r.scalar(v, key, "a format label of the format axis");
    } else if (key == "composites") {
      composites_node = v;
    } else if (key == "composite_baseline") {
      cbase_node = v;
      spec.composite_baseline = r.scalar(v, key, "a composite name");
    } else if (key == "pareto_qsnr") {
      pareto_node = v;
      spec.pareto_qsnr = r.scalar(v, key, "a qsnr.data name");
    } else if (key == "pareto_energy") {
      penergy_node = v;
      spec.pareto_energy = r.scalar(v, key, "a workload name");
    } else if (key == "reference") {
      read_reference(r, v, spec);
    } else if (key == "ablation") {
      ablation_node = v;
    } else if (key == "multi_format") {
      multi_node = v;
    }
  }
  if (stages.empty()) {
    stages = {"gen", "lint", "synth", "qsnr"};
    if (croot_has_workloads(root)) stages.insert(stages.begin() + 3, "sim");
  }
  spec.stages = stages;
  const YAML::Node& croot = root;
  bool has_axes = bool(croot["axes"]), has_where = bool(croot["where"]), has_exclude = bool(croot["exclude"]),
       has_composites = bool(croot["composites"]);

  if (!has_axes) throw SweepError(r.where(root) + ": axes: missing (at least axes.format)");
  read_axes(r, axes_node, spec);
  if (spec.formats.empty()) r.fail(axes_node, "axes.format", "missing (the formats to compare)");
  if (spec.arrays.empty()) spec.arrays.emplace_back(4, 4);
  if (spec.lanes.empty()) spec.lanes.push_back("auto");
  if (spec.blocks.empty()) spec.blocks.push_back("native");
  if (spec.accumulations.empty()) spec.accumulations.push_back("exact-block");
  if (spec.pipelines.empty()) spec.pipelines.push_back(0);
  if (spec.dataflows.empty()) spec.dataflows.push_back("output-stationary");
  if (spec.liberties.empty()) spec.liberties.push_back("builtin");
  auto note = [&](const std::string& n, size_t count) {
    if (count > 1) spec.swept.push_back(n);
  };
  note("array", spec.arrays.size());
  note("lanes", spec.lanes.size());
  note("block", spec.blocks.size());
  note("accumulation", spec.accumulations.size());
  note("pipeline", spec.pipelines.size());
  note("dataflow", spec.dataflows.size());
  note("liberty", spec.liberties.size());
  {
    std::set<std::string> labels;
    for (const FormatChoice& f : spec.formats)
      if (!labels.insert(f.label).second)
        r.fail(axes_node["format"], "axes.format", "the format label '" + f.label + "' appears twice");
  }

  if (has_where)
    for (const YAML::Node& n : r.list(where_node, "where")) spec.where.push_back(read_filter(r, n, "where"));
  for (const Filter& f : spec.where)
    if (!f.is_expr) throw SweepError(f.where + ": where: must be an expression (text)");
  if (has_exclude)
    for (const YAML::Node& n : r.list(exclude_node, "exclude")) spec.exclude.push_back(read_filter(r, n, "exclude"));

  bool auto_pipe = std::find(spec.pipelines.begin(), spec.pipelines.end(), kPipelineAuto) != spec.pipelines.end();
  if (auto_pipe && !spec.has_stage("synth"))
    r.fail(axes_node["pipeline"], "axes.pipeline", "auto needs the synth stage (it keeps the smallest depth meeting the clock)");
  if (auto_pipe && !spec.synth.timing)
    r.fail(axes_node["pipeline"], "axes.pipeline", "auto needs timing: synth.clock_ns must be a period, not none");
  if (croot["ablation"]) {
    if (!spec.swept.empty())
      r.fail(ablation_node, "ablation", "the columns are the only thing varied: give one value for " + join(spec.swept));
    if (auto_pipe) r.fail(axes_node["pipeline"], "axes.pipeline", "auto cannot be combined with ablation: (some columns have no clock)");
    read_ablation(r, ablation_node, spec);
    spec.has_ablation = true;
    if (spec.ablation.ratios.empty())
      for (const FormatChoice& f : spec.formats)
        if (f.label != (spec.baseline.empty() ? spec.formats.front().label : spec.baseline))
          spec.ablation.ratios.push_back(f.label);
  }
  if (spec.has_stage("sim") && spec.workloads.empty())
    throw SweepError(r.where(root) + ": workloads: the sim stage needs at least one workload (layers: FILE.csv or gemm: M,N,K)");
  if (spec.has_stage("qsnr") && spec.qsnr_data.empty()) {
    QsnrData g;
    g.name = "gaussian";
    spec.qsnr_data.push_back(g);
  }

  std::set<std::string> labels;
  for (const FormatChoice& f : spec.formats) labels.insert(f.label);
  if (spec.baseline.empty()) spec.baseline = spec.formats.front().label;
  else if (!labels.count(spec.baseline))
    r.fail(baseline_node, "baseline",
           "'" + spec.baseline + "' is not a format label of axes.format (allowed: " +
               join(std::vector<std::string>(labels.begin(), labels.end())) + ")");

  if (has_composites) {
    for (const YAML::Node& c : r.list(composites_node, "composites")) {
      CompositeSpec cs;
      for (const auto& [k, v] : r.map(c, "composites", {"name", "parts", "baseline"})) {
        if (k.Scalar() == "name") {
          cs.name = r.scalar(v, "composites.name", "text");
          continue;
        }
        if (k.Scalar() == "baseline") {
          cs.baseline = r.scalar(v, "composites.baseline", "a composite name");
          continue;
        }
        for (const auto& [pk, pv] : r.map(v, "composites.parts", {})) {
          std::string label = pk.Scalar();
          if (!labels.count(label))
            r.fail(pk, "composites.parts", "'" + label + "' is not a format label of axes.format");
          double w = r.number(pv, "composites.parts." + label);
          if (!(w > 0)) r.fail(pv, "composites.parts." + label, "the number of units must be positive");
          cs.parts.emplace_back(label, w);
        }
      }
      if (cs.name.empty() || cs.parts.empty()) r.fail(c, "composites", "needs name and parts: {FORMAT: UNITS, ...}");
      if (labels.count(cs.name)) r.fail(c, "composites.name", "'" + cs.name + "' is also a format label");
      spec.composites.push_back(cs);
    }
    std::vector<std::string> names;
    for (const CompositeSpec& c : spec.composites) names.push_back(c.name);
    size_t i = 0;
    for (const YAML::Node& c : r.list(composites_node, "composites")) {
      const std::string& b = spec.composites[i++].baseline;
      if (!b.empty() && std::find(names.begin(), names.end(), b) == names.end())
        r.fail(c["baseline"], "composites.baseline", "'" + b + "' is not a composite name (allowed: " + join(names) + ")");
    }
  }
  if (!spec.composite_baseline.empty()) {
    bool found = false;
    for (const CompositeSpec& c : spec.composites) found |= c.name == spec.composite_baseline;
    if (!found) r.fail(cbase_node, "composite_baseline", "'" + spec.composite_baseline + "' is not a composite name");
  } else if (!spec.composites.empty()) {
    spec.composite_baseline = spec.composites.front().name;
  }
  if (croot["multi_format"]) read_multi_section(r, multi_node, spec);
  else
    for (const FormatChoice& f : spec.formats)
      if (f.multi && spec.multi_baseline.empty()) spec.multi_baseline = f.label;
  if (!spec.pareto_energy.empty()) {
    bool found = false;
    std::string names;
    for (const WorkloadSpec& w : spec.workloads) {
      found |= w.name == spec.pareto_energy;
      names += (names.empty() ? "" : ", ") + w.name;
    }
    if (!found)
      r.fail(penergy_node, "pareto_energy",
             "'" + spec.pareto_energy + "' is not a workload name (valid: " + (names.empty() ? "none" : names) + ")");
  }
  if (!spec.pareto_qsnr.empty()) {
    bool found = false;
    for (const QsnrData& d : spec.qsnr_data) found |= d.name == spec.pareto_qsnr;
    if (!found) r.fail(pareto_node, "pareto_qsnr", "'" + spec.pareto_qsnr + "' is not a qsnr.data name");
  } else if (!spec.qsnr_data.empty()) {
    spec.pareto_qsnr = spec.qsnr_data.front().name;
  }
  return spec;
}

std::string tool_version(const SweepSpec& spec, const std::string& exe) {
  // The running image (/proc/self/exe stays the started binary even when the
  // file at `exe` is replaced by a rebuild).
  std::string image = file_exists("/proc/self/exe") ? "/proc/self/exe" : exe;
  std::string v = std::string("macforge ") + MACFORGE_VERSION + " exe:" + hex64(hash_file(image));
  // Files the tools read from the source tree at run time: the rtl/ primitives
  // the generator copies, the built-in library and Yosys templates.
  auto tree_hash = [](const std::string& dir) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.is_regular_file()) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    uint64_t h = 0xcbf29ce484222325ull;
    for (const std::string& f : files) h = fnv1a64(std::filesystem::path(f).filename().string() + hex64(hash_file(f)), h);
    return hex64(h);
  };
  std::string src = MACFORGE_SOURCE_DIR;
  if (spec.has_stage("gen") || spec.has_stage("lint") || spec.has_stage("cosim") || spec.has_stage("synth"))
    v += " rtl:" + tree_hash(src + "/rtl");
  if (spec.has_stage("synth")) v += " synthlib:" + tree_hash(src + "/synth/lib");
  if (spec.has_stage("synth")) v += " | " + program_version({"yosys", "-V"});
  if (spec.has_stage("lint") || spec.has_stage("cosim")) v += " | " + program_version({"verilator", "--version"});
  return v;
}

namespace {

std::string sanitize_name(const std::string& s) {
  std::string o;
  for (char c : s) o += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  std::string t;
  for (char c : o)
    if (!(c == '_' && !t.empty() && t.back() == '_')) t += c;
  while (!t.empty() && t.back() == '_') t.pop_back();
  if (t.empty() || !std::isalpha(static_cast<unsigned char>(t[0]))) t = "p_" + t;
  return t;
}

std::string with_block(const std::string& fmt, const std::string& block) {
  if (block == "native") return fmt;
  BlockFormat f = parse_block_format(fmt);
  if (!f.has_block_scale()) return fmt;  // no block to change
  std::string sc = f.scale == ScaleKind::E8M0 ? "e8m0" : "ue4m3";
  return f.elem.name + "/" + block + "/" + sc;
}

// The generator's pe.modes / pe.reuse (docs/config.md); validate_config
// checks them and derives lanes1.
void set_modes(gen::ArrayConfig& c, const Point& p) {
  c.modes = 2;
  c.a1_name = p.a1;
  c.b1_name = p.b1;
  const std::string& r = p.format.reuse;
  c.reuse = r == "int-scheme1"   ? gen::Reuse::IntScheme1
            : r == "int-scheme2" ? gen::Reuse::IntScheme2
            : r == "fp-shared"   ? gen::Reuse::FpShared
                                 : gen::Reuse::None;
}

}  // namespace

std::string config_yaml_with_multiplier(const gen::ArrayConfig& cfg, const std::string& multiplier) {
  // The config carries pe.multiplier itself (expand sets cfg.multiplier), so
  // to_yaml writes it; this keeps the text right for a cfg built elsewhere.
  std::string y = gen::to_yaml(cfg);
  if (multiplier.empty()) return y;
  // The generator may already write pe.multiplier (its default): replace the
  // value; otherwise add the key to the pe: section after pipeline.
  std::regex has("(\n  multiplier: )[^\n]*");
  if (std::regex_search(y, has)) return std::regex_replace(y, has, "$1" + multiplier);
  size_t at = y.find("\n  pipeline: ");
  if (at == std::string::npos) return y;
  size_t eol = y.find('\n', at + 1);
  return y.substr(0, eol + 1) + "  multiplier: " + multiplier + "\n" + y.substr(eol + 1);
}

std::string point_config_yaml(const SweepSpec& spec, const Point& p, int pipeline) {
  gen::ArrayConfig c = p.cfg;
  if (pipeline >= 0) c.pipeline = pipeline;
  return "# design point " + p.hash + ": " + p.label + " (sweep " + spec.name + ")\n" +
         config_yaml_with_multiplier(c, p.knobs.multiplier) + spec.memory_yaml;
}

Expansion expand(const SweepSpec& spec, const std::string& tool_ver) {
  Expansion ex;
  using json = nlohmann::ordered_json;
  // Settings shared by every point (the parts of the key that do not vary).
  json shared;
  shared["tool"] = tool_ver;
  shared["stages"] = spec.stages;
  if (spec.has_stage("sim") || spec.has_stage("cosim")) shared["memory"] = spec.memory_yaml;
  if (spec.has_stage("sim")) {
    json w = json::array();
    for (const WorkloadSpec& ws : spec.workloads)
      w.push_back({{"name", ws.name}, {"layers_fnv", ws.layers.empty() ? "" : hex64(ws.layers_hash)}, {"gemm", ws.gemm}});
    shared["sim"] = {{"timing_only", spec.sim_timing_only}, {"ideal_memory", spec.sim_ideal_memory}, {"workloads", w}};
  }
  if (spec.has_stage("synth"))
    shared["synth"] = {{"energy", spec.synth_energy}, {"uniform", spec.synth_uniform}, {"cycles", spec.synth_cycles},
                       {"clock_ghz", spec.synth_clock_ghz}};
  if (spec.has_stage("cosim")) shared["cosim"] = {{"gemm", spec.cosim_gemm}, {"seed", spec.cosim_seed}};
  if (spec.has_stage("qsnr")) {
    json d = json::array();
    for (const QsnrData& q : spec.qsnr_data)
      d.push_back({{"name", q.name}, {"dist", q.dist}, {"outlier_p", q.outlier_p}, {"outlier_mag", q.outlier_mag},
                   {"crest", q.crest}, {"rotate", q.rotate}, {"rotate_block", q.rotate_block},
                   {"operand", std::string(1, q.operand)}});
    shared["qsnr"] = {{"n", spec.qsnr_n}, {"seed", spec.qsnr_seed}, {"data", d}};
  }
  std::map<std::string, uint64_t> lib_hash;
  for (const std::string& l : spec.liberties)
    if (l != "builtin") lib_hash[l] = hash_file(l);

  std::map<std::string, size_t> seen;  // hash -> point index
  // One design point; returns its index, or -1 when a filter or skip_invalid
  // dropped it.
  auto build = [&](const FormatChoice& fc, int R, int C, const std::string& lanes, const std::string& block,
                   const std::string& acc, int pipe, const std::string& df, const std::string& lib,
                   const SynthKnobs& knobs, const std::string& column) -> long {
      Point p;
      p.format = fc;
      p.liberty = lib;
      std::string arr = std::to_string(R) + "x" + std::to_string(C);
      std::string lib_name = lib == "builtin" ? "builtin" : std::filesystem::path(lib).stem().string();
      std::string pipe_s = pipe == kPipelineAuto ? "auto" : std::to_string(pipe);
    p.pipeline_auto = pipe == kPipelineAuto;
    p.knobs = knobs;
    p.axis = {{"format", fc.label}, {"array", arr}, {"lanes", lanes}, {"block", block},
                {"accumulation", acc}, {"pipeline", pipe_s}, {"dataflow", df},
                {"liberty", lib}};
      std::string desc = "format=" + fc.label + ", array=" + arr + ", lanes=" + lanes +
                         ", block=" + block + ", accumulation=" + acc +
                         ", pipeline=" + pipe_s + ", dataflow=" + df +
                         ", liberty=" + lib_name;
      gen::ArrayConfig& c = p.cfg;
      std::string error;
      try {
        c.a_name = with_block(fc.a, block);
        c.b_name = with_block(fc.b, block);
      } catch (const FormatError& e) {
        error = e.what();
      }
      c.lanes = lanes == "auto" ? 0 : std::stoi(lanes);
      c.pipeline = p.pipeline_auto ? 0 : pipe;
      c.rows = R;
      c.cols = C;
      c.dataflow = df == "weight-stationary" ? gen::Dataflow::WeightStationary
                                             : gen::Dataflow::OutputStationary;
      c.accum = parse_accum(acc);
    if (knobs.multiplier == "booth4") c.multiplier = gen::Multiplier::Booth4;
    else if (knobs.multiplier == "array") c.multiplier = gen::Multiplier::Array;
    else if (knobs.multiplier == "behavioural") c.multiplier = gen::Multiplier::Behavioural;
      std::string nm = sanitize_name(fc.label);
      if (nm.size() > 36) nm = nm.substr(0, 36);
      while (!nm.empty() && nm.back() == '_') nm.pop_back();
      c.name = nm + "_" + arr;
      if (fc.multi) {
        try {
          p.a1 = with_block(fc.a1, block);
          p.b1 = with_block(fc.b1, block);
        } catch (const FormatError& e) {
          if (error.empty()) error = e.what();
        }
        set_modes(c, p);
      }
      if (error.empty()) {
        try {
          gen::validate_config(c, "point");
        } catch (const FormatError& e) {
          error = e.what();
          if (error.rfind("point: ", 0) == 0) error = error.substr(7);
        }
      }
      // Parameters (resolved where the config resolved).
      auto bits = [](const std::string& f) {
        try {
          return std::to_string(parse_block_format(f).elem.bits);
        } catch (const FormatError&) {
          return std::string("");
        }
      };
      auto kind = [](const std::string& f) {
        try {
          return std::string(parse_block_format(f).elem.is_int() ? "int" : "fp");
        } catch (const FormatError&) {
          return std::string("");
        }
      };
      bool ok = error.empty();
      p.params = {{"format", fc.label},
                  {"a", c.a_name},
                  {"b", c.b_name},
                  {"a_bits", bits(c.a_name)},
                  {"b_bits", bits(c.b_name)},
                  {"a_kind", kind(c.a_name)},
                  {"b_kind", kind(c.b_name)},
                  {"array", arr},
                  {"rows", std::to_string(R)},
                  {"cols", std::to_string(C)},
                  {"pes", std::to_string(R * C)},
                  {"lanes", ok ? std::to_string(c.lanes) : lanes},
                  {"block", ok ? std::to_string(c.group) : block},
                  {"accumulation", acc},
                  {"pipeline", pipe_s},
                  {"dataflow", df},
                  {"liberty", lib_name},
                  {"peak_macs_per_cycle", ok ? std::to_string(R * C * c.lanes) : ""}};
      // A multi-format PE's mode 1 (empty for single-format points).
      if (fc.multi && ok) p.lanes1 = c.lanes1;
      p.params.insert(p.params.end(),
                      {{"modes", fc.multi ? "2" : "1"},
                       {"a1", p.a1},
                       {"b1", p.b1},
                       {"reuse", fc.reuse},
                       {"lanes1", p.lanes1 ? std::to_string(p.lanes1) : ""},
                       {"peak_macs_per_cycle_mode1", p.lanes1 ? std::to_string(R * C * p.lanes1) : ""}});
      std::map<std::string, std::string> vars(p.params.begin(), p.params.end());
      bool keep = true;
      for (const Filter& f : spec.where) keep = keep && filter_matches(f, vars);
      for (const Filter& f : spec.exclude) keep = keep && !filter_matches(f, vars);
      if (!keep) {
        ++ex.excluded;
        return -1;
      }
      if (!ok) {
        if (spec.skip_invalid) {
          ex.skipped.push_back(desc + ": " + error);
          return -1;
        }
        throw SweepError(spec.path + ": axes: the combination " + desc + " is invalid: " + error +
                         " (remove it with exclude:, or set skip_invalid: true)");
      }
      p.label = fc.label;
      for (const std::string& s : spec.swept) {
        std::string v = p.axis[s];
        if (s == "liberty") v = lib_name;
        else if (s == "lanes") v = "L" + v;
        else if (s == "block") v = v == "native" ? v : "B" + v;
        else if (s == "pipeline") v = "P" + v;
        else if (s == "dataflow") v = df == "weight-stationary" ? "WS" : "OS";
        p.label += " " + v;
      }
      if (!column.empty()) {
      p.axis["column"] = column;
      p.axis["multiplier"] = knobs.multiplier.empty() ? "default" : knobs.multiplier;
      p.axis["activity"] = knobs.activity;
      p.axis["clock_ns"] = knobs.timing ? fmt_num(knobs.clock_ns) : "none";
      p.label += " [" + column + "]";
    }
    json key = shared;
    if (spec.has_stage("synth")) {
      // Only what changes the synth run's output: area_scope is chosen in the report.
      key["synth"]["timing"] = knobs.timing;
      if (knobs.timing) key["synth"]["clock_ns"] = knobs.clock_ns;
      key["synth"]["pe_only"] = knobs.pe_only;
      key["synth"]["activity"] = knobs.activity;
      if (p.pipeline_auto) key["synth"]["pipeline_max"] = knobs.pipeline_max;
    }
    if (!knobs.multiplier.empty()) key["multiplier"] = knobs.multiplier;
      key["config"] = json::parse(c.canonical_json());
      if (spec.has_stage("synth"))
        key["liberty"] = {{"path", lib}, {"fnv", lib == "builtin" ? "" : hex64(lib_hash[lib])}};
      p.key = key.dump();
      p.hash = hex64(fnv1a64(p.key));
      auto dup = seen.find(p.hash);
      if (dup != seen.end()) return long(dup->second);  // the same design point spelled twice
      p.index = ex.points.size();
      seen[p.hash] = p.index;
      ex.points.push_back(p);
      return long(p.index);
  };
  if (!spec.has_ablation) {
    for (const FormatChoice& fc : spec.formats)
      for (const auto& [R, C] : spec.arrays)
        for (const std::string& lanes : spec.lanes)
          for (const std::string& block : spec.blocks)
            for (const std::string& acc : spec.accumulations)
              for (int pipe : spec.pipelines)
                for (const std::string& df : spec.dataflows)
                  for (const std::string& lib : spec.liberties)
                    build(fc, R, C, lanes, block, acc, pipe, df, lib, spec.synth, "");
    return ex;
  }
  // Ablation: every column's formats; a point two columns share (the same
  // hash: only area_scope differs) is run once and named by both.
  for (const AblationColumn& col : spec.ablation.columns) {
    std::map<std::string, std::string> hashes;
    for (const FormatChoice& fc : spec.formats) {
      long i = build(fc, spec.arrays[0].first, spec.arrays[0].second, col.lanes.at(fc.label), spec.blocks[0],
                     col.accumulation.at(fc.label), spec.pipelines[0], spec.dataflows[0], spec.liberties[0], col.knobs,
                     col.name);
      if (i >= 0) hashes[fc.label] = ex.points[size_t(i)].hash;
    }
    ex.column_points.push_back(hashes);
  }
  return ex;
}

}  // namespace macforge::sweep

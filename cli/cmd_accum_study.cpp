// macforge accum-study: the error each accumulation mode costs (relative GEMM
// error versus K against the exact result), beside each mode's area and
// energy when its synthesis report is given. docs/accumulation.md "The error
// it costs" describes the study file and the report.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "numerics/accum_study.hpp"
#include "synth/process.hpp"

namespace macforge::cli {
namespace {

const char* kUsage =
    "usage: macforge accum-study STUDY.yaml [--out DIR] [--seeds S] [--no-plot]\n\n"
    "For every data set, K and accumulation mode of the study file: draws M x K and N x K\n"
    "float32 operands (seeded), quantizes both to the mode's format, computes the GEMM under\n"
    "the mode (numerics' bit-exact model) and its exact result (wide-integer sums of the exact\n"
    "products), and reports the relative Frobenius error ||C - E|| / ||E||, mean and max over\n"
    "the seeds, with the quantization error of the format itself for scale. Writes\n"
    "DIR/accum_study.{json,csv,md}, DIR/accumulation.{dat,gp} and, with gnuplot,\n"
    "DIR/accumulation.{png,svg} (error versus K, log-log). DIR defaults to accum-study-NAME.\n\n"
    "Study file (YAML; configs/sweeps/accumulation.yaml):\n"
    "  name: NAME               description: TEXT (optional)\n"
    "  M: 16   N: 16            rows of A and B (outputs per GEMM = M x N)\n"
    "  K: [32, 64, ..., 16384]  reduction lengths\n"
    "  seeds: 4   seed: 1       GEMMs per (data, K), first seed\n"
    "  format: F                default operand format (e.g. fp8_e4m3/tensor/fp32)\n"
    "  rule: R                  default scale rule (default: the format's own)\n"
    "  data: list of {name, dist: gaussian|laplace|student-t:NU, outliers: P:MAG}\n"
    "  modes: list of {name (default: accum), accum: exact-block|aligned:W|PRESET|fused:...,\n"
    "                  lanes: L (exact-block / aligned), format: F, rule: R}\n"
    "  hardware: {MODE_NAME: PATH}  `macforge synth --pe-only --json` output per mode\n"
    "                               (relative to the study file); absent -> n/a\n\n"
    "--seeds overrides the file's seeds. Exit 2 for a bad study file (FILE:LINE:COL: field:\n"
    "problem) or options, 1 for I/O or gnuplot failures (the tables are still written).";

struct StudyFile {
  AccumStudySpec spec;
  std::string description;
  std::vector<std::string> hw_path;  // per mode; "" when not listed
  std::vector<std::string> hw_line;  // where it was listed, for errors
};

class Reader {
 public:
  explicit Reader(std::string src) : src_(std::move(src)) {}
  std::string where(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    if (m.is_null()) return src_;
    return src_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }
  [[noreturn]] void fail(const YAML::Node& n, const std::string& key, const std::string& msg) const {
    throw UsageError(where(n) + ": " + (key.empty() ? "" : key + ": ") + msg);
  }
  void keys(const YAML::Node& n, const std::string& key, const std::set<std::string>& allowed) const {
    std::string all;
    for (const auto& a : allowed) all += (all.empty() ? "" : ", ") + a;
    if (!n.IsMap()) fail(n, key, (key.empty() ? std::string("the top level") : key) + " must be a mapping (keys: " + all + ")");
    std::set<std::string> seen;
    for (const auto& kv : n) {
      std::string k = kv.first.Scalar();
      std::string f = key.empty() ? k : key + "." + k;
      if (!allowed.count(k)) fail(kv.first, f, "unknown key (allowed: " + all + ")");
      if (!seen.insert(k).second) fail(kv.first, f, "duplicate key");
    }
  }
  std::string scalar(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar() || n.Scalar().empty()) fail(n, key, "must be a single non-empty value");
    return n.Scalar();
  }
  long long integer(const YAML::Node& n, const std::string& key, long long lo, long long hi) const {
    std::string s = scalar(n, key);
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    std::string range = std::to_string(lo) + ".." + std::to_string(hi);
    if (used != s.size() || used == 0) fail(n, key, "'" + s + "' is not an integer (allowed: " + range + ")");
    if (v < lo || v > hi) fail(n, key, s + " is out of range (allowed: " + range + ")");
    return v;
  }

 private:
  std::string src_;
};

Distribution read_dist(const Reader& r, const YAML::Node& d, const std::string& key) {
  Distribution dist;
  try {
    dist = parse_distribution(r.scalar(d["dist"], key + ".dist"));
  } catch (const FormatError& e) {
    r.fail(d["dist"], key + ".dist", e.what());
  }
  if (d["outliers"]) {
    std::string s = r.scalar(d["outliers"], key + ".outliers");
    size_t c = s.find(':');
    bool ok = c != std::string::npos;
    if (ok) {
      char *e1 = nullptr, *e2 = nullptr;
      std::string p = s.substr(0, c), m = s.substr(c + 1);
      dist.outlier_p = std::strtod(p.c_str(), &e1);
      dist.outlier_mag = std::strtod(m.c_str(), &e2);
      ok = !p.empty() && !m.empty() && !*e1 && !*e2 && dist.outlier_p >= 0 && dist.outlier_p <= 1 &&
           dist.outlier_mag > 0;
    }
    if (!ok) r.fail(d["outliers"], key + ".outliers", "'" + s + "' is not P:MAG with P in [0,1], MAG > 0 (e.g. 0.01:20)");
  }
  return dist;
}

StudyFile read_study(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw UsageError(path + ": cannot read the study file");
  } catch (const YAML::ParserException& e) {
    throw UsageError(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                     ": YAML syntax error: " + e.msg);
  }
  Reader r(path);
  r.keys(root, "", {"name", "description", "M", "N", "K", "seeds", "seed", "format", "rule", "data", "modes", "hardware"});
  StudyFile f;
  AccumStudySpec& s = f.spec;
  for (const char* req : {"name", "K", "format", "data", "modes"})
    if (!root[req]) r.fail(root, req, "missing (required keys: name, K, format, data, modes)");
  s.name = r.scalar(root["name"], "name");
  static const std::string name_ok = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
  if (s.name.find_first_not_of(name_ok) != std::string::npos)
    r.fail(root["name"], "name", "'" + s.name + "' may only hold letters, digits, '_', '-', '.'");
  if (root["description"]) f.description = r.scalar(root["description"], "description");
  if (root["M"]) s.M = size_t(r.integer(root["M"], "M", 1, 4096));
  if (root["N"]) s.N = size_t(r.integer(root["N"], "N", 1, 4096));
  if (root["seeds"]) s.seeds = int(r.integer(root["seeds"], "seeds", 1, 1000));
  if (root["seed"]) s.seed = uint64_t(r.integer(root["seed"], "seed", 0, 1000000000000LL));
  const YAML::Node& kn = root["K"];
  if (kn.IsScalar()) {
    s.K.push_back(size_t(r.integer(kn, "K", 1, 1 << 20)));
  } else if (kn.IsSequence() && kn.size() > 0) {
    for (size_t i = 0; i < kn.size(); ++i) s.K.push_back(size_t(r.integer(kn[i], "K[" + std::to_string(i) + "]", 1, 1 << 20)));
  } else {
    r.fail(kn, "K", "must be an integer or a non-empty list of integers (1..1048576)");
  }

  auto read_format = [&](const YAML::Node& n, const std::string& key) {
    std::string fs = r.scalar(n, key);
    try {
      return parse_block_format(fs);
    } catch (const FormatError& e) {
      r.fail(n, key, e.what());
    }
  };
  auto read_rule = [&](const YAML::Node& n, const std::string& key, const BlockFormat& fmt) {
    std::string rs = r.scalar(n, key);
    try {
      Rule rule = parse_rule(rs);
      check_rule(fmt, rule);
      return rule;
    } catch (const FormatError& e) {
      r.fail(n, key, e.what());
    }
  };
  BlockFormat def_fmt = read_format(root["format"], "format");
  Rule def_rule = root["rule"] ? read_rule(root["rule"], "rule", def_fmt) : def_fmt.default_rule;

  const YAML::Node& dn = root["data"];
  if (!dn.IsSequence() || dn.size() == 0) r.fail(dn, "data", "must be a non-empty list of {name, dist, outliers}");
  std::set<std::string> labels;
  for (size_t i = 0; i < dn.size(); ++i) {
    std::string key = "data[" + std::to_string(i) + "]";
    r.keys(dn[i], key, {"name", "dist", "outliers"});
    if (!dn[i]["name"]) r.fail(dn[i], key + ".name", "missing");
    if (!dn[i]["dist"]) r.fail(dn[i], key + ".dist", "missing (gaussian, laplace, student-t:NU)");
    AccumStudyData d;
    d.label = r.scalar(dn[i]["name"], key + ".name");
    if (!labels.insert(d.label).second) r.fail(dn[i]["name"], key + ".name", "duplicate data name '" + d.label + "'");
    d.dist = read_dist(r, dn[i], key);
    s.data.push_back(d);
  }

  const YAML::Node& mn = root["modes"];
  if (!mn.IsSequence() || mn.size() == 0) r.fail(mn, "modes", "must be a non-empty list of {name, accum, lanes, format, rule}");
  labels.clear();
  for (size_t i = 0; i < mn.size(); ++i) {
    std::string key = "modes[" + std::to_string(i) + "]";
    r.keys(mn[i], key, {"name", "accum", "lanes", "format", "rule"});
    if (!mn[i]["accum"]) r.fail(mn[i], key + ".accum", "missing (exact-block, aligned:W, a fused preset, fused:...)");
    AccumStudyMode m;
    std::string as = r.scalar(mn[i]["accum"], key + ".accum");
    try {
      m.acc = parse_accum(as);
    } catch (const FormatError& e) {
      r.fail(mn[i]["accum"], key + ".accum", e.what());
    }
    if (mn[i]["lanes"]) {
      if (m.acc.mode == AccumMode::Fused)
        r.fail(mn[i]["lanes"], key + ".lanes", "a fused mode's step length is its G (terms), not lanes");
      m.acc.lanes = int(r.integer(mn[i]["lanes"], key + ".lanes", 1, 1024));
    }
    m.label = mn[i]["name"] ? r.scalar(mn[i]["name"], key + ".name") : as;
    if (m.label.find_first_of(" \t\"',") != std::string::npos)
      r.fail(mn[i]["name"] ? mn[i]["name"] : mn[i]["accum"], key + ".name", "'" + m.label + "' must not hold spaces, quotes or commas");
    if (!labels.insert(m.label).second)
      r.fail(mn[i], key + ".name", "duplicate mode name '" + m.label + "' (give each mode its own name)");
    m.format = mn[i]["format"] ? read_format(mn[i]["format"], key + ".format") : def_fmt;
    m.rule = mn[i]["rule"] ? read_rule(mn[i]["rule"], key + ".rule", m.format)
                           : (mn[i]["format"] ? m.format.default_rule : def_rule);
    if (!mn[i]["rule"] && mn[i]["format"]) {
      try {
        check_rule(m.format, m.rule);
      } catch (const FormatError& e) {
        r.fail(mn[i]["format"], key + ".format", e.what());
      }
    }
    if (m.format.elem.is_int() && m.acc.mode == AccumMode::Fused)
      r.fail(mn[i]["accum"], key + ".accum", "fused modes take floating-point elements, not " + m.format.elem.name);
    // Block lengths must nest with the mode's groups: find out now, not
    // after minutes of computing.
    try {
      std::vector<float> z(64, 1.0f);
      QMatrix q = quantize(m.format, m.rule, z.data(), 1, 64);
      if (!(m.format.has_block_scale() && 64 % size_t(m.format.block) != 0)) (void)gemm(q, q, m.acc);
    } catch (const FormatError& e) {
      r.fail(mn[i]["accum"], key + ".accum", std::string("with format ") + m.format.name + ": " + e.what());
    }
    s.modes.push_back(m);
  }

  f.hw_path.assign(s.modes.size(), "");
  f.hw_line.assign(s.modes.size(), "");
  if (root["hardware"]) {
    const YAML::Node& hn = root["hardware"];
    if (hn.IsNull()) {
      // an empty section: no synthesis reports
    } else {
      if (!hn.IsMap()) r.fail(hn, "hardware", "must be a mapping MODE_NAME: SYNTH_JSON_PATH");
      std::filesystem::path base = std::filesystem::path(path).parent_path();
      for (const auto& kv : hn) {
        std::string mode = kv.first.Scalar();
        auto it = std::find_if(s.modes.begin(), s.modes.end(), [&](const AccumStudyMode& m) { return m.label == mode; });
        std::string names;
        for (const auto& m : s.modes) names += (names.empty() ? "" : ", ") + m.label;
        if (it == s.modes.end()) r.fail(kv.first, "hardware." + mode, "no mode of that name (modes: " + names + ")");
        size_t idx = size_t(it - s.modes.begin());
        if (!f.hw_path[idx].empty()) r.fail(kv.first, "hardware." + mode, "duplicate key");
        std::string p = r.scalar(kv.second, "hardware." + mode);
        f.hw_path[idx] = std::filesystem::path(p).is_absolute() ? p : (base / p).string();
        f.hw_line[idx] = r.where(kv.second) + ": hardware." + mode;
      }
    }
  }
  return f;
}

struct Hw {
  bool have = false;
  std::string note;  // why n/a
  double area_um2 = 0, area_per_mac = 0, energy_pj = NAN;
  int lanes = 0;
  std::string design;
  std::string pe;  // "A x B, ACCUM" of the synthesized PE, so a mismatch with the mode shows
};

Hw read_hw(const StudyFile& f, size_t i) {
  Hw h;
  const std::string& p = f.hw_path[i];
  if (p.empty()) {
    h.note = f.spec.modes[i].acc.mode == AccumMode::Fused ? "n/a (no RTL yet)" : "n/a (not given)";
    return h;
  }
  std::ifstream in(p);
  if (!in) {
    h.note = "n/a (" + p + " missing)";
    return h;
  }
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception&) {
    throw UsageError(f.hw_line[i] + ": " + p + " is not JSON (expected `macforge synth --pe-only --json` output)");
  }
  if (!j.is_object() || !j.contains("area_um2") || !j["area_um2"].is_number())
    throw UsageError(f.hw_line[i] + ": " + p + " has no area_um2 (expected `macforge synth --pe-only --json` output)");
  h.have = true;
  h.area_um2 = j["area_um2"].get<double>();
  int macs = j.value("macs_per_cycle", 0);
  h.lanes = j.value("lanes", 0);
  h.area_per_mac = macs > 0 ? h.area_um2 / macs : NAN;
  if (j.contains("energy_pj_per_mac") && j["energy_pj_per_mac"].is_number()) h.energy_pj = j["energy_pj_per_mac"].get<double>();
  h.design = j.value("design", std::string());
  if (j.contains("config") && j["config"].is_object() && j["config"].contains("pe") && j["config"]["pe"].is_object()) {
    const nlohmann::json& pe = j["config"]["pe"];
    auto str = [&](const char* k) { return pe.contains(k) && pe[k].is_string() ? pe[k].get<std::string>() : std::string("?"); };
    h.pe = str("a") + " x " + str("b") + ", " + str("accumulation");
  }
  return h;
}

std::string sci(double v) {
  if (!std::isfinite(v)) return "n/a";
  if (v == 0) return "0";
  std::ostringstream s;
  s << std::scientific << std::setprecision(2) << v;
  return s.str();
}
std::string fix(double v, int prec) {
  if (!std::isfinite(v)) return "n/a";
  std::ostringstream s;
  s << std::fixed << std::setprecision(prec) << v;
  return s.str();
}
std::string jnum(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream s;
  s << std::setprecision(6) << v;
  return s.str();
}

// gnuplot figure: one panel per data set, log-log error versus K.
std::string plot_script(const AccumStudySpec& s) {
  std::ostringstream g;
  size_t nd = s.data.size(), nm = s.modes.size();
  g << "# Relative GEMM error versus K per accumulation mode (macforge accum-study)\n"
    << "set datafile separator whitespace\nset logscale xy 10\nset logscale x 2\n"
    << "set format x '%.0f'\nset format y '%.0e'\nset grid\nset key top left font ',9' spacing 0.9\n"
    << "set xtics (32, 128, 512, 2048, 8192)\nset yrange [1e-9:1]\n"
    << "set xlabel 'K (reduction length)'\nset ylabel '||C - E|| / ||E||'\n"
    << "set multiplot layout 1," << nd << "\n";
  for (size_t d = 0; d < nd; ++d) {
    g << "set title '" << s.data[d].label << " (M=" << s.M << ", N=" << s.N << ", " << s.seeds << " seeds)'\n";
    g << "plot ";
    for (size_t m = 0; m < nm; ++m)
      g << (m ? ", \\\n     " : "") << "'accumulation.dat' index " << d << " using 1:" << (m + 2)
        << " with linespoints title '" << s.modes[m].label << "'";
    g << ", \\\n     'accumulation.dat' index " << d << " using 1:" << (nm + 2)
      << " with lines dashtype 2 lc rgb 'gray' title 'fp8 quantization (scale)'\n";
  }
  g << "unset multiplot\n";
  return g.str();
}

int cmd_run(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("study", po::value<std::string>(), "the study file (positional)")(
      "out", po::value<std::string>(), "output directory (default accum-study-NAME)")(
      "seeds", po::value<int>(), "override the study file's seeds")("no-plot", po::bool_switch(), "skip gnuplot");
  po::positional_options_description pos;
  pos.add("study", 1);
  po::variables_map vm;
  if (!parse_options("accum-study", kUsage, desc, args, vm, &pos)) return 0;
  if (!vm.count("study")) throw UsageError("accum-study: missing the study file (see macforge accum-study --help)");
  std::string path = vm["study"].as<std::string>();
  StudyFile f = read_study(path);
  if (vm.count("seeds")) {
    int sd = vm["seeds"].as<int>();
    if (sd < 1 || sd > 1000) throw UsageError("--seeds " + std::to_string(sd) + ": allowed 1..1000");
    f.spec.seeds = sd;
  }
  std::string out = vm.count("out") ? vm["out"].as<std::string>() : "accum-study-" + f.spec.name;
  std::vector<Hw> hw;
  for (size_t i = 0; i < f.spec.modes.size(); ++i) hw.push_back(read_hw(f, i));
  const AccumStudySpec& s = f.spec;

  std::vector<AccumStudyCell> cells = run_accum_study(s);
  auto cell = [&](size_t d, size_t ki, size_t m) -> const AccumStudyCell& {
    return cells[(d * s.K.size() + ki) * s.modes.size() + m];
  };

  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) throw RuntimeError(out + ": cannot create the output directory: " + ec.message());

  // CSV and JSON: one row per (data, K, mode).
  std::ostringstream csv;
  csv << "data,K,mode,accum,format,rel_err_mean,rel_err_max,quant_err\n";
  nlohmann::json j;
  j["schema"] = "macforge-accum-study-1";
  j["name"] = s.name;
  j["study_file"] = path;
  j["M"] = s.M;
  j["N"] = s.N;
  j["seeds"] = s.seeds;
  j["seed"] = s.seed;
  j["K"] = s.K;
  j["modes"] = nlohmann::json::array();
  for (size_t m = 0; m < s.modes.size(); ++m) {
    nlohmann::json jm = {{"name", s.modes[m].label}, {"accum", s.modes[m].acc.name()}, {"format", s.modes[m].format.name},
                         {"rule", rule_name(s.modes[m].rule)}};
    if (s.modes[m].acc.mode != AccumMode::Fused) jm["lanes"] = s.modes[m].acc.lanes;
    if (hw[m].have)
      jm["hardware"] = {{"synth_json", f.hw_path[m]}, {"design", hw[m].design}, {"area_um2", hw[m].area_um2},
                        {"lanes", hw[m].lanes}, {"area_um2_per_mac_per_cycle", std::isfinite(hw[m].area_per_mac) ? nlohmann::json(hw[m].area_per_mac) : nlohmann::json()},
                        {"energy_pj_per_mac", std::isfinite(hw[m].energy_pj) ? nlohmann::json(hw[m].energy_pj) : nlohmann::json()},
                        {"pe", hw[m].pe}};
    else
      jm["hardware"] = nullptr, jm["hardware_note"] = hw[m].note;
    j["modes"].push_back(jm);
  }
  j["results"] = nlohmann::json::array();
  for (const AccumStudyCell& c : cells) {
    const AccumStudyMode& md = s.modes[c.mode];
    csv << s.data[c.data].label << "," << c.K << "," << md.label << "," << md.acc.name() << "," << md.format.name << ","
        << jnum(c.rel_err) << "," << jnum(c.rel_err_max) << "," << jnum(c.quant_err) << "\n";
    j["results"].push_back({{"data", s.data[c.data].label}, {"K", c.K}, {"mode", md.label}, {"rel_err_mean", c.rel_err},
                            {"rel_err_max", c.rel_err_max}, {"quant_err", c.quant_err}});
  }

  // Plot data: one gnuplot index block per data set.
  std::ostringstream dat;
  for (size_t d = 0; d < s.data.size(); ++d) {
    dat << "# " << s.data[d].label << ": K";
    for (const auto& m : s.modes) dat << " " << m.label;
    dat << " quantization\n";
    for (size_t ki = 0; ki < s.K.size(); ++ki) {
      dat << s.K[ki];
      // Zero error cannot be drawn on a log axis: leave a gap ('?').
      for (size_t m = 0; m < s.modes.size(); ++m) dat << " " << (cell(d, ki, m).rel_err > 0 ? jnum(cell(d, ki, m).rel_err) : "?");
      dat << " " << jnum(cell(d, ki, 0).quant_err) << "\n";
    }
    dat << "\n\n";
  }

  std::ostringstream md;
  md << "# Accumulation error study: " << s.name << "\n\n";
  if (!f.description.empty()) md << f.description << "\n\n";
  md << "Relative GEMM error ||C - E||_F / ||E||_F of each accumulation mode against the exact result E of the\n"
     << "same quantized operands (mean over " << s.seeds << " seeds; M = " << s.M << ", N = " << s.N
     << "). `quantization` is the error of the\nformat itself (E against the float64 GEMM of the unquantized data), for scale. "
     << "Study file: `" << path << "`.\n\n";
  md << "Modes:\n\n| mode | accumulation | operands | rule | PE area (um^2) | lanes | area / MAC/cycle | energy (pJ/MAC) | synthesized PE |\n"
     << "|---|---|---|---|---:|---:|---:|---:|---|\n";
  for (size_t m = 0; m < s.modes.size(); ++m) {
    const AccumStudyMode& x = s.modes[m];
    std::string acc = x.acc.name() + (x.acc.mode == AccumMode::Fused ? "" : " (lanes " + std::to_string(x.acc.lanes) + ")");
    md << "| " << x.label << " | " << acc << " | " << x.format.name << " | " << rule_name(x.rule) << " | ";
    if (hw[m].have)
      md << fix(hw[m].area_um2, 1) << " | " << hw[m].lanes << " | " << fix(hw[m].area_per_mac, 1) << " | " << fix(hw[m].energy_pj, 4)
         << " | " << hw[m].pe << " |\n";
    else
      md << hw[m].note << " | | | | |\n";
  }
  for (size_t d = 0; d < s.data.size(); ++d) {
    md << "\n## " << s.data[d].label << "\n\n| mode |";
    for (size_t K : s.K) md << " K=" << K << " |";
    md << "\n|---|";
    for (size_t i = 0; i < s.K.size(); ++i) md << "---:|";
    md << "\n";
    for (size_t m = 0; m < s.modes.size(); ++m) {
      md << "| " << s.modes[m].label << " |";
      for (size_t ki = 0; ki < s.K.size(); ++ki) md << " " << sci(cell(d, ki, m).rel_err) << " |";
      md << "\n";
    }
    md << "| quantization (" << s.modes[0].format.name << ") |";
    for (size_t ki = 0; ki < s.K.size(); ++ki) md << " " << sci(cell(d, ki, 0).quant_err) << " |";
    md << "\n";
  }

  write_file_atomic(out + "/accum_study.csv", csv.str());
  write_file_atomic(out + "/accum_study.json", j.dump(2) + "\n");
  write_file_atomic(out + "/accumulation.dat", dat.str());
  write_file_atomic(out + "/accumulation.gp", plot_script(s));

  std::string plot_error;
  if (!vm["no-plot"].as<bool>()) {
    if (synth::find_program("gnuplot").empty()) {
      plot_error = "gnuplot is not installed (apt-get install gnuplot-nox); the plot data and script are in " + out;
    } else {
      std::string log = (std::filesystem::absolute(out) / "gnuplot.log").string();
      int width = 640 * int(s.data.size());
      for (const char* ext : {"png", "svg"}) {
        std::string term = std::string(ext) == "png" ? "pngcairo" : "svg";
        std::string tmp = std::string("accumulation.") + ext + ".tmp";
        std::string pre = "set terminal " + term + " size " + std::to_string(width) + ",600 noenhanced; set output '" + tmp + "'";
        synth::ProcResult pr = synth::run_process({"gnuplot", "-e", pre, "accumulation.gp"}, out, log);
        if (pr.status != 0 && term == "pngcairo") {  // gnuplot built without cairo
          pre = "set terminal png size " + std::to_string(width) + ",600 noenhanced; set output '" + tmp + "'";
          pr = synth::run_process({"gnuplot", "-e", pre, "accumulation.gp"}, out, log);
        }
        std::string dst = out + "/accumulation." + ext;
        if (pr.status != 0 || std::rename((out + "/" + tmp).c_str(), dst.c_str()) != 0) {
          std::remove((out + "/" + tmp).c_str());
          plot_error = "gnuplot failed on " + dst + ": " + synth::log_excerpt(log);
          break;
        }
      }
    }
  }
  md << "\nPlot: " << (plot_error.empty() && !vm["no-plot"].as<bool>() ? "`accumulation.png` / `accumulation.svg`"
                                                                        : "not drawn (" + (plot_error.empty() ? std::string("--no-plot") : plot_error) + ")")
     << " (data `accumulation.dat`, script `accumulation.gp`).\n";
  write_file_atomic(out + "/accum_study.md", md.str());
  std::cout << md.str();
  if (!plot_error.empty()) throw RuntimeError(plot_error);
  return 0;
}

}  // namespace

int cmd_accum_study(const std::vector<std::string>& args) { return cmd_run(args); }

}  // namespace macforge::cli

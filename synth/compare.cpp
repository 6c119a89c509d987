#include "synth/compare.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <optional>
#include <sstream>

#include "numerics/block_format.hpp"
#include "synth/errors.hpp"
#include "synth/lib_prep.hpp"
#include "synth/process.hpp"
#include "synth/report.hpp"

namespace macforge::synth {

namespace fs = std::filesystem;

namespace {

std::string fx(double v, int prec) {
  if (!std::isfinite(v) || v < 0) return "-";
  std::ostringstream s;
  s << std::fixed << std::setprecision(prec) << v;
  return s.str();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> v;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      v.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  v.push_back(cur);
  return v;
}

std::string ident_of(const std::string& f) {
  std::string s;
  for (char c : f) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) s = "f" + s;
  return s;
}

// Table 5 of arXiv 2510.25602 (normalized area, normalized energy), when the
// baseline is the paper's.
bool paper_value(const std::string& base, const std::string& entry, double& area, double& energy) {
  struct P {
    const char *base, *entry;
    double a, e;
  };
  static const P t[] = {
      {"mxfp8_e4m3", "mxfp8_e4m3", 1.0, 1.0},  {"mxfp8_e4m3", "mxint8", 0.79, 0.63},
      {"mxfp8_e4m3", "nvfp4", 0.54, 0.55},     {"mxfp8_e4m3", "nvint4", 0.38, 0.34},
      {"mxfp8_e4m3+nvfp4", "mxfp8_e4m3+nvfp4", 1.0, 1.0},
      {"mxfp8_e4m3+nvfp4", "mxint8+nvint4", 0.66, 0.75},
  };
  for (const P& p : t)
    if (base == p.base && entry == p.entry) {
      area = p.a;
      energy = p.e;
      return true;
    }
  return false;
}

// "int-scheme2" -> the scheme; nullopt for an unknown name.
std::optional<gen::Reuse> parse_reuse(const std::string& n) {
  for (gen::Reuse r : {gen::Reuse::None, gen::Reuse::IntScheme1, gen::Reuse::IntScheme2, gen::Reuse::FpShared})
    if (n == gen::reuse_name(r)) return r;
  return std::nullopt;
}

// A+B@REUSE: the 8-bit format (mode 0), the narrow one (mode 1), the scheme.
struct SharedEntry {
  std::string wide, narrow;
  gen::Reuse reuse = gen::Reuse::None;
};
std::optional<SharedEntry> shared_entry(const std::string& e) {
  size_t at = e.find('@');
  if (at == std::string::npos) return std::nullopt;
  std::vector<std::string> parts = split(e.substr(0, at), '+');
  SharedEntry x;
  bool first_wide = parse_block_format(parts[0]).elem.bits >= parse_block_format(parts[1]).elem.bits;
  x.wide = parts[first_wide ? 0 : 1];
  x.narrow = parts[first_wide ? 1 : 0];
  x.reuse = *parse_reuse(e.substr(at + 1));
  return x;
}

}  // namespace

std::vector<std::string> parse_compare_list(const std::string& s) {
  std::vector<std::string> out;
  for (const std::string& e : split(s, ',')) {
    if (e.empty()) throw InputError("--compare '" + s + "': empty entry (expected F1,F2,... or A+B for a mixed design)");
    // A+B@REUSE: one multi-format PE (docs/synthesis.md section 8)
    size_t at = e.find('@');
    std::vector<std::string> parts = split(e.substr(0, at), '+');
    if (parts.size() > 2) throw InputError("--compare entry '" + e + "': at most two formats (A+B)");
    if (at != std::string::npos) {
      std::string r = e.substr(at + 1);
      if (parts.size() != 2 || !parse_reuse(r))
        throw InputError("--compare entry '" + e + "': A+B@REUSE is one multi-format PE of two formats (REUSE: " +
                         std::string(gen::kReuseChoices) + ")");
    }
    for (const std::string& p : parts) {
      try {
        parse_block_format(p);
      } catch (const FormatError& ex) {
        throw InputError("--compare entry '" + e + "': " + ex.what());
      }
    }
    out.push_back(e);
  }
  if (out.empty()) throw InputError("--compare needs at least one format");
  return out;
}

CompareResult run_compare(const CompareOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  CompareResult res;
  std::string D = fs::absolute(opt.out_dir).lexically_normal().string();
  const bool fresh_dir = !fs::exists(D);
  prepare_out_dir(D);
  PreparedLibrary lib = prepare_library_or_remove_dir(opt.base.liberty, D, fresh_dir);
  res.library = lib.lib.name + (lib.builtin ? " (built-in)" : " (" + lib.source + ")");

  // the PEs to build: (format, lanes)
  struct Job {
    std::string fmt;
    int lanes;
    SynthReport rep;
    bool done = false;
  };
  std::vector<Job> jobs;
  auto job_index = [&](const std::string& f, int lanes) {
    for (size_t i = 0; i < jobs.size(); ++i)
      if (jobs[i].fmt == f && jobs[i].lanes == lanes) return i;
    jobs.push_back({f, lanes, {}, false});
    return jobs.size() - 1;
  };
  for (const std::string& e : opt.entries) {
    CompareRow r;
    r.entry = e;
    std::vector<std::string> parts = split(e.substr(0, e.find('@')), '+');
    r.mixed = parts.size() == 2;
    if (std::optional<SharedEntry> x = shared_entry(e)) {
      // one PE, mode 0 at lanes x narrow/wide bits (4-bit mode 1: 2 x those lanes = --lanes)
      int nb = parse_block_format(x->narrow).elem.bits;
      int l0 = nb == 4 ? opt.lanes / 2 : opt.lanes;
      if (l0 < 1 || (nb == 4 && opt.lanes % 2 != 0))
        throw InputError("--compare entry '" + e + "': " + std::to_string(opt.lanes) +
                         " lanes cannot be split into an 8-bit mode and a 4-bit mode at twice its lanes");
      r.shared = true;
      r.pes.push_back({e, l0});
    } else if (!r.mixed) {
      r.pes.push_back({parts[0], opt.lanes});
    } else {
      int ba = parse_block_format(parts[0]).elem.bits, bb = parse_block_format(parts[1]).elem.bits;
      int narrow = std::min(ba, bb);
      for (size_t k = 0; k < 2; ++k) {
        int bits = k == 0 ? ba : bb;
        int lanes = opt.lanes * narrow / bits;
        if (lanes < 1 || opt.lanes * narrow % bits != 0)
          throw InputError("--compare entry '" + e + "': " + std::to_string(opt.lanes) +
                           " lanes cannot be scaled by the element widths " + std::to_string(ba) + ":" +
                           std::to_string(bb));
        r.pes.push_back({parts[k], lanes});
      }
    }
    for (auto& [f, l] : r.pes) job_index(f, l);
    res.rows.push_back(r);
  }
  for (Job& j : jobs) {
    gen::ArrayConfig cfg;
    cfg.name = ident_of(j.fmt) + "_l" + std::to_string(j.lanes);
    if (std::optional<SharedEntry> x = shared_entry(j.fmt)) {
      cfg.modes = 2;
      cfg.a_name = cfg.b_name = x->wide;
      cfg.a1_name = cfg.b1_name = x->narrow;
      cfg.reuse = x->reuse;
    } else {
      cfg.a_name = cfg.b_name = j.fmt;
    }
    cfg.lanes = j.lanes;
    cfg.pipeline = opt.pipeline;
    cfg.rows = cfg.cols = 1;
    try {
      gen::validate_config(cfg, "--compare " + j.fmt);
    } catch (const FormatError& e) {
      throw InputError(e.what());
    }
    SynthOptions so = opt.base;
    so.out_dir = D + "/" + cfg.name;
    so.pe_only = true;
    so.prepared = &lib;
    j.rep = run_synth(cfg, so);
    j.done = true;
  }
  auto find_job = [&](const std::string& f, int l) -> const SynthReport& { return jobs[job_index(f, l)].rep; };
  // rows
  const CompareRow* base_single = nullptr;
  const CompareRow* base_mixed = nullptr;
  for (CompareRow& r : res.rows) {
    if (r.shared) {
      // one multi-format PE running half the time in each mode: energy per MAC =
      // (energy per cycle in mode 0 + in mode 1) / (lanes_0 + lanes_1), as the
      // side-by-side rows below
      const SynthReport& s = find_job(r.pes[0].first, r.pes[0].second);
      r.area_um2 = s.area_um2;
      r.area_by_part = s.area_by_part;
      r.seconds = s.t_total;
      if (s.timing.available) {
        r.timing = true;
        r.clock_ns = s.timing.clock_ns;
        r.fmax_mhz = s.timing.fmax_mhz;
        r.slack_ns = s.timing.slack_ns;
        r.timing_met = s.timing.met;
      }
      double macs = 0, e = 0, u = 0;
      bool done = !s.modes.empty(), uni = done;
      for (const ModeReport& m : s.modes) {
        macs += m.lanes;
        r.mode_lanes.push_back(m.lanes);
        done = done && m.pe_energy.done;
        uni = uni && m.pe_energy.has_uniform;
        e += m.pe_energy.realistic.pj_per_cycle();
        u += m.pe_energy.uniform.pj_per_cycle();
      }
      if (done) r.energy_pj_per_mac = e / macs;
      if (done && uni) r.energy_uniform_pj_per_mac = u / macs;
    } else if (!r.mixed) {
      const SynthReport& s = find_job(r.pes[0].first, r.pes[0].second);
      r.area_um2 = s.area_um2;
      r.energy_pj_per_mac = s.energy_pj_per_mac;
      r.energy_uniform_pj_per_mac = s.energy_uniform_pj_per_mac;
      r.area_by_part = s.area_by_part;
      r.seconds = s.t_total;
      if (s.timing.available) {
        r.timing = true;
        r.clock_ns = s.timing.clock_ns;
        r.fmax_mhz = s.timing.fmax_mhz;
        r.slack_ns = s.timing.slack_ns;
        r.timing_met = s.timing.met;
      }
    } else {
      const SynthReport& a = find_job(r.pes[0].first, r.pes[0].second);
      const SynthReport& b = find_job(r.pes[1].first, r.pes[1].second);
      r.area_um2 = a.area_um2 + b.area_um2;
      for (const SynthReport* s : {&a, &b})
        for (const auto& [k, v] : s->area_by_part) r.area_by_part[k] += v;
      r.seconds = a.t_total + b.t_total;
      if (a.timing.available && b.timing.available) {
        r.timing = true;
        r.clock_ns = a.timing.clock_ns;
        r.fmax_mhz = std::min(a.timing.fmax_mhz, b.timing.fmax_mhz);
        r.slack_ns = std::min(a.timing.slack_ns, b.timing.slack_ns);
        r.timing_met = a.timing.met && b.timing.met;
      }
      if (a.pe_energy.done && b.pe_energy.done) {
        auto mode = [](const SynthReport& x, const SynthReport& idle, bool uniform) {
          const EnergyResult& e = uniform ? x.pe_energy.uniform : x.pe_energy.realistic;
          const EnergyResult& i = idle.pe_energy.realistic;
          return e.pj_per_cycle() + i.total.leakage / double(i.cycles);
        };
        double macs = double(a.lanes + b.lanes);
        r.energy_pj_per_mac = (mode(a, b, false) + mode(b, a, false)) / macs;
        if (a.pe_energy.has_uniform && b.pe_energy.has_uniform)
          r.energy_uniform_pj_per_mac = (mode(a, b, true) + mode(b, a, true)) / macs;
      }
    }
    const CompareRow*& base = r.mixed ? base_mixed : base_single;
    if (!base) base = &r;
    r.area_ratio = r.area_um2 / base->area_um2;
    r.energy_ratio = base->energy_pj_per_mac > 0 ? r.energy_pj_per_mac / base->energy_pj_per_mac : 0;
    double pa = -1, pe = -1;
    // two shared entries: Table 5's mixed row (the paper's mixed designs share a datapath)
    auto body = [](const std::string& x) { return x.substr(0, x.find('@')); };
    const bool both = base->shared && r.shared;
    if (paper_value(both ? body(base->entry) : base->entry, both ? body(r.entry) : r.entry, pa, pe)) {
      r.paper_area = pa;
      r.paper_energy = pe;
    }
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const CompareRow& r : res.rows)
    if (r.timing) res.clock_ns = r.clock_ns;
  // Timing cells: "-" when the row has no timing; slack keeps its sign.
  auto slack_txt = [](const CompareRow& r) {
    if (!r.timing) return std::string("-");
    std::ostringstream s;
    s << std::fixed << std::setprecision(3) << r.slack_ns;
    return s.str();
  };

  // outputs
  std::ostringstream md, csv, js;
  md << "| design | lanes | area um^2 | area (x) | paper area (x) | energy pJ/MAC | energy (x) | paper energy (x) | "
        "uniform pJ/MAC | fmax MHz | slack ns | met T |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  csv << "design,mixed,lanes,area_um2,area_ratio,paper_area_ratio,energy_pj_per_mac,energy_ratio,paper_energy_ratio,"
         "energy_uniform_pj_per_mac,clock_ns,fmax_mhz,slack_ns,timing_met";
  for (const char* p : {"multipliers", "align_norm", "adder_tree", "scale", "accumulator", "registers", "other"})
    csv << ",area_" << p << "_um2";
  csv << "\n";
  js << "{\n  \"library\": " << json_str(res.library) << ",\n  \"lanes\": " << opt.lanes
     << ",\n  \"clock_ns\": " << (res.clock_ns > 0 ? json_num(res.clock_ns) : "null")
     << ",\n  \"clock_hz\": " << json_num(opt.base.clock_hz) << ",\n  \"rows\": [\n";
  for (size_t i = 0; i < res.rows.size(); ++i) {
    const CompareRow& r = res.rows[i];
    std::string lanes;
    for (const auto& [f, l] : r.pes) lanes += (lanes.empty() ? "" : ":") + std::to_string(l);
    if (r.shared) {
      lanes.clear();
      for (int l : r.mode_lanes) lanes += (lanes.empty() ? "" : ":") + std::to_string(l);
    }
    md << "| " << r.entry << " | " << lanes << " | " << fx(r.area_um2, 0) << " | " << fx(r.area_ratio, 2) << " | "
       << fx(r.paper_area, 2) << " | " << fx(r.energy_pj_per_mac, 4) << " | " << fx(r.energy_ratio, 2) << " | "
       << fx(r.paper_energy, 2) << " | " << fx(r.energy_uniform_pj_per_mac, 4) << " | "
       << (r.timing ? fx(r.fmax_mhz, 0) : "-") << " | " << slack_txt(r) << " | "
       << (r.timing ? (r.timing_met ? "yes" : "**no**") : "-") << " |\n";
    csv << r.entry << "," << (r.mixed ? 1 : 0) << "," << lanes << "," << json_num(r.area_um2) << ","
        << json_num(r.area_ratio) << "," << (r.paper_area >= 0 ? json_num(r.paper_area) : "") << ","
        << json_num(r.energy_pj_per_mac) << "," << json_num(r.energy_ratio) << ","
        << (r.paper_energy >= 0 ? json_num(r.paper_energy) : "") << "," << json_num(r.energy_uniform_pj_per_mac) << ","
        << (r.timing ? json_num(r.clock_ns) : "") << "," << (r.timing ? json_num(r.fmax_mhz) : "") << ","
        << (r.timing ? json_num(r.slack_ns) : "") << "," << (r.timing ? (r.timing_met ? "1" : "0") : "");
    for (const char* p : {"multipliers", "align_norm", "adder_tree", "scale", "accumulator", "registers", "other"})
      csv << "," << json_num(r.area_by_part.count(p) ? r.area_by_part.at(p) : 0.0);
    csv << "\n";
    js << "    {\"design\": " << json_str(r.entry) << ", \"mixed\": " << (r.mixed ? "true" : "false")
       << ", \"lanes\": " << json_str(lanes) << ", \"area_um2\": " << json_num(r.area_um2)
       << ", \"area_ratio\": " << json_num(r.area_ratio) << ", \"energy_pj_per_mac\": " << json_num(r.energy_pj_per_mac)
       << ", \"energy_ratio\": " << json_num(r.energy_ratio)
       << ", \"energy_uniform_pj_per_mac\": " << json_num(r.energy_uniform_pj_per_mac)
       << ", \"paper_area_ratio\": " << (r.paper_area >= 0 ? json_num(r.paper_area) : "null")
       << ", \"paper_energy_ratio\": " << (r.paper_energy >= 0 ? json_num(r.paper_energy) : "null")
       << ", \"fmax_mhz\": " << (r.timing ? json_num(r.fmax_mhz) : "null")
       << ", \"slack_ns\": " << (r.timing ? json_num(r.slack_ns) : "null")
       << ", \"timing_met\": " << (r.timing ? (r.timing_met ? "true" : "false") : "null")
       << ", \"seconds\": " << json_num(r.seconds) << "}" << (i + 1 < res.rows.size() ? "," : "") << "\n";
  }
  js << "  ],\n  \"seconds\": " << json_num(res.seconds) << "\n}\n";
  std::ostringstream head;
  head << "# Area and energy per MAC by number format (macforge synth --compare)\n\n"
       << "Library: " << res.library << ". One PE per format at equal throughput: " << opt.lanes
       << " element pairs per cycle (mixed A+B: the narrower format at " << opt.lanes
       << " lanes, the wider at lanes x narrow/wide bits, 8-bit:4-bit = 1:2, the two PEs side by side). "
       << "Energy from gate-level simulation at " << fx(opt.base.clock_hz / 1e9, 2)
       << " GHz on realistic data (Gaussian with outliers, quantized); ratios to the first single / first mixed "
          "entry; paper = arXiv 2510.25602 Table 5.\n\n"
       << (res.clock_ns > 0 ? "Clock constraint T = " + fx(res.clock_ns, 3) + " ns (" + fx(1000.0 / res.clock_ns, 0) +
                                  " MHz): fmax from the worst path (OpenSTA), slack at T, met = slack >= 0.\n\n"
                            : std::string("No static timing (--no-timing, or a library without timing arcs).\n\n"));
  res.markdown = head.str() + md.str();
  res.csv = csv.str();
  res.json = js.str();
  write_text_atomic(D + "/compare.md", res.markdown);
  write_text_atomic(D + "/compare.csv", res.csv);
  write_text_atomic(D + "/compare.json", res.json);
  return res;
}

}  // namespace macforge::synth

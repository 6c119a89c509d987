#include "sweep/report.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "sweep/util.hpp"

namespace macforge::sweep {

namespace {

std::string cell(double v, int digits = 4) {
  if (!std::isfinite(v)) return "-";
  return fmt_num(v, digits);
}
std::string ratio(double v) {
  if (!std::isfinite(v)) return "-";
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(2);
  s << v << "x";
  return s.str();
}
std::string big(double v) {
  if (!std::isfinite(v)) return "-";
  if (std::fabs(v) >= 1e6) {
    std::ostringstream s;
    s.precision(4);
    s << v;
    return s.str();
  }
  return fmt_num(v, 6);
}
std::string md_escape(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '|' ? std::string("\\|") : std::string(1, c);
  return o;
}
// The group's values of the swept axes ("array=8x8"), or all of them.
std::string group_title(const std::string& g, const json& swept) {
  std::string t;
  for (const std::string& kv : split(g, ';')) {
    if (kv.empty()) continue;
    std::string k = kv.substr(0, kv.find('='));
    bool is_swept = false;
    for (const json& s : swept) is_swept |= s.get<std::string>() == k;
    if (is_swept) t += (t.empty() ? "" : ", ") + kv;
  }
  return t.empty() ? "all points" : t;
}

}  // namespace

std::vector<size_t> pareto_front(const ReportData& rd, const std::string& k) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < rd.rows.size(); ++i)
    if (rd.rows[i].status == "ok" && std::isfinite(rd.rows[i].m(k)) && std::isfinite(rd.rows[i].m("energy_pj_per_mac")))
      idx.push_back(i);
  std::vector<size_t> front;
  for (size_t i : idx) {
    double e = rd.rows[i].m("energy_pj_per_mac"), q = rd.rows[i].m(k);
    bool dominated = false;
    for (size_t j : idx) {
      if (j == i) continue;
      double e2 = rd.rows[j].m("energy_pj_per_mac"), q2 = rd.rows[j].m(k);
      if (e2 <= e && q2 >= q && (e2 < e || q2 > q)) dominated = true;
    }
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end(), [&](size_t a, size_t b) {
    return rd.rows[a].m("energy_pj_per_mac") < rd.rows[b].m("energy_pj_per_mac");
  });
  return front;
}

std::string render_report(const ReportData& rd, size_t ok, size_t failed, size_t missing) {
  const json& m = rd.manifest;
  std::ostringstream o;
  std::string baseline = m.value("baseline", "");
  o << "# Sweep `" << m.value("name", "") << "`\n\n";
  if (!m.value("description", "").empty()) o << m.value("description", "") << "\n\n";
  o << "- sweep file: `" << m.value("sweep_file", "") << "`\n";
  o << "- tool: `" << m.value("tool_version", "") << "`\n";
  std::vector<std::string> stages = m["stages"].get<std::vector<std::string>>();
  o << "- stages: " << join(stages) << "\n";
  o << "- points: " << rd.rows.size() << " (" << ok << " ok, " << failed << " failed, " << missing
    << " not run yet)\n";
  o << "- baseline: `" << baseline
    << "`; every `x` column is the point's figure divided by the baseline format's point with the same other "
       "parameters\n";
  o << "- all figures per point: `results.csv`, `results.json`; per point logs: `logs/<hash>.log`\n\n";

  bool has_area = std::find(rd.metric_cols.begin(), rd.metric_cols.end(), "area_um2") != rd.metric_cols.end();
  bool has_energy =
      std::find(rd.metric_cols.begin(), rd.metric_cols.end(), "energy_pj_per_mac") != rd.metric_cols.end();
  auto group_header = [&](const std::string& g) {
    if (rd.groups.size() > 1) o << "**" << group_title(g, m["swept"]) << "**\n\n";
  };

  if (has_area || has_energy) {
    o << "## Hardware cost\n\n"
         "Area and energy per MAC of the whole array from `macforge synth` (Yosys; energy from gate-level "
         "activity); peak throughput = rows x cols x lanes MACs per cycle.\n\n";
    for (const std::string& g : rd.groups) {
      group_header(g);
      o << "| point | area um^2 | area x | energy pJ/MAC | energy x | peak MAC/cycle/mm^2 | x | cells | flops |\n"
           "|---|---|---|---|---|---|---|---|---|\n";
      for (const Row& r : rd.rows) {
        if (r.group != g) continue;
        o << "| " << md_escape(r.label) << (r.axis.value("format", "") == baseline ? " (baseline)" : "") << " | "
          << cell(r.m("area_um2"), 6) << " | " << ratio(r.rel("area_um2_rel")) << " | "
          << cell(r.m("energy_pj_per_mac")) << " | " << ratio(r.rel("energy_pj_per_mac_rel")) << " | "
          << cell(r.m("peak_macs_per_cycle_per_mm2"), 5) << " | " << ratio(r.rel("peak_macs_per_cycle_per_mm2_rel"))
          << " | " << cell(r.m("cells"), 8) << " | " << cell(r.m("flops"), 8) << " |\n";
      }
      o << "\n";
    }
  }

  if (!rd.composites.empty()) {
    std::string cb = m.value("composite_baseline", "");
    o << "## Composite (mixed-precision) designs\n\n"
         "A composite is separate arrays side by side, `units` copies of each part (e.g. one 8-bit array and "
         "two 4-bit arrays: the 4-bit side has twice the 8-bit side's throughput). Area is the sum of "
         "`units x area`; energy per MAC is the throughput-weighted mean `sum(units x peak x energy) / "
         "sum(units x peak)` (every unit busy). Ratios are against `"
      << cb << "`.\n\n";
    for (const std::string& g : rd.groups) {
      group_header(g);
      o << "| composite | parts | area um^2 | area x | energy pJ/MAC | energy x | peak MAC/cycle |\n"
           "|---|---|---|---|---|---|---|\n";
      for (const CompositeRow& c : rd.composites) {
        if (c.group != g) continue;
        o << "| " << md_escape(c.name) << " | " << md_escape(c.parts) << " | "
          << (c.ok ? cell(c.area_um2, 6) : "incomplete") << " | " << ratio(c.area_rel) << " | "
          << cell(c.energy_pj_per_mac) << " | " << ratio(c.energy_rel) << " | " << cell(c.peak_macs_per_cycle) << " |\n";
      }
      o << "\n";
    }
  }

  if (m.contains("reference") && !m["reference"]["rows"].empty()) {
    std::string title = m["reference"].value("title", "reference");
    o << "## Comparison with " << title << "\n\n"
         "Published ratios beside ours (formats against `"
      << baseline << "`" << (rd.composites.empty() ? "" : ", composites against `" + m.value("composite_baseline", "") + "`")
      << ").\n\n";
    for (const std::string& g : rd.groups) {
      group_header(g);
      o << "| design | area x (published) | area x (ours) | energy x (published) | energy x (ours) |\n"
           "|---|---|---|---|---|\n";
      for (const json& ref : m["reference"]["rows"]) {
        std::string name = ref["name"];
        double area = NAN, energy = NAN;
        bool found = false;
        for (const Row& r : rd.rows)
          if (r.group == g && r.axis.value("format", "") == name) {
            area = r.rel("area_um2_rel");
            energy = r.rel("energy_pj_per_mac_rel");
            found = true;
          }
        for (const CompositeRow& c : rd.composites)
          if (c.group == g && c.name == name) {
            area = c.area_rel;
            energy = c.energy_rel;
            found = true;
          }
        auto pub = [&](const char* k) {
          return ref["values"].contains(k) ? ratio(ref["values"][k].get<double>()) : std::string("-");
        };
        o << "| " << md_escape(name) << (found ? "" : " (not in this sweep)") << " | " << pub("area") << " | "
          << ratio(area) << " | " << pub("energy") << " | " << ratio(energy) << " |\n";
      }
      o << "\n";
    }
    std::string note = m["reference"].value("note", "");
    if (!note.empty()) o << note << "\n\n";
  }

  if (!m["qsnr_data"].empty()) {
    bool any = false;
    for (const json& d : m["qsnr_data"])
      any |= std::find(rd.metric_cols.begin(), rd.metric_cols.end(), "qsnr_" + d["name"].get<std::string>()) !=
             rd.metric_cols.end();
    if (any) {
      o << "## QSNR (dB)\n\nQuantization signal-to-noise ratio of the format on " << m.value("qsnr_n", 0)
        << " seeded values per data set (higher is better):\n\n";
      for (const json& d : m["qsnr_data"])
        o << "- `" << d["name"].get<std::string>() << "`: " << d["description"].get<std::string>() << "\n";
      o << "\n| point |";
      for (const json& d : m["qsnr_data"]) o << " " << d["name"].get<std::string>() << " |";
      o << "\n|---|";
      for (size_t i = 0; i < m["qsnr_data"].size(); ++i) o << "---|";
      o << "\n";
      std::set<std::string> shown;  // QSNR depends on the format (and block) only
      for (const Row& r : rd.rows) {
        std::string key = r.param("a") + "|" + r.param("b");
        if (!shown.insert(key).second) continue;
        std::string blk = r.axis.value("block", "native");
        o << "| " << md_escape(r.axis.value("format", r.label)) << (blk == "native" ? "" : " (block " + blk + ")") << " |";
        for (const json& d : m["qsnr_data"]) o << " " << cell(r.m("qsnr_" + d["name"].get<std::string>()), 4) << " |";
        o << "\n";
      }
      o << "\n";
    }
  }

  if (!m["workloads"].empty() &&
      std::find(stages.begin(), stages.end(), "sim") != stages.end()) {
    o << "## Workloads\n\n"
         "Cycles from `macforge sim` (timing model with the configured memory); energy = MACs x energy per MAC "
         "(the array only: no buffers or DRAM); throughput per area = MACs / cycles / array area.\n\n";
    for (const json& w : m["workloads"]) {
      std::string n = w["name"];
      o << "### " << n << (w.value("layers", "").empty() ? " (GEMM " + w.value("gemm", "") + ")" : "") << "\n\n";
      for (const std::string& g : rd.groups) {
        group_header(g);
        o << "| point | cycles | cycles x | utilization | DRAM bytes | energy uJ | energy x | MAC/cycle/mm^2 |\n"
             "|---|---|---|---|---|---|---|---|\n";
        for (const Row& r : rd.rows) {
          if (r.group != g) continue;
          o << "| " << md_escape(r.label) << " | " << big(r.m("cycles_" + n)) << " | " << ratio(r.rel("cycles_" + n + "_rel"))
            << " | " << cell(r.m("utilization_" + n), 3) << " | " << big(r.m("dram_bytes_" + n)) << " | "
            << cell(r.m("energy_uj_" + n), 5) << " | " << ratio(r.rel("energy_uj_" + n + "_rel")) << " | "
            << cell(r.m("macs_per_cycle_per_mm2_" + n), 5) << " |\n";
        }
        o << "\n";
      }
    }
  }

  std::string pq = m.value("pareto_qsnr", "");
  if (!pq.empty() && has_energy) {
    std::vector<size_t> front = pareto_front(rd, "qsnr_" + pq);
    if (!front.empty()) {
      o << "## Pareto front: QSNR (`" << pq << "`) versus energy per MAC\n\n"
        << "Points no other point beats on both (lower energy and higher QSNR):\n\n"
           "| point | energy pJ/MAC | QSNR dB |\n|---|---|---|\n";
      for (size_t i : front)
        o << "| " << md_escape(rd.rows[i].label) << " | " << cell(rd.rows[i].m("energy_pj_per_mac")) << " | "
          << cell(rd.rows[i].m("qsnr_" + pq)) << " |\n";
      o << "\n";
    }
  }

  o << "## Plots\n\n";
  if (rd.plots.empty()) o << "No plots: " << (rd.plots_error.empty() ? "nothing to plot" : rd.plots_error) << "\n\n";
  for (const PlotInfo& p : rd.plots)
    o << "### " << p.title << "\n\n![" << p.title << "](plots/" << p.name << ".png)\n\n([SVG](plots/" << p.name
      << ".svg), data and gnuplot script in `plots/`)\n\n";
  if (!rd.plots.empty() && !rd.plots_error.empty()) o << "Some plots are missing: " << rd.plots_error << "\n\n";

  bool any_failed = false;
  for (const Row& r : rd.rows) any_failed |= r.status != "ok";
  if (any_failed) {
    o << "## Points without a result\n\n| point | hash | status | error | log |\n|---|---|---|---|---|\n";
    for (const Row& r : rd.rows)
      if (r.status != "ok")
        o << "| " << md_escape(r.label) << " | `" << r.hash << "` | " << r.status << " | " << md_escape(r.error)
          << " | " << (r.log.empty() ? "-" : "`" + r.log + "`") << " |\n";
    o << "\n";
  }
  if (m.contains("skipped") && !m["skipped"].empty()) {
    o << "## Invalid combinations skipped (skip_invalid)\n\n";
    for (const json& s : m["skipped"]) o << "- " << md_escape(s.get<std::string>()) << "\n";
    o << "\n";
  }
  return o.str();
}

}  // namespace macforge::sweep

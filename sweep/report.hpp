// The merged results of a sweep (built by collect) and the Markdown report.
#pragma once

#include <array>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace macforge::sweep {

using json = nlohmann::ordered_json;

struct Row {
  size_t index = 0;
  std::string hash, label, status, error, log;  // status: ok | failed | missing
  std::vector<std::pair<std::string, std::string>> params;
  json axis;
  std::string group;  // the axis values other than the format
  json metrics = json::object();
  json relative = json::object();  // <metric>_rel against the baseline, qsnr_<d>_delta_db
  double seconds = NAN;
  std::string param(const std::string& k) const {
    for (const auto& [n, v] : params)
      if (n == k) return v;
    return "";
  }
  double m(const std::string& k) const {
    if (!metrics.contains(k) || !metrics[k].is_number()) return NAN;
    return metrics[k].get<double>();
  }
  double rel(const std::string& k) const {
    if (!relative.contains(k) || !relative[k].is_number()) return NAN;
    return relative[k].get<double>();
  }
};

struct CompositeRow {
  std::string name, group, parts;
  std::string baseline;   // the composite the ratios are against
  std::string peak_text;  // "512 / 1024 (per mode)" when a part is a multi-format PE; "" otherwise
  bool ok = false;
  double area_um2 = NAN, energy_pj_per_mac = NAN, peak_macs_per_cycle = NAN;
  double area_rel = NAN, energy_rel = NAN;
};

struct PlotInfo {
  std::string name, title;  // file stem in DIR/plots, caption
};

struct ReportData {
  std::string dir;
  json manifest;
  std::vector<Row> rows;
  std::vector<std::string> metric_cols, rel_cols, groups;
  std::vector<CompositeRow> composites;
  std::vector<PlotInfo> plots;  // drawn plots
  std::string plots_error;
  std::string ablation_md;  // the ablation table (render_ablation_md), first in the report
  std::string multi_md;     // the multi-format PE table (render_multi_format_md)
};

std::string render_report(const ReportData& rd, size_t ok, size_t failed, size_t missing);

// The Table 5 ablation (docs/sweeps.md section 10): one column per ablation
// step, rows = area (per MAC per cycle: area / lanes) and energy (per MAC)
// ratios to the baseline format (and of the composites to the composite
// baseline), the published values first.
struct AblationRow {
  std::string name, metric;  // "mxint8 / mxfp8_e4m3", "area" | "energy"
  double paper = NAN;
  std::vector<double> values;  // per column
};
struct AblationTable {
  std::string title, baseline;
  std::vector<std::string> columns, changed, scopes;
  std::vector<AblationRow> rows;
  std::vector<double> base_area, base_energy;  // the baseline format's absolute figures per column
  std::vector<double> min_fmax;                // the slowest format's fmax per column (NaN: no timing)
  std::vector<std::string> notes;              // missing or failed points per column
};
// manifest["ablation"] names per column the point hash of every format;
// records maps a hash to its metrics (missing: not run or failed).
AblationTable ablation_table(const json& manifest, const std::map<std::string, json>& records);
std::string render_ablation_md(const AblationTable& t);
std::string render_ablation_csv(const AblationTable& t);
json ablation_json(const AblationTable& t);

// The "Multi-format PEs" table (docs/sweeps.md section 11): every
// multi-format PE point (one shared datapath, two modes), and every composite
// made only of single-format arrays whose parts split into 8-bit (mode 0) and
// narrower (mode 1) ones -- the side-by-side variant of the same pair. Mode m's
// peak is its MACs per cycle (shared: PEs x lanes of mode m; side-by-side:
// sum of units x peak of that mode's parts); area per MAC per cycle = area /
// peak of the mode; the mixed energy per MAC is for equal time in each mode:
// sum_m peak_m E_m / sum_m peak_m (the composites' throughput weighting).
struct MultiFormatRow {
  std::string name;   // the point's format label, or the composite's name
  std::string label;  // shown (the point label with its swept axes)
  std::string group;
  std::string kind;   // "shared" | "side-by-side"
  std::string modes;  // "mxint8 / nvint4"
  std::string reuse;  // the scheme, or "side-by-side"
  bool ok = false;
  double area_um2 = NAN;
  std::array<double, 2> peak{{NAN, NAN}}, area_per_mac{{NAN, NAN}}, energy{{NAN, NAN}};
  double energy_mixed = NAN, area_rel = NAN, energy_rel = NAN;  // ratios: against the table's baseline
  int area_rank = 0;   // 1 = the smallest shared PE of the same modes in the group; 0: not ranked
  std::string paper;   // the published statement about this design (multi_format.reference)
};
struct MultiFormatTable {
  std::string baseline, title, note;
  std::vector<MultiFormatRow> rows;
};
MultiFormatTable multi_format_table(const json& manifest, const std::vector<Row>& rows);
std::string render_multi_format_md(const MultiFormatTable& t, const std::vector<std::string>& groups, const json& swept);
json multi_format_json(const MultiFormatTable& t);

// Indices of the rows on the QSNR-versus-energy Pareto front (no other point
// has lower-or-equal energy and higher-or-equal QSNR, one of them strictly).
// `energy_metric`: pareto_energy_metric(manifest).
std::vector<size_t> pareto_front(const ReportData& rd, const std::string& qsnr_metric,
                                 const std::string& energy_metric = "energy_pj_per_mac");
// The Pareto plot's energy: energy_total_uj_W for the manifest's
// pareto_energy: W, else energy_pj_per_mac.
std::string pareto_energy_metric(const json& manifest);

}  // namespace macforge::sweep

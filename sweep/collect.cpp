#include "sweep/collect.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "sweep/plots.hpp"
#include "sweep/point.hpp"
#include "sweep/report.hpp"
#include "sweep/util.hpp"

namespace macforge::sweep {

void write_manifest(const SweepSpec& spec, const Expansion& ex, const std::string& dir,
                    const std::string& tool_version) {
  json m;
  m["schema"] = kManifestSchema;
  m["name"] = spec.name;
  m["description"] = spec.description;
  m["sweep_file"] = spec.path;
  m["tool_version"] = tool_version;
  m["stages"] = spec.stages;
  m["swept"] = spec.swept;
  m["baseline"] = spec.baseline;
  json comps = json::array();
  for (const CompositeSpec& c : spec.composites) {
    json parts = json::array();
    for (const auto& [label, w] : c.parts) parts.push_back({{"format", label}, {"units", w}});
    json cj = {{"name", c.name}, {"parts", parts}};
    if (!c.baseline.empty()) cj["baseline"] = c.baseline;
    comps.push_back(cj);
  }
  m["composites"] = comps;
  m["composite_baseline"] = spec.composite_baseline;
  m["pareto_qsnr"] = spec.pareto_qsnr;
  // Only when set: manifests of sweeps without it stay as they were.
  if (!spec.pareto_energy.empty()) m["pareto_energy"] = spec.pareto_energy;
  json wl = json::array();
  for (const WorkloadSpec& w : spec.workloads)
    wl.push_back({{"name", w.name}, {"layers", w.layers}, {"gemm", w.gemm}});
  m["workloads"] = wl;
  json qd = json::array();
  for (const QsnrData& d : spec.qsnr_data) {
    std::string desc = d.dist;
    if (d.outlier_p > 0) desc += ", " + fmt_num(d.outlier_p * 100) + "% outliers x" + fmt_num(d.outlier_mag);
    if (d.crest > 0) desc += ", crest " + fmt_num(d.crest);
    if (d.rotate) desc += ", Hadamard rotation";
    if (d.operand == 'b') desc += " (operand b)";
    qd.push_back({{"name", d.name}, {"description", desc}});
  }
  m["qsnr_data"] = qd;
  m["qsnr_n"] = spec.qsnr_n;
  json ref = json::array();
  for (const ReferenceRow& r : spec.reference) {
    json v = json::object();
    for (const auto& [k, x] : r.values) v[k] = x;
    ref.push_back({{"name", r.name}, {"values", v}});
  }
  m["reference"] = {{"title", spec.reference_title}, {"note", spec.reference_note}, {"rows", ref}};
  if (!spec.multi_baseline.empty()) {
    json mref = json::array();
    for (const auto& [name, text] : spec.multi_reference) mref.push_back({{"name", name}, {"text", text}});
    m["multi_format"] = {{"baseline", spec.multi_baseline}, {"title", spec.multi_reference_title},
                         {"note", spec.multi_note}, {"reference", mref}};
  }
  if (spec.has_ablation) {
    json cols = json::array();
    for (size_t i = 0; i < spec.ablation.columns.size(); ++i) {
      const AblationColumn& c = spec.ablation.columns[i];
      json pts = json::object(), lanes = json::object();
      if (i < ex.column_points.size())
        for (const auto& [label, hash] : ex.column_points[i]) pts[label] = hash;
      for (const Point& p : ex.points)
        for (const auto& [label, hash] : i < ex.column_points.size() ? ex.column_points[i] : std::map<std::string, std::string>{})
          if (p.hash == hash) lanes[label] = p.param("lanes");
      cols.push_back({{"name", c.name}, {"changed", c.changed}, {"area_scope", c.knobs.area_scope}, {"points", pts},
                      {"lanes", lanes}});
    }
    m["ablation"] = {{"title", spec.ablation.title}, {"ratios", spec.ablation.ratios}, {"columns", cols}};
  }
  m["skipped"] = ex.skipped;
  m["excluded"] = ex.excluded;
  json pts = json::array();
  for (const Point& p : ex.points) {
    json params = json::object();
    for (const auto& [k, v] : p.params) params[k] = v;
    json axis = json::object();
    for (const auto& [k, v] : p.axis) axis[k] = v;
    pts.push_back({{"index", p.index}, {"hash", p.hash}, {"label", p.label}, {"params", params}, {"axis", axis}});
  }
  m["points"] = pts;
  make_dirs(dir);
  write_atomic(dir + "/sweep.json", m.dump(1) + "\n");
}

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

std::string value_text(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) {
    double d = v.get<double>();
    if (!std::isfinite(d)) return "";
    if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string((long long)d);
    return json(d).dump();  // the shortest text that reads back as the same double
  }
  return v.dump();
}

// Column order of the metrics: the known ones first, then the rest by name.
std::vector<std::string> metric_order(const std::set<std::string>& present, const json& manifest) {
  std::vector<std::string> order = {"pe_latency", "rtl_files", "lint_warnings", "cosim_ok", "cosim_cycles",
                                    "area_um2", "area_per_pe_um2", "cells", "flops", "energy_pj_per_mac",
                                    "peak_macs_per_cycle_per_mm2"};
  for (const json& w : manifest["workloads"]) {
    std::string n = w["name"];
    for (const char* pre : {"cycles_", "compute_cycles_", "utilization_", "dram_bytes_", "macs_", "energy_uj_",
                            "macs_per_cycle_per_mm2_", "energy_buffers_uj_", "energy_dram_uj_", "energy_leakage_uj_",
                            "energy_total_uj_", "energy_scales_uj_"})
      order.push_back(pre + n);
  }
  for (const json& d : manifest["qsnr_data"]) order.push_back("qsnr_" + d["name"].get<std::string>());
  std::vector<std::string> out;
  std::set<std::string> used;
  for (const std::string& k : order)
    if (present.count(k) && used.insert(k).second) out.push_back(k);
  for (const std::string& k : present)
    if (used.insert(k).second) out.push_back(k);
  return out;
}

double metric(const json& metrics, const std::string& k) {
  if (!metrics.is_object() || !metrics.contains(k) || !metrics[k].is_number()) return NAN;
  return metrics[k].get<double>();
}

}  // namespace

CollectSummary collect(const std::string& dir_in, std::ostream& err) {
  CollectSummary sum;
  std::string dir = absolute_path(dir_in);
  std::string mpath = dir + "/sweep.json";
  json manifest;
  try {
    manifest = json::parse(read_file(mpath));
  } catch (const SweepRuntimeError&) {
    throw SweepRuntimeError(mpath + ": cannot read the sweep manifest (is " + dir +
                            " the --out directory of a macforge sweep?)");
  } catch (const json::exception& e) {
    throw SweepRuntimeError(mpath + ": not valid JSON: " + e.what());
  }
  if (manifest.value("schema", "") != kManifestSchema)
    throw SweepRuntimeError(mpath + ": not a macforge sweep manifest (schema " + std::string(kManifestSchema) + ")");

  ReportData rd;
  rd.dir = dir;
  rd.manifest = manifest;
  std::set<std::string> present;
  std::vector<std::string> param_cols;
  for (const json& p : manifest["points"]) {
    Row row;
    row.index = p["index"];
    row.hash = p["hash"];
    row.label = p["label"];
    for (auto it = p["params"].begin(); it != p["params"].end(); ++it) {
      row.params.emplace_back(it.key(), it.value().get<std::string>());
      if (rd.rows.empty()) param_cols.push_back(it.key());
    }
    row.axis = p["axis"];
    std::string group;
    for (auto it = p["axis"].begin(); it != p["axis"].end(); ++it)
      if (it.key() != "format") group += it.key() + "=" + it.value().get<std::string>() + ";";
    row.group = group;
    json rec = read_record(dir, row.hash);
    if (!rec.is_object() || rec.value("hash", "") != row.hash) {
      row.status = "missing";
      ++sum.missing;
    } else {
      row.status = rec.value("status", "failed");
      if (row.status != "ok" && row.status != "failed") row.status = "failed";
      row.error = rec.value("error", "");
      row.log = rec.value("log", "");
      row.seconds = rec.contains("seconds") && rec["seconds"].is_number() ? rec["seconds"].get<double>() : NAN;
      if (rec.contains("metrics") && rec["metrics"].is_object()) row.metrics = rec["metrics"];
      if (row.status == "ok") ++sum.ok;
      else ++sum.failed;
    }
    for (auto it = row.metrics.begin(); it != row.metrics.end(); ++it) present.insert(it.key());
    rd.rows.push_back(row);
  }
  sum.points = rd.rows.size();
  rd.metric_cols = metric_order(present, manifest);

  // Relative figures: against the baseline format's point of the same group.
  std::string baseline = manifest.value("baseline", "");
  std::map<std::string, const Row*> base_of;
  for (const Row& r : rd.rows)
    if (r.axis.value("format", "") == baseline && r.status == "ok") base_of[r.group] = &r;
  std::vector<std::string> rel_of = {"area_um2", "energy_pj_per_mac", "peak_macs_per_cycle_per_mm2"};
  for (const json& w : manifest["workloads"]) {
    rel_of.push_back("cycles_" + w["name"].get<std::string>());
    rel_of.push_back("energy_uj_" + w["name"].get<std::string>());
    rel_of.push_back("energy_total_uj_" + w["name"].get<std::string>());
  }
  std::vector<std::string> delta_of;
  for (const json& d : manifest["qsnr_data"]) delta_of.push_back("qsnr_" + d["name"].get<std::string>());
  std::set<std::string> rel_present;
  for (Row& r : rd.rows) {
    auto b = base_of.find(r.group);
    if (b == base_of.end() || r.status != "ok") continue;
    for (const std::string& k : rel_of) {
      double x = metric(r.metrics, k), y = metric(b->second->metrics, k);
      if (std::isfinite(x) && std::isfinite(y) && y != 0) {
        r.relative[k + "_rel"] = x / y;
        rel_present.insert(k + "_rel");
      }
    }
    for (const std::string& k : delta_of) {
      double x = metric(r.metrics, k), y = metric(b->second->metrics, k);
      if (std::isfinite(x) && std::isfinite(y)) {
        r.relative[k + "_delta_db"] = x - y;
        rel_present.insert(k + "_delta_db");
      }
    }
  }
  for (const std::string& k : rel_of)
    if (rel_present.count(k + "_rel")) rd.rel_cols.push_back(k + "_rel");
  for (const std::string& k : delta_of)
    if (rel_present.count(k + "_delta_db")) rd.rel_cols.push_back(k + "_delta_db");

  // Composites: per group, the sum of their parts.
  std::vector<std::string> groups;
  for (const Row& r : rd.rows)
    if (std::find(groups.begin(), groups.end(), r.group) == groups.end()) groups.push_back(r.group);
  rd.groups = groups;
  for (const std::string& g : groups) {
    for (const json& c : manifest["composites"]) {
      CompositeRow cr;
      cr.name = c["name"];
      cr.group = g;
      double area = 0, peak = 0, energy_w = 0;
      bool ok = true, have_energy = true;
      std::string parts, peak_text;
      for (const json& part : c["parts"]) {
        std::string label = part["format"];
        double units = part["units"];
        parts += (parts.empty() ? "" : " + ") + fmt_num(units) + " x " + label;
        const Row* pr = nullptr;
        for (const Row& r : rd.rows)
          if (r.group == g && r.axis.value("format", "") == label) pr = &r;
        if (!pr || pr->status != "ok" || !std::isfinite(metric(pr->metrics, "area_um2"))) {
          ok = false;
          continue;
        }
        double p_peak = std::stod(pr->params.empty() ? "0" : [&] {
          for (const auto& [k, v] : pr->params)
            if (k == "peak_macs_per_cycle") return v;
          return std::string("0");
        }());
        area += units * metric(pr->metrics, "area_um2");
        peak += units * p_peak;
        // A multi-format PE runs one mode at a time: its peak per mode.
        if (pr->param("modes") == "2")
          peak_text += (peak_text.empty() ? "" : " + ") + fmt_num(units * p_peak) + " / " +
                       fmt_num(units * std::stod("0" + pr->param("peak_macs_per_cycle_mode1"))) + " (mode 0 / mode 1)";
        double e = metric(pr->metrics, "energy_pj_per_mac");
        if (std::isfinite(e)) energy_w += units * p_peak * e;
        else have_energy = false;
      }
      cr.parts = parts;
      cr.peak_text = peak_text;
      cr.baseline = c.value("baseline", manifest.value("composite_baseline", ""));
      cr.ok = ok;
      if (ok) {
        cr.area_um2 = area;
        cr.peak_macs_per_cycle = peak;
        cr.energy_pj_per_mac = have_energy && peak > 0 ? energy_w / peak : NAN;
      }
      rd.composites.push_back(cr);
    }
  }
  for (CompositeRow& cr : rd.composites) {
    for (const CompositeRow& b : rd.composites)
      if (b.group == cr.group && b.name == cr.baseline && b.ok && cr.ok) {
        cr.area_rel = cr.area_um2 / b.area_um2;
        cr.energy_rel = cr.energy_pj_per_mac / b.energy_pj_per_mac;
      }
  }

  // results.csv: one row per point.
  std::ostringstream csv;
  std::vector<std::string> head = {"index", "hash", "label"};
  head.insert(head.end(), param_cols.begin(), param_cols.end());
  head.push_back("status");
  head.insert(head.end(), rd.metric_cols.begin(), rd.metric_cols.end());
  head.insert(head.end(), rd.rel_cols.begin(), rd.rel_cols.end());
  head.insert(head.end(), {"error", "log"});
  csv << join(head, ",") << "\n";
  for (const Row& r : rd.rows) {
    std::vector<std::string> f = {std::to_string(r.index), r.hash, csv_field(r.label)};
    for (const auto& [k, v] : r.params) f.push_back(csv_field(v));
    f.push_back(r.status);
    for (const std::string& k : rd.metric_cols) f.push_back(r.metrics.contains(k) ? value_text(r.metrics[k]) : "");
    for (const std::string& k : rd.rel_cols) f.push_back(r.relative.contains(k) ? value_text(r.relative[k]) : "");
    f.push_back(csv_field(r.error));
    f.push_back(csv_field(r.status == "missing" ? "" : r.log));
    csv << join(f, ",") << "\n";
  }
  write_atomic(dir + "/results.csv", csv.str());
  sum.written.push_back(dir + "/results.csv");

  // results.json
  json res;
  res["schema"] = "macforge-sweep-results/1";
  res["name"] = manifest["name"];
  res["sweep_file"] = manifest["sweep_file"];
  res["tool_version"] = manifest["tool_version"];
  res["baseline"] = baseline;
  res["summary"] = {{"points", sum.points}, {"ok", sum.ok}, {"failed", sum.failed}, {"missing", sum.missing}};
  json pts = json::array();
  for (const Row& r : rd.rows) {
    json p;
    p["index"] = r.index;
    p["hash"] = r.hash;
    p["label"] = r.label;
    json params = json::object();
    for (const auto& [k, v] : r.params) params[k] = v;
    p["params"] = params;
    p["status"] = r.status;
    json m = json::object();
    for (const std::string& k : rd.metric_cols)
      if (r.metrics.contains(k)) m[k] = r.metrics[k];
    p["metrics"] = m;
    p["relative"] = r.relative.is_null() ? json::object() : r.relative;
    if (!r.error.empty()) p["error"] = r.error;
    if (r.status != "missing") p["log"] = r.log;
    if (std::isfinite(r.seconds)) p["seconds"] = r.seconds;
    pts.push_back(p);
  }
  res["points"] = pts;
  json comps = json::array();
  for (const CompositeRow& c : rd.composites) {
    json j = {{"name", c.name}, {"group", c.group}, {"parts", c.parts}, {"baseline", c.baseline}, {"ok", c.ok}};
    if (c.ok) {
      j["area_um2"] = c.area_um2;
      j["peak_macs_per_cycle"] = c.peak_macs_per_cycle;
      j["energy_pj_per_mac"] = std::isfinite(c.energy_pj_per_mac) ? json(c.energy_pj_per_mac) : json(nullptr);
      j["area_um2_rel"] = std::isfinite(c.area_rel) ? json(c.area_rel) : json(nullptr);
      j["energy_pj_per_mac_rel"] = std::isfinite(c.energy_rel) ? json(c.energy_rel) : json(nullptr);
    }
    comps.push_back(j);
  }
  res["composites"] = comps;
  // Multi-format PEs: the shared datapaths and their side-by-side variants.
  MultiFormatTable mft = multi_format_table(manifest, rd.rows);
  if (!mft.rows.empty()) {
    rd.multi_md = render_multi_format_md(mft, rd.groups, manifest["swept"]);
    res["multi_format"] = multi_format_json(mft);
  }
  res["skipped"] = manifest["skipped"];
  write_atomic(dir + "/results.json", res.dump(1) + "\n");
  sum.written.push_back(dir + "/results.json");

  if (!rd.composites.empty()) {
    std::ostringstream cc;
    cc << "name,group,parts,status,area_um2,energy_pj_per_mac,peak_macs_per_cycle,area_um2_rel,energy_pj_per_mac_rel\n";
    for (const CompositeRow& c : rd.composites)
      cc << csv_field(c.name) << "," << csv_field(c.group) << "," << csv_field(c.parts) << ","
         << (c.ok ? "ok" : "incomplete") << "," << fmt_num(c.area_um2, 10) << "," << fmt_num(c.energy_pj_per_mac, 10)
         << "," << fmt_num(c.peak_macs_per_cycle, 10) << "," << fmt_num(c.area_rel, 10) << ","
         << fmt_num(c.energy_rel, 10) << "\n";
    write_atomic(dir + "/composites.csv", cc.str());
    sum.written.push_back(dir + "/composites.csv");
  }

  if (manifest.contains("ablation")) {
    std::map<std::string, json> ok_metrics;
    for (const Row& r : rd.rows)
      if (r.status == "ok") ok_metrics[r.hash] = r.metrics;
    AblationTable t = ablation_table(manifest, ok_metrics);
    rd.ablation_md = render_ablation_md(t);
    write_atomic(dir + "/ablation.csv", render_ablation_csv(t));
    write_atomic(dir + "/ablation.json", ablation_json(t).dump(1) + "\n");
    write_atomic(dir + "/ablation.md", rd.ablation_md);
    for (const char* f : {"/ablation.csv", "/ablation.json", "/ablation.md"}) sum.written.push_back(dir + f);
  }

  // Plots first (the report links them), then the report.
  PlotResult pr = draw_plots(rd, err);
  sum.plots_ok = pr.ok;
  sum.plots_error = pr.error;
  rd.plots = pr.plots;
  rd.plots_error = pr.error;
  write_atomic(dir + "/report.md", render_report(rd, sum.ok, sum.failed, sum.missing));
  sum.written.push_back(dir + "/report.md");
  for (const std::string& p : pr.files) sum.written.push_back(p);
  return sum;
}

}  // namespace macforge::sweep

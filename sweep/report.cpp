#include "sweep/report.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <sstream>

#include "sweep/util.hpp"

#include <cstdlib>

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

std::string pareto_energy_metric(const json& m) {
  std::string w = m.value("pareto_energy", "");
  return w.empty() ? "energy_pj_per_mac" : "energy_total_uj_" + w;
}

std::vector<size_t> pareto_front(const ReportData& rd, const std::string& k, const std::string& ek) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < rd.rows.size(); ++i)
    if (rd.rows[i].status == "ok" && std::isfinite(rd.rows[i].m(k)) && std::isfinite(rd.rows[i].m(ek)))
      idx.push_back(i);
  std::vector<size_t> front;
  for (size_t i : idx) {
    double e = rd.rows[i].m(ek), q = rd.rows[i].m(k);
    bool dominated = false;
    for (size_t j : idx) {
      if (j == i) continue;
      double e2 = rd.rows[j].m(ek), q2 = rd.rows[j].m(k);
      if (e2 <= e && q2 >= q && (e2 < e || q2 > q)) dominated = true;
    }
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end(), [&](size_t a, size_t b) {
    return rd.rows[a].m(ek) < rd.rows[b].m(ek);
  });
  return front;
}

AblationTable ablation_table(const json& m, const std::map<std::string, json>& records) {
  AblationTable t;
  const json& ab = m["ablation"];
  t.title = ab.value("title", "");
  t.baseline = m.value("baseline", "");
  std::map<std::string, std::map<std::string, double>> paper;  // name -> area/energy
  if (m.contains("reference"))
    for (const json& r : m["reference"]["rows"])
      for (auto it = r["values"].begin(); it != r["values"].end(); ++it) paper[r["name"]][it.key()] = it.value();
  std::vector<std::string> ratios = ab["ratios"].get<std::vector<std::string>>();
  std::string cbase = m.value("composite_baseline", "");
  for (const std::string& l : ratios)
    for (const char* k : {"area", "energy"}) {
      AblationRow r;
      r.name = l + " / " + t.baseline;
      r.metric = k;
      if (paper.count(l) && paper[l].count(k)) r.paper = paper[l][k];
      t.rows.push_back(r);
    }
  for (const json& c : m["composites"])
    if (c["name"] != cbase)
      for (const char* k : {"area", "energy"}) {
        AblationRow r;
        r.name = c["name"].get<std::string>() + " / " + cbase;
        r.metric = k;
        if (paper.count(c["name"]) && paper[c["name"]].count(k)) r.paper = paper[c["name"]][k];
        t.rows.push_back(r);
      }
  for (const json& col : ab["columns"]) {
    t.columns.push_back(col["name"]);
    t.changed.push_back(col.value("changed", ""));
    std::string scope = col.value("area_scope", "all");
    t.scopes.push_back(scope);
    bool comb = scope == "combinational";
    // Per format: area, energy (in the column's scope) and MACs per cycle.
    std::map<std::string, std::array<double, 3>> fig;
    std::string missing;
    double fmax = NAN;
    for (auto it = col["points"].begin(); it != col["points"].end(); ++it) {
      auto rec = records.find(it.value().get<std::string>());
      double lanes = std::stod(col["lanes"].value(it.key(), "0"));
      if (rec == records.end()) {
        missing += (missing.empty() ? "" : ", ") + it.key();
        continue;
      }
      auto num = [&](const char* k) {
        const json& x = rec->second;
        return x.contains(k) && x[k].is_number() ? x[k].get<double>() : NAN;
      };
      double f = num("fmax_mhz");
      if (std::isfinite(f) && !(f >= fmax)) fmax = f;
      fig[it.key()] = {num(comb ? "area_combinational_um2" : "area_um2"),
                       num(comb ? "energy_combinational_pj_per_mac" : "energy_pj_per_mac"), lanes};
    }
    if (!missing.empty()) t.notes.push_back(col["name"].get<std::string>() + ": no result for " + missing);
    auto get = [&](const std::string& l, int i) { return fig.count(l) ? fig[l][size_t(i)] : NAN; };
    t.base_area.push_back(get(t.baseline, 0));
    t.base_energy.push_back(get(t.baseline, 1));
    t.min_fmax.push_back(fmax);
    // Composites: area = sum units x area; energy = sum units x lanes x E / sum units x lanes.
    std::map<std::string, std::array<double, 2>> comp;
    for (const json& c : m["composites"]) {
      double a = 0, ew = 0, w = 0;
      for (const json& p : c["parts"]) {
        double u = p["units"];
        std::string l = p["format"];
        a += u * get(l, 0);
        ew += u * get(l, 2) * get(l, 1);
        w += u * get(l, 2);
      }
      comp[c["name"]] = {w > 0 ? a / w : NAN, w > 0 ? ew / w : NAN};
    }
    // Area at equal throughput: per MAC per cycle (area / lanes), as formats
    // may have different lanes (the paper's 32 for MX, 16 for NV); energy is
    // per MAC already.
    auto per = [&](const std::string& l, int i) { return i == 0 ? get(l, 0) / get(l, 2) : get(l, 1); };
    size_t k = 0;
    for (const std::string& l : ratios)
      for (int i = 0; i < 2; ++i) t.rows[k++].values.push_back(per(l, i) / per(t.baseline, i));
    for (const json& c : m["composites"])
      if (c["name"] != cbase)
        for (int i = 0; i < 2; ++i) {
          double den = comp.count(cbase) ? comp[cbase][size_t(i)] : NAN;
          t.rows[k++].values.push_back(comp[c["name"]][size_t(i)] / den);
        }
  }
  return t;
}

namespace {

// The element kinds / widths of a point's formats ("" when unparsable).
int max_bits(const Row& r) {
  int a = std::atoi(r.param("a_bits").c_str()), b = std::atoi(r.param("b_bits").c_str());
  return std::max(a, b);
}
std::string pair_name(const std::string& a, const std::string& b) { return a == b ? a : a + " x " + b; }
double param_num(const Row& r, const std::string& k) {
  std::string v = r.param(k);
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  return v.empty() || !end || *end ? NAN : d;
}

}  // namespace

MultiFormatTable multi_format_table(const json& m, const std::vector<Row>& rows) {
  MultiFormatTable t;
  const json mf = m.contains("multi_format") && m["multi_format"].is_object() ? m["multi_format"] : json::object();
  t.baseline = mf.value("baseline", "");
  t.title = mf.value("title", "");
  t.note = mf.value("note", "");
  std::map<std::string, std::string> paper;
  if (mf.contains("reference"))
    for (const json& x : mf["reference"]) paper[x.value("name", "")] = x.value("text", "");
  auto mixed = [](MultiFormatRow& x) {
    double w = 0, ew = 0;
    for (int i = 0; i < 2; ++i) {
      w += x.peak[size_t(i)];
      ew += x.peak[size_t(i)] * x.energy[size_t(i)];
    }
    x.energy_mixed = w > 0 ? ew / w : NAN;
  };
  std::vector<std::string> groups;
  for (const Row& r : rows)
    if (std::find(groups.begin(), groups.end(), r.group) == groups.end()) groups.push_back(r.group);
  for (const std::string& g : groups) {
    // One shared datapath per multi-format point.
    for (const Row& r : rows) {
      if (r.group != g || r.param("modes") != "2") continue;
      MultiFormatRow x;
      x.name = r.axis.value("format", r.label);
      x.label = r.label;
      x.group = g;
      x.kind = "shared";
      x.modes = pair_name(r.param("a"), r.param("b")) + " / " + pair_name(r.param("a1"), r.param("b1"));
      x.reuse = r.param("reuse");
      x.ok = r.status == "ok" && std::isfinite(r.m("area_um2"));
      if (x.ok) {
        x.area_um2 = r.m("area_um2");
        for (int i = 0; i < 2; ++i) {
          std::string tag = "mode" + std::to_string(i);
          double peak = r.m("peak_macs_per_cycle_" + tag);
          if (!std::isfinite(peak)) peak = param_num(r, i ? "peak_macs_per_cycle_mode1" : "peak_macs_per_cycle");
          x.peak[size_t(i)] = peak;
          x.area_per_mac[size_t(i)] = x.area_um2 / peak;
          x.energy[size_t(i)] = r.m("energy_" + tag + "_pj_per_mac");
        }
        mixed(x);
      }
      t.rows.push_back(x);
    }
    // The side-by-side variant: a composite of single-format arrays of both widths.
    for (const json& c : m["composites"]) {
      MultiFormatRow x;
      x.name = x.label = c.value("name", "");
      x.group = g;
      x.kind = "side-by-side";
      x.reuse = "side-by-side";
      std::string names[2];
      bool single = true, ok = true;
      double area = 0, peak[2] = {0, 0}, ew[2] = {0, 0};
      for (const json& part : c["parts"]) {
        std::string label = part.value("format", "");
        double u = part.value("units", 0.0);
        const Row* pr = nullptr;
        for (const Row& r : rows)
          if (r.group == g && r.axis.value("format", "") == label) pr = &r;
        if (!pr || pr->param("modes") == "2") {
          single = false;
          break;
        }
        int mode = max_bits(*pr) == 8 ? 0 : 1;
        std::string pn = pair_name(pr->param("a"), pr->param("b"));
        names[mode] += (names[mode].empty() ? "" : " + ") + pn;
        double p = param_num(*pr, "peak_macs_per_cycle"), a = pr->m("area_um2"), e = pr->m("energy_pj_per_mac");
        if (pr->status != "ok" || !std::isfinite(a)) ok = false;
        area += u * a;
        peak[mode] += u * p;
        ew[mode] += u * p * e;
      }
      if (!single || names[0].empty() || names[1].empty()) continue;
      x.modes = names[0] + " / " + names[1];
      x.ok = ok;
      if (ok) {
        x.area_um2 = area;
        for (size_t i = 0; i < 2; ++i) {
          x.peak[i] = peak[i];
          x.area_per_mac[i] = area / peak[i];
          x.energy[i] = ew[i] / peak[i];
        }
        mixed(x);
      }
      t.rows.push_back(x);
    }
  }
  for (MultiFormatRow& x : t.rows) {
    if (paper.count(x.name)) x.paper = paper[x.name];
    for (const MultiFormatRow& b : t.rows)
      if (b.group == x.group && b.name == t.baseline && b.ok && x.ok) {
        x.area_rel = x.area_um2 / b.area_um2;
        x.energy_rel = x.energy_mixed / b.energy_mixed;
      }
    if (x.kind != "shared" || !x.ok) continue;
    x.area_rank = 1;
    for (const MultiFormatRow& o : t.rows)
      if (o.kind == "shared" && o.ok && o.group == x.group && o.modes == x.modes && o.area_um2 < x.area_um2)
        ++x.area_rank;
  }
  return t;
}

std::string render_multi_format_md(const MultiFormatTable& t, const std::vector<std::string>& groups,
                                   const json& swept) {
  if (t.rows.empty()) return "";
  std::ostringstream o;
  std::string title = t.title.empty() ? "published" : md_escape(t.title);
  o << "## Multi-format PEs\n\n"
       "One datapath running an 8-bit mode (mode 0) and a 4-bit mode (mode 1, twice the lanes: twice the MACs per "
       "cycle) or 6-bit mode (the same lanes), sharing circuits as `reuse` says (`none`: both datapaths side by side "
       "in each PE, sharing registers, scale logic and the accumulator); `side-by-side` rows are the composites of "
       "separate single-format arrays with the same throughput per mode. Area per MAC per cycle of a mode = the "
       "design's area / that mode's peak MACs per cycle; energy per MAC per mode from gate-level simulation on that "
       "mode's data; **mixed** = a workload spending equal time in each mode: `sum(peak_m x E_m) / sum(peak_m)` "
       "(1/3 : 2/3 for 8-bit + 4-bit). Ratios (`x`) are against `"
    << md_escape(t.baseline) << "`; rank = area rank among the shared PEs of the same two modes (1 = smallest).\n\n";
  for (const std::string& g : groups) {
    bool any = false;
    for (const MultiFormatRow& x : t.rows) any |= x.group == g;
    if (!any) continue;
    if (groups.size() > 1) o << "**" << group_title(g, swept) << "**\n\n";
    o << "| design | modes (8-bit / narrow) | reuse | area um^2 | area x | area/MAC/cycle mode 0 | mode 1 | energy "
         "pJ/MAC mode 0 | mode 1 | mixed | energy x | area rank | "
      << title << " |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const MultiFormatRow& x : t.rows) {
      if (x.group != g) continue;
      o << "| " << md_escape(x.label) << (x.name == t.baseline ? " (baseline)" : "") << " | " << md_escape(x.modes)
        << " | " << x.reuse << " | " << (x.ok ? cell(x.area_um2, 6) : "no result") << " | " << ratio(x.area_rel)
        << " | " << cell(x.area_per_mac[0], 4) << " | " << cell(x.area_per_mac[1], 4) << " | "
        << cell(x.energy[0]) << " | " << cell(x.energy[1]) << " | " << cell(x.energy_mixed) << " | "
        << ratio(x.energy_rel) << " | " << (x.area_rank ? std::to_string(x.area_rank) : "-") << " | "
        << (x.paper.empty() ? "" : md_escape(x.paper)) << " |\n";
    }
    o << "\n";
    // The ranking in words, per pair of modes: what Table 7 of the paper ranks.
    std::vector<std::string> pairs;
    for (const MultiFormatRow& x : t.rows)
      if (x.group == g && x.kind == "shared" && x.ok && std::find(pairs.begin(), pairs.end(), x.modes) == pairs.end())
        pairs.push_back(x.modes);
    for (const std::string& pr : pairs) {
      std::vector<const MultiFormatRow*> v;
      for (const MultiFormatRow& x : t.rows)
        if (x.group == g && x.kind == "shared" && x.ok && x.modes == pr) v.push_back(&x);
      std::stable_sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->area_um2 < b->area_um2; });
      o << "- `" << md_escape(pr) << "` by area, smallest first: ";
      for (size_t i = 0; i < v.size(); ++i) o << (i ? " < " : "") << v[i]->reuse << " (" << cell(v[i]->area_um2, 6) << ")";
      for (const MultiFormatRow& x : t.rows)
        if (x.group == g && x.kind == "side-by-side" && x.ok && x.modes == pr)
          o << "; side-by-side arrays: " << cell(x.area_um2, 6);
      o << "\n";
    }
    if (!pairs.empty()) o << "\n";
  }
  if (!t.note.empty()) o << t.note << "\n\n";
  return o.str();
}

json multi_format_json(const MultiFormatTable& t) {
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  json rows = json::array();
  for (const MultiFormatRow& x : t.rows) {
    json modes = json::array();
    for (size_t i = 0; i < 2; ++i)
      modes.push_back({{"mode", i}, {"peak_macs_per_cycle", num(x.peak[i])},
                       {"area_per_mac_per_cycle_um2", num(x.area_per_mac[i])}, {"energy_pj_per_mac", num(x.energy[i])}});
    rows.push_back({{"name", x.name}, {"label", x.label}, {"group", x.group}, {"kind", x.kind}, {"modes", x.modes},
                    {"reuse", x.reuse}, {"ok", x.ok}, {"area_um2", num(x.area_um2)}, {"per_mode", modes},
                    {"energy_mixed_pj_per_mac", num(x.energy_mixed)}, {"area_rel", num(x.area_rel)},
                    {"energy_rel", num(x.energy_rel)}, {"area_rank", x.area_rank}, {"paper", x.paper}});
  }
  return {{"baseline", t.baseline}, {"title", t.title}, {"rows", rows}};
}

namespace {
std::string fixed(double v, int prec) {
  if (!std::isfinite(v)) return "n/a";
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(prec);
  s << v;
  return s.str();
}
}  // namespace

std::string render_ablation_md(const AblationTable& t) {
  std::ostringstream o;
  o << "## " << (t.title.empty() ? "Ablation" : md_escape(t.title)) << "\n\n"
    << "Each column is the previous one with one setting changed (the row `change`); ratios are to `" << t.baseline
    << "` of the same column, composites to the composite baseline. Area is compared at equal throughput: area per "
       "MAC per cycle (the unit's area / its lanes; a composite's summed area / its summed lanes); energy is per MAC. "
       "`n/a`: the column's point has no result (see the notes).\n\n";
  o << "| | published |";
  for (const std::string& c : t.columns) o << " " << md_escape(c) << " |";
  o << "\n|---|---|";
  for (size_t i = 0; i < t.columns.size(); ++i) o << "---|";
  o << "\n| change | |";
  for (const std::string& c : t.changed) o << " " << (c.empty() ? "(base)" : md_escape(c)) << " |";
  o << "\n| area scope | |";
  for (const std::string& s : t.scopes) o << " " << s << " |";
  o << "\n";
  for (const AblationRow& r : t.rows) {
    o << "| " << md_escape(r.name) << " " << r.metric << " | " << fixed(r.paper, 2) << " |";
    for (double v : r.values) o << " " << fixed(v, 2) << " |";
    o << "\n";
  }
  o << "| " << t.baseline << " area um^2 (the whole unit) | |";
  for (double v : t.base_area) o << " " << fixed(v, 0) << " |";
  o << "\n| " << t.baseline << " energy pJ/MAC | |";
  for (double v : t.base_energy) o << " " << fixed(v, 4) << " |";
  o << "\n| slowest format's fmax MHz | |";
  for (double v : t.min_fmax) o << " " << fixed(v, 0) << " |";
  o << "\n\n";
  for (const std::string& n : t.notes) o << "- " << md_escape(n) << "\n";
  if (!t.notes.empty()) o << "\n";
  return o.str();
}

std::string render_ablation_csv(const AblationTable& t) {
  std::ostringstream o;
  auto q = [](const std::string& s) {
    if (s.find_first_of(",\"") == std::string::npos) return s;
    std::string r = "\"";
    for (char c : s) r += c == '"' ? std::string("\"\"") : std::string(1, c);
    return r + "\"";
  };
  o << "row,metric,published";
  for (const std::string& c : t.columns) o << "," << q(c);
  o << "\nchange,,";
  for (const std::string& c : t.changed) o << "," << q(c);
  o << "\n";
  auto num = [](double v) { return std::isfinite(v) ? fmt_num(v, 10) : std::string(""); };
  for (const AblationRow& r : t.rows) {
    o << q(r.name) << "," << r.metric << "," << num(r.paper);
    for (double v : r.values) o << "," << num(v);
    o << "\n";
  }
  o << q(t.baseline) << ",area_um2,";
  for (double v : t.base_area) o << "," << num(v);
  o << "\n" << q(t.baseline) << ",energy_pj_per_mac,";
  for (double v : t.base_energy) o << "," << num(v);
  o << "\nslowest format,fmax_mhz,";
  for (double v : t.min_fmax) o << "," << num(v);
  o << "\n";
  return o.str();
}

json ablation_json(const AblationTable& t) {
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  json cols = json::array();
  for (size_t i = 0; i < t.columns.size(); ++i) {
    json ratios = json::object();
    for (const AblationRow& r : t.rows) ratios[r.name][r.metric] = num(r.values[i]);
    cols.push_back({{"name", t.columns[i]}, {"changed", t.changed[i]}, {"area_scope", t.scopes[i]},
                    {"ratios", ratios}, {"baseline_area_um2", num(t.base_area[i])},
                    {"baseline_energy_pj_per_mac", num(t.base_energy[i])}, {"min_fmax_mhz", num(t.min_fmax[i])}});
  }
  json paper = json::object();
  for (const AblationRow& r : t.rows) paper[r.name][r.metric] = num(r.paper);
  return {{"schema", "macforge-ablation/1"}, {"title", t.title}, {"baseline", t.baseline}, {"paper", paper},
          {"columns", cols}, {"notes", t.notes}};
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

  if (!rd.ablation_md.empty()) o << rd.ablation_md;

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

  if (std::find(rd.metric_cols.begin(), rd.metric_cols.end(), "slack_ns") != rd.metric_cols.end()) {
    // The clock every design was constrained to, and whether it met it.
    std::set<std::string> clocks;
    for (const Row& r : rd.rows)
      if (std::isfinite(r.m("clock_ns"))) clocks.insert(fmt_num(r.m("clock_ns"), 6));
    o << "## Timing\n\n"
      << "Static timing (OpenSTA) of the synthesized netlists at the clock T = "
      << (clocks.empty() ? std::string("(not stated)") : join(std::vector<std::string>(clocks.begin(), clocks.end()), ", "))
      << " ns: the worst path, fmax = 1000 / path, slack at T (negative: the design does not run at T), "
         "met = slack >= 0."
      << (std::find(rd.metric_cols.begin(), rd.metric_cols.end(), "pipeline_chosen") != rd.metric_cols.end()
              ? " `pipeline: auto`: the smallest depth whose PE meets T (`pipeline`)."
              : "")
      << "\n\n| point | T ns | critical path ns | fmax MHz | slack ns | met T | pipeline |\n"
         "|---|---|---|---|---|---|---|\n";
    for (const Row& r : rd.rows) {
      std::string met = !std::isfinite(r.m("timing_met")) ? "-" : r.m("timing_met") > 0 ? "yes" : "**no**";
      std::string pipe = std::isfinite(r.m("pipeline_chosen"))
                             ? fmt_num(r.m("pipeline_chosen")) + (r.m("pipeline_met") > 0 ? " (auto)" : " (auto, none met)")
                             : r.param("pipeline");
      o << "| " << md_escape(r.label) << " | " << cell(r.m("clock_ns")) << " | " << cell(r.m("critical_path_ns"))
        << " | " << cell(r.m("fmax_mhz"), 5) << " | " << cell(r.m("slack_ns")) << " | " << met << " | " << pipe
        << " |\n";
    }
    o << "\n";
  }

  o << rd.multi_md;

  if (!rd.composites.empty()) {
    std::string cb = m.value("composite_baseline", "");
    o << "## Composite (mixed-precision) designs\n\n"
         "A composite is separate arrays side by side, `units` copies of each part (e.g. one 8-bit array and "
         "two 4-bit arrays: the 4-bit side has twice the 8-bit side's throughput), or one array of a multi-format "
         "PE (its area and its mixed energy per MAC, section Multi-format PEs). Area is the sum of "
         "`units x area`; energy per MAC is the throughput-weighted mean `sum(units x peak x energy) / "
         "sum(units x peak)` (every unit busy: equal time in each mode). Ratios are against the composite "
         "named in `against` (by default `"
      << cb << "`).\n\n";
    for (const std::string& g : rd.groups) {
      group_header(g);
      o << "| composite | parts | area um^2 | area x | energy pJ/MAC | energy x | against | peak MAC/cycle |\n"
           "|---|---|---|---|---|---|---|---|\n";
      for (const CompositeRow& c : rd.composites) {
        if (c.group != g) continue;
        o << "| " << md_escape(c.name) << " | " << md_escape(c.parts) << " | "
          << (c.ok ? cell(c.area_um2, 6) : "incomplete") << " | " << ratio(c.area_rel) << " | "
          << cell(c.energy_pj_per_mac) << " | " << ratio(c.energy_rel) << " | " << md_escape(c.baseline) << " | "
          << (c.peak_text.empty() ? cell(c.peak_macs_per_cycle) : c.peak_text) << " |\n";
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
         "(the array only: no buffers or DRAM); throughput per area = MACs / cycles / array area. "
         "The last columns add the memories (docs/memory_energy.md): buffer reads and writes, DRAM transfers "
         "and leakage per inference from `macforge sim`, the total, and the part of buffer and DRAM energy "
         "spent moving scale bits (e8m0 / ue4m3 block scales, fp32 tensor scales).\n\n";
    for (const json& w : m["workloads"]) {
      std::string n = w["name"];
      o << "### " << n << (w.value("layers", "").empty() ? " (GEMM " + w.value("gemm", "") + ")" : "") << "\n\n";
      for (const std::string& g : rd.groups) {
        group_header(g);
        o << "| point | cycles | cycles x | utilization | DRAM bytes | energy uJ | energy x | MAC/cycle/mm^2 | "
             "buffers uJ | DRAM uJ | total uJ | total x | scales uJ |\n"
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
        for (const Row& r : rd.rows) {
          if (r.group != g) continue;
          o << "| " << md_escape(r.label) << " | " << big(r.m("cycles_" + n)) << " | " << ratio(r.rel("cycles_" + n + "_rel"))
            << " | " << cell(r.m("utilization_" + n), 3) << " | " << big(r.m("dram_bytes_" + n)) << " | "
            << cell(r.m("energy_uj_" + n), 5) << " | " << ratio(r.rel("energy_uj_" + n + "_rel")) << " | "
            << cell(r.m("macs_per_cycle_per_mm2_" + n), 5) << " | " << cell(r.m("energy_buffers_uj_" + n), 5) << " | "
            << cell(r.m("energy_dram_uj_" + n), 5) << " | " << cell(r.m("energy_total_uj_" + n), 5) << " | "
            << ratio(r.rel("energy_total_uj_" + n + "_rel")) << " | " << cell(r.m("energy_scales_uj_" + n), 5) << " |\n";
        }
        o << "\n";
      }
    }
  }

  std::string pq = m.value("pareto_qsnr", "");
  if (!pq.empty() && has_energy) {
    // pareto_energy: W ranks by W's energy per inference (array + buffers + DRAM).
    std::string ek = pareto_energy_metric(m), pw = m.value("pareto_energy", "");
    std::vector<size_t> front = pareto_front(rd, "qsnr_" + pq, ek);
    if (!front.empty()) {
      o << "## Pareto front: QSNR (`" << pq << "`) versus "
        << (pw.empty() ? std::string("energy per MAC") : "energy per inference of `" + pw + "`") << "\n\n"
        << "Points no other point beats on both (lower energy and higher QSNR):\n\n"
        << (pw.empty() ? "| point | energy pJ/MAC | QSNR dB |\n" : "| point | energy uJ (array + buffers + DRAM) | QSNR dB |\n")
        << "|---|---|---|\n";
      for (size_t i : front)
        o << "| " << md_escape(rd.rows[i].label) << " | " << cell(rd.rows[i].m(ek)) << " | "
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

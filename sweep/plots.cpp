#include "sweep/plots.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "sweep/util.hpp"

namespace macforge::sweep {

namespace {

std::string q(const std::string& s) {  // a gnuplot data-file string
  std::string o = "\"";
  for (char c : s) o += c == '"' ? '\'' : c;
  return o + "\"";
}
std::string v(double x) { return std::isfinite(x) ? fmt_num(x, 8) : "?"; }
std::string gq(const std::string& s) {  // a gnuplot script string literal
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("''") : std::string(1, c);
  return o + "'";
}

const char* kCommon =
    "set datafile missing '?'\n"
    "set key outside top center horizontal\n"
    "set grid ytics\n"
    "set style fill solid 0.85 border -1\n"
    "set boxwidth 0.9\n"
    "set xtics rotate by -40 left scale 0\n";

const char* kHist =
    "set yrange [0:*]\n"
    "set style data histograms\n"
    "set style histogram clustered gap 1\n";

struct Plot {
  PlotInfo info;
  std::string script;
  std::vector<std::pair<std::string, std::string>> data;  // file, text
  int width = 1100, height = 600;
};

}  // namespace

PlotResult draw_plots(const ReportData& rd, std::ostream& err) {
  PlotResult res;
  std::string pdir = rd.dir + "/plots";
  make_dirs(pdir);
  const json& m = rd.manifest;
  std::vector<const Row*> ok;
  for (const Row& r : rd.rows)
    if (r.status == "ok") ok.push_back(&r);
  auto any = [&](const std::string& k) {
    for (const Row* r : ok)
      if (std::isfinite(r->m(k))) return true;
    return false;
  };
  std::vector<Plot> plots;

  // 1. Area and energy per point.
  if (any("area_um2") || any("energy_pj_per_mac")) {
    Plot p;
    p.info = {"area_energy", "Area and energy per MAC"};
    std::ostringstream d;
    d << "# label area_um2 energy_pj_per_mac area_rel energy_rel\n";
    for (const Row* r : ok)
      d << q(r->label) << " " << v(r->m("area_um2")) << " " << v(r->m("energy_pj_per_mac")) << " "
        << v(r->rel("area_um2_rel")) << " " << v(r->rel("energy_pj_per_mac_rel")) << "\n";
    p.data.emplace_back("area_energy.dat", d.str());
    // A column of only '?' (synth: {energy: false}) is an invalid range for
    // gnuplot, so panels and series without data are left out.
    bool area = any("area_um2"), energy = any("energy_pj_per_mac");
    std::ostringstream s;
    s << kCommon << kHist << "set multiplot layout 1," << (int(area) + int(energy) + 1) << "\n";
    if (area)
      s << "set title 'Array area (um^2)'\nunset key\n"
        << "plot 'area_energy.dat' using 2:xtic(1) lc rgb '#4477aa'\n";
    if (energy)
      s << "set title 'Energy per MAC (pJ)'\nunset key\n"
        << "plot 'area_energy.dat' using 3:xtic(1) lc rgb '#ee6677'\n";
    s << "set title " << gq("Relative to " + m.value("baseline", "")) << "\nset key outside top center horizontal\n"
      << "plot ";
    if (area) s << "'area_energy.dat' using 4:xtic(1) title 'area' lc rgb '#4477aa'" << (energy ? ", " : "");
    if (energy) s << "'area_energy.dat' using 5:xtic(1) title 'energy' lc rgb '#ee6677'";
    s << "\nunset multiplot\n";
    p.script = s.str();
    p.width = 1500;
    plots.push_back(p);
  }

  // 2. QSNR versus energy per MAC, with the Pareto front.
  std::string pq = m.value("pareto_qsnr", "");
  // pareto_energy: W plots W's energy per inference instead of energy per MAC.
  std::string ek = pareto_energy_metric(m), pw = m.value("pareto_energy", "");
  std::string ename = pw.empty() ? std::string("energy per MAC") : "energy per inference of " + pw;
  if (!pq.empty() && any("qsnr_" + pq) && any(ek)) {
    std::string k = "qsnr_" + pq;
    Plot p;
    p.info = {"pareto", "QSNR (" + pq + ") versus " + ename + ", Pareto front"};
    std::ostringstream d, f;
    d << "# label " << ek << " " << k << "\n";
    for (const Row* r : ok)
      if (std::isfinite(r->m(k)) && std::isfinite(r->m(ek)))
        d << q(r->label) << " " << v(r->m(ek)) << " " << v(r->m(k)) << "\n";
    f << "# the Pareto front, by energy\n";
    for (size_t i : pareto_front(rd, k, ek))
      f << q(rd.rows[i].label) << " " << v(rd.rows[i].m(ek)) << " " << v(rd.rows[i].m(k)) << "\n";
    p.data.emplace_back("pareto.dat", d.str());
    p.data.emplace_back("pareto_front.dat", f.str());
    std::ostringstream s;
    s << kCommon << "set xtics norotate\nset grid xtics ytics\n"
      << "set title " << gq("QSNR (" + pq + ") versus " + ename) << "\n"
      << "set xlabel " << gq(pw.empty() ? std::string("energy per MAC (pJ)") : ename + " (uJ)") << "\nset ylabel 'QSNR (dB)'\nset offsets graph 0.05, graph 0.2, graph 0.08, graph 0.08\n"
      << "plot 'pareto.dat' using 2:3 with points pt 7 ps 1.5 lc rgb '#4477aa' title 'design points', "
         "'pareto_front.dat' using 2:3 with steps lw 2 lc rgb '#ee6677' title 'Pareto front', "
         "'pareto.dat' using 2:3:1 with labels offset 1,0.8 left font ',9' notitle\n";
    p.script = s.str();
    plots.push_back(p);
  }

  // 3. Cycles and energy per workload.
  std::vector<std::string> wls;
  for (const json& w : m["workloads"])
    if (any("cycles_" + w["name"].get<std::string>())) wls.push_back(w["name"]);
  if (!wls.empty()) {
    Plot p;
    p.info = {"workloads", "Cycles and energy per workload"};
    std::ostringstream d;
    d << "# label";
    for (const std::string& w : wls) d << " cycles_" << w << " energy_uj_" << w;
    d << "\n";
    for (const Row* r : ok) {
      d << q(r->label);
      for (const std::string& w : wls) d << " " << v(r->m("cycles_" + w)) << " " << v(r->m("energy_uj_" + w));
      d << "\n";
    }
    p.data.emplace_back("workloads.dat", d.str());
    bool energy = false;
    for (const std::string& w : wls) energy |= any("energy_uj_" + w);
    std::ostringstream s;
    s << kCommon << kHist << "set multiplot layout 1," << (energy ? 2 : 1) << "\n"
      << "set title 'Cycles per workload'\nset format y '%.2g'\nplot ";
    for (size_t i = 0; i < wls.size(); ++i)
      s << (i ? ", " : "") << "'workloads.dat' using " << 2 + 2 * i << (i ? "" : ":xtic(1)") << " title " << gq(wls[i]);
    s << "\n";
    if (energy) {
      s << "set title 'Energy per workload (uJ, MAC array only)'\nplot ";
      for (size_t i = 0; i < wls.size(); ++i)
        s << (i ? ", " : "") << "'workloads.dat' using " << 3 + 2 * i << (i ? "" : ":xtic(1)") << " title " << gq(wls[i]);
      s << "\n";
    }
    s << "unset multiplot\n";
    p.script = s.str();
    p.width = energy ? 1400 : 900;
    plots.push_back(p);
  }

  // 3b. Where a workload's energy goes: the array, the buffers and DRAM
  // (with leakage), stacked, per design point (docs/memory_energy.md).
  std::vector<std::string> ewls;
  for (const std::string& w : wls)
    if (any("energy_total_uj_" + w)) ewls.push_back(w);
  if (!ewls.empty()) {
    Plot p;
    p.info = {"energy_split", "Energy per inference: array, buffers, DRAM"};
    std::ostringstream d;
    d << "# label";
    for (const std::string& w : ewls) d << " array_" << w << " buffers_" << w << " dram_" << w;
    d << "\n";
    for (const Row* r : ok) {
      d << q(r->label);
      for (const std::string& w : ewls) {
        double leak = r->m("energy_leakage_uj_" + w);
        d << " " << v(r->m("energy_uj_" + w)) << " " << v(r->m("energy_buffers_uj_" + w)) << " "
          << v(r->m("energy_dram_uj_" + w) + (std::isfinite(leak) ? leak : 0.0));
      }
      d << "\n";
    }
    p.data.emplace_back("energy_split.dat", d.str());
    std::ostringstream s;
    s << kCommon << "set yrange [0:*]\nset style data histograms\nset style histogram rowstacked\n"
      << "set multiplot layout 1," << ewls.size() << "\n";
    for (size_t i = 0; i < ewls.size(); ++i) {
      int c = 2 + 3 * int(i);
      s << "set title " << gq("Energy per inference of " + ewls[i] + " (uJ)") << "\n"
        << "plot 'energy_split.dat' using " << c << ":xtic(1) title 'MAC array' lc rgb '#4477aa', '' using " << c + 1
        << " title 'buffers (SRAM)' lc rgb '#228833', '' using " << c + 2 << " title 'DRAM (+ leakage)' lc rgb '#ee6677'\n";
    }
    s << "unset multiplot\n";
    p.script = s.str();
    p.width = 300 + 800 * int(ewls.size());
    plots.push_back(p);
  }

  // 4. Throughput per area.
  if (any("peak_macs_per_cycle_per_mm2")) {
    Plot p;
    p.info = {"throughput_area", "Throughput per area"};
    std::ostringstream d;
    d << "# label peak";
    for (const std::string& w : wls) d << " " << w;
    d << "\n";
    for (const Row* r : ok) {
      d << q(r->label) << " " << v(r->m("peak_macs_per_cycle_per_mm2"));
      for (const std::string& w : wls) d << " " << v(r->m("macs_per_cycle_per_mm2_" + w));
      d << "\n";
    }
    p.data.emplace_back("throughput_area.dat", d.str());
    std::ostringstream s;
    s << kCommon << kHist << "set title 'Throughput per area (MAC per cycle per mm^2)'\n"
      << "plot 'throughput_area.dat' using 2:xtic(1) title 'peak'";
    for (size_t i = 0; i < wls.size(); ++i) s << ", '' using " << 3 + i << " title " << gq(wls[i] + " (achieved)");
    s << "\n";
    p.script = s.str();
    plots.push_back(p);
  }

  // 5. QSNR per format and data set (a format appears once).
  std::vector<std::string> qds;
  for (const json& d : m["qsnr_data"])
    if (any("qsnr_" + d["name"].get<std::string>())) qds.push_back(d["name"]);
  if (!qds.empty()) {
    Plot p;
    p.info = {"qsnr", "QSNR per format"};
    std::ostringstream d;
    d << "# format";
    for (const std::string& n : qds) d << " qsnr_" << n;
    d << "\n";
    std::set<std::string> shown;
    for (const Row* r : ok) {
      if (!shown.insert(r->param("a") + "|" + r->param("b")).second) continue;
      std::string blk = r->axis.value("block", "native");
      d << q(r->axis.value("format", r->label) + (blk == "native" ? "" : " B" + blk));
      for (const std::string& n : qds) d << " " << v(r->m("qsnr_" + n));
      d << "\n";
    }
    p.data.emplace_back("qsnr.dat", d.str());
    std::ostringstream s;
    s << kCommon << kHist << "set title 'QSNR (dB, higher is better)'\nplot ";
    for (size_t i = 0; i < qds.size(); ++i)
      s << (i ? ", " : "") << "'qsnr.dat' using " << 2 + i << (i ? "" : ":xtic(1)") << " title " << gq(qds[i]);
    s << "\n";
    p.script = s.str();
    plots.push_back(p);
  }

  // 6. Multi-format PEs (shared and side-by-side): per mode, area per MAC
  // per cycle and energy per MAC.
  MultiFormatTable mft = multi_format_table(m, rd.rows);
  bool any_mf = false;
  for (const MultiFormatRow& x : mft.rows) any_mf |= x.ok;
  if (any_mf) {
    Plot p;
    p.info = {"multi_format", "Multi-format PEs: area per MAC per cycle and energy per MAC, per mode"};
    std::ostringstream d;
    d << "# design area_per_mac_mode0 area_per_mac_mode1 energy_mode0 energy_mode1 energy_mixed\n";
    for (const MultiFormatRow& x : mft.rows)
      if (x.ok)
        d << q(x.label + (x.kind == "shared" ? "" : " (arrays)")) << " " << v(x.area_per_mac[0]) << " "
          << v(x.area_per_mac[1]) << " " << v(x.energy[0]) << " " << v(x.energy[1]) << " " << v(x.energy_mixed)
          << "\n";
    p.data.emplace_back("multi_format.dat", d.str());
    std::ostringstream s;
    s << kCommon << kHist << "set multiplot layout 1,2\n"
      << "set title 'Area per MAC per cycle (um^2)'\n"
      << "plot 'multi_format.dat' using 2:xtic(1) title 'mode 0 (8-bit)' lc rgb '#4477aa', '' using 3 title "
         "'mode 1' lc rgb '#66ccee'\n"
      << "set title 'Energy per MAC (pJ)'\n"
      << "plot 'multi_format.dat' using 4:xtic(1) title 'mode 0 (8-bit)' lc rgb '#ee6677', '' using 5 title "
         "'mode 1' lc rgb '#ccbb44', '' using 6 title 'mixed (equal time)' lc rgb '#aa3377'\n"
      << "unset multiplot\n";
    p.script = s.str();
    p.width = 1500;
    plots.push_back(p);
  }

  // Write everything, then draw.
  std::ostringstream render;
  render << "#!/bin/sh\n# Redraws the plots of this sweep (written by macforge collect).\ncd \"$(dirname \"$0\")\"\n";
  for (const Plot& p : plots) {
    for (const auto& [file, text] : p.data) {
      write_atomic(pdir + "/" + file, text);
      res.files.push_back(pdir + "/" + file);
    }
    write_atomic(pdir + "/" + p.info.name + ".gp", "# " + p.info.title + "\n" + p.script);
    res.files.push_back(pdir + "/" + p.info.name + ".gp");
  }
  if (plots.empty()) {
    res.ok = true;
    res.error = "no point has figures to plot";
    return res;
  }
  if (!program_in_path("gnuplot")) {
    res.error = "gnuplot is not installed (apt-get install gnuplot-nox); the plot data and scripts are in " + pdir;
    return res;
  }
  std::string glog = pdir + "/gnuplot.log";
  std::remove(glog.c_str());
  std::string png = "png";
  if (run_program({"gnuplot", "-e", "set terminal pngcairo"}, pdir, "/dev/null", "/dev/null", 30).ok())
    png = "pngcairo";
  std::string failures;
  for (const Plot& p : plots) {
    bool drawn = true;
    for (const std::string& kind : {png, std::string("svg")}) {
      std::string ext = kind == "svg" ? "svg" : "png";
      std::string term = kind == "svg" ? "svg size " : kind + " size ";
      std::string file = p.info.name + "." + ext;
      std::string tmp = file + ".tmp";
      std::string pre = "set terminal " + term + std::to_string(p.width) + "," + std::to_string(p.height) +
                        (kind == "svg" ? " dynamic" : "") + " noenhanced; set output " + gq(tmp);
      render << "gnuplot -e \"set terminal " << term << p.width << "," << p.height << " noenhanced; set output '"
             << file << "'\" " << p.info.name << ".gp\n";
      ProcResult r = run_program({"gnuplot", "-e", pre, p.info.name + ".gp"}, pdir, glog, glog, 120);
      if (!r.ok() || std::rename((pdir + "/" + tmp).c_str(), (pdir + "/" + file).c_str()) != 0) {
        std::remove((pdir + "/" + tmp).c_str());
        drawn = false;
        failures += (failures.empty() ? "" : "; ") + file + ": " + log_excerpt(glog);
        continue;
      }
      res.files.push_back(pdir + "/" + file);
    }
    if (drawn) res.plots.push_back(p.info);
  }
  write_atomic(pdir + "/render.sh", render.str());
  res.ok = failures.empty();
  if (!res.ok) {
    res.error = "gnuplot failed: " + failures + " (log: " + glog + ")";
    err << "warning: " << res.error << "\n";
  }
  return res;
}

}  // namespace macforge::sweep

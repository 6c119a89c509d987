#include "synth/flow.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>

#include "gen/array_emit.hpp"
#include "gen/generate.hpp"
#include "gen/pe_emit.hpp"
#include "synth/cell_models.hpp"
#include "synth/errors.hpp"
#include "synth/gate_sim.hpp"
#include "synth/netlist.hpp"
#include "synth/partition.hpp"
#include "synth/process.hpp"
#include "synth/report.hpp"
#include "synth/sta_netlist.hpp"
#include "synth/sta_timing.hpp"
#include "synth/stimulus.hpp"
#include "synth/yosys_flow.hpp"

namespace macforge::synth {

namespace fs = std::filesystem;

namespace {

const char* kMarker = ".macforge-synth";

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A black-box stub of a module, from its gate-level netlist's port declarations.
std::string blackbox_stub(const NlModule& m) {
  std::ostringstream o;
  o << "// Black box of the synthesized PE for the array-level synthesis (macforge synth).\n"
    << "(* blackbox *)\nmodule " << m.name << " (";
  for (size_t i = 0; i < m.ports.size(); ++i) o << (i ? ", " : "") << m.ports[i];
  o << ");\n";
  for (const std::string& p : m.ports) {
    const NlWire& w = m.wires[size_t(m.wire_index.at(p))];
    o << "  " << (w.input ? "input " : "output ") << (w.width > 1 ? "[" + std::to_string(w.width - 1 + w.lsb) + ":" + std::to_string(w.lsb) + "] " : "")
      << p << ";\n";
  }
  o << "endmodule\n";
  return o.str();
}

std::set<std::string> used_cells(const FlatNetlist& n) {
  std::set<std::string> s;
  for (const FlatCell& c : n.cells)
    if (c.lib) s.insert(c.type);
  return s;
}

}  // namespace

void prepare_out_dir(const std::string& dir) {
  fs::path d(dir);
  if (fs::exists(d)) {
    if (!fs::is_directory(d)) throw ToolError("output '" + dir + "' exists and is not a directory");
    if (!fs::is_empty(d) && !fs::exists(d / kMarker))
      throw ToolError("output directory '" + dir +
                      "' is not empty and holds no earlier macforge synth output; refusing to write into it");
  }
  std::error_code ec;
  fs::create_directories(d, ec);
  if (ec) throw ToolError("cannot create output directory '" + dir + "': " + ec.message());
  for (const char* f : {"report.json", "report.txt", "compare.md", "compare.csv", "compare.json"}) fs::remove(d / f, ec);
  write_text_atomic((d / kMarker).string(), "macforge synth output directory\n");
}

PreparedLibrary prepare_library_or_remove_dir(const std::string& liberty, const std::string& dir, bool dir_is_new) {
  try {
    return prepare_library(liberty, dir);
  } catch (...) {
    std::error_code ec;
    if (dir_is_new) fs::remove_all(dir, ec);
    throw;
  }
}

SynthReport run_synth(const gen::ArrayConfig& cfg, const SynthOptions& opt) {
  auto t_start = std::chrono::steady_clock::now();
  SynthReport R;
  R.cfg = cfg;
  R.out_dir = fs::absolute(opt.out_dir).lexically_normal().string();
  const std::string D = R.out_dir;
  const bool fresh_dir = !fs::exists(D);
  prepare_out_dir(D);

  // 1. library, read before anything is generated: a bad Liberty file then
  // leaves no rtl/ behind (and no directory at all if this run made it)
  PreparedLibrary own;
  const PreparedLibrary* L = opt.prepared;
  if (!L) {
    own = prepare_library_or_remove_dir(opt.liberty, D, fresh_dir);
    L = &own;
  }

  // 2. Verilog
  auto t0 = std::chrono::steady_clock::now();
  gen::PeSpec spec = gen::pe_spec(cfg);
  gen::GenerateResult g;
  try {
    g = gen::generate(cfg, D + "/rtl", "macforge synth");
  } catch (const gen::GenerateError& e) {
    throw ToolError(e.what());
  }
  R.t_generate = since(t0);
  std::vector<gen::PeFile> pe_src = gen::pe_files(spec);
  std::set<std::string> pe_names;
  for (const gen::PeFile& f : pe_src) pe_names.insert(f.name);
  std::vector<std::string> prim_files, pe_files, array_files;
  for (const std::string& f : g.files) {
    if (pe_names.count(f)) pe_files.push_back("rtl/" + f);
    else if (f.rfind("mf_", 0) == 0) prim_files.push_back("rtl/" + f);
    else array_files.push_back("rtl/" + f);
  }

  R.lib_name = L->lib.name;
  R.lib_source = L->source;
  R.lib_yosys = L->yosys_liberty;
  R.template_name = fs::path(L->template_path).filename().string();
  R.lib_builtin = L->builtin;
  R.dont_use_added = int(L->dont_use_added.size());
  R.voltage = L->lib.voltage;
  R.lib_units = L->lib.units_text;
  R.lanes = cfg.lanes;
  R.clock_hz = opt.clock_hz;

  // 3. the PE
  R.pe_top = spec.module_name;
  std::string pe_top_file = "rtl/" + spec.module_name + ".v";
  // a multi-format PE (docs/synthesis.md "Multi-format PEs"): stage modules in
  // the top's file, sections matched in any src entry of a flattened cell
  const bool multi = spec.modes > 1;
  const int nmodes = multi ? 2 : 1;
  std::vector<SourceSection> sections = multi ? mode_pe_sections(read_text(D + "/" + pe_top_file), pe_top_file)
                                              : pe_sections(read_text(D + "/" + pe_top_file), pe_top_file);
  // INT x INT: products and adder tree are one multi-operand sum (alumacc makes
  // one carry-save tree of it, 7% smaller for mxint8 than separate multipliers
  // and tree adders); keep them in one part so that the synthesis can fuse them.
  // A multi-format PE fuses when both modes are INT x INT.
  R.fused_mul_tree = gen::pe_widths(spec).int_only;
  if (multi) {
    gen::PeSpec s1 = spec;
    s1.modes = 1;
    s1.a = spec.a1;
    s1.b = spec.b1;
    s1.a1 = s1.b1 = BlockFormat{};
    s1.reuse = gen::Reuse::None;
    s1.lanes = s1.accum.lanes = gen::mode_lanes(spec, 1);
    R.fused_mul_tree = R.fused_mul_tree && gen::pe_widths(s1).int_only;
    R.reuse = gen::reuse_name(spec.reuse);
    gen::PeInfo info = gen::pe_info(spec);
    for (int m = 0; m < nmodes; ++m) {
      ModeReport mr;
      mr.mode = m;
      mr.a = info.mode[size_t(m)].a.name;
      mr.b = info.mode[size_t(m)].b.name;
      mr.lanes = info.mode[size_t(m)].lanes;
      mr.group = info.mode[size_t(m)].group;
      R.modes.push_back(mr);
    }
  }
  if (R.fused_mul_tree)
    for (SourceSection& s : sections)
      if (s.part == "adder_tree") s.part = "multipliers";
  // the timing constraint T (docs/timing.md): ABC maps for it when the
  // Liberty has delay tables, OpenSTA checks the result against it
  if (opt.clock_ns < 0 || opt.clock_ns > 1e6) throw InputError("clock period must be > 0 ns (and at most 1e6 ns)");
  R.timing.clock_ns = opt.clock_ns > 0 ? opt.clock_ns : default_clock_ns(L->builtin, L->lib.name);
  R.timing.io_constraints = kStaIoConstraints;
  const bool lib_timing = liberty_has_timing(L->yosys_liberty);
  if (!lib_timing)
    R.timing.unavailable_reason = "the Liberty file " + L->source + " has no delay tables (cell_rise/cell_fall)";
  else if (!opt.timing)
    R.timing.unavailable_reason = "not run (--no-timing)";
  const bool run_timing = lib_timing && opt.timing;
  // the adder architecture (synth/adders.hpp, docs/timing.md "Adder
  // architecture"): each candidate is one PE synthesis (+ OpenSTA); the first
  // writes the plain file names (synth_pe.ys, yosys.log, pe_netlist.v,
  // sta_pe.*), a second one (auto) the same names with the suffix _prefix
  struct PeRun {
    YosysJob job;
    YosysResult yr;
    NlDesign design;
    FlatNetlist flat;
    NetlistStats stats;
    bool timed = false;
    StaTiming st;
  };
  auto synth_pe = [&](AdderArch arch, const std::string& sfx) {
    PeRun c;
    YosysJob& pj = c.job;
    pj.dir = D;
    pj.abc_delay_ps = lib_timing ? R.timing.clock_ns * 1000.0 : 0.0;
    pj.script = "synth_pe" + sfx + ".ys";
    pj.log = "yosys" + sfx + ".log";
    pj.netlist = "pe_netlist" + sfx + ".v";
    pj.stat_json = "pe_stat" + sfx + ".json";
    pj.verilog_files = prim_files;
    pj.verilog_files.insert(pj.verilog_files.end(), pe_files.begin(), pe_files.end());
    pj.top = spec.module_name;
    pj.liberty = fs::absolute(L->yosys_liberty).string();
    pj.template_path = L->template_path;
    pj.fa_map = L->fa_map;
    if (!L->fa_map.empty()) {
      // the FA template: prefix keeps only 1-2 bit adds as full-adder cells (fa_map.v)
      if (arch == AdderArch::Prefix) pj.adder_map = " -D MF45_PREFIX";
    } else if (arch == AdderArch::Ripple) {
      // the no-FA template: ripple = the $lcu ripple map of fa_map.v, AND/OR gates for ABC
      pj.adder_map = " -map +/techmap.v -map " + synth_lib_dir() + "/fa_map.v -D MF45_LCU_RIPPLE";
    }
    pj.pre_synth = coarse_commands(pj.top);
    for (const std::string& cmd : partition_commands(pj.top, pe_top_file, sections, multi)) pj.pre_synth.push_back(cmd);
    c.yr = run_yosys(pj);
    R.t_yosys_pe += c.yr.seconds;
    c.design = read_netlist(c.yr.netlist_path);
    c.flat = flatten(c.design, spec.module_name, L->lib, part_of_instance);
    c.stats = netlist_stats(c.flat);
    if (run_timing) {
      c.st = time_netlist(c.flat, spec.module_name, fs::absolute(L->yosys_liberty).string(), R.timing.clock_ns, D,
                          "sta_pe" + sfx);
      c.timed = true;
      R.timing.seconds += c.st.seconds;
    }
    return c;
  };
  const double clock_ns = R.timing.clock_ns;
  auto candidate = [clock_ns](AdderArch arch, const PeRun& c) {
    AdderCandidate k;
    k.arch = arch;
    k.area_um2 = c.stats.area_um2;
    k.timed = c.timed;
    if (c.timed) {
      k.slack_ns = c.st.path.slack_ns;
      k.critical_path_ns = clock_ns - c.st.path.slack_ns;
      k.met = k.slack_ns >= 0;
    }
    return k;
  };
  R.adders.mode = opt.adders;
  PeRun pe_run;
  if (opt.adders == AdderMode::Prefix) {
    pe_run = synth_pe(AdderArch::Prefix, "");
    R.adders.chosen = AdderArch::Prefix;
    R.adders.reason = "--adders prefix";
    R.adders.candidates.push_back(candidate(AdderArch::Prefix, pe_run));
  } else {
    pe_run = synth_pe(AdderArch::Ripple, "");
    AdderCandidate rc = candidate(AdderArch::Ripple, pe_run);
    R.adders.candidates.push_back(rc);
    R.adders.chosen = AdderArch::Ripple;
    if (opt.adders == AdderMode::Ripple) {
      R.adders.reason = "--adders ripple";
    } else if (!rc.timed) {
      R.adders.reason = "no timing data: the minimum-area ripple";
    } else if (!auto_needs_prefix(rc)) {
      R.adders.reason = "ripple meets the clock (minimum area)";
    } else {
      PeRun pre = synth_pe(AdderArch::Prefix, "_prefix");
      AdderCandidate pc = candidate(AdderArch::Prefix, pre);
      R.adders.candidates.push_back(pc);
      R.adders.chosen = auto_pick(rc, pc);
      R.adders.reason = std::string("ripple misses the clock; ") + adder_name(R.adders.chosen) + " has the better slack";
      if (R.adders.chosen == AdderArch::Prefix) pe_run = std::move(pre);
    }
  }
  const YosysJob& pj = pe_run.job;
  R.template_name = fs::path(pj.template_path).filename().string();
  R.yosys_log = pe_run.yr.log_path;
  R.pe_netlist = pe_run.yr.netlist_path;
  R.pe_area_yosys = pe_run.yr.top_area;
  NlDesign& pe_design = pe_run.design;
  FlatNetlist& pe_flat = pe_run.flat;
  R.pe = pe_run.stats;
  if (pe_run.timed) {
    R.timing.pe_path = pe_run.st.path;
    R.timing.sta_log = pe_run.st.log_path;
  }

  // 4. energy of the PE
  EnergyParams ep;
  ep.clock_hz = opt.clock_hz;
  const double uniform_a = parse_activity(opt.activity);  // < 0: gate-level simulation
  R.activity_mode = opt.activity;
  std::vector<double> sim_toggles;
  int64_t sim_cycles = 0;
  // one run per mode (a single-format PE: mode 0 only, the plain tags); a
  // multi-format PE: one Verilator build, in_mode held at m on mode m's data
  std::vector<PeEnergy> mode_energy(static_cast<size_t>(nmodes));
  std::optional<GateSim> gs;
  for (int m = 0; m < nmodes; ++m) {
    PeEnergy& pe_e = mode_energy[size_t(m)];
    const int lanes_m = gen::mode_lanes(spec, m);
    const std::string tag = multi ? "mode" + std::to_string(m) + "_" : "";
    if (opt.energy && uniform_a >= 0) {
      const int64_t cyc = opt.cycles;
      pe_e.realistic =
          compute_energy(pe_flat, L->lib, uniform_toggles(pe_flat, uniform_a, cyc), cyc, cyc * lanes_m, ep);
      pe_e.stimulus = "none: uniform activity " + opt.activity + " (every non-clock net, clock nets 2 per cycle; one chunk of lanes MACs per cycle)";
      pe_e.done = true;
    } else if (opt.energy) {
      Stimulus real = make_pe_stimulus(spec, StimKind::Realistic, opt.cycles, opt.seed, m);
      if (!gs) {
        std::string models = L->builtin ? read_text(L->models) : cell_models_verilog(L->lib, used_cells(pe_flat));
        R.models = L->builtin ? L->models : D + "/sim/cells.v (generated from the Liberty functions)";
        gs = build_gate_sim(pe_flat, real.ports, models, D, opt.jobs);
        R.t_verilator = gs->build_seconds;
      }
      Activity a = run_gate_sim(*gs, pe_flat, real, tag + "realistic");
      if (m == 0) {
        sim_toggles = a.toggles;
        sim_cycles = a.cycles;
      }
      R.t_sim += a.seconds;
      pe_e.realistic = compute_energy(pe_flat, L->lib, a.toggles, a.cycles, a.macs, ep);
      pe_e.stimulus = real.description;
      pe_e.results_checked += a.results;
      pe_e.missing_nets = a.missing_nets;
      if (opt.uniform) {
        Stimulus uni = make_pe_stimulus(spec, StimKind::Uniform, opt.cycles, opt.seed + 1000, m);
        Activity u = run_gate_sim(*gs, pe_flat, uni, tag + "uniform");
        R.t_sim += u.seconds;
        pe_e.uniform = compute_energy(pe_flat, L->lib, u.toggles, u.cycles, u.macs, ep);
        pe_e.has_uniform = true;
        pe_e.stimulus_uniform = uni.description;
        pe_e.results_checked += u.results;
      }
      pe_e.done = true;
    }
  }
  R.pe_energy = mode_energy[0];
  for (ModeReport& mr : R.modes) mr.pe_energy = mode_energy[size_t(mr.mode)];
  if (opt.crosscheck_power) {
    PowerCrosscheck& X = R.power_crosscheck;
    X.clock_hz = opt.clock_hz;
    X.wire_loads = "macforge's wire estimate (" + wire_model(L->lib).description +
                   ") given to OpenSTA as set_load on every cell-driven net";
    std::string liberty = fs::absolute(L->yosys_liberty).string();
    X.uniform = check_power_uniform(pe_flat, L->lib, liberty, D, uniform_a >= 0 ? uniform_a : opt.crosscheck_activity, ep);
    if (!sim_toggles.empty()) {
      X.vectorless = check_power_vectorless(pe_flat, L->lib, liberty, D, sim_toggles, sim_cycles,
                                            R.pe_energy.realistic.input_toggle_rate, ep);
      X.has_vectorless = true;
    }
    X.done = true;
  }

  // 5. the array
  R.array = !opt.pe_only;
  R.flat = opt.flat && R.array;
  if (!R.array) {
    R.top = R.pe_top;
    R.pe_count = 1;
    R.area_um2 = R.pe.area_um2;
    R.area_by_part = R.pe.area_by_part;
    R.cells_by_type = R.pe.cells_by_type;
    R.cells = R.pe.cells;
    R.flops = R.pe.flops;
    R.logic_depth = R.pe.logic_depth;
    R.area_combinational_um2 = R.pe.area_um2 - R.pe.seq_area_um2;
    // the PE's energy per MAC of one mode (its stimulus' MACs: lanes of that mode)
    auto pe_level = [](const PeEnergy& pe) {
      DesignEnergy d;
      const EnergyResult& e = pe.realistic;
      d.pj_per_mac = e.pj_per_mac();
      d.combinational_pj_per_mac = (e.total.total() - e.total.clock - e.sequential) / double(e.macs);
      if (pe.has_uniform) d.uniform_pj_per_mac = pe.uniform.pj_per_mac();
      for (const auto& [k, v] : e.by_part) d.by_part_pj_per_mac[k] = v.total() / double(e.macs);
      d.by_kind_pj_per_mac = {{"switching", e.total.switching / double(e.macs)},
                              {"internal", e.total.internal / double(e.macs)},
                              {"clock", e.total.clock / double(e.macs)},
                              {"leakage", e.total.leakage / double(e.macs)}};
      d.mean_toggle_rate = e.mean_toggle_rate;
      return d;
    };
    if (R.pe_energy.done) {
      DesignEnergy d = pe_level(R.pe_energy);
      R.energy_pj_per_mac = d.pj_per_mac;
      R.energy_combinational_pj_per_mac = d.combinational_pj_per_mac;
      if (R.pe_energy.has_uniform) R.energy_uniform_pj_per_mac = d.uniform_pj_per_mac;
      R.energy_by_part_pj_per_mac = d.by_part_pj_per_mac;
      R.energy_by_kind_pj_per_mac = d.by_kind_pj_per_mac;
      R.mean_toggle_rate = d.mean_toggle_rate;
      R.energy_method = "gate-level simulation of the PE netlist (Verilator toggle counts)";
      for (ModeReport& mr : R.modes) mr.energy = pe_level(mr.pe_energy);
    }
  } else {
    R.top = g.top;
    YosysJob aj;
    aj.dir = D;
    aj.script = "synth_array.ys";
    aj.log = "yosys_array.log";
    aj.netlist = "array_netlist.v";
    aj.stat_json = "array_stat.json";
    aj.top = g.top;
    aj.liberty = pj.liberty;
    aj.template_path = pj.template_path;
    aj.fa_map = pj.fa_map;
    aj.adder_map = pj.adder_map;
    aj.abc_delay_ps = pj.abc_delay_ps;
    std::vector<const NlModule*> macros;
    const NlModule* pe_mod = pe_design.module(spec.module_name);
    if (!R.flat) {
      write_text_atomic(D + "/rtl_pe_blackbox.v", blackbox_stub(*pe_mod));
      aj.verilog_files = prim_files;
      aj.verilog_files.push_back("rtl_pe_blackbox.v");
      aj.verilog_files.insert(aj.verilog_files.end(), array_files.begin(), array_files.end());
      std::string parts = gen::part_prefix(cfg.name);
      aj.pre_synth = keep_parts_commands(aj.top, parts);
      for (const std::string& c : coarse_commands(aj.top)) aj.pre_synth.push_back(c);
      for (const std::string& c : glue_partition_commands(aj.top, parts)) aj.pre_synth.push_back(c);
      macros.push_back(pe_mod);
    } else {
      aj.verilog_files = prim_files;
      aj.verilog_files.insert(aj.verilog_files.end(), pe_files.begin(), pe_files.end());
      aj.verilog_files.insert(aj.verilog_files.end(), array_files.begin(), array_files.end());
    }
    YosysResult ar = run_yosys(aj);
    R.t_yosys_array = ar.seconds;
    R.yosys_array_log = ar.log_path;
    R.array_netlist = ar.netlist_path;
    R.array_area_yosys = ar.top_area;
    NlDesign ad = read_netlist(ar.netlist_path);
    FlatNetlist af = flatten(ad, g.top, L->lib, part_of_instance, macros);
    R.glue = netlist_stats(af);
    if (run_timing) {
      // the whole array with every PE inlined as its interface logic (paths
      // through the PE boundary; the PE run has the paths inside it)
      NlDesign whole;
      if (!R.flat)
        whole = inline_pe(ad, parse_netlist(sta_netlist_verilog(interface_model(pe_flat), spec.module_name),
                                            "interface model of " + spec.module_name));
      const NlDesign& wd = R.flat ? ad : whole;
      FlatNetlist wf = R.flat ? af : flatten(wd, g.top, L->lib, sta_part_of_instance);
      mark_pe_cells(wf, wd, spec.module_name);
      StaTiming st = time_netlist(wf, g.top, fs::absolute(L->yosys_liberty).string(), R.timing.clock_ns, D, "sta_array");
      R.timing.array_path = st.path;
      R.timing.has_array_path = true;
      R.timing.sta_log += ", " + st.log_path;
      R.timing.seconds += st.seconds;
    }
    int count = 0;
    for (const FlatCell& c : af.cells)
      if (!c.lib) ++count;
    R.pe_count = R.flat ? cfg.rows * cfg.cols : count;
    if (R.flat) {
      R.area_um2 = R.glue.area_um2;
      R.area_by_part = R.glue.area_by_part;
      R.cells_by_type = R.glue.cells_by_type;
      R.cells = R.glue.cells;
      R.flops = R.glue.flops;
      R.logic_depth = R.glue.logic_depth;
    } else {
      R.area_um2 = R.glue.area_um2 + count * R.pe.area_um2;
      for (const auto& [k, v] : R.glue.area_by_part)
        if (k != "pe_array") R.area_by_part[k] += v;
      for (const auto& [k, v] : R.pe.area_by_part) R.area_by_part[k] += count * v;
      for (const auto& [k, v] : R.glue.cells_by_type)
        if (k != spec.module_name) R.cells_by_type[k] += v;
      for (const auto& [k, v] : R.pe.cells_by_type) R.cells_by_type[k] += count * v;
      R.cells = R.glue.cells - count + count * R.pe.cells;
      R.flops = R.glue.flops - count + count * R.pe.flops;
      R.logic_depth = std::max(R.glue.logic_depth, R.pe.logic_depth);
    }
    R.area_combinational_um2 = R.glue.area_um2 - R.glue.seq_area_um2;
    if (!R.flat) R.area_combinational_um2 += count * (R.pe.area_um2 - R.pe.seq_area_um2);
    if (R.pe_energy.done) {
      // Array energy: every PE busy every cycle (steady state), each as in the PE
      // simulation; the array-level registers and logic are estimated: clock nets
      // toggle twice per cycle, every other net at the PE's measured input toggle
      // rate (they carry the same operand streams). A multi-format PE: per mode,
      // with that mode's PE energy, input toggle rate and lanes.
      int64_t cyc = 1000;
      // clock nets as compute_energy finds them: nets on flip-flop clock pins
      std::vector<bool> clockish(size_t(af.nets), false);
      for (const FlatCell& c : af.cells)
        if (c.lib && c.seq)
          for (const FlatPin& p : c.pins)
            if (!p.output && p.net >= 0 && is_clock_pin(*c.lib, p.pin)) clockish[size_t(p.net)] = true;
      auto array_level = [&](const PeEnergy& pe, int lanes) {
        DesignEnergy d;
        const EnergyResult& e = pe.realistic;
        double alpha = e.input_toggle_rate;
        std::vector<double> tog(size_t(af.nets), 0);
        for (int i = 0; i < af.nets; ++i) tog[size_t(i)] = clockish[size_t(i)] ? 2.0 * double(cyc) : alpha * double(cyc);
        int64_t macs_glue = int64_t(R.pe_count) * lanes * cyc;
        EnergyResult ge = R.flat ? EnergyResult{} : compute_energy(af, L->lib, tog, cyc, macs_glue, ep);
        double pe_per_cycle = e.pj_per_cycle();
        double macs_per_cycle = double(R.pe_count) * lanes;
        double total_per_cycle = R.pe_count * pe_per_cycle + (R.flat ? 0.0 : ge.pj_per_cycle());
        d.pj_per_mac = total_per_cycle / macs_per_cycle;
        auto comb_per_cycle = [](const EnergyResult& x) {
          return x.cycles > 0 ? (x.total.total() - x.total.clock - x.sequential) / double(x.cycles) : 0.0;
        };
        d.combinational_pj_per_mac =
            (R.pe_count * comb_per_cycle(e) + (R.flat ? 0.0 : comb_per_cycle(ge))) / macs_per_cycle;
        if (pe.has_uniform) {
          double u = pe.uniform.pj_per_cycle();
          d.uniform_pj_per_mac = (R.pe_count * u + (R.flat ? 0.0 : ge.pj_per_cycle())) / macs_per_cycle;
        }
        for (const auto& [k, v] : e.by_part)
          d.by_part_pj_per_mac[k] += R.pe_count * v.total() / double(e.cycles) / macs_per_cycle;
        for (const auto& [k, v] : ge.by_part)
          d.by_part_pj_per_mac[k == "inputs" ? "array_inputs" : k] += v.total() / double(cyc) / macs_per_cycle;
        auto kinds = [&](const EnergyParts& t, double cycles, double mult) {
          d.by_kind_pj_per_mac["switching"] += mult * t.switching / cycles / macs_per_cycle;
          d.by_kind_pj_per_mac["internal"] += mult * t.internal / cycles / macs_per_cycle;
          d.by_kind_pj_per_mac["clock"] += mult * t.clock / cycles / macs_per_cycle;
          d.by_kind_pj_per_mac["leakage"] += mult * t.leakage / cycles / macs_per_cycle;
        };
        kinds(e.total, double(e.cycles), R.pe_count);
        if (!R.flat) kinds(ge.total, double(cyc), 1.0);
        d.mean_toggle_rate = e.mean_toggle_rate;
        return d;
      };
      DesignEnergy d = array_level(R.pe_energy, cfg.lanes);
      R.energy_pj_per_mac = d.pj_per_mac;
      R.energy_combinational_pj_per_mac = d.combinational_pj_per_mac;
      if (R.pe_energy.has_uniform) R.energy_uniform_pj_per_mac = d.uniform_pj_per_mac;
      R.energy_by_part_pj_per_mac = d.by_part_pj_per_mac;
      R.energy_by_kind_pj_per_mac = d.by_kind_pj_per_mac;
      for (ModeReport& mr : R.modes) mr.energy = array_level(mr.pe_energy, mr.lanes);
      const EnergyResult& e = R.pe_energy.realistic;
      R.mean_toggle_rate = e.mean_toggle_rate;
      R.energy_method = R.flat ? "PE gate-level simulation x PE count (flat run: array-level logic not estimated)"
                               : "PE gate-level simulation x PE count + array-level logic estimated (clock nets 2 "
                                 "toggles/cycle, other nets at the PE's measured input toggle rate)";
    }
  }
  if (run_timing) {
    TimingReport& T = R.timing;
    T.available = true;
    // one clock, all paths captured at the same edge: T - slack is the delay
    // a path needs, the smallest period at which it would meet
    T.slack_ns = T.pe_path.slack_ns;
    if (T.has_array_path) T.slack_ns = std::min(T.slack_ns, T.array_path.slack_ns);
    T.critical_path_ns = T.clock_ns - T.slack_ns;
    T.fmax_mhz = T.critical_path_ns > 0 ? 1000.0 / T.critical_path_ns : 0.0;
    T.met = T.slack_ns >= 0;
    R.t_sta = T.seconds;
  }
  if (uniform_a >= 0 && R.pe_energy.done)
    R.energy_method = "uniform activity " + opt.activity + " toggles per net per clock cycle, clock nets 2 (no simulation)" +
                      (R.array && !R.flat ? "; array-level logic at the same rate" : "");
  R.t_total = since(t_start);
  R.report_json = D + "/report.json";
  R.report_txt = D + "/report.txt";
  write_text_atomic(R.report_txt, report_text(R));
  write_text_atomic(R.report_json, report_json(R));
  return R;
}

}  // namespace macforge::synth

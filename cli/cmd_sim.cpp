// macforge sim: cycles, stalls, utilization and memory traffic of a GEMM or a
// list of GEMMs on the SystemC model of the accelerator (docs/timing_model.md).
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "sim/run.hpp"
#include "sim/scalesim.hpp"
#include "sim/sim_config.hpp"
#include "synth/liberty.hpp"

// The SystemC library references sc_main; macforge drives the kernel itself.
int sc_main(int, char**) { return 0; }

namespace macforge::cli {
namespace {

const char* kUsage =
    "usage: macforge sim --config CFG (--gemm M,N,K | --layers FILE.csv) [--array RxC]\n"
    "                    [--dataflow os|ws|is] [--mode M] [--ideal-memory] [--timing-only] [--seed S]\n"
    "                    [--out FILE]\n"
    "       macforge sim --scalesim-cfg FILE.cfg [--topology FILE.csv] [--convention macforge|scalesim] ...\n\n"
    "Runs the GEMM C[M][N] = A[M][K] x B[N][K]^T (or every GEMM of a layer file, one after the\n"
    "other) on the SystemC model of the accelerator described by CFG: the PE array of the\n"
    "generator's `pe:` and `array:` sections and the buffers and DRAM interface of the optional\n"
    "`memory:` section (defaults: 256 KiB per buffer, 2 banks, double buffered, 64 B/cycle,\n"
    "100-cycle latency). Prints JSON with total_cycles, compute_cycles, stall_cycles,\n"
    "utilization, per-buffer reads/writes (words and bytes) and dram_bytes, per layer and in total.\n\n"
    "--layers FILE.csv  header `name,M,N,K`, optional columns `count` (back-to-back repeats) and\n"
    "                   `format` (the array mode the layer runs in: a mode's format as in pe.modes,\n"
    "                   e.g. mxint8 or nvint4, `A/B` for mixed operands, or 0/1; empty = mode 0).\n"
    "                   On a multi-format array each layer runs at its mode's throughput: a dot\n"
    "                   product of length K takes ceil(K / lanes_m) chunks (the 4-bit mode has\n"
    "                   2 x lanes) and moves its mode's element and scale bits.\n"
    "--mode M           the mode the --gemm runs in on a multi-format array (0, 1 or a mode's\n"
    "                   format; default 0); layer files give each layer's in `format`\n"
"--array RxC        override array.rows/cols; --dataflow overrides array.dataflow\n"
    "                   (is = input-stationary: a model-only mirror of weight-stationary)\n"
    "--ideal-memory     unbounded buffers, unlimited bandwidth, no latency: compute cycles only\n"
    "--pj-per-mac E[,E1] array energy per MAC of mode 0 (and 1), e.g. macforge synth's\n"
    "                   energy_pj_per_mac; every layer and the total report `energy`: array,\n"
    "                   input/weight/output buffers, DRAM, leakage (docs/memory_energy.md)\n"
    "--lib FILE.lib     scale on-chip memory energy to this library's voltage and node\n"
    "                   (default: the built-in 45 nm, 1.1 V; memory.energy in CFG wins)\n"
    "--energy-table     also print the energy split per layer as a table on stderr\n"
    "--timing-only      no data values: time advances per step by the closed forms (fast);\n"
    "                   without it the behavioural array computes C with the reference numerics\n"
    "                   on seeded random operands and reports output_hash\n"
    "--scalesim-cfg F   a SCALE-Sim v2 .cfg instead of --config: an int8 1-lane array of its\n"
    "                   ArrayHeight x ArrayWidth and Dataflow, its SRAM sizes and Bandwidth; settings\n"
    "                   macforge does not model are named in one warning on stderr\n"
    "--topology F.csv   a SCALE-Sim topology (conv or `Layer, M, N, K,` form) instead of --layers;\n"
    "                   default with --scalesim-cfg: its TopologyCsvLoc\n"
    "--convention C     macforge (default): the RTL-verified schedule; scalesim: SCALE-Sim v2's\n"
    "                   stall-free compute cycles (folds run one after another), 1-lane arrays only\n"
    "Layer files also take convolution rows (in_h,in_w,filter_h,filter_w,channels,filters[,stride]\n"
    "[,pad]), lowered by im2col as SCALE-Sim does.\n"
    "Docs: docs/timing_model.md (how every cycle is counted, with a worked example; section 11:\n"
    "convolutions and SCALE-Sim).";

// The memories' energy figures at the process point of --lib (or the
// built-in library) and the array's pJ/MAC of --pj-per-mac.
sim::EnergyModel energy_model(const po::variables_map& vm, const sim::AccelConfig& accel) {
  sim::TechPoint tech;
  if (vm.count("lib")) {
    std::string path = vm["lib"].as<std::string>();
    synth::Library lib;
    try {
      lib = synth::read_liberty(path);
    } catch (const synth::LibertyError& e) {
      throw FormatError(std::string("--lib: ") + e.what());
    }
    tech.voltage = lib.voltage;
    tech.node_nm = sim::library_node_nm(lib.name);
    if (tech.node_nm <= 0 && accel.memory.node_nm <= 0)
      throw FormatError("--lib " + path + ": the process node of library '" + lib.name +
                        "' is unknown (known: macforge45, sky130, sg13g2); set memory.energy.node_nm in the config");
    tech.source = "library " + lib.name + " (" + path + ")";
  }
  sim::EnergyModel e = sim::make_energy_model(accel.memory, tech);
  if (vm.count("pj-per-mac")) {
    std::string v = vm["pj-per-mac"].as<std::string>();
    size_t p = 0;
    while (p <= v.size()) {
      size_t q = v.find(',', p);
      std::string item = v.substr(p, q == std::string::npos ? std::string::npos : q - p);
      char* end = nullptr;
      double x = std::strtod(item.c_str(), &end);
      if (item.empty() || end != item.c_str() + item.size() || !(x >= 0) || !std::isfinite(x))
        throw UsageError("macforge sim: --pj-per-mac '" + v + "': expected non-negative numbers E or E0,E1 (pJ per MAC)");
      e.pj_per_mac.push_back(x);
      if (q == std::string::npos) break;
      p = q + 1;
    }
    if (int(e.pj_per_mac.size()) > accel.array.num_modes())
      throw UsageError("macforge sim: --pj-per-mac gives " + std::to_string(e.pj_per_mac.size()) +
                       " figures for an array of " + std::to_string(accel.array.num_modes()) + " mode(s)");
  }
  return e;
}

}  // namespace

int cmd_sim(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("config,c", po::value<std::string>(), "configuration YAML (pe, array, memory)")(
      "gemm", po::value<std::string>(), "one GEMM: M,N,K")(
      "layers", po::value<std::string>(), "CSV of GEMMs: name,M,N,K[,count][,format]")(
      "array", po::value<std::string>(), "RxC, overrides the config")(
      "dataflow", po::value<std::string>(), "os | ws | is, overrides the config")(
      "mode", po::value<std::string>(), "array mode of the --gemm: 0, 1 or a mode's format")(
      "ideal-memory", "unbounded buffers and bandwidth")("timing-only", "no data values (fast)")(
      "seed", po::value<uint64_t>()->default_value(1), "operand data seed (functional runs)")(
      "out,o", po::value<std::string>()->default_value("-"), "write the JSON here (default: stdout)")(
      "scalesim-cfg", po::value<std::string>(), "SCALE-Sim .cfg instead of --config")(
      "topology", po::value<std::string>(), "SCALE-Sim topology CSV")(
      "convention", po::value<std::string>()->default_value("macforge"), "macforge | scalesim")(
      "pj-per-mac", po::value<std::string>(), "array energy per MAC per mode: E[,E1]")(
      "lib", po::value<std::string>(), "Liberty library the memories scale to")(
      "energy-table", "print the energy split per layer on stderr");
  po::variables_map vm;
  if (!parse_options("sim", kUsage, desc, args, vm)) return 0;
  if (!vm.count("config") && !vm.count("scalesim-cfg"))
    throw UsageError("macforge sim: --config is required (or --scalesim-cfg FILE.cfg; see 'macforge sim --help')");
  if (vm.count("config") && vm.count("scalesim-cfg"))
    throw UsageError("macforge sim: give exactly one of --config CFG and --scalesim-cfg FILE.cfg");
  const std::string convention = vm["convention"].as<std::string>();
  if (convention != "macforge" && convention != "scalesim")
    throw UsageError("macforge sim: --convention '" + convention + "' (allowed: macforge, scalesim)");
  // Bad SCALE-Sim input fails here, before anything is written.
  std::optional<sim::ScaleSimConfig> ss;
  if (vm.count("scalesim-cfg")) ss = sim::load_scalesim_config(vm["scalesim-cfg"].as<std::string>());
  size_t sources = vm.count("gemm") + vm.count("layers") + vm.count("topology");
  if (sources > 1 || (sources == 0 && !(ss && !ss->topology.empty())))
    throw UsageError("macforge sim: give exactly one of --gemm M,N,K, --layers FILE.csv and --topology FILE.csv");

  sim::ConfigOverrides ov;
  if (vm.count("array")) sim::parse_array_shape(vm["array"].as<std::string>(), ov.rows, ov.cols);
  if (vm.count("dataflow")) ov.dataflow = sim::parse_dataflow(vm["dataflow"].as<std::string>());
  std::vector<sim::Gemm> gemms;
  if (vm.count("gemm")) {
    gemms.push_back(sim::parse_gemm(vm["gemm"].as<std::string>()));
  } else if (!vm.count("layers")) {
    gemms = sim::load_scalesim_topology(vm.count("topology") ? vm["topology"].as<std::string>() : ss->topology);
  } else {
    std::string path = vm["layers"].as<std::string>();
    try {
      gemms = sim::load_layers(path);
    } catch (const FormatError&) {
      throw;
    } catch (const std::runtime_error& e) {
      throw RuntimeError(e.what());
    }
  }
  if (ss) {
    if (ov.rows) ss->rows = ov.rows, ss->cols = ov.cols;
    if (ov.dataflow) ss->dataflow = *ov.dataflow;
    if (convention == "scalesim") {
      if (vm.count("mode")) throw UsageError("macforge sim: --mode needs a multi-format --config");
      std::string json = sim::scalesim_json(ss->rows, ss->cols, ss->dataflow, gemms, ss->source, ss->run_name);
      if (!ss->warning().empty()) std::cerr << ss->warning() << "\n";
      AtomicOutput out(vm["out"].as<std::string>());
      out.stream() << json;
      out.commit();
      return 0;
    }
  }
  sim::LoadedConfig cfg = ss ? sim::scalesim_accel_config(*ss) : sim::load_sim_config(vm["config"].as<std::string>(), ov);
  sim::SimRequest req;
  req.ideal = vm.count("ideal-memory") > 0;
  req.timing_only = vm.count("timing-only") > 0;
  req.seed = vm["seed"].as<uint64_t>();
  if (vm.count("mode")) {
    if (!vm.count("gemm"))
      throw UsageError("macforge sim: --mode applies to --gemm; a layer file names each layer's mode in its "
                       "format column");
    const sim::ArraySpec& arr = cfg.accel.array;
    gemms[0].format = vm["mode"].as<std::string>();
    if (arr.find_mode(gemms[0].format) < 0)
      throw FormatError("--mode: '" + gemms[0].format + "' is not a mode of this array (allowed: " +
                        arr.mode_names() + ")");
  }
  sim::resolve_modes(gemms, cfg.accel.array);
  if (convention == "scalesim") {
    // SCALE-Sim's PE does one MAC per cycle: its closed forms have no lanes.
    const sim::ArraySpec& arr = cfg.accel.array;
    for (const sim::Gemm& g : gemms) {
      int lanes = arr.in_mode(g.mode < 0 ? arr.mode : g.mode).lanes;
      if (lanes != 1)
        throw FormatError("--convention scalesim: layer '" + g.name + "' runs on " + std::to_string(lanes) +
                          "-lane PEs; SCALE-Sim's closed forms are for 1-lane PEs (one MAC per cycle): use a "
                          "config with pe.lanes: 1, or --scalesim-cfg");
    }
    std::string json = sim::scalesim_json(arr.rows, arr.cols, arr.dataflow, gemms, cfg.accel.source, "");
    AtomicOutput out(vm["out"].as<std::string>());
    out.stream() << json;
    out.commit();
    return 0;
  }
  sim::check_workload(cfg.accel, gemms, req.ideal);
  sim::EnergyModel energy = energy_model(vm, cfg.accel);
  // Every input is good: name what the SCALE-Sim cfg set that macforge does not model.
  if (ss && !ss->warning().empty()) std::cerr << ss->warning() << "\n";
  // Open the output only once the inputs are known to be good; it is renamed
  // into place only when complete.
  AtomicOutput out(vm["out"].as<std::string>());
  sim::RunSummary sum = sim::run_workload(cfg.accel, gemms, req);
  sum.energy = energy;
  out.stream() << sim::to_json(sum);
  if (vm.count("energy-table")) std::cerr << sim::energy_table(sum);
  out.commit();
  return 0;
}

}  // namespace macforge::cli

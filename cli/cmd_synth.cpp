// macforge synth: Yosys synthesis of a generated PE / array with area per part,
// and energy per MAC from a gate-level simulation (docs/synthesis.md,
// docs/energy.md); --compare builds one PE per number format (docs/int_vs_fp.md).
#include <iostream>
#include <optional>
#include <thread>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "gen/config.hpp"
#include "synth/compare.hpp"
#include "synth/errors.hpp"
#include "synth/flow.hpp"
#include "synth/liberty.hpp"
#include "synth/netlist.hpp"
#include "synth/report.hpp"

namespace macforge::cli {
namespace {

const char* kUsage =
    "usage: macforge synth --config CFG [--liberty FILE] [--out DIR] [--json] [--pe-only | --flat]\n"
    "                      [--no-energy] [--cycles N] [--clock-ghz F] [--seed S] [-j N]\n"
    "                      [--clock-ns T] [--no-timing] [--adders ripple|prefix|auto]\n"
    "                      [--activity sim|uniform:A] [--crosscheck-power]\n"
    "       macforge synth --compare F1,F2[,A+B,A+B@REUSE...] [--lanes L] [--liberty FILE] [--out DIR] [--json]\n\n"
    "Synthesizes the PE of CONFIG once with Yosys 0.23 (partitioned into lane multipliers,\n"
    "alignment/normalization, adder tree, scale logic, accumulators, registers), then the array\n"
    "around it with the PE as a black box (its area counted per instance), and reports area in um^2\n"
    "(total and per part), cell counts by type, flip-flops and logic depth. Energy per MAC comes\n"
    "from a Verilator gate-level simulation of the PE netlist on quantized Gaussian-with-outlier\n"
    "operands (and on uniform random codes as a worst case), every result checked against the\n"
    "reference: toggles x 1/2 C V^2 + Liberty internal energy + leakage at the clock frequency.\n"
    "The default library is the built-in macforge45 (45 nm, NanGate figures); --liberty FILE uses a\n"
    "real Liberty file (a patched copy with dont_use on power-management cells goes into DIR, cell\n"
    "models are generated from its functions). DIR (default synth-NAME) keeps the Yosys scripts and\n"
    "logs (yosys.log, yosys_array.log), the netlists, sim/ and report.json / report.txt, which are\n"
    "written only when everything succeeded. --pe-only reports the PE alone; --flat synthesizes the\n"
    "whole array flattened (slow; a check of the hierarchical result).\n"
    "Timing: ABC maps for a delay target of T ns (--clock-ns; default 1.0 on the built-in library,\n"
    "5.0 on a real Liberty), then OpenSTA (`sta`) times the PE and the whole array (PEs inlined) with\n"
    "a clock of period T on clk and input/output delays 0: critical path, fmax, slack, met, and the\n"
    "parts the worst path runs through (docs/timing.md). An unmet clock is a result, not an error;\n"
    "a Liberty without delay tables reports timing as unavailable. --no-timing skips OpenSTA.\n"
    "--adders: ripple = ripple-carry adders (full-adder cells on the built-in library; least area),\n"
    "prefix = Yosys' Brent-Kung carry tree mapped by ABC for T; auto (default) = ripple if OpenSTA\n"
    "says it meets T, else the one of both with the better slack (ripple without timing data).\n"
    "--activity uniform:A: every non-clock net toggles A per clock cycle (0 < A <= 1), no gate-level\n"
    "simulation (default sim). --crosscheck-power: OpenSTA's report_power on the same PE netlist and\n"
    "Liberty beside macforge's energy model, (a) at uniform activity (A of --activity, else 0.2) and\n"
    "(b) with a simulation, OpenSTA's vectorless propagation from the measured input toggle rate\n"
    "(docs/energy.md, \"Cross-check with OpenSTA\").\n"
    "--compare: one PE per format at equal throughput (--lanes element pairs per cycle, default 16;\n"
    "A+B = a mixed design, the narrower format at L lanes and the wider at L*narrow/wide bits), a\n"
    "Markdown + CSV table of area and energy normalized to the first entry (DIR/compare.md,\n"
    "compare.csv, compare.json; default DIR synth-compare), like Table 5 of arXiv 2510.25602.\n"
    "A+B@REUSE (REUSE: none, int-scheme1, int-scheme2, fp-shared) is one multi-format PE (pe.modes):\n"
    "the 8-bit format at L/2 lanes, the 4-bit one at L, energy per MAC averaged over both modes.\n"
    "A multi-format config (pe.modes) reports area by part once and energy per MAC per mode, each\n"
    "mode simulated on its own formats' data (docs/synthesis.md \"Multi-format PEs\").\n"
    "Exit codes: 2 usage / config / Liberty errors (FILE:LINE), 1 tool failures (the message names\n"
    "the log to read).";

}  // namespace

int cmd_synth(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("config,c", po::value<std::string>(), "the array configuration (YAML/JSON)")(
      "liberty", po::value<std::string>(), "a Liberty file (default: the built-in macforge45)")(
      "out,o", po::value<std::string>(), "output directory")(
      "json", po::bool_switch(), "print the JSON report instead of the text")(
      "pe-only", po::bool_switch(), "synthesize and report the PE only")(
      "flat", po::bool_switch(), "synthesize the whole array flattened (no PE black box)")(
      "no-energy", po::bool_switch(), "skip the gate-level simulation")(
      "no-uniform", po::bool_switch(), "skip the uniform-code worst-case stimulus")(
      "cycles", po::value<int>()->default_value(2048), "data cycles of each stimulus")(
      "clock-ghz", po::value<double>()->default_value(1.0), "clock frequency for leakage energy")(
      "seed", po::value<uint64_t>()->default_value(1), "stimulus seed")(
      "jobs,j", po::value<int>()->default_value(1), "parallel compile jobs of the Verilator build")(
      "compare", po::value<std::string>(), "F1,F2,...: one PE per format, normalized table")(
      "lanes", po::value<int>()->default_value(16), "with --compare: element pairs per cycle")(
      "clock-ns", po::value<double>(), "timing constraint T in ns (default: 1.0 built-in, 5.0 real Liberty)")(
      "no-timing", po::bool_switch(), "skip the OpenSTA timing")(
      "adders", po::value<std::string>()->default_value("auto"), "ripple | prefix | auto: adder architecture")(
      "activity", po::value<std::string>()->default_value("sim"), "sim | uniform:A (toggles per net per cycle)")(
      "crosscheck-power", po::bool_switch(), "OpenSTA report_power beside the energy model");
  po::variables_map vm;
  if (!parse_options("synth", kUsage, desc, args, vm)) return 0;

  synth::SynthOptions so;
  if (vm.count("liberty")) so.liberty = vm["liberty"].as<std::string>();
  so.energy = !vm["no-energy"].as<bool>();
  so.uniform = !vm["no-uniform"].as<bool>();
  so.pe_only = vm["pe-only"].as<bool>();
  so.flat = vm["flat"].as<bool>();
  so.cycles = vm["cycles"].as<int>();
  so.seed = vm["seed"].as<uint64_t>();
  so.clock_hz = vm["clock-ghz"].as<double>() * 1e9;
  so.jobs = vm["jobs"].as<int>();
  if (so.cycles < 16 || so.cycles > 1000000) throw UsageError("--cycles must be 16..1000000");
  if (!(so.clock_hz > 0) || so.clock_hz > 100e9) throw UsageError("--clock-ghz must be in (0, 100]");
  if (so.jobs < 1 || so.jobs > 64) throw UsageError("--jobs must be 1..64");
  if (vm.count("clock-ns")) {
    so.clock_ns = vm["clock-ns"].as<double>();
    if (!(so.clock_ns > 0) || so.clock_ns > 1e6)
      throw UsageError("--clock-ns must be a period in ns, > 0 and at most 1e6 (got " +
                       std::to_string(so.clock_ns) + ")");
  }
  so.timing = !vm["no-timing"].as<bool>();
  {
    const std::string a = vm["adders"].as<std::string>();
    std::optional<synth::AdderMode> m = synth::parse_adder_mode(a);
    if (!m) throw UsageError("--adders must be ripple, prefix or auto (got '" + a + "')");
    so.adders = *m;
  }
  so.activity = vm["activity"].as<std::string>();
  try {
    synth::parse_activity(so.activity);
  } catch (const synth::InputError& e) {
    throw UsageError(e.what());
  }
  so.crosscheck_power = vm["crosscheck-power"].as<bool>();
  if (so.pe_only && so.flat) throw UsageError("--pe-only and --flat exclude each other");
  bool json = vm["json"].as<bool>();

  try {
    if (vm.count("compare")) {
      if (vm.count("config")) throw UsageError("--compare and --config exclude each other");
      synth::CompareOptions co;
      co.base = so;
      co.entries = synth::parse_compare_list(vm["compare"].as<std::string>());
      co.lanes = vm["lanes"].as<int>();
      if (co.lanes < 1 || co.lanes > 64) throw UsageError("--lanes must be 1..64");
      co.out_dir = vm.count("out") ? vm["out"].as<std::string>() : "synth-compare";
      synth::CompareResult r = synth::run_compare(co);
      if (json) std::cout << r.json;
      else std::cout << r.markdown << "\nwrote " << co.out_dir << "/compare.md, compare.csv, compare.json\n";
      return 0;
    }
    if (!vm.count("config")) throw UsageError("macforge synth: --config CFG is required (or --compare)");
    std::string path = vm["config"].as<std::string>();
    gen::ArrayConfig cfg = gen::load_config(path);  // ConfigError: exit 2
    so.out_dir = vm.count("out") ? vm["out"].as<std::string>() : "synth-" + cfg.name;
    synth::SynthReport r;
    try {
      r = synth::run_synth(cfg, so);
    } catch (const FormatError& e) {
      throw UsageError(path + ": " + e.what());
    }
    if (so.timing && !r.timing.available)
      std::cerr << "macforge synth: warning: timing unavailable: " << r.timing.unavailable_reason
                << " (area and energy are reported)\n";
    std::cout << (json ? synth::report_json(r) : synth::report_text(r));
    return 0;
  } catch (const synth::InputError& e) {
    throw UsageError(e.what());
  } catch (const synth::LibertyError& e) {
    throw UsageError(e.what());
  } catch (const synth::ToolError& e) {
    throw RuntimeError(e.what());
  } catch (const synth::NetlistError& e) {
    throw RuntimeError(std::string("reading a Yosys netlist: ") + e.what());
  }
}

}  // namespace macforge::cli

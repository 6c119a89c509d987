// macforge collect: merges the point results of a sweep directory into
// results.csv, results.json, report.md and plots (after ninja or Slurm ran
// the points, or to redraw).
#include <iostream>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "sweep/collect.hpp"
#include "sweep/util.hpp"

namespace macforge::cli {
namespace {

const char* kUsage =
    "usage: macforge collect DIR\n\n"
    "Reads DIR/sweep.json (written by `macforge sweep`, also with --emit) and every stored point\n"
    "result DIR/points/<hash>.json, and writes DIR/results.csv, results.json, composites.csv (when\n"
    "the sweep defines composites), report.md and plots/ (gnuplot data, scripts, PNG and SVG).\n"
    "Points without a result are listed as missing, failed ones with their error and log.\n"
    "Exit codes: 0 written; 1 gnuplot is missing or failed (the rest is written), or an I/O error\n"
    "or a directory without a manifest; 2 usage.";

}  // namespace

int cmd_collect(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("dir", po::value<std::string>(), "the sweep's output directory");
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  if (!parse_options("collect", kUsage, desc, args, vm, &pos)) return 0;
  if (!vm.count("dir")) throw UsageError("macforge collect: DIR is required (see 'macforge collect --help')");
  try {
    sweep::CollectSummary s = sweep::collect(vm["dir"].as<std::string>(), std::cerr);
    std::cout << "collected " << s.points << " points (" << s.ok << " ok, " << s.failed << " failed, " << s.missing
              << " missing) into " << sweep::absolute_path(vm["dir"].as<std::string>())
              << ": results.csv, results.json, report.md" << (s.plots_ok ? ", plots/" : "") << "\n";
    if (!s.plots_ok) {
      std::cerr << "error: plots: " << s.plots_error << "\n";
      return 1;
    }
    return 0;
  } catch (const sweep::SweepRuntimeError& e) {
    throw RuntimeError(e.what());
  }
}

}  // namespace macforge::cli

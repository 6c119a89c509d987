// macforge point: runs one design point of a sweep file and stores its result
// in DIR/points/<hash>.json (what `macforge sweep` runs per point, and what
// the emitted ninja and Slurm files run).
#include <iostream>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "sweep/point.hpp"
#include "sweep/spec.hpp"
#include "sweep/util.hpp"

namespace macforge::cli {
namespace {

const char* kUsage =
    "usage: macforge point --sweep SWEEP.yaml --index I --out DIR [--expect-hash H] [--skip-done]\n\n"
    "Runs design point I (0-based, in the order `macforge sweep --dry-run` lists) of SWEEP.yaml\n"
    "through the sweep's stages and writes DIR/points/<hash>.json atomically (status ok, or failed\n"
    "with the stage, the error and DIR/logs/<hash>.log); working files go to DIR/work/<hash>/.\n"
    "--expect-hash refuses to run when the point's hash differs (the sweep file or the tool changed\n"
    "since the point list was made: emit it again). --skip-done returns at once when a good result\n"
    "is stored. Exit codes: 0 the point is ok, 1 it failed (recorded) or an I/O error, 2 a bad\n"
    "sweep file, index or hash.";

}  // namespace

int cmd_point(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("sweep", po::value<std::string>(), "the sweep file")(
      "index", po::value<long long>(), "the point's index")("out,o", po::value<std::string>(), "output directory")(
      "expect-hash", po::value<std::string>(), "the hash the point must have")(
      "skip-done", po::bool_switch(), "do nothing when a good result is stored");
  po::variables_map vm;
  if (!parse_options("point", kUsage, desc, args, vm)) return 0;
  for (const char* k : {"sweep", "index", "out"})
    if (!vm.count(k)) throw UsageError(std::string("macforge point: --") + k + " is required (see 'macforge point --help')");
  sweep::SweepSpec spec = sweep::load_sweep(vm["sweep"].as<std::string>());
  try {
    std::string exe = sweep::self_exe();
    std::string tv = sweep::tool_version(spec, exe);
    sweep::Expansion ex = sweep::expand(spec, tv);
    long long idx = vm["index"].as<long long>();
    if (idx < 0 || idx >= (long long)ex.points.size())
      throw UsageError("--index " + std::to_string(idx) + " is out of range (the sweep has " +
                       std::to_string(ex.points.size()) + " points: 0.." + std::to_string(ex.points.size() - 1) + ")");
    const sweep::Point& p = ex.points[size_t(idx)];
    if (vm.count("expect-hash") && vm["expect-hash"].as<std::string>() != p.hash)
      throw UsageError("point " + std::to_string(idx) + " of " + spec.path + " has hash " + p.hash + ", not " +
                       vm["expect-hash"].as<std::string>() +
                       ": the sweep file or macforge changed since the point list was made (emit it again)");
    std::string out = sweep::absolute_path(vm["out"].as<std::string>());
    if (vm["skip-done"].as<bool>() && sweep::record_ok(sweep::read_record(out, p.hash), p.hash)) {
      std::cout << "point " << idx << " (" << p.label << "): stored result " << sweep::point_path(out, p.hash) << "\n";
      return 0;
    }
    sweep::PointContext ctx{out, exe, tv};
    sweep::json rec = sweep::run_point(spec, p, ctx);
    bool ok = rec.value("status", "") == "ok";
    std::cout << "point " << idx << " (" << p.label << "): " << (ok ? "ok" : "FAILED: " + rec.value("error", ""))
              << " -> " << sweep::point_path(out, p.hash) << "\n";
    return ok ? 0 : 1;
  } catch (const sweep::SweepRuntimeError& e) {
    throw RuntimeError(e.what());
  }
}

}  // namespace macforge::cli

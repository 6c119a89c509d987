// macforge sweep: a design-space sweep from a sweep file (docs/sweeps.md):
// every point run as its own `macforge point` process by a local worker pool
// (or handed to ninja / Slurm with --emit), results merged into
// results.csv / results.json / report.md and gnuplot plots.
#include <unistd.h>

#include <iostream>
#include <thread>
#include <tuple>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "sweep/collect.hpp"
#include "sweep/emit.hpp"
#include "sweep/point.hpp"
#include "sweep/pool.hpp"
#include "sweep/spec.hpp"
#include "sweep/util.hpp"

namespace macforge::cli {
namespace {

const char* kUsage =
    "usage: macforge sweep SWEEP.yaml [-j N] [--out DIR] [--resume] [--force] [--dry-run]\n"
    "       macforge sweep SWEEP.yaml --emit ninja|slurm [--out DIR]\n"
    "                      [--partition P] [--time T] [--mem M]      (slurm only)\n\n"
    "Runs every design point of SWEEP.yaml (the cross product of its axes -- formats, array RxC,\n"
    "lanes, block, accumulation, pipeline, dataflow, liberty -- minus its filters) through the\n"
    "stages it names: gen, lint (verilator --lint-only -Wall), cosim (bit-exact co-simulation),\n"
    "synth (area, energy per MAC), sim (cycles of the workloads), qsnr. Each point runs as its own\n"
    "process (`macforge point`), at most N at a time (default: the number of CPUs), and its result\n"
    "is stored atomically in DIR/points/<hash>.json; the hash covers the point's whole resolved\n"
    "configuration and the tool version. Points with a stored good result are never run again, so\n"
    "an interrupted sweep resumes where it stopped (--resume says so explicitly; it is the default);\n"
    "failed points are recorded with their error and log and run again next time. --force re-runs\n"
    "everything. At the end DIR gets results.csv, results.json, report.md (normalized to the\n"
    "sweep's baseline) and plots/ (gnuplot, PNG and SVG). DIR defaults to out/<sweep name>.\n"
    "--emit ninja writes DIR/build.ninja (one edge per point, then `macforge collect DIR`);\n"
    "--emit slurm writes DIR/slurm.sh (a job array, one task per point) and slurm_collect.sh;\n"
    "--partition, --time (per task; default: the stage timeouts added up) and --mem (per task)\n"
    "become #SBATCH lines, in sbatch's syntax (--time 30, 1:30:00, 2-00; --mem 4G).\n"
    "--dry-run lists the points (index, hash, stored result) and runs nothing.\n"
    "Exit codes: 0 all points ok; 1 a point failed, gnuplot is missing or failed (everything else is\n"
    "still written), or an I/O error; 2 an error in the sweep file (FILE:LINE:COL); 130/143 when\n"
    "interrupted by SIGINT/SIGTERM (finished points are kept).";

}  // namespace

int cmd_sweep(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("sweep", po::value<std::string>(), "the sweep file")(
      "jobs,j", po::value<int>(), "points run in parallel (default: the number of CPUs)")(
      "out,o", po::value<std::string>(), "output directory (default out/<sweep name>)")(
      "resume", po::bool_switch(), "reuse stored results (the default; kept for scripts)")(
      "force", po::bool_switch(), "run every point again, ignoring stored results")(
      "dry-run", po::bool_switch(), "list the points and run nothing")(
      "emit", po::value<std::string>(), "ninja | slurm: write a build file instead of running")(
      "partition", po::value<std::string>(), "slurm: the partition of every task")(
      "time", po::value<std::string>(), "slurm: the time limit of a task (sbatch --time)")(
      "mem", po::value<std::string>(), "slurm: the memory of a task (sbatch --mem)");
  po::positional_options_description pos;
  pos.add("sweep", 1);
  po::variables_map vm;
  if (!parse_options("sweep", kUsage, desc, args, vm, &pos)) return 0;
  if (!vm.count("sweep")) throw UsageError("macforge sweep: the sweep file is required (see 'macforge sweep --help')");
  if (vm["resume"].as<bool>() && vm["force"].as<bool>()) throw UsageError("--resume and --force exclude each other");
  int jobs = vm.count("jobs") ? vm["jobs"].as<int>() : int(std::max(1u, std::thread::hardware_concurrency()));
  if (jobs < 1 || jobs > 1024) throw UsageError("--jobs must be 1..1024");
  std::string emit = vm.count("emit") ? vm["emit"].as<std::string>() : "";
  if (!emit.empty() && emit != "ninja" && emit != "slurm")
    throw UsageError("--emit '" + emit + "': expected ninja or slurm");
  sweep::SlurmOptions slurm;
  for (auto [key, dst, check] : {std::make_tuple("partition", &slurm.partition, &sweep::check_slurm_partition),
                                 std::make_tuple("time", &slurm.time, &sweep::check_slurm_time),
                                 std::make_tuple("mem", &slurm.mem, &sweep::check_slurm_mem)}) {
    if (!vm.count(key)) continue;
    if (emit != "slurm") throw UsageError(std::string("--") + key + " is an option of --emit slurm");
    *dst = vm[key].as<std::string>();
    std::string problem = check(*dst);
    if (!problem.empty()) throw UsageError(std::string("--") + key + " '" + *dst + "': " + problem);
  }

  sweep::SweepSpec spec = sweep::load_sweep(vm["sweep"].as<std::string>());  // SweepError: exit 2
  std::string out = sweep::absolute_path(vm.count("out") ? vm["out"].as<std::string>() : "out/" + spec.name);
  try {
    std::string exe = sweep::self_exe();
    std::string tv = sweep::tool_version(spec, exe);
    sweep::Expansion ex = sweep::expand(spec, tv);
    if (ex.points.empty()) throw UsageError(spec.path + ": the filters leave no design point");

    if (vm["dry-run"].as<bool>()) {
      std::cout << spec.name << ": " << ex.points.size() << " points (" << ex.excluded << " excluded by filters, "
                << ex.skipped.size() << " invalid skipped), stages " << sweep::join(spec.stages) << "\n";
      for (const sweep::Point& p : ex.points) {
        sweep::json rec = sweep::read_record(out, p.hash);
        std::string st = rec.is_object() ? rec.value("status", "?") : "-";
        std::cout << p.index << "\t" << p.hash << "\t" << st << "\t" << p.label << "\n";
      }
      return 0;
    }
    if (emit == "ninja") {
      std::string f = sweep::emit_ninja(spec, ex, out, exe, tv);
      std::cout << "wrote " << f << " (" << ex.points.size() << " points); run: ninja -f " << f << "\n";
      return 0;
    }
    if (emit == "slurm") {
      std::string f = sweep::emit_slurm(spec, ex, out, exe, tv, slurm);
      std::cout << "wrote " << f << " and " << out << "/slurm_collect.sh (" << ex.points.size()
                << " array tasks); run: jobid=$(sbatch --parsable " << f << ") && sbatch --dependency=afterany:$jobid "
                << out << "/slurm_collect.sh\n";
      return 0;
    }

    sweep::write_manifest(spec, ex, out, tv);
    std::cerr << "sweep " << spec.name << ": " << ex.points.size() << (ex.points.size() == 1 ? " point" : " points") << ", stages " << sweep::join(spec.stages)
              << ", " << jobs << " parallel, results in " << out << "\n";
    sweep::PoolOptions popt;
    popt.jobs = jobs;
    popt.exe = exe;
    popt.out_dir = out;
    popt.tool_version = tv;
    popt.force = vm["force"].as<bool>();
    popt.progress_bar = ::isatty(2) != 0;
    sweep::PoolSummary ps = sweep::run_pool(spec, ex, popt, std::cerr);
    if (ps.interrupted) {
      std::cerr << "interrupted (signal " << ps.signal << "): " << ps.ok << " of " << ps.total
                << " points have results; run the same command again to resume\n";
      return 128 + ps.signal;
    }
    sweep::CollectSummary cs = sweep::collect(out, std::cerr);
    double per = ps.ran ? ps.point_seconds / double(ps.ran) : 0;
    std::cout << "sweep " << spec.name << ": " << ps.total << " points, " << ps.ok << " ok, " << ps.failed
              << " failed (" << ps.cached << " reused, " << ps.ran << " run) in " << sweep::fmt_duration(ps.seconds);
    if (ps.ran) std::cout << "; a point took " << sweep::fmt_duration(per) << " on average (" << jobs << " in parallel)";
    std::cout << "\nwrote " << out << "/results.csv, results.json, report.md"
              << (cs.plots_ok ? ", plots/" : "") << "\n";
    if (!cs.plots_ok) std::cerr << "error: plots: " << cs.plots_error << "\n";
    if (ps.failed) std::cerr << "error: " << ps.failed << " point(s) failed; see " << out << "/report.md\n";
    return (ps.failed || !cs.plots_ok) ? 1 : 0;
  } catch (const sweep::SweepRuntimeError& e) {
    throw RuntimeError(e.what());
  }
}

}  // namespace macforge::cli

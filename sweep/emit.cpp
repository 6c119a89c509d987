#include "sweep/emit.hpp"

#include <regex>
#include <sstream>

#include "sweep/collect.hpp"
#include "sweep/point.hpp"
#include "sweep/util.hpp"

namespace macforge::sweep {

namespace {

// $ escaping of ninja paths and variables.
std::string nj(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '$' || c == ' ' || c == ':' || c == '\n') o += '$';
    o += c;
  }
  return o;
}

// Single-quoted for the shell (ninja runs commands through /bin/sh).
std::string sh(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

// Values in #SBATCH lines: sbatch splits those lines at blanks unless
// double-quoted, and expands %-patterns in --output names (%% is a literal %).
std::string sbatch_word(const std::string& s) {
  return s.find_first_of(" \t") == std::string::npos ? s : "\"" + s + "\"";
}
// DIR/NAME where NAME may hold %-patterns (%A, %a, %j) and DIR none.
std::string sbatch_path(const std::string& dir, const std::string& name) {
  std::string o;
  for (char c : dir) o += c == '%' ? std::string("%%") : std::string(1, c);
  return sbatch_word(o + "/" + name);
}

}  // namespace

std::string check_slurm_partition(const std::string& v) {
  // Partition names as slurm.conf allows them; a comma list lets Slurm pick the first that can run the task.
  static const std::regex re("[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*");
  return std::regex_match(v, re) ? "" : "expected a partition name or a comma-separated list of them";
}

std::string check_slurm_time(const std::string& v) {
  // The forms `sbatch --time` accepts (sbatch(1)).
  static const std::regex re("[0-9]+(:[0-9]+){0,2}|[0-9]+-[0-9]+(:[0-9]+){0,2}|UNLIMITED|INFINITE");
  return std::regex_match(v, re) ? ""
                                 : "expected minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (as sbatch --time)";
}

std::string check_slurm_mem(const std::string& v) {
  static const std::regex re("[0-9]+[KMGT]?");
  return std::regex_match(v, re) ? "" : "expected a size in MB or with a unit K, M, G or T, e.g. 4G (as sbatch --mem)";
}

std::string emit_ninja(const SweepSpec& spec, const Expansion& ex, const std::string& dir, const std::string& exe,
                       const std::string& tool_version) {
  write_manifest(spec, ex, dir, tool_version);
  make_dirs(dir + "/points");
  make_dirs(dir + "/logs");
  std::ostringstream o;
  o << "# Sweep " << spec.name << ": " << ex.points.size() << " points (written by macforge sweep --emit ninja).\n"
    << "# Run: ninja -f " << dir << "/build.ninja [-j N] [-k 0]\n"
    << "# Each point writes points/<hash>.json; a point that fails is recorded as failed, its command exits 1\n"
    << "# and ninja runs it again next time. The final edge merges everything (macforge collect).\n"
    << "# After rebuilding macforge the hashes change: emit this file again.\n\n"
    << "ninja_required_version = 1.8\n"
    << "macforge = " << sh(exe) << "\n"
    << "sweep = " << sh(spec.path) << "\n"
    << "sweep_dir = " << sh(dir) << "\n\n"
    << "rule point\n"
    << "  command = $macforge point --sweep $sweep --index $index --out $sweep_dir --expect-hash $hash\n"
    << "  description = point $index: $label\n\n"
    << "rule collect\n"
    << "  command = $macforge collect $sweep_dir\n"
    << "  description = macforge collect (results, report, plots)\n\n";
  std::string outs;
  for (const Point& p : ex.points) {
    std::string f = nj(point_path(dir, p.hash));
    outs += " " + f;
    o << "build " << f << ": point | " << nj(spec.path) << " " << nj(exe) << "\n"
      << "  index = " << p.index << "\n  hash = " << p.hash << "\n  label = " << nj(p.label) << "\n";
  }
  o << "\nbuild " << nj(dir + "/results.csv") << " " << nj(dir + "/results.json") << " " << nj(dir + "/report.md")
    << ": collect" << outs << " | " << nj(dir + "/sweep.json") << "\n\n"
    << "default " << nj(dir + "/results.csv") << "\n";
  std::string path = dir + "/build.ninja";
  write_atomic(path, o.str());
  return path;
}

std::string emit_slurm(const SweepSpec& spec, const Expansion& ex, const std::string& dir, const std::string& exe,
                       const std::string& tool_version, const SlurmOptions& opt) {
  write_manifest(spec, ex, dir, tool_version);
  make_dirs(dir + "/points");
  make_dirs(dir + "/logs");
  // Per-task wall time unless given: every stage may take up to the stage timeout.
  std::string time = opt.time;
  if (time.empty()) {
    double secs = spec.timeout * double(spec.stages.size() + spec.workloads.size());
    time = std::to_string(std::max(1L, long(secs / 60 + 1)));
  }
  // sbatch reads #SBATCH lines only up to the first command, so all of them come first.
  auto common = [&](std::ostringstream& o) {
    if (!opt.partition.empty()) o << "#SBATCH --partition=" << opt.partition << "\n";
  };
  std::ostringstream o;
  o << "#!/bin/bash\n"
    << "# Sweep " << spec.name << ": a Slurm job array, one task per point (written by macforge sweep --emit slurm).\n"
    << "#   jobid=$(sbatch --parsable " << dir << "/slurm.sh)\n"
    << "#   sbatch --dependency=afterany:$jobid " << dir << "/slurm_collect.sh\n"
    << "# A task skips a point whose good result already exists; failed points are recorded as failed.\n"
    << "# Options given to sbatch on its command line override these lines.\n"
    << "#SBATCH --job-name=" << sbatch_word("macforge-" + spec.name) << "\n"
    << "#SBATCH --array=0-" << (ex.points.empty() ? 0 : ex.points.size() - 1) << "\n"
    << "#SBATCH --ntasks=1\n"
    << "#SBATCH --cpus-per-task=1\n"
    << "#SBATCH --time=" << time << "\n";
  common(o);
  if (!opt.mem.empty()) o << "#SBATCH --mem=" << opt.mem << "\n";
  o << "#SBATCH --output=" << sbatch_path(dir, "logs/slurm-%A_%a.out") << "\n"
    << "set -euo pipefail\n"
    << "hashes=(";
  for (size_t i = 0; i < ex.points.size(); ++i) o << (i % 4 == 0 ? "\n  " : " ") << ex.points[i].hash;
  o << "\n)\n"
    << ": \"${SLURM_ARRAY_TASK_ID:?run this script with sbatch (or set SLURM_ARRAY_TASK_ID)}\"\n"
    << "exec " << sh(exe) << " point --sweep " << sh(spec.path) << " --index \"$SLURM_ARRAY_TASK_ID\" --out " << sh(dir)
    << " --expect-hash \"${hashes[$SLURM_ARRAY_TASK_ID]}\" --skip-done\n";
  std::string path = dir + "/slurm.sh";
  write_atomic(path, o.str());
  std::ostringstream c;
  c << "#!/bin/bash\n# Merges the results of " << spec.name << " once the job array has finished.\n"
    << "#SBATCH --job-name=" << sbatch_word("macforge-" + spec.name + "-collect") << "\n"
    << "#SBATCH --ntasks=1\n"
    << "#SBATCH --cpus-per-task=1\n";
  common(c);
  c << "#SBATCH --output=" << sbatch_path(dir, "logs/slurm-collect-%j.out") << "\n"
    << "exec " << sh(exe) << " collect " << sh(dir) << "\n";
  write_atomic(dir + "/slurm_collect.sh", c.str());
  return path;
}

}  // namespace macforge::sweep

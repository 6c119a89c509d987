// Small helpers of the sweep library: hashing, files written atomically,
// running external programs with their output in a log, text helpers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace macforge::sweep {

// A failure of the machinery (I/O, a program that cannot be started): exit 1
// in the CLI. Configuration errors are SweepError (spec.hpp), exit 2.
struct SweepRuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// FNV-1a 64 of bytes, continuing from h.
uint64_t fnv1a64(const std::string& bytes, uint64_t h = 0xcbf29ce484222325ull);
std::string hex64(uint64_t v);  // 16 lower-case hex digits
// FNV-1a 64 of a file's contents (streamed). Throws SweepRuntimeError.
uint64_t hash_file(const std::string& path);

// Whole file; throws SweepRuntimeError "PATH: cannot read".
std::string read_file(const std::string& path);
bool file_exists(const std::string& path);
// Writes to PATH.tmp.<pid>.<n> beside PATH, fsyncs it, renames it into place
// and fsyncs the directory: readers (and a restart after a crash or power
// loss) see the old file or the whole new one, never a part.
void write_atomic(const std::string& path, const std::string& text);
// fsync of a directory (makes renames, creations and removals in it durable).
void fsync_dir(const std::string& dir);
// Removes PATH and syncs its directory; false if it did not exist.
bool remove_file_durably(const std::string& path);
// Creates DIR and its missing parents, each synced into its parent.
void make_dirs(const std::string& dir);
// Removes, anywhere under ROOT, the temporary files NAME.tmp.<pid>[.<n>] of
// writers that no longer run (killed before their rename); returns how many.
size_t remove_stale_temps(const std::string& root);
std::string absolute_path(const std::string& path);
std::string dir_of(const std::string& path);
// The running executable (/proc/self/exe).
std::string self_exe();

// A program's outcome.
struct ProcResult {
  int status = -1;        // exit code, or -1 when killed by a signal
  int signal = 0;         // the signal that ended it, 0 if it exited
  bool timed_out = false;
  double seconds = 0;
  bool ok() const { return status == 0 && !timed_out; }
  std::string describe() const;  // "exit 3", "killed by signal 9", "timed out after 30 s"
};

// Runs argv (argv[0] looked up in PATH; no shell) in cwd ("" = current),
// stdin from /dev/null, stdout into stdout_path ("" = the log) and stderr
// appended to log_path. timeout_s <= 0: no limit; on timeout the program and
// its descendants are killed. The child dies with its parent (PDEATHSIG).
// Throws SweepRuntimeError if it cannot be started.
ProcResult run_program(const std::vector<std::string>& argv, const std::string& cwd,
                       const std::string& stdout_path, const std::string& log_path, double timeout_s = 0);

// Starts argv without waiting (stdout and stderr appended to log_path).
pid_t spawn_program(const std::vector<std::string>& argv, const std::string& log_path);
// Sends sig to pid and every descendant of it (found through /proc).
void kill_tree(pid_t pid, int sig);

// The first line of a program's version output (`yosys -V`), "" if absent.
std::string program_version(const std::vector<std::string>& argv);
bool program_in_path(const std::string& name);

// The last lines of a log mentioning an error ("error", "%Error", "ERROR"),
// or its last non-empty line: a one-line excerpt for messages.
std::string log_excerpt(const std::string& path, size_t max_len = 300);

std::string trim(const std::string& s);
std::vector<std::string> split(const std::string& s, char sep);
std::string join(const std::vector<std::string>& v, const std::string& sep = ", ");
// A decimal number with up to `digits` significant digits (no exponent for
// ordinary magnitudes), "" for NaN.
std::string fmt_num(double v, int digits = 6);
std::string fmt_duration(double seconds);  // "1:05", "1:02:03", "12.3 s"

}  // namespace macforge::sweep

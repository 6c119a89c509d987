// Running the external tools (yosys, verilator, the compiled simulator) and
// small file helpers of the synthesis flow.
#pragma once

#include <string>
#include <vector>

namespace macforge::synth {

struct ProcResult {
  int status = -1;       // exit status, or 128 + signal
  double seconds = 0;    // wall-clock time
};

// Runs argv[0] (looked up in PATH) with the arguments, in directory cwd,
// stdin from /dev/null, stdout and stderr into log_path (truncated). No
// shell is involved. Throws ToolError if the program cannot be started.
ProcResult run_process(const std::vector<std::string>& argv, const std::string& cwd, const std::string& log_path);

// Full path of a program in PATH, or "" if absent.
std::string find_program(const std::string& name);

// Whole file as a string; throws InputError "PATH: cannot read" if missing.
std::string read_text(const std::string& path);
// Writes PATH.tmp.<pid>.<n> beside it, fsyncs it, renames it into place and
// fsyncs the directory: the old file or the whole new one, even after a crash.
void write_text_atomic(const std::string& path, const std::string& text);

// The last lines of a log that start with "ERROR" / "%Error" (or, failing
// that, its last non-empty line), for one-line error messages.
std::string log_excerpt(const std::string& log_path);

// Directory of the built-in synthesis library (synth/lib of the source tree).
std::string synth_lib_dir();

}  // namespace macforge::synth

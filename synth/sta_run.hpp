// Running OpenSTA (`sta`) on a Tcl script (docs/timing.md). OpenSTA's
// 2019 build exits 0 even when a command fails (it prints "Error: ..." and
// goes on), so failure is read from the log: any line starting "Error".
#pragma once

#include <string>

namespace macforge::synth {

struct StaRun {
  std::string script_path, log_path, output;  // output: the whole log text
  double seconds = 0;
};

// Writes DIR/<name>.tcl (tcl_body), runs `sta -no_splash -exit DIR/<name>.tcl`
// in DIR with stdout and stderr into DIR/<name>.log and returns the log.
// Throws ToolError, one line naming the log, when sta is not in PATH, exits
// nonzero or the log has an error line.
StaRun run_sta(const std::string& dir, const std::string& name, const std::string& tcl_body);

// Tcl word for a path or name, braced (no substitution inside braces).
std::string tcl_quote(const std::string& s);

}  // namespace macforge::synth

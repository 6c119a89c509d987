#include "synth/sta_run.hpp"

#include <cctype>
#include <filesystem>
#include <sstream>

#include "synth/errors.hpp"
#include "synth/process.hpp"

namespace macforge::synth {

std::string tcl_quote(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '/' || c == '.' || c == '-' || c == '+'))
      plain = false;
  if (plain) return s;
  if (s.find_first_of("{}\\\n") != std::string::npos)
    throw ToolError("cannot pass '" + s + "' to OpenSTA's Tcl (braces, backslash or newline in it)");
  return "{" + s + "}";
}

StaRun run_sta(const std::string& dir_in, const std::string& name, const std::string& tcl_body) {
  // sta runs inside dir, so every path handed to it must not be relative to the caller's cwd.
  const std::string dir = std::filesystem::absolute(dir_in).string();
  StaRun r;
  r.script_path = dir + "/" + name + ".tcl";
  r.log_path = dir + "/" + name + ".log";
  write_text_atomic(r.script_path, tcl_body);
  if (find_program("sta").empty()) {
    write_text_atomic(r.log_path, "sta (OpenSTA) not found in PATH\n");
    throw ToolError("OpenSTA (sta) not found in PATH; install the Debian package opensta, or run with --no-timing (log: " +
                    r.log_path + ")");
  }
  ProcResult p = run_process({"sta", "-no_splash", "-exit", r.script_path}, dir, r.log_path);
  r.seconds = p.seconds;
  r.output = read_text(r.log_path);
  std::istringstream in(r.output);
  std::string line, err;
  while (std::getline(in, line))
    if (err.empty() && line.rfind("Error", 0) == 0) err = line;
  if (!err.empty() || p.status != 0) {
    if (err.empty()) err = "sta exited with status " + std::to_string(p.status);
    if (err.size() > 240) err = err.substr(0, 240) + "...";
    throw ToolError("OpenSTA failed: " + err + " (log: " + r.log_path + ")");
  }
  return r;
}

}  // namespace macforge::synth

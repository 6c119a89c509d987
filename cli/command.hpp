// The macforge command-line driver: one subcommand per file (cmd_*.cpp), each
// with its own help text; main.cpp only dispatches (like Yosys passes).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace macforge::cli {

// Exit codes: 0 success, 1 runtime failure (I/O, tools), 2 usage or config error.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct RuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Command {
  const char* name;
  const char* summary;  // one line for `macforge --help`
  // args excludes the program and subcommand names. Returns the exit code;
  // throws UsageError / FormatError (exit 2) or RuntimeError (exit 1).
  int (*run)(const std::vector<std::string>& args);
};

// The registry (commands.cpp): adding a subcommand is one line there.
const std::vector<Command>& commands();

}  // namespace macforge::cli

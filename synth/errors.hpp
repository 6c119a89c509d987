// Error kinds of the synthesis flow, mapped to the CLI's exit codes by
// cli/cmd_synth.cpp:
//   InputError, LibertyError, NetlistError of an input file -> exit 2 (usage / input)
//   ToolError (Yosys, Verilator, the gate-level simulation)  -> exit 1
// Every message is one line and names the file (and line) or the log to read.
#pragma once

#include <stdexcept>

namespace macforge::synth {

struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ToolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace macforge::synth

// The simulator's view of a configuration file: the generator's sections
// (name, pe, array: parsed and validated by gen/config.hpp, so the simulator
// models exactly what `macforge gen` builds) plus the optional `memory:`
// section (sim/memory_config.hpp).
#pragma once

#include <optional>
#include <string>

#include "gen/config.hpp"
#include "sim/arch.hpp"

namespace macforge::sim {

struct LoadedConfig {
  gen::ArrayConfig gen;  // the array the RTL realises (OS or WS)
  AccelConfig accel;     // the simulator's view (may be IS)
  std::string memory_yaml;  // the memory section as parsed, normalised
};

// Overrides from the command line (--array RxC, --dataflow os|ws|is).
struct ConfigOverrides {
  int rows = 0, cols = 0;  // 0: keep
  std::optional<Dataflow> dataflow;
};

// Reads CFG, applies the overrides and validates the result with the
// generator's rules (a shape or dataflow the RTL cannot realise is a
// gen::ConfigError, exit 2). Input-stationary is validated as the
// weight-stationary array it mirrors.
LoadedConfig load_sim_config(const std::string& path, const ConfigOverrides& ov = {});
LoadedConfig parse_sim_config(const std::string& text, const std::string& source, const ConfigOverrides& ov = {});

// "RxC", e.g. 16x16; throws FormatError.
void parse_array_shape(const std::string& s, int& rows, int& cols);

// The simulator's ArraySpec of a validated generator config: PE latency and
// output-stage depth come from the generator (gen::emit_array's timing).
ArraySpec array_spec(const gen::ArrayConfig& cfg, Dataflow df);

// Splits the `memory:` section off a configuration text: returns the text
// with the section's lines blanked (line numbers of everything else kept) and
// the section itself in `memory` (null if absent).
std::string strip_memory_section(const std::string& text, const std::string& source, std::string& memory_text,
                                 int& memory_line);

}  // namespace macforge::sim

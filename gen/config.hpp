// The generator's configuration: a YAML (or JSON) file describing one MAC
// array, parsed and validated into ArrayConfig with every default filled in.
// docs/config.md documents every key. Errors name the file, line, column, the
// field and the allowed values (ConfigError, exit code 2 in the CLI).
#pragma once

#include <cstdint>
#include <string>

#include "gen/pe_spec.hpp"
#include "numerics/block_format.hpp"
#include "numerics/dot.hpp"

namespace macforge::gen {

enum class Dataflow { OutputStationary, WeightStationary };

std::string dataflow_name(Dataflow d);  // "output-stationary", "weight-stationary"

// Limits of the configurable parameters (docs/config.md).
constexpr int kMaxLanes = 64;
constexpr int kMaxPipeline = 8;
constexpr int kMaxDim = 64;           // rows and cols
constexpr int kMaxWsChunks = 16;      // WS: chunks of one group a PE's weight bank holds
constexpr size_t kMaxNameLen = 48;

// A resolved configuration: every field set, every constraint checked.
struct ArrayConfig {
  std::string name;    // module prefix
  std::string a_name;  // operand formats as spelled (parse_block_format accepts them)
  std::string b_name;
  BlockFormat a, b;
  int lanes = 0;
  AccumSpec accum;     // accum.lanes == lanes
  int pipeline = 0;
  Multiplier multiplier = kDefaultMultiplier;
  int rows = 4, cols = 4;
  Dataflow dataflow = Dataflow::OutputStationary;

  // Derived: elements per accumulation group (FORMATS.md section 5) and
  // chunks of `lanes` elements per group.
  int group = 0;
  int chunks_per_group() const { return group / lanes; }

  // Multi-format PE (pe.modes: [MODE0, MODE1], docs/config.md): modes == 2
  // adds mode 1, a1 x b1. a, b, lanes and group above are mode 0's (8-bit
  // elements); mode 1 has 4-bit elements on 2 x lanes lanes, or 6-bit ones on
  // `lanes` lanes (lanes1 = mode_lanes(pe_spec(cfg), 1)); group1 is mode 1's
  // accumulation group by the same rule as group. Single-format configs keep
  // modes == 1 and leave the mode-1 fields empty.
  int modes = 1;
  std::string a1_name, b1_name;
  BlockFormat a1, b1;
  Reuse reuse = Reuse::None;
  int lanes1 = 0;
  int group1 = 0;
  int chunks_per_group1() const { return lanes1 ? group1 / lanes1 : 0; }

  // The canonical resolved config as compact JSON (fixed key order); the
  // manifest's config hash is FNV-1a 64 over these bytes. Multi-format
  // configs add "a1", "b1", "reuse" after "b"; single-format ones are
  // byte-identical to the text before modes existed (sweep caches key on it).
  std::string canonical_json() const;
  uint64_t hash() const;
};

// A configuration error. what() is one line:
//   FILE:LINE:COL: FIELD: problem (allowed: ...)
struct ConfigError : FormatError {
  using FormatError::FormatError;
};

// Parses YAML/JSON text; `source` names it in messages (a file path).
ArrayConfig parse_config(const std::string& text, const std::string& source);
// Reads and parses a file. The default name is the file's stem.
ArrayConfig load_config(const std::string& path);
// Validates a config built in code (the property test, the benchmark): the
// same checks as parse_config, reported against `source`.
void validate_config(ArrayConfig& cfg, const std::string& source = "<config>");

// The PE of a resolved config (module <name>_pe; WS chains partial sums
// through in_acc).
PeSpec pe_spec(const ArrayConfig& cfg);

// The YAML text of a resolved config (round-trips through parse_config).
std::string to_yaml(const ArrayConfig& cfg);

}  // namespace macforge::gen

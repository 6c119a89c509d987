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

  // The canonical resolved config as compact JSON (fixed key order); the
  // manifest's config hash is FNV-1a 64 over these bytes.
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

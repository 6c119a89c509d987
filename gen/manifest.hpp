// DIR/manifest.json: what a host, a testbench or a timing model needs to use
// the generated array without reading the Verilog: module names, top ports
// with widths and meaning, latencies, the stream schedule with its closed-form
// cycle counts, the resolved config and its hash (docs/array.md).
#pragma once

#include <string>
#include <vector>

#include "gen/array_emit.hpp"
#include "gen/config.hpp"
#include "gen/pe_spec.hpp"

namespace macforge::gen {

struct ManifestInput {
  std::string generator = "macforge";   // name and version of the tool
  const ArrayConfig* cfg = nullptr;
  const PeInfo* pe = nullptr;
  const ArrayDesign* design = nullptr;
  std::vector<std::string> files;       // files.f order
  std::vector<std::string> primitives;  // primitive module names
};

std::string manifest_json(const ManifestInput& in);

// "0123456789abcdef"
std::string hex64(uint64_t v);

}  // namespace macforge::gen

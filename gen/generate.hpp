// The generator pipeline: a resolved config -> the PE (pe_emit), the array and
// top (array_emit), the rtl/ primitives they instantiate, files.f and
// manifest.json, written into a temporary directory that is renamed into
// place only when everything succeeded (a failure leaves no files).
#pragma once

#include <string>
#include <vector>

#include "gen/array_emit.hpp"
#include "gen/config.hpp"
#include "gen/pe_spec.hpp"

namespace macforge::gen {

struct GenerateResult {
  std::string dir;                 // the output directory
  std::vector<std::string> files;  // Verilog files in compile order (as in files.f)
  std::string top;                 // top module name
  PeInfo pe;
  ArrayTiming timing;
};

// Output directory policy: DIR must not exist, be empty, or hold a previous
// macforge output (a manifest.json), which is replaced as a whole. Anything
// else is refused (RuntimeError-like std::runtime_error from the library,
// mapped to exit 1 by the CLI).
struct GenerateError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

GenerateResult generate(const ArrayConfig& cfg, const std::string& out_dir,
                        const std::string& generator = "macforge");

}  // namespace macforge::gen

// libFuzzer harness: the reader of Yosys gate-level netlists
// (synth/netlist.cpp): parse, flatten every module against the built-in
// library, logic depth. Bad text must throw NetlistError.
#include <cstdint>
#include <string>

#include "synth/netlist.hpp"

using namespace macforge::synth;

namespace {
const Library& builtin() {
  static const Library lib = read_liberty(MF_BUILTIN_LIB);
  return lib;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  NlDesign d;
  try {
    d = parse_netlist(text, "fuzz.v");
  } catch (const NetlistError&) {
    return 0;
  }
  size_t n = 0;
  for (const NlModule& m : d.modules) {
    if (++n > 4) break;
    try {
      FlatNetlist f = flatten(d, m.name, builtin(), [](const std::string& s) { return s; });
      (void)logic_depth(f);
    } catch (const NetlistError&) {
    }
  }
  return 0;
}

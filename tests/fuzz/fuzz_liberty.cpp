// libFuzzer harness: the Liberty reader (synth/liberty.cpp) and the boolean
// expressions of its pins (synth/liberty_expr.cpp). Bad text must throw
// LibertyError, bad functions ExprError.
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "synth/liberty.hpp"
#include "synth/liberty_expr.hpp"

using namespace macforge::synth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  Library lib;
  try {
    lib = parse_liberty(text, "fuzz.lib");
  } catch (const LibertyError&) {
    return 0;
  }
  (void)lib.mean_input_cap_pf();
  if (const LibWireLoad* w = lib.wire_load()) (void)w->cap_pf(7);
  for (const LibCell& c : lib.cells) {
    (void)lib.cell(c.name);
    for (const LibPin& p : c.pins) {
      for (const LibPowerArc& a : p.power) {
        (void)a.rise.lookup(0.05, 0.01);
        (void)a.fall.lookup(1e3, -1.0);
      }
      if (p.function.empty()) continue;
      try {
        BoolExprPtr e = parse_bool_expr(p.function);
        std::vector<std::string> vars;
        e->vars(vars);
        std::map<std::string, bool> env;
        for (const std::string& v : vars) env[v] = true;
        (void)e->eval(env);
        (void)e->verilog();
      } catch (const ExprError&) {
      }
    }
  }
  return 0;
}

// Test suites of the generated PE: which PEs go into one verilated test top,
// and how their ports are laid out on the top's flat buses. Shared by the
// Verilog generator (pe_testgen) and the simulation harness so both agree.
#pragma once

#include <string>
#include <vector>

#include "gen/pe_emit.hpp"

namespace macforge::rtl_pe {

enum class SuiteKind {
  Exhaustive,  // every code pair of every element-format pair, 1-lane PEs, K = 1
  Random,      // random block dot products
};

struct Suite {
  std::string name;
  SuiteKind kind = SuiteKind::Random;
  std::vector<gen::PeSpec> pes;
  long cycles = 0;             // Random: stimulus cycles per PE (the blocks follow from lanes)
  std::vector<double> weight;  // Random: per PE, a fraction of `cycles` (empty: all 1)
};

std::vector<std::string> suite_names();
Suite make_suite(const std::string& name);  // throws std::invalid_argument

// PE i of the test top drives bits [a_off[i] +: lanes*a_bits] of in_a, bit i of
// the 1-bit-per-PE buses, byte i of in_a_scale / in_b_scale and word i of
// in_acc / out_acc.
struct Layout {
  int n = 0;
  std::vector<int> a_off, b_off;
  int a_width = 0, b_width = 0;
};
Layout layout(const Suite& s);

// The test top module `tb` instantiating every PE of the suite.
std::string tb_verilog(const Suite& s);

// A testbench `xtb` for iverilog that replays a file written by
// `test_SUITE SUITE --record FILE` through the suite's `tb` and compares every
// valid output with the recorded (Verilator) one, 4-state: X or Z fails.
std::string replay_verilog(const Suite& s, const std::string& vectors);

// Configurations for the lint test: every element-format pair and every
// feature combination the emitter has.
std::vector<gen::PeSpec> lint_specs();

}  // namespace macforge::rtl_pe

// Simulation harness of the PE test suites. The harness is plain C++ built by
// CMake; the verilated model is reached through Model, implemented by a small
// glue file compiled together with the Verilator output (glue_main.cpp), so the
// harness does not depend on Verilator's headers or port types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace macforge::rtl_pe {

// Ports of the test top `tb` (suites.hpp, tb_verilog).
enum class Port {
  Clk, Rst, InValid, InFirst, InBlkLast, InLast, InMode, InA, InB, InAScale, InBScale, InAcc, OutValid, OutAcc
};

class Model {
 public:
  virtual ~Model() = default;
  // Little-endian 32-bit words of the port's value; bits beyond its width are zero.
  virtual void write(Port p, const uint32_t* words) = 0;
  virtual void read(Port p, uint32_t* words) = 0;
  virtual void eval() = 0;
};

// Runs one suite of suites.hpp against the reference; returns the exit code.
// Options: --cycles N (stimulus cycles per PE of a random suite), --seed S.
int run_suite(const std::string& suite, Model& m, int argc, char** argv);

// The float32 multiplier primitive as a function of the model.
class MulModel {
 public:
  virtual ~MulModel() = default;
  virtual uint32_t mul(uint32_t a, uint32_t b) = 0;
};

// Checks mf_fp32_mul against the C++ float multiply on special and random
// operand pairs; returns the exit code. Options: --pairs N, --seed S.
int run_fp32_mul(MulModel& m, int argc, char** argv);

}  // namespace macforge::rtl_pe

// Operand streams that drive a PE through its contract (gen/pe_spec.hpp) for
// the gate-level energy simulation, with the results the PE must produce
// (from numerics::dot), so every simulated MAC is a checked, real one.
//
//   realistic: A and B drawn from a Gaussian with 1% outliers (x10), quantized
//              by numerics::quantize with the format's default rule (block
//              scales as the quantizer picks them);
//   uniform:   every element code uniform over the format's finite codes,
//              block scales uniform over e8m0 codes 117..137 / ue4m3 codes
//              1..126 (a worst case for switching);
//   idle:      in_valid = 0 and constant operands (only clock and leakage).
// Dot products of K = a multiple of the accumulation group (>= 128 elements)
// are streamed back to back, one chunk of LANES element pairs per cycle.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gen/pe_spec.hpp"

namespace macforge::synth {

enum class StimKind { Realistic, Uniform, Idle };
std::string stim_name(StimKind k);  // "realistic", "uniform", "idle"

struct StimPort {
  std::string name;
  int width = 1;
  int words() const { return (width + 31) / 32; }
};

struct Stimulus {
  StimKind kind = StimKind::Realistic;
  std::string description;
  std::vector<StimPort> ports;                 // the PE inputs except clk, contract order
  std::vector<std::vector<uint32_t>> cycles;   // per cycle: the words of every port, in port order
  int warm = 0;          // cycles before the measured window (reset, settling)
  int measured_end = 0;  // the window is [warm, measured_end)
  int64_t macs = 0;      // element products in the window (valid chunks x lanes)
  int dots = 0;          // dot products (internal) or groups (external accumulator)
  int k = 0;             // elements per dot product
  std::vector<uint32_t> expected;  // out_acc of every out_valid, in order
};

// chunks: data cycles wanted (rounded up to whole dot products). mode: for a
// multi-format PE (spec.modes == 2) the mode every chunk runs in (in_mode held
// at it; mode m's formats, lanes, element bits, groups and scale codes, the
// reference numerics::dot with mode m's formats); 0 for a single-format PE.
Stimulus make_pe_stimulus(const gen::PeSpec& spec, StimKind kind, int chunks, uint64_t seed, int mode = 0);

// Compares the PE's outputs with the expected ones (NaN by class). Returns
// "" when they agree, else a one-line description of the first difference.
std::string check_outputs(const Stimulus& s, const std::vector<uint32_t>& got);

}  // namespace macforge::synth

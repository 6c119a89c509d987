// Multi-format PEs (docs/pe.md "Multi-format PEs"): one PE with an 8-bit mode
// 0 and a 4-bit (or 6-bit) mode 1 selected per dot product by in_mode.
//
// The PE is built from the single-format part emitters, cut in two at the
// chunk sum:
//   front halves <P>_h0, <P>_h1: lane multipliers -> alignment -> adder tree
//     (the part circuit reuse is about; what each half computes depends on the
//     pe.reuse scheme, see ModePlan);
//   back halves <P>_b0, <P>_b1: group accumulator -> block scales, one per
//     mode (the formats' block sizes and scale kinds differ);
//   the top <P>: input registers, operand gating / placement, the halves, a
//     mode select of the two group values, then ONE normalizer and ONE float32
//     accumulator shared by both modes.
// Each mode's result is therefore bit-identical to the single-format PE of its
// formats: the halves are that PE's own datapath, and the shared stages take
// an exact group value either way.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "gen/pe/geometry.hpp"
#include "gen/pe_emit.hpp"

namespace macforge::gen::pe {

struct ModePlan {
  PeSpec spec;
  Geometry mode[2];  // each mode as a single-format PE: the back halves <P>_b0/_b1
  // Front half 0. None: mode 0's lanes (mode 0 only). IntScheme1 / FpShared:
  // mode 0's lanes in both modes, mode-1 lanes 0..L-1 placed in the mode-0
  // fields. IntScheme2: the split multipliers (emitted by reuse_multiplier).
  Geometry h0;
  // Front half 1. None: mode 1's lanes. IntScheme1 / FpShared with 4-bit
  // elements: mode 1's extra lanes L..2L-1. Absent otherwise.
  bool has_h1 = false;
  Geometry h1;
  // IntScheme1 / FpShared: h0's chunk sum in mode 1 is 2^shift times the sum of
  // its mode-1 products (the narrow operands sit `shift` bits higher in total).
  int shift = 0;
  Geometry merged;  // the shared normalization and float32 accumulate
  int top_regs = 0;  // input register stages in the top, before the halves
  int latency = 0;
};

// Validates a spec with modes == 2 (FormatError naming pe.modes / pe.reuse /
// pe.lanes / pe.accumulation and the valid choices) and plans its datapath.
ModePlan mode_plan(const PeSpec& spec);

// The files of a multi-format PE (the same contract as pe_files()).
std::vector<PeFile> mode_pe_files(const ModePlan& p);

// PeInfo of a multi-format PE.
PeInfo mode_pe_info(const ModePlan& p);

}  // namespace macforge::gen::pe

// A host for the generated array: drives one GEMM through the top module's
// fixed stream schedule (docs/array.md) cycle by cycle and checks every
// output against numerics gemm() and against the schedule's closed forms.
// Independent of Verilator: the testbench copies Inputs/Outputs to and from
// the model's ports. MF_TB_TRACE=1 in the environment prints every comparison.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gen/array_emit.hpp"
#include "gen/config.hpp"
#include "gen/schedule.hpp"
#include "numerics/quantize.hpp"
#include "sim/top_ports.hpp"

namespace macforge::tb {

using BitVec = sim::BitVec;
using Inputs = sim::PortInputs;
using Outputs = sim::PortOutputs;

void set_bits(BitVec& v, int lo, int width, uint64_t value);
uint64_t get_bits(const BitVec& v, int lo, int width);

// One GEMM of a back-to-back sequence: C = A x B^T in mode `mode` (0 for a
// single-format array; A and B quantized in that mode's formats).
struct Job {
  const QMatrix* A = nullptr;
  const QMatrix* B = nullptr;
  int mode = 0;
};

class ArrayHost {
 public:
  // The array of cfg built with PE `pe` (every mode of a multi-format PE).
  ArrayHost(const gen::ArrayConfig& cfg, const gen::PeInfo& pe);

  int modes() const { return int(mode_.size()); }
  const gen::ArrayTiming& timing(int mode = 0) const { return mode_[size_t(mode)].t; }
  // The operand formats and accumulation of mode m (what its reference uses).
  const BlockFormat& a_format(int mode) const { return mode_[size_t(mode)].a; }
  const BlockFormat& b_format(int mode) const { return mode_[size_t(mode)].b; }

  // Plans C = A x B^T (A: M x K, B: N x K, quantized) from cycle 0 in `mode`.
  // With a nonzero bubble seed (output-stationary only) random idle cycles
  // (in_valid low) go between the chunks of a tile; the issue rule still
  // holds, outputs are expected relative to each tile's in_last, and the
  // closed-form GEMM count is not checked.
  void start(const QMatrix& A, const QMatrix& B, unsigned bubble_seed = 0, int mode = 0);
  // Several GEMMs back to back, each in its own mode, without draining the
  // array between them: OS tiles keep the issue rule across GEMMs (the next
  // GEMM's first tile follows the last one's in_last by max(R, C) cycles as
  // any tile does); WS passes of the next GEMM are shifted as early as the
  // one write port, the one stream port and the bank-reuse rule allow.
  void start(const std::vector<Job>& jobs, unsigned bubble_seed = 0);
  int64_t cycles() const { return cycles_; }  // cycle of the last output + 1
  void inputs(int64_t cycle, Inputs& in);      // inputs of this cycle
  void outputs(int64_t cycle, const Outputs& out);
  // After the last cycle: outputs never seen, and the C the array produced.
  void finish();
  const std::vector<std::string>& errors() const { return errors_; }
  const std::vector<float>& reference(size_t job = 0) const { return jobs_[job].ref; }
  int64_t checked() const { return checked_; }

 private:
  struct Mode {
    BlockFormat a, b;
    AccumSpec accum;
    gen::ArrayTiming t;
  };
  struct JobState {
    const QMatrix* A = nullptr;
    const QMatrix* B = nullptr;
    int mode = 0;
    int64_t M = 0, N = 0, K = 0;
    gen::GScale gsa = gen::GScale::None, gsb = gen::GScale::None;
    std::vector<float> ref;
    // OS
    int64_t nk = 0, tiles_n = 0, tiles = 0;
    // WS
    gen::WsPlan plan;
    int64_t shift = 0;                         // the plan's cycles are relative to this
    std::vector<std::vector<uint32_t>> psum;   // per activation row: C partial sums of the column tile
  };
  struct Expect {
    size_t job = 0;
    int64_t tile = 0;  // OS: tile; WS: pass of the job
    int row = 0;       // OS: row i of the tile; WS: activation row m
  };
  void os_plan(unsigned bubble_seed);
  void ws_plan_jobs();
  void os_inputs(int64_t cycle, Inputs& in);
  void ws_inputs(int64_t cycle, Inputs& in);
  void os_output(int64_t cycle, const Outputs& out, const Expect& e);
  void ws_output(int64_t cycle, const Outputs& out, const Expect& e);
  uint32_t a_scale(const JobState& j, int64_t m, int64_t k) const;
  uint32_t b_scale(const JobState& j, int64_t n, int64_t k) const;
  uint32_t a_code(const JobState& j, int64_t m, int64_t k) const;
  uint32_t b_code(const JobState& j, int64_t n, int64_t k) const;
  float ga(const JobState& j, int64_t m) const;
  float gb(const JobState& j, int64_t n) const;
  void compare(const JobState& j, int64_t m, int64_t n, uint32_t got, const std::string& where);
  void error(const std::string& msg);

  gen::ArrayConfig cfg_;
  gen::Dataflow df_;
  std::vector<Mode> mode_;
  int AW_ = 0, BW_ = 0;  // bits of one row's / column's operand slice (the PE's port widths)
  std::vector<JobState> jobs_;
  int64_t cycles_ = 0, checked_ = 0;
  std::map<int64_t, Expect> expect_;
  std::vector<std::string> errors_;
  struct Chunk {
    size_t job;
    int64_t tile, c;
  };
  std::map<int64_t, Chunk> os_chunk_;  // cycle -> chunk
  struct Pass {
    size_t job;
    int64_t s;  // pass of the job
    int64_t write, stream;
    bool bank;
  };
  std::vector<Pass> passes_;
};

}  // namespace macforge::tb

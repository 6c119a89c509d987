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

class ArrayHost {
 public:
  ArrayHost(const gen::ArrayConfig& cfg, const gen::ArrayTiming& timing);

  // Plans C = A x B^T (A: M x K, B: N x K, quantized) from cycle 0. With a
  // nonzero bubble seed (output-stationary only) random idle cycles (in_valid
  // low) go between the chunks of a tile; the issue rule still holds, outputs
  // are expected relative to each tile's in_last, and the closed-form GEMM
  // count is not checked.
  void start(const QMatrix& A, const QMatrix& B, unsigned bubble_seed = 0);
  int64_t cycles() const { return cycles_; }  // cycle of the last output + 1
  void inputs(int64_t cycle, Inputs& in);      // inputs of this cycle
  void outputs(int64_t cycle, const Outputs& out);
  // After the last cycle: outputs never seen, and the C the array produced.
  void finish();
  const std::vector<std::string>& errors() const { return errors_; }
  const std::vector<float>& reference() const { return ref_; }
  int64_t checked() const { return checked_; }

 private:
  struct Expect {
    int64_t tile = 0;  // OS: tile; WS: pass
    int row = 0;       // OS: row i of the tile; WS: activation row m
  };
  void os_inputs(int64_t cycle, Inputs& in);
  void ws_inputs(int64_t cycle, Inputs& in);
  void os_output(int64_t cycle, const Outputs& out, const Expect& e);
  void ws_output(int64_t cycle, const Outputs& out, const Expect& e);
  uint32_t a_scale(int64_t m, int64_t k) const;
  uint32_t b_scale(int64_t n, int64_t k) const;
  uint32_t a_code(int64_t m, int64_t k) const;
  uint32_t b_code(int64_t n, int64_t k) const;
  float ga(int64_t m) const;
  float gb(int64_t n) const;
  void compare(int64_t m, int64_t n, uint32_t got, const std::string& where);
  void error(const std::string& msg);

  gen::ArrayConfig cfg_;
  gen::ArrayTiming t_;
  gen::GScale gsa_, gsb_;
  const QMatrix* A_ = nullptr;
  const QMatrix* B_ = nullptr;
  int64_t M_ = 0, N_ = 0, K_ = 0;
  std::vector<float> ref_;
  int64_t cycles_ = 0, checked_ = 0;
  std::map<int64_t, Expect> expect_;
  std::vector<std::string> errors_;
  // OS
  int64_t nk_ = 0, tiles_n_ = 0, tiles_ = 0;
  std::map<int64_t, std::pair<int64_t, int64_t>> os_chunk_;  // cycle -> (tile, chunk)
  // WS
  gen::WsPlan plan_;
  std::vector<std::vector<uint32_t>> psum_;  // per activation row: C partial sums of the column tile
};

}  // namespace macforge::tb

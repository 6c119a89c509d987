// The host side of the generated array's streaming interface (docs/array.md):
// turns the controller's planned steps into the top module's port values cycle
// by cycle, collects the output rows, feeds weight-stationary partial sums
// back, and checks every output row arrives in the cycle the timing model
// predicts. Plain C++: the SystemC wrapper (sim/rtl_sc.hpp) and the plain
// Verilator harness of the benchmark share it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "numerics/quantize.hpp"
#include "sim/arch.hpp"
#include "sim/controller.hpp"
#include "sim/schedule.hpp"
#include "sim/top_ports.hpp"

namespace macforge::sim {

class RtlDriver {
 public:
  // OS or WS (throws FormatError for IS). A multi-format array runs in
  // arr.mode (arr = ArraySpec::in_mode(m): that mode's formats and lanes):
  // in_mode is driven with it on every chunk, and the operand slices of the
  // rows and columns are the PE's port widths (the widest mode's
  // LANES_m x BITS_m), mode m's lanes packed from bit 0 of each.
  explicit RtlDriver(const ArraySpec& arr);
  // A new GEMM: operands (M x K, N x K). Cycles are absolute.
  void begin(const QMatrix& A, const QMatrix& B);
  void push(const Step& s, int64_t index, const StepTimes& t);
  // Port values of `cycle` (call once per cycle, in order).
  void inputs(int64_t cycle, PortInputs& in);
  // What the outputs showed during `cycle`.
  void outputs(int64_t cycle, const PortOutputs& out);
  // Whether every output row of step `index` arrived; last_cycle = the cycle of the last one.
  bool done(int64_t index, int64_t& last_cycle) const;
  // Outstanding expected rows (0 when the array has delivered everything pushed).
  size_t pending() const { return expect_.size(); }
  const std::vector<float>& C() const { return C_; }
  const std::vector<std::string>& errors() const { return errors_; }
  // Gives up on every pending output (watchdog): marks their steps done.
  void abandon(const std::string& why);

 private:
  struct Active {
    Step s;
    int64_t index;
    StepTimes t;
    int bank = 0;
  };
  struct Expect {
    int64_t cycle;
    int64_t index;
    int64_t m, n0;
    int row;     // OS: row i of the tile
    bool final;  // results (not partial sums)
  };
  uint32_t a_code(int64_t m, int64_t k) const;
  uint32_t b_code(int64_t n, int64_t k) const;
  uint32_t a_scale(int64_t m, int64_t k) const;
  uint32_t b_scale(int64_t n, int64_t k) const;
  float ga(int64_t m) const;
  float gb(int64_t n) const;
  void error(const std::string& msg);
  void os_inputs(const Active& a, int64_t cycle, PortInputs& in);
  void ws_load(const Active& a, int64_t cycle, PortInputs& in);
  void ws_stream(const Active& a, int64_t cycle, PortInputs& in);

  ArraySpec arr_;
  int R_, C_cols_, L_, G_, Q_, AB_, BB_;
  int AW_, BW_;           // bits of one row's / column's operand slice on the ports
  bool mode_ = false;     // the in_mode value (multi-format arrays)
  int gsa_ = 0, gsb_ = 0;  // 0 none, 1 tensor, 2 channel
  const QMatrix* A_ = nullptr;
  const QMatrix* B_ = nullptr;
  int64_t M_ = 0, N_ = 0, K_ = 0, nk_ = 0;
  std::deque<Active> active_;
  std::deque<Expect> expect_;
  std::map<int64_t, std::pair<int64_t, int64_t>> remaining_;  // step -> (rows left, last cycle)
  int pass_ = -1;
  std::vector<float> C_;
  std::vector<uint32_t> psum_;
  std::vector<std::string> errors_;
};

}  // namespace macforge::sim

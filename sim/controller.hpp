// The array controller's issue rules: when each step's operand streams enter
// the array and when its results leave, given when its operands are resident.
// Pure C++ (no SystemC): the behavioural back end waits on these times, the
// RTL back end drives the verilated array at exactly these cycles and observes
// the outputs, and the ideal-memory cycle count is this plan with every
// operand resident at cycle 0. The rules restate gen/schedule.hpp
// (docs/array.md) for a stream of steps; docs/timing_model.md section 3.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/arch.hpp"
#include "sim/schedule.hpp"

namespace macforge::sim {

// Cycles are numbered from 0; an interval [a, b) covers cycles a .. b-1.
struct StepTimes {
  int64_t load_start = -1;    // WS/IS: first weight-write cycle of a new stationary tile (-1: none)
  int64_t stream_start = 0;   // first cycle of the step's operand stream
  int64_t stream_end = 0;     // one past its last cycle
  int64_t release_a = 0;      // the input-buffer slice is no longer read from this cycle
  int64_t release_b = 0;      // likewise for the weight-buffer slice
  int64_t next_issue = 0;     // the next step cannot start any stream before this cycle
  int64_t result_cycle = -1;  // last cycle an output row of this step is valid (-1: no output)
  int64_t port_delay = 0;     // cycles the stream started later because of buffer ports
};

class ArrayController {
 public:
  explicit ArrayController(const ArraySpec& arr);
  // Plans step `index` (steps are planned in order) whose operands are all
  // resident from cycle `ready`; `stretch` extra cycles are needed when the
  // buffers' ports cannot feed the array at full rate (the stream then starts
  // no earlier than ready + stretch).
  StepTimes plan(const Step& s, int64_t index, int64_t ready, int64_t stretch = 0);
  void reset();

  // Derived constants (docs/timing_model.md section 3).
  int64_t os_issue_interval() const;  // max(R, C)
  int64_t os_result_delay() const;    // in_last -> last row valid: LAT + C + R - 1 + S
  int64_t st_load_cycles() const;     // R * Q
  int64_t st_out_delay() const;       // (R - 1)(LAT + 1) + LAT + C + S
  int64_t st_bank_free(int64_t last_stream_cycle) const;  // + (R - 1)(LAT + 1) + C - 1

 private:
  ArraySpec arr_;
  int64_t Q_ = 1;
  // OS state
  int64_t stream_free_ = 0;
  int64_t last_in_last_ = INT64_MIN / 4;
  // WS/IS state
  int64_t write_free_ = 0;
  int64_t pass_ = -1;                    // index of the current stationary tile
  int64_t bank_last_read_[2] = {INT64_MIN / 4, INT64_MIN / 4};
  int64_t cur_bank_ = 0;
  int64_t weights_ready_ = 0;
  std::vector<int64_t> stream_start_;    // per planned step (for psum dependencies)
};

// Cycles of the whole schedule with ideal memory (every operand resident at
// cycle 0): last result cycle + 1.
int64_t ideal_schedule_cycles(const ArraySpec& arr, const Schedule& sched);

// The closed forms of docs/timing_model.md section 3 for a GEMM with unbounded
// buffers, computed without walking the steps (OS and the WS/IS recurrence).
int64_t closed_form_cycles(const ArraySpec& arr, int64_t M, int64_t N, int64_t K);

}  // namespace macforge::sim

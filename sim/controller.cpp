#include "sim/controller.hpp"

#include <algorithm>

namespace macforge::sim {

ArrayController::ArrayController(const ArraySpec& arr) : arr_(arr), Q_(arr.chunks_per_group()) {}

void ArrayController::reset() { *this = ArrayController(arr_); }

// The generator's definitions (gen/schedule.hpp, docs/array.md).
int64_t ArrayController::os_issue_interval() const { return arr_.timing.os_issue_interval(); }

int64_t ArrayController::os_result_delay() const { return arr_.timing.os_row_delay(arr_.rows - 1); }

int64_t ArrayController::st_load_cycles() const { return int64_t(arr_.rows) * Q_; }

int64_t ArrayController::st_out_delay() const { return arr_.timing.ws_out_delay(); }

int64_t ArrayController::st_bank_free(int64_t t) const { return arr_.timing.ws_last_read(t); }

StepTimes ArrayController::plan(const Step& s, int64_t index, int64_t ready0, int64_t stretch) {
  StepTimes t;
  const int64_t ready = ready0 + stretch;
  if (arr_.dataflow == Dataflow::OS) {
    auto start_at = [&](int64_t r) {
      int64_t st = std::max(r, stream_free_);
      // Consecutive tiles' in_last cycles are at least max(R, C) apart.
      if (s.last) st = std::max(st, last_in_last_ + os_issue_interval() - s.chunks + 1);
      return st;
    };
    int64_t start = start_at(ready);
    t.port_delay = start - start_at(ready0);
    t.stream_start = start;
    t.stream_end = start + s.chunks;
    stream_free_ = t.stream_end;
    if (s.last) {
      last_in_last_ = t.stream_end - 1;
      t.result_cycle = last_in_last_ + os_result_delay();
    }
    t.release_a = t.release_b = t.stream_end;
    t.next_issue = stream_free_;
    return t;
  }
  // Weight- (input-) stationary: the stationary tile is written into one of
  // two weight banks (R*Q cycles, one write port), then rows stream through.
  // The stationary tile needs the stationary slice only; the ports' stretch
  // applies to the stream.
  if (s.load) {
    ++pass_;
    cur_bank_ = pass_ % 2;
    int64_t w = std::max(ready0, write_free_);
    w = std::max(w, st_bank_free(bank_last_read_[cur_bank_]));
    t.load_start = w;
    write_free_ = w + st_load_cycles();
    weights_ready_ = write_free_;
  }
  auto start_at = [&](int64_t r) {
    int64_t st = std::max({r, weights_ready_, stream_free_});
    if (s.psum_from >= 0) st = std::max(st, stream_start_.at(size_t(s.psum_from)) + st_out_delay() + 1);
    return st;
  };
  int64_t st = start_at(ready);
  t.port_delay = st - start_at(ready0);
  t.stream_start = st;
  t.stream_end = st + s.rows * Q_;
  stream_free_ = t.stream_end;
  bank_last_read_[cur_bank_] = t.stream_end - 1;
  int64_t stat_release = s.load ? write_free_ : st;
  bool ws = arr_.dataflow == Dataflow::WS;
  t.release_b = ws ? stat_release : t.stream_end;
  t.release_a = ws ? t.stream_end : stat_release;
  t.next_issue = std::min(write_free_, stream_free_);
  t.result_cycle = t.stream_end - 1 + st_out_delay();
  if (int64_t(stream_start_.size()) != index) stream_start_.resize(size_t(index));
  stream_start_.push_back(st);
  return t;
}

int64_t ideal_schedule_cycles(const ArraySpec& arr, const Schedule& sched) {
  ArrayController c(arr);
  int64_t last = -1;
  for (int64_t i = 0; i < sched.size(); ++i) {
    StepTimes t = c.plan(sched.at(i), i, 0);
    last = std::max(last, t.result_cycle);
  }
  return last + 1;
}

int64_t closed_form_cycles(const ArraySpec& arr, int64_t M, int64_t N, int64_t K) {
  auto cdiv = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  const gen::ArrayTiming& t = arr.timing;
  if (arr.dataflow == Dataflow::OS) {
    // T tiles of nk chunks, in_last cycles max(nk, R, C) apart:
    // (T - 1) * max(nk, R, C) + nk + LAT + C + R - 1 + S.
    return t.os_gemm_cycles(cdiv(M, arr.rows) * cdiv(N, arr.cols), K);
  }
  // WS: passes over (column tile, K tile), double-banked weights; IS is WS
  // with the roles of (A, M) and (B, N) swapped.
  const bool ws = arr.dataflow == Dataflow::WS;
  return gen::ws_plan(t, ws ? M : N, ws ? N : M, K).cycles();
}

}  // namespace macforge::sim

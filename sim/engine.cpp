#include "sim/engine.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cmath>
#include <unordered_set>

#include "numerics/elem_format.hpp"

namespace macforge::sim {

using namespace sc_core;

namespace {

const sc_time kCycle(1, SC_NS);

uint64_t words_of(uint64_t bytes, uint64_t word) { return word ? (bytes + word - 1) / word : 0; }

double cpu_now() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// The current cycle (the RTL back end's threads run at half cycles: round up).
int64_t cycle_now() {
  uint64_t v = sc_time_stamp().value(), k = kCycle.value();
  return int64_t((v + k - 1) / k);
}

}  // namespace

ArraySpec layer_array(const ArraySpec& arr, const Gemm& g) {
  return g.mode < 0 ? arr.in_mode(arr.mode) : arr.in_mode(g.mode);
}

int64_t Accelerator::now_cycle() const { return cycle_now() - base_; }

void Accelerator::wait_until(int64_t abs_cycle) {
  sc_time target = kCycle * double(abs_cycle);
  if (target > sc_time_stamp()) wait(target - sc_time_stamp());
}

int64_t Accelerator::dram_read(uint64_t bytes) {
  int64_t now = cycle_now();
  if (opt_.ideal) return now;
  const DramConfig& d = cfg_->memory.dram;
  int64_t start = std::max(now, read_free_);
  int64_t dur = int64_t(std::ceil(double(bytes) / d.bandwidth - 1e-9));
  read_free_ = start + dur;
  rep_->dram_read_bytes += bytes;
  return start + dur + d.latency;
}

int64_t Accelerator::dram_write(uint64_t bytes) {
  int64_t now = cycle_now();
  if (opt_.ideal) {
    rep_->dram_write_bytes += bytes;
    return now;
  }
  const DramConfig& d = cfg_->memory.dram;
  int64_t start = std::max(now, write_free_);
  int64_t dur = int64_t(std::ceil(double(bytes) / d.bandwidth - 1e-9));
  write_free_ = start + dur;
  rep_->dram_write_bytes += bytes;
  return start + dur;
}

void Accelerator::port_words(Buffer& buf, uint64_t bytes, bool write) {
  uint64_t w = words_of(bytes, buf.stats.word_bytes);
  if (write) {
    buf.stats.write_bytes += bytes;
    buf.stats.write_words += w;
  } else {
    buf.stats.read_bytes += bytes;
    buf.stats.read_words += w;
  }
}

int Accelerator::acquire(Buffer& buf, const Slice& sl, bool& hit) {
  // A slice still held by any slot is reused (double buffering keeps the
  // previous one); otherwise it goes into the slot loaded least recently.
  for (int i = 0; i < int(buf.slots.size()); ++i)
    if (buf.slots[size_t(i)].id == sl.id) {
      hit = true;
      ++buf.slots[size_t(i)].users;
      ++buf.stats.hits;
      buf.cur = i;
      return i;
    }
  hit = false;
  int s = (buf.cur + 1) % int(buf.slots.size());
  while (buf.slots[size_t(s)].users > 0) wait(buf.freed);
  wait_until(buf.slots[size_t(s)].free_at);
  Slot& slot = buf.slots[size_t(s)];
  slot.id = sl.id;
  slot.users = 1;
  slot.ready = cycle_now();
  buf.cur = s;
  return s;
}

void Accelerator::loader_thread() {
  for (;;) {
    wait(start_loader_);
    std::unordered_set<uint64_t> seen[3];  // ideal mode: a slice is loaded once
    const int64_t n = sched_->size();
    for (int64_t i = 0; i < n; ++i) {
      Step s = sched_->at(i);
      int64_t ready = cycle_now();
      const Slice* sl[3] = {&s.a, &s.b, &s.out};
      for (int b = 0; b < 3; ++b) {
        Buffer& buf = buf_[b];
        if (opt_.ideal) {
          bool fresh = seen[b].insert(sl[b]->id).second;
          if (fresh && (b < 2 || s.psum_load)) {
            rep_->dram_read_bytes += sl[b]->bytes;
            port_words(buf, sl[b]->bytes, true);
            ++buf.stats.fills;
          } else if (!fresh) {
            ++buf.stats.hits;
          }
          slot_of_[b][size_t(i)] = 0;
          continue;
        }
        bool hit = false;
        int slot = acquire(buf, *sl[b], hit);
        slot_of_[b][size_t(i)] = slot;
        if (!hit && (b < 2 || s.psum_load)) {
          buf.slots[size_t(slot)].ready = dram_read(sl[b]->bytes);
          port_words(buf, sl[b]->bytes, true);
          ++buf.stats.fills;
        }
        ready = std::max(ready, buf.slots[size_t(slot)].ready);
      }
      ready_[size_t(i)] = ready;
      loaded_ = i + 1;
      loaded_ev_.notify(SC_ZERO_TIME);
    }
  }
}

void Accelerator::controller_thread() {
  for (;;) {
    wait(start_ctl_);
    const int64_t n = sched_->size();
    const ArraySpec& arr = cfg_->array;
    const int64_t Q = arr.chunks_per_group();
    for (int64_t i = 0; i < n; ++i) {
      while (loaded_ <= i) wait(loaded_ev_);
      Step s = sched_->at(i);
      // Buffer ports: words each buffer must deliver during the step, spread
      // over the banks of one slot; single-ported banks also absorb the fill.
      int64_t stretch = 0;
      if (!opt_.ideal) {
        int64_t window = arr.dataflow == Dataflow::OS ? s.chunks : s.rows * Q;
        uint64_t reads[3] = {s.a_read, s.b_read, s.out_read + s.out_write};
        for (int b = 0; b < 3; ++b) {
          const Buffer& buf = buf_[b];
          uint64_t words = words_of(reads[b], buf.stats.word_bytes);
          if (buf.cfg.ports == 1 && b < 2) {
            const Slice& sl = b == 0 ? s.a : s.b;
            words += words_of(sl.bytes, buf.stats.word_bytes);
          }
          int64_t banks = std::max(1, buf.cfg.banks / buf.cfg.slots());
          int64_t cyc = int64_t((words + uint64_t(banks) - 1) / uint64_t(banks));
          int64_t win = window;
          bool stationary = (arr.dataflow == Dataflow::WS && b == 1) || (arr.dataflow == Dataflow::IS && b == 0);
          if (stationary) win = s.load ? int64_t(arr.rows) * Q : cyc;
          stretch = std::max(stretch, cyc - win);
        }
      }
      int64_t ready_rel = ready_[size_t(i)] - base_;
      StepTimes t = ctl_->plan(s, i, ready_rel, stretch);
      rep_->port_stall_cycles += t.port_delay;
      StepTimes ta = t;  // absolute
      auto abs = [&](int64_t& c) {
        if (c >= 0) c += base_;
      };
      abs(ta.load_start);
      abs(ta.stream_start);
      abs(ta.stream_end);
      abs(ta.release_a);
      abs(ta.release_b);
      abs(ta.next_issue);
      abs(ta.result_cycle);
      // Every planned cycle is at or after now (the operands' ready cycle is);
      // the back end queues the step (the RTL driver replays it cycle by cycle).
      backend_->issue(s, i, ta);
      port_words(buf_[0], s.a_read, false);
      port_words(buf_[1], s.b_read, false);
      port_words(buf_[2], s.out_read, false);
      port_words(buf_[2], s.out_write, true);
      if (opt_.ideal) {  // unbounded buffers: no slots to release
        if (s.out_store) {
          out_queue_.push_back({s, i, ta});
          out_ev_.notify(SC_ZERO_TIME);
        }
        compute_end_ = std::max(compute_end_, ta.stream_end);
        continue;
      }
      int64_t rel[2] = {ta.release_a, ta.release_b};
      for (int b = 0; b < 2; ++b) {
        Slot& slot = buf_[b].slots[size_t(slot_of_[b][size_t(i)])];
        slot.free_at = std::max(slot.free_at, rel[b]);
        --slot.users;
        buf_[b].freed.notify(SC_ZERO_TIME);
      }
      if (!s.out_store) {
        Slot& slot = buf_[2].slots[size_t(slot_of_[2][size_t(i)])];
        --slot.users;
        buf_[2].freed.notify(SC_ZERO_TIME);
      } else {
        out_queue_.push_back({s, i, ta});
        out_ev_.notify(SC_ZERO_TIME);
      }
      compute_end_ = std::max(compute_end_, ta.stream_end);
    }
  }
}

void Accelerator::writer_thread() {
  for (;;) {
    wait(start_writer_);
    const int64_t n = sched_->size();
    for (;;) {
      while (out_queue_.empty()) wait(out_ev_);
      Pending p = out_queue_.front();
      out_queue_.pop_front();
      int64_t end = backend_->wait_results(p.step, p.index, p.times);
      last_result_ = std::max(last_result_, end);
      wait_until(end);
      int64_t done = dram_write(p.step.out.bytes);
      port_words(buf_[2], p.step.out.bytes, false);
      wait_until(done);
      last_write_ = std::max(last_write_, done);
      if (!opt_.ideal) {
        Slot& slot = buf_[2].slots[size_t(slot_of_[2][size_t(p.index)])];
        slot.free_at = std::max(slot.free_at, done);
        --slot.users;
        buf_[2].freed.notify(SC_ZERO_TIME);
      }
      if (p.index == n - 1) break;
    }
    backend_->end();
    done_ = true;
    sc_pause();
  }
}

LayerReport Accelerator::run(const AccelConfig& cfg0, const Gemm& g, ArrayBackend& backend, const RunOptions& opt,
                             GemmData* data) {
  auto wall0 = std::chrono::steady_clock::now();
  double cpu0 = cpu_now();
  if (!sc_start_of_simulation_invoked()) sc_start(SC_ZERO_TIME);
  // The array in the layer's mode: every thread below sees that mode's lanes,
  // group and formats. Switching modes between layers costs no cycles (the
  // PE samples in_mode with every chunk; gen/pe_spec.hpp).
  AccelConfig cfg = cfg0;
  cfg.array = layer_array(cfg0.array, g);
  Schedule sched(cfg.array, cfg.memory, g, opt.ideal);
  LayerReport rep;
  rep.gemm = g;
  rep.mode = cfg.array.mode;
  rep.gemm.mode = rep.mode;
  rep.format = cfg.array.mode_name(rep.mode);
  rep.lanes = cfg.array.lanes;
  rep.peak_macs_per_cycle = cfg.array.peak_macs_per_cycle();
  rep.backend = backend.name();
  rep.sched = sched.info();
  cfg_ = &cfg;
  sched_ = &sched;
  backend_ = &backend;
  opt_ = opt;
  rep_ = &rep;
  ctl_ = std::make_unique<ArrayController>(cfg.array);
  const BufferConfig* bc[3] = {&cfg.memory.input, &cfg.memory.weight, &cfg.memory.output};
  for (int b = 0; b < 3; ++b) {
    buf_[b].cfg = *bc[b];
    buf_[b].slots.assign(size_t(opt.ideal ? 1 : bc[b]->slots()), Slot{});
    buf_[b].cur = -1;
    buf_[b].stats = BufferStats{};
    buf_[b].stats.word_bytes = sched.info().word_bytes[b];
    slot_of_[b].assign(size_t(sched.size()), 0);
  }
  base_ = cycle_now();
  for (auto& b : buf_)
    for (auto& s : b.slots) s.free_at = s.ready = base_;
  read_free_ = write_free_ = base_;
  ready_.assign(size_t(sched.size()), 0);
  loaded_ = 0;
  out_queue_.clear();
  last_result_ = last_write_ = compute_end_ = base_;
  done_ = false;
  backend.begin(cfg.array, sched, data);
  start_loader_.notify(SC_ZERO_TIME);
  start_ctl_.notify(SC_ZERO_TIME);
  start_writer_.notify(SC_ZERO_TIME);
  sc_start();
  if (!done_) throw std::runtime_error("simulation stopped before the GEMM finished (deadlock)");
  rep.total_cycles = std::max(last_result_, last_write_) - base_;
  rep.compute_cycles = ideal_schedule_cycles(cfg.array, sched);
  rep.stall_cycles = rep.total_cycles - rep.compute_cycles;
  rep.ideal_cycles = closed_form_cycles(cfg.array, g.M, g.N, g.K);
  rep.macs = double(g.M) * double(g.N) * double(g.K);
  rep.utilization = rep.macs / (cfg.array.peak_macs_per_cycle() * double(rep.total_cycles));
  rep.input = buf_[0].stats;
  rep.weight = buf_[1].stats;
  rep.output = buf_[2].stats;
  // Leave the kernel idle at a cycle boundary for the next run.
  base_ = cycle_now();
  rep.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  rep.cpu_seconds = cpu_now() - cpu0;
  rep_ = nullptr;
  sched_ = nullptr;
  return rep;
}

namespace {

// SystemC prints its reports on stdout; keep stdout for the JSON results.
void report_to_stderr(const sc_report& rep, const sc_actions& actions) {
  if (actions & SC_DISPLAY) std::fprintf(stderr, "%s\n", sc_report_compose_message(rep).c_str());
  sc_report_handler::default_handler(rep, actions & ~SC_DISPLAY);
}

}  // namespace

Accelerator::Accelerator(sc_module_name name) : sc_module(name) {
  sc_report_handler::set_handler(report_to_stderr);
  SC_THREAD(loader_thread);
  SC_THREAD(controller_thread);
  SC_THREAD(writer_thread);
}

Accelerator& default_accelerator() {
  static Accelerator* top = new Accelerator("macforge_accel");
  return *top;
}

}  // namespace macforge::sim

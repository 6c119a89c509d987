// The SystemC model of the accelerator (docs/timing_model.md): a loader that
// fills the input, weight and output buffers from DRAM, the array controller
// that issues steps when their operands are resident, and a writer that
// drains results to DRAM. One top module runs any number of GEMMs one after
// the other (sc_pause between them); the array itself is a back end behind
// ArrayBackend: timing-only, the behavioural functional array (reference
// numerics) or the verilated RTL.
#pragma once

#include <systemc>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/arch.hpp"
#include "sim/controller.hpp"
#include "sim/schedule.hpp"
#include "sim/workload.hpp"

namespace macforge {
struct QMatrix;
}

namespace macforge::sim {

// Operand data of a functional run: quantized A (M x K) and B (N x K), and
// the float32 results C (M x N) the back end fills in.
struct GemmData {
  const QMatrix* A = nullptr;
  const QMatrix* B = nullptr;
  std::vector<float> C;
};

// The array behind the controller. All calls come from SystemC threads of the
// top module, in step order.
class ArrayBackend {
 public:
  virtual ~ArrayBackend() = default;
  virtual std::string name() const = 0;
  virtual bool functional() const { return false; }
  // Before the first step of a GEMM (data is null in timing-only runs).
  virtual void begin(const ArraySpec& arr, const Schedule& sched, GemmData* data) = 0;
  // Step `index` has been planned at times t (absolute cycles, already offset
  // to the simulation's time base). Called from the controller thread no
  // later than t.stream_start and t.load_start; returns at once or after
  // driving the step's inputs.
  virtual void issue(const Step& s, int64_t index, const StepTimes& t) = 0;
  // Blocks the calling thread until every output of step `index` (a step with
  // out_store) has left the array; returns the cycle after the last one.
  virtual int64_t wait_results(const Step& s, int64_t index, const StepTimes& t) = 0;
  // After the last step's results were collected.
  virtual void end() {}
};

// The array as layer g runs it: arr.in_mode(g.mode), or arr itself when the
// layer names no mode (g.mode == -1, e.g. a --gemm on an array a caller has
// already put into a mode with in_mode).
ArraySpec layer_array(const ArraySpec& arr, const Gemm& g);

// The timing-only and behavioural array: outputs appear at the controller's
// result cycle; with data, each finished tile is computed with the reference
// numerics (bit-exact with the RTL).
std::unique_ptr<ArrayBackend> make_behavioural_backend(bool functional);

struct BufferStats {
  uint64_t read_bytes = 0, read_words = 0, write_bytes = 0, write_words = 0;
  uint64_t word_bytes = 0;
  uint64_t fills = 0;  // slices loaded from DRAM
  uint64_t hits = 0;   // steps that found their slice already resident
};

struct RunOptions {
  bool ideal = false;  // unbounded buffers, infinite bandwidth, zero latency
};

struct LayerReport {
  Gemm gemm;
  int mode = 0;             // the array mode the layer ran in (gemm.mode)
  std::string format;       // that mode's name ("mxint8", "nvint4", "A/B")
  int lanes = 0;            // lanes of that mode
  double peak_macs_per_cycle = 0;  // R * C * lanes of that mode
  std::string backend;
  ScheduleInfo sched;
  int64_t total_cycles = 0;    // first DRAM request to last result in DRAM
  int64_t compute_cycles = 0;  // the same schedule with ideal memory
  int64_t stall_cycles = 0;    // total - compute
  int64_t ideal_cycles = 0;    // closed form of docs/timing_model.md (unbounded buffers)
  double utilization = 0;      // MACs / (R * C * lanes * total)
  double macs = 0;
  BufferStats input, weight, output;
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  int64_t wait_operand_cycles = 0;  // array idle because operands were not resident
  int64_t port_stall_cycles = 0;    // buffer ports slower than the array
  double wall_seconds = 0;
  double cpu_seconds = 0;      // process CPU time of the run (robust against a loaded machine)
  uint64_t dram_bytes() const { return dram_read_bytes + dram_write_bytes; }
  bool has_output = false;     // functional run: output_hash is set
  uint64_t output_hash = 0;    // FNV-1a 64 of the float32 results
};

class Accelerator : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Accelerator);
  explicit Accelerator(sc_core::sc_module_name name);

  // Runs one GEMM to completion (sc_start until the writer pauses) and
  // returns its report, in the array mode of the layer (layer_array): its
  // lanes, chunks, groups and operand formats (element and scale bits moved).
  // Throws FormatError for a GEMM the buffers cannot hold.
  LayerReport run(const AccelConfig& cfg, const Gemm& g, ArrayBackend& backend, const RunOptions& opt,
                  GemmData* data = nullptr);

  // The current cycle relative to the start of the running GEMM.
  int64_t now_cycle() const;
  int64_t base_cycle() const { return base_; }

 private:
  struct Slot {
    uint64_t id = 0;
    int users = 0;
    int64_t ready = 0;    // absolute cycle the slice is resident
    int64_t free_at = 0;  // absolute cycle the array stops reading it
  };
  struct Buffer {
    BufferConfig cfg;
    std::vector<Slot> slots;
    int cur = -1;
    BufferStats stats;
    sc_core::sc_event freed;
  };
  struct Pending {
    Step step;
    int64_t index;
    StepTimes times;
  };

  void loader_thread();
  void controller_thread();
  void writer_thread();
  void wait_until(int64_t abs_cycle);
  int64_t dram_read(uint64_t bytes);   // returns the absolute cycle the data is resident
  int64_t dram_write(uint64_t bytes);  // returns the absolute cycle the data has left
  // Acquires a slot of buf for slice sl (loader thread); returns the slot and
  // whether it was a hit.
  int acquire(Buffer& buf, const Slice& sl, bool& hit);
  void port_words(Buffer& buf, uint64_t bytes, bool write);

  // Job state.
  const AccelConfig* cfg_ = nullptr;
  const Schedule* sched_ = nullptr;
  ArrayBackend* backend_ = nullptr;
  RunOptions opt_;
  std::unique_ptr<ArrayController> ctl_;
  Buffer buf_[3];  // input, weight, output
  int64_t base_ = 0;
  int64_t read_free_ = 0, write_free_ = 0;  // DRAM channels (absolute cycles)
  // loader -> controller
  std::vector<int64_t> ready_;        // per step (absolute cycle), filled by the loader
  std::vector<int> slot_of_[3];       // per step
  int64_t loaded_ = 0;                // steps the loader has processed
  sc_core::sc_event loaded_ev_;
  // controller -> writer
  std::deque<Pending> out_queue_;
  sc_core::sc_event out_ev_;
  int64_t last_result_ = 0;
  int64_t last_write_ = 0;
  int64_t compute_end_ = 0;
  bool done_ = false;
  LayerReport* rep_ = nullptr;
  sc_core::sc_event start_loader_, start_ctl_, start_writer_;
};

// The process-wide top module for runs without RTL (created on first use).
Accelerator& default_accelerator();

}  // namespace macforge::sim

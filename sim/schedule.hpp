// The tiler: maps a GEMM onto the array as an ordered list of steps. A step is
// one uninterrupted stretch of array work on operand slices that must be
// resident in the buffers (docs/timing_model.md section 3):
//   OS  one output tile (R x C outputs) and one K slice of it;
//   WS  one stationary weight tile (C output channels x R groups of K) and a
//       slice of M rows of A streamed through it, with partial sums;
//   IS  mirror image of WS: one stationary tile of A (C rows of A x R groups),
//       a slice of N rows of B streamed through it.
// Steps are computed on demand from their index (no list is materialised), so
// workloads with millions of tiles cost no memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/arch.hpp"
#include "sim/workload.hpp"

namespace macforge::sim {

// One buffer slice: a unique id within the GEMM (0 = none) and its size.
struct Slice {
  uint64_t id = 0;
  uint64_t bytes = 0;
};

struct Step {
  // The part of the GEMM this step covers (k in the padded K).
  int64_t m0 = 0, m1 = 0, n0 = 0, n1 = 0, k0 = 0, k1 = 0;
  Slice a;       // slice of A that must be in the input buffer
  Slice b;       // slice of B that must be in the weight buffer
  Slice out;     // output-buffer residency (results / partial sums) this step accumulates into
  bool psum_load = false;  // out is new and must be read back from DRAM (spilled partial sums)
  bool out_store = false;  // after this step `out` is written to DRAM (results, or a spill)
  bool out_final = false;  // this step completes its outputs (all of K)
  uint64_t a_read = 0, b_read = 0;        // bytes the array reads from the input / weight buffer
  uint64_t out_read = 0, out_write = 0;   // bytes the array reads / writes in the output buffer
  int64_t macs = 0;        // useful multiply-accumulates (unpadded)
  // Array work. OS: `chunks` chunks of this tile's dot products; `first` /
  // `last`: the stream starts / ends the tile (in_first / in_last).
  // WS/IS: `rows` rows of Q chunks streamed through the stationary tile;
  // `load` = the stationary tile is new (written into the array first);
  // `psum_from` = index of the step whose partial sums this step continues
  // (-1: it starts from +0.0).
  int64_t chunks = 0;
  bool first = false, last = false;
  int64_t rows = 0;
  bool load = false;
  int64_t psum_from = -1;
};

struct ScheduleInfo {
  std::string order;        // loop order chosen, e.g. "m,n,k"
  int64_t Kp = 0;           // padded K
  int64_t tile_k = 0;       // K elements per step (OS: slice; WS/IS: R x group)
  int64_t tile_rows = 0;    // rows streamed per step (WS: of A, IS: of B; OS: R)
  int64_t steps = 0;
  uint64_t word_bytes[3] = {0, 0, 0};  // resolved word width of input, weight, output buffer
};

class Schedule {
 public:
  // Throws FormatError when a buffer slot cannot hold the operands of one
  // tile ("input buffer too small for one tile: ..."). ideal: unbounded buffers.
  Schedule(const ArraySpec& arr, const MemoryConfig& mem, const Gemm& g, bool ideal);

  int64_t size() const { return info_.steps; }
  Step at(int64_t i) const;
  const ScheduleInfo& info() const { return info_; }

 private:
  void plan_os(bool ideal);
  void plan_stationary(bool ideal);  // WS and IS
  Step os_step(int64_t i) const;
  Step st_step(int64_t i) const;

  ArraySpec arr_;
  MemoryConfig mem_;
  Gemm g_;
  ScheduleInfo info_;
  // OS: tile counts and slice length; stationary: see plan_stationary.
  int64_t Mt_ = 0, Nt_ = 0, Ks_ = 0, tk_ = 0;
  bool n_outer_ = false;   // OS: n-outer loop order; stationary: kt inner (psums stay)
  // Stationary (WS names; IS swaps the roles of A/M and B/N):
  //   stat rows (N for WS) tiled by C; K by R groups (passes); stream rows (M) by Ts.
  int64_t St_ = 0, Pt_ = 0, Rs_ = 0, ts_ = 0;
  bool k_inner_ = true;
};

}  // namespace macforge::sim

// The array's fixed stream schedule and its closed-form cycle counts
// (docs/array.md). The manifest, the Verilator testbench and any timing model
// use these functions, so there is one definition of every cycle.
//
// Cycle convention: the host drives inputs during cycle t; they are sampled at
// the rising edge that ends cycle t. An output "in cycle t" is what the host
// reads during cycle t (before that edge).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gen/config.hpp"

namespace macforge::gen {

struct ArrayTiming {
  Dataflow dataflow = Dataflow::OutputStationary;
  int rows = 1, cols = 1;  // R, C
  int lanes = 1;           // L
  int group = 1;           // G: elements per accumulation group
  int pe_latency = 0;      // LAT: PE in_last (OS) / in_blk_last (WS) cycle -> out_valid
  int out_stage = 0;       // S: cycles of the tensor/channel scale stage (0 without one)

  int chunks_per_group() const { return group / lanes; }  // Q
  // Chunks of a dot product of length K: nk = ceil(K / L) (L divides G).
  int64_t chunks(int64_t K) const;
  // Whether chunk c (0-based) of a length-K dot product ends an accumulation group.
  bool blk_last(int64_t c, int64_t K) const;

  // ---- output-stationary ----
  // Minimum distance in cycles between the in_last cycles of consecutive tiles.
  int os_issue_interval() const;
  // From the in_last cycle of a tile to the cycle its output row i is valid:
  // LAT + C + i + S.
  int os_row_delay(int i) const;
  // One tile, first input cycle to last output cycle inclusive:
  // nk + LAT + C + R - 1 + S.
  int64_t os_tile_cycles(int64_t K) const;
  // A GEMM of `tiles` tiles issued every max(nk, R, C) cycles from cycle 0:
  // (tiles - 1) * max(nk, R, C) + os_tile_cycles(K).
  int64_t os_gemm_cycles(int64_t tiles, int64_t K) const;
  // Depth of the per-tile scale buffer (tiles in flight between in_last and
  // their last output row).
  int os_scale_slots() const;

  // ---- weight-stationary ----
  // Delay between PE rows: LAT + 1 (a register on the partial-sum chain).
  int ws_row_step() const { return pe_latency + 1; }
  // From the in_blk_last cycle of an activation row to its output row:
  // (R - 1) * (LAT + 1) + LAT + C + S.
  int ws_out_delay() const;
  // The last cycle in which a stream input of cycle t reads its weight bank
  // (the PEs, then B's tensor/channel scale at the readout):
  // t + (R - 1) * (LAT + 1) + LAT + C - 1. A weight write to that bank may
  // happen in this cycle or later.
  int64_t ws_last_read(int64_t t) const { return t + (rows - 1) * ws_row_step() + pe_latency + cols - 1; }
  // One pass (load R*Q weight chunks, then stream M rows of Q chunks), first
  // weight write to last output inclusive: R*Q + M*Q + ws_out_delay().
  int64_t ws_tile_cycles(int64_t M) const;

};

// Cycle plan of the canonical weight-stationary GEMM (docs/array.md): passes
// s = 0..P-1 over (column tile, K tile) in column-tile-major order; pass s
// writes bank s % 2 during [write[s], write[s] + R*Q) and streams its M rows
// during [stream[s], stream[s] + M*Q).
struct WsPlan {
  int64_t col_tiles = 0, k_tiles = 0;
  std::vector<int64_t> write, stream;
  int64_t last_output = 0;  // cycle of the last output row
  int64_t cycles() const { return last_output + 1; }
};
WsPlan ws_plan(const ArrayTiming& t, int64_t M, int64_t N, int64_t K);

// Human-readable formulas for the manifest and docs.
std::vector<std::pair<std::string, std::string>> timing_formulas(Dataflow d);

}  // namespace macforge::gen

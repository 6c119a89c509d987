#include "gen/schedule.hpp"

#include <algorithm>

namespace macforge::gen {

int64_t ArrayTiming::chunks(int64_t K) const { return (K + lanes - 1) / lanes; }

bool ArrayTiming::blk_last(int64_t c, int64_t K) const {
  return (c + 1) * lanes % group == 0 || c == chunks(K) - 1;
}

int ArrayTiming::os_issue_interval() const { return std::max(rows, cols); }

int ArrayTiming::os_row_delay(int i) const { return pe_latency + cols + i + out_stage; }

int64_t ArrayTiming::os_tile_cycles(int64_t K) const {
  return chunks(K) + pe_latency + cols + rows - 1 + out_stage;
}

int64_t ArrayTiming::os_gemm_cycles(int64_t tiles, int64_t K) const {
  int64_t interval = std::max<int64_t>(chunks(K), os_issue_interval());
  return (tiles - 1) * interval + os_tile_cycles(K);
}

int ArrayTiming::os_scale_slots() const {
  // The slot of a tile is read until the cycle its last row leaves the row
  // mux, LAT + C + R - 2 cycles after its in_last; tiles come every >= P cycles.
  int need = pe_latency + cols + rows - 2, p = os_issue_interval();
  return std::max(1, (need + p - 1) / p);
}

int ArrayTiming::ws_out_delay() const {
  return (rows - 1) * ws_row_step() + pe_latency + cols + out_stage;
}

int64_t ArrayTiming::ws_tile_cycles(int64_t M) const {
  int64_t q = chunks_per_group();
  return rows * q + M * q + ws_out_delay();
}

WsPlan ws_plan(const ArrayTiming& t, int64_t M, int64_t N, int64_t K) {
  WsPlan p;
  int64_t q = t.chunks_per_group(), rq = t.rows * q, mq = M * q;
  int64_t groups = (K + t.group - 1) / t.group;
  p.col_tiles = (N + t.cols - 1) / t.cols;
  p.k_tiles = (groups + t.rows - 1) / t.rows;
  int64_t passes = p.col_tiles * p.k_tiles;
  p.write.resize(passes);
  p.stream.resize(passes);
  for (int64_t s = 0; s < passes; ++s) {
    if (s == 0) {
      p.write[s] = 0;
      p.stream[s] = rq;
      continue;
    }
    // The write port is free, and bank s % 2 was last read by pass s - 2.
    int64_t w = p.write[s - 1] + rq;
    if (s >= 2) w = std::max<int64_t>(w, t.ws_last_read(p.stream[s - 2] + mq - 1));
    p.write[s] = w;
    // Weights loaded, stream port free, and (same column tile) the previous
    // pass's partial sums of row 0 already out.
    int64_t st = std::max(w + rq, p.stream[s - 1] + mq);
    if (s % p.k_tiles != 0) st = std::max<int64_t>(st, p.stream[s - 1] + t.ws_out_delay() + 1);
    p.stream[s] = st;
  }
  p.last_output = p.stream[passes - 1] + mq - 1 + t.ws_out_delay();
  return p;
}

std::vector<std::pair<std::string, std::string>> timing_formulas(Dataflow d) {
  if (d == Dataflow::OutputStationary)
    return {
        {"chunks", "nk = ceil(K / L)"},
        {"row_out", "row i of a tile is valid LAT + C + i + S cycles after the tile's in_last cycle"},
        {"tile_cycles", "nk + LAT + C + R - 1 + S (first input cycle to last output cycle, inclusive)"},
        {"issue_interval", "consecutive tiles' in_last cycles at least max(R, C) apart"},
        {"gemm_cycles", "(T - 1) * max(nk, R, C) + nk + LAT + C + R - 1 + S for T = ceil(M/R) * ceil(N/C) tiles"},
    };
  return {
      {"chunks_per_group", "Q = G / L"},
      {"row_step", "D = LAT + 1 (PE row i sees a stream input i * D + j cycles later in column j)"},
      {"row_out", "an activation row is valid (R - 1) * D + LAT + C + S cycles after its in_blk_last cycle"},
      {"tile_cycles", "R*Q + M*Q + (R - 1) * D + LAT + C + S (load, stream M rows, drain; inclusive)"},
      {"bank_reuse", "a weight write to a bank may happen in cycle w >= t + (R - 1) * D + LAT + C - 1, t the last "
                     "stream cycle (in_valid) that uses that bank"},
      {"gemm_cycles", "recurrence of docs/array.md (ws_plan): passes over (column tile, K tile), double-buffered"},
  };
}

}  // namespace macforge::gen

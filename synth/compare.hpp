// `macforge synth --compare F1,F2,...`: one PE per number format at equal
// throughput, area and energy per MAC normalized to the first entry, like
// Table 5 of arXiv 2510.25602 (docs/int_vs_fp.md).
//
// Equal throughput: every single-format PE has the same LANES element pairs
// per cycle (--lanes, default 16). A mixed entry "A+B" (e.g.
// mxfp8_e4m3+nvfp4) is a design that runs either format: the narrower
// format at LANES MACs per cycle and the wider one at LANES x
// bits(narrow) / bits(wide) (8-bit:4-bit = 1:2, as the paper's mixed
// designs). macforge has no shared multi-format datapath, so it is modelled
// as the two PEs side by side: area = sum of both; energy per MAC = the
// energy of running half the time in each mode (the idle PE costs its
// leakage, clock gated) divided by the MACs done. "A+B@REUSE" (e.g.
// mxfp8_e4m3+nvfp4@fp-shared) is one multi-format PE (pe.modes, pe.reuse):
// the 8-bit format is mode 0 at LANES/2 lanes, the 4-bit one mode 1 at LANES
// (a 6-bit one at the same lanes); its area is the one PE's, its energy per
// MAC (E_cycle(mode 0) + E_cycle(mode 1)) / (lanes_0 + lanes_1), half the time
// in each mode. Single entries are normalized to the first single entry,
// mixed and shared entries to the first mixed or shared one.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "synth/flow.hpp"

namespace macforge::synth {

struct CompareOptions {
  SynthOptions base;                 // liberty, energy settings, jobs ...
  std::vector<std::string> entries;  // "mxint8", "mxfp8_e4m3+nvfp4", ...
  int lanes = 16;
  int pipeline = 1;
  std::string out_dir;
};

struct CompareRow {
  std::string entry;
  bool mixed = false;
  // A+B@REUSE: one multi-format PE (mixed too); pes holds the entry at mode 0's
  // lanes, mode_lanes the lanes of each mode
  bool shared = false;
  std::vector<int> mode_lanes;
  std::vector<std::pair<std::string, int>> pes;  // format, lanes
  double area_um2 = 0, energy_pj_per_mac = 0, energy_uniform_pj_per_mac = 0;
  double area_ratio = 0, energy_ratio = 0;
  std::map<std::string, double> area_by_part;
  double paper_area = -1, paper_energy = -1;  // Table 5 of the paper, when it has this pair
  // Static timing (OpenSTA) at the clock T: a mixed entry is as fast as its
  // slower PE (min fmax, min slack, met only when both meet T).
  bool timing = false;  // false: no timing (--no-timing, or a Liberty without timing arcs)
  double clock_ns = 0, fmax_mhz = 0, slack_ns = 0;
  bool timing_met = false;
  double seconds = 0;
};

struct CompareResult {
  std::vector<CompareRow> rows;
  std::string library;
  double clock_ns = 0;  // the timing constraint T (0: no timing)
  std::string markdown, csv, json;
  double seconds = 0;
};

// Parses "F1,F2+F3,..." (names checked); throws InputError.
std::vector<std::string> parse_compare_list(const std::string& s);

CompareResult run_compare(const CompareOptions& opt);

}  // namespace macforge::synth

// Adder architecture of a synthesis run (docs/timing.md "Adder architecture"):
// what a synthesis tool's timing-driven adder selection does, with two
// architectures Yosys 0.23 can build:
// - ripple: every $alu/$lcu a ripple-carry chain. On the built-in library
//   (FA_X1/HA_X1) the FA template maps each bit to a full-adder cell
//   (synth_template.ys + fa_map.v); on a library without full-adder cells the
//   $lcu ripple map of fa_map.v (-D MF45_LCU_RIPPLE) leaves AND/OR carry gates
//   for ABC. The minimum-area adder.
// - prefix: Yosys' default Brent-Kung $lcu (_90_lcu of +/techmap.v), no
//   full-adder cells, every gate mapped by ABC with the delay target
//   (synth_template_nofa.ys). Carry depth log2(n) instead of n.
// - auto: ripple first; if OpenSTA says it meets the clock, keep it (the least
//   area that meets T); else also prefix, and keep the better slack.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace macforge::synth {

enum class AdderArch { Ripple, Prefix };
enum class AdderMode { Ripple, Prefix, Auto };

const char* adder_name(AdderArch a);
const char* adder_mode_name(AdderMode m);
// "ripple" | "prefix" | "auto"; nullopt for anything else
std::optional<AdderMode> parse_adder_mode(const std::string& s);

// One synthesized PE candidate as the decision sees it.
struct AdderCandidate {
  AdderArch arch = AdderArch::Ripple;
  double area_um2 = 0;
  bool timed = false;           // OpenSTA ran on it
  double critical_path_ns = 0;  // valid when timed
  double slack_ns = 0;
  bool met = false;
};

// auto, after the ripple candidate: a prefix candidate is synthesized only
// when the ripple one was timed and misses the clock (no timing data: ripple).
bool auto_needs_prefix(const AdderCandidate& ripple);

// auto, both candidates timed: the better (larger) slack; equal slack (to
// 1e-6 ns, OpenSTA's printed precision) keeps the smaller area, ripple on a tie.
AdderArch auto_pick(const AdderCandidate& ripple, const AdderCandidate& prefix);

// What the report says about the choice.
struct AdderChoice {
  AdderMode mode = AdderMode::Auto;
  AdderArch chosen = AdderArch::Ripple;
  std::string reason;                        // one phrase: why this one
  std::vector<AdderCandidate> candidates;    // in synthesis order
};

}  // namespace macforge::synth

#include "synth/adders.hpp"

namespace macforge::synth {

const char* adder_name(AdderArch a) { return a == AdderArch::Ripple ? "ripple" : "prefix"; }

const char* adder_mode_name(AdderMode m) {
  switch (m) {
    case AdderMode::Ripple: return "ripple";
    case AdderMode::Prefix: return "prefix";
    case AdderMode::Auto: break;
  }
  return "auto";
}

std::optional<AdderMode> parse_adder_mode(const std::string& s) {
  if (s == "ripple") return AdderMode::Ripple;
  if (s == "prefix") return AdderMode::Prefix;
  if (s == "auto") return AdderMode::Auto;
  return std::nullopt;
}

bool auto_needs_prefix(const AdderCandidate& ripple) { return ripple.timed && !ripple.met; }

AdderArch auto_pick(const AdderCandidate& ripple, const AdderCandidate& prefix) {
  const double eps = 1e-6;
  if (prefix.slack_ns > ripple.slack_ns + eps) return AdderArch::Prefix;
  if (ripple.slack_ns > prefix.slack_ns + eps) return AdderArch::Ripple;
  return prefix.area_um2 < ripple.area_um2 ? AdderArch::Prefix : AdderArch::Ripple;
}

}  // namespace macforge::synth

// The synthesis report: text for people, JSON for tools (schema in
// docs/synthesis.md "Report").
#pragma once

#include <string>

namespace macforge::synth {

struct SynthReport;

std::string report_text(const SynthReport& r);
std::string report_json(const SynthReport& r);

// JSON helpers shared with the compare report.
std::string json_str(const std::string& s);
std::string json_num(double v);

}  // namespace macforge::synth

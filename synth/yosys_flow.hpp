// One Yosys 0.23 run: the script is written from a template of synth/lib
// (synth_template.ys with full-adder mapping for the built-in library,
// synth_template_nofa.ys for real PDKs) with its placeholders substituted and
// an optional block of commands inserted before the template's `synth` line
// (the coarse passes and the partition into parts, partition.hpp). The script
// and the log stay in the output directory.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace macforge::synth {

struct YosysJob {
  std::string dir;                          // working directory; every file below is in it
  std::string name = "yosys";               // DIR/<script>, DIR/<log>
  std::string script = "synth.ys";
  std::string log = "yosys.log";
  std::string netlist = "netlist.v";
  std::string stat_json = "stat.json";
  std::vector<std::string> verilog_files;   // relative to dir or absolute
  std::string top;
  std::string liberty;                      // absolute
  std::string template_path;                // absolute
  std::string fa_map;                       // absolute, or "" (no-FA template)
  std::vector<std::string> pre_synth;       // inserted before `synth -top ...`
  double abc_delay_ps = 0;                  // > 0: `abc -D` delay target (a Liberty with timing; docs/timing.md)
  std::string adder_map;                    // {{ADDER_MAP}}: the adder architecture's techmap arguments
                                            // (synth/adders.hpp, the templates' headers); "" = the default
};

struct YosysResult {
  std::string script_path, log_path, netlist_path;
  double seconds = 0;
  std::map<std::string, double> module_area;  // "Chip area for module" lines of the log
  double top_area = -1;                        // "Chip area for top module" (or the top's own line)
};

// The script text (exposed for tests).
std::string yosys_script(const YosysJob& job);

// Writes DIR/<script> and runs `yosys -s`, stdout and stderr into DIR/<log>.
// Throws ToolError "yosys failed (exit N): <first ERROR line> (log: DIR/<log>)".
YosysResult run_yosys(const YosysJob& job);

}  // namespace macforge::synth

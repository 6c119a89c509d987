// The subcommand registry. A subcommand lives in its own cmd_NAME.cpp and is
// listed here once.
#include "cli/command.hpp"

namespace macforge::cli {

int cmd_formats(const std::vector<std::string>& args);
int cmd_quantize(const std::vector<std::string>& args);
int cmd_qsnr(const std::vector<std::string>& args);
int cmd_gen(const std::vector<std::string>& args);
int cmd_sim(const std::vector<std::string>& args);
int cmd_cosim(const std::vector<std::string>& args);
int cmd_synth(const std::vector<std::string>& args);
int cmd_sweep(const std::vector<std::string>& args);
int cmd_point(const std::vector<std::string>& args);
int cmd_collect(const std::vector<std::string>& args);
int cmd_gemm(const std::vector<std::string>& args);
int cmd_accum_study(const std::vector<std::string>& args);

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"formats", "list the number formats (bits, range, block, scale)", cmd_formats},
      {"quantize", "quantize float32 values to a format; CSV of codes and values", cmd_quantize},
      {"qsnr", "QSNR and crest factor of a format on random data (JSON)", cmd_qsnr},
      {"gen", "generate a Verilog MAC array (PE, array, top, manifest) from a YAML config", cmd_gen},
      {"sim", "cycles, stalls and memory traffic of GEMMs on the SystemC accelerator model", cmd_sim},
      {"cosim", "co-simulate the behavioural model and the verilated RTL against the reference", cmd_cosim},
      {"synth", "Yosys synthesis: area per part and energy per MAC (gate-level activity), per format", cmd_synth},
      {"sweep", "design-space sweep from a sweep file: points in parallel, CSV/JSON/report/plots", cmd_sweep},
      {"point", "run one design point of a sweep file (what sweep, ninja and Slurm run)", cmd_point},
      {"collect", "merge the point results of a sweep directory into results, report and plots", cmd_collect},
      {"gemm", "one GEMM from a tensorcore file under an accumulation model (e.g. the H200's bits)", cmd_gemm},
      {"accum-study", "relative GEMM error versus K of every accumulation mode, with area/energy (report, plot)", cmd_accum_study},
  };
  return list;
}

}  // namespace macforge::cli

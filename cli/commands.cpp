// The subcommand registry. A subcommand lives in its own cmd_NAME.cpp and is
// listed here once.
#include "cli/command.hpp"

namespace macforge::cli {

int cmd_formats(const std::vector<std::string>& args);
int cmd_quantize(const std::vector<std::string>& args);
int cmd_qsnr(const std::vector<std::string>& args);

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"formats", "list the number formats (bits, range, block, scale)", cmd_formats},
      {"quantize", "quantize float32 values to a format; CSV of codes and values", cmd_quantize},
      {"qsnr", "QSNR and crest factor of a format on random data (JSON)", cmd_qsnr},
  };
  return list;
}

}  // namespace macforge::cli

#include "cli/options.hpp"

#include <iostream>

#include "cli/command.hpp"

namespace macforge::cli {

bool parse_options(const std::string& command, const std::string& usage,
                   po::options_description& desc, const std::vector<std::string>& args,
                   po::variables_map& vm, const po::positional_options_description* positional) {
  desc.add_options()("help,h", "print this help and exit");
  try {
    po::command_line_parser parser(args);
    parser.options(desc);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << usage << "\n\n" << desc << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError("macforge " + command + ": " + e.what() + " (see 'macforge " + command +
                     " --help')");
  }
  return true;
}

}  // namespace macforge::cli

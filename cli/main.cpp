// macforge: dispatches to the subcommand named first; each subcommand owns its
// options and help text.
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "numerics/elem_format.hpp"

using namespace macforge::cli;

namespace {

void print_help() {
  std::cout << "macforge: number-format and hardware co-design of AI MAC arrays\n\n"
               "usage: macforge COMMAND [OPTIONS]   (macforge COMMAND --help for details)\n\n"
               "commands:\n";
  for (const Command& c : commands()) {
    std::string n = c.name;
    n.resize(12, ' ');
    std::cout << "  " << n << c.summary << "\n";
  }
  std::cout << "\nexit codes: 0 success, 1 runtime failure, 2 usage or configuration error\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    if (args.size() >= 2 && args[0] == "help") args = {args[1], "--help"};
    else {
      print_help();
      return args.empty() ? 2 : 0;
    }
  }
  if (args[0] == "--version") {
    std::cout << "macforge " << MACFORGE_VERSION << "\n";
    return 0;
  }
  for (const Command& c : commands()) {
    if (args[0] != c.name) continue;
    try {
      return c.run(std::vector<std::string>(args.begin() + 1, args.end()));
    } catch (const UsageError& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 2;
    } catch (const macforge::FormatError& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 2;
    } catch (const RuntimeError& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 1;
    }
  }
  std::string names;
  for (const Command& c : commands()) names += (names.empty() ? "" : ", ") + std::string(c.name);
  std::cerr << "error: unknown command '" << args[0] << "' (valid: " << names << ")\n";
  return 2;
}

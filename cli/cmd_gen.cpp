// macforge gen: a YAML/JSON config in, a self-contained directory of Verilog
// (PE, array, top, primitives), files.f and manifest.json out.
#include <iostream>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "gen/config.hpp"
#include "gen/generate.hpp"
#include "gen/manifest.hpp"

namespace macforge::cli {
namespace {

const char* kUsage =
    "usage: macforge gen CONFIG.yaml -o DIR\n"
    "       macforge gen CONFIG.yaml --check\n\n"
    "Generates a MAC array from CONFIG (YAML or JSON; every key and default in docs/config.md):\n"
    "DIR/<name>_top.v (the streaming interface), <name>_array.v, <name>_pe.v, the rtl/ primitives\n"
    "they instantiate, files.f (compile order) and manifest.json (ports, latency, schedule,\n"
    "resolved parameters, config hash). Everything is written to a temporary directory first and\n"
    "renamed into place: a failure leaves no files. DIR may not exist, be empty, or hold an earlier\n"
    "macforge output, which is replaced. Lint the result with\n"
    "  verilator --lint-only -Wall -F DIR/files.f --top-module <name>_top\n"
    "--check validates CONFIG and prints the resolved config (all defaults filled in) instead.\n"
    "A config error is one line FILE:LINE:COL: FIELD: problem (allowed: ...), exit code 2.";

}  // namespace

int cmd_gen(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("config", po::value<std::string>()->required(), "the configuration file")(
      "out,o", po::value<std::string>(), "output directory")(
      "check", po::bool_switch(), "validate and print the resolved config; write nothing");
  po::positional_options_description pos;
  pos.add("config", 1);
  po::variables_map vm;
  if (!parse_options("gen", kUsage, desc, args, vm, &pos)) return 0;

  std::string path = vm["config"].as<std::string>();
  gen::ArrayConfig cfg = gen::load_config(path);  // ConfigError: exit 2
  if (vm["check"].as<bool>()) {
    std::cout << "# config hash fnv1a64:" << gen::hex64(cfg.hash()) << "\n" << gen::to_yaml(cfg);
    return 0;
  }
  if (!vm.count("out")) throw UsageError("macforge gen: -o DIR is required (or --check)");
  gen::GenerateResult r;
  try {
    r = gen::generate(cfg, vm["out"].as<std::string>(), std::string("macforge ") + MACFORGE_VERSION);
  } catch (const FormatError& e) {
    throw UsageError(path + ": " + e.what());  // a combination the PE generator rejects
  } catch (const gen::GenerateError& e) {
    throw RuntimeError(e.what());
  }
  std::cout << r.dir << ": " << r.files.size() << " Verilog files, top " << r.top << ", manifest.json\n";
  return 0;
}

}  // namespace macforge::cli

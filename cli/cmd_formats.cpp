// macforge formats: the table of element and block formats.
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "numerics/block_format.hpp"

namespace macforge::cli {
namespace {

const char* kUsage =
    "usage: macforge formats [--json]\n\n"
    "Lists every preset format: element bits, largest finite value, smallest normal and\n"
    "subnormal (in the element's own units; MX integers are shown as integers), block size,\n"
    "block scale and default scaling rule. Any other element (eXmY, intN) or block format\n"
    "(ELEM/BLOCK/SCALE, e.g. fp8_e4m3/64/e8m0, int8/channel/fp32) is accepted wherever a\n"
    "format is asked for.";

std::string num(double v) {
  std::ostringstream s;
  s << std::setprecision(9) << v;
  return s.str();
}

}  // namespace

int cmd_formats(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("json", "print JSON instead of a Markdown table");
  po::variables_map vm;
  if (!parse_options("formats", kUsage, desc, args, vm)) return 0;

  std::vector<BlockFormat> list;
  for (const char* e : {"fp8_e4m3", "fp8_e5m2", "fp6_e2m3", "fp6_e3m2", "fp4_e2m1", "bf16", "fp16",
                        "fp32", "int8", "int6", "int4"})
    list.push_back(parse_block_format(e));
  for (const std::string& p : block_preset_names()) list.push_back(parse_block_format(p));

  if (vm.count("json")) {
    std::cout << "[\n";
    for (size_t i = 0; i < list.size(); ++i) {
      const BlockFormat& f = list[i];
      std::cout << "  {\"name\": \"" << f.name << "\", \"element\": \"" << f.elem.name
                << "\", \"bits\": " << f.elem.bits << ", \"max\": " << num(f.elem.max_finite())
                << ", \"min_normal\": " << num(f.elem.min_normal())
                << ", \"min_subnormal\": " << num(f.elem.min_subnormal()) << ", \"block\": \""
                << f.describe_block() << "\", \"scale\": \"" << f.scale_name()
                << "\", \"rule\": \"" << rule_name(f.default_rule) << "\"}"
                << (i + 1 < list.size() ? ",\n" : "\n");
    }
    std::cout << "]\n";
    return 0;
  }
  std::cout << "| format | element | bits | max | min normal | min subnormal | block | scale | rule |\n"
               "|---|---|---|---|---|---|---|---|---|\n";
  for (const BlockFormat& f : list)
    std::cout << "| " << f.name << " | " << f.elem.name << " | " << f.elem.bits << " | "
              << num(f.elem.max_finite()) << " | " << num(f.elem.min_normal()) << " | "
              << num(f.elem.min_subnormal()) << " | " << f.describe_block() << " | "
              << f.scale_name() << " | " << rule_name(f.default_rule) << " |\n";
  return 0;
}

}  // namespace macforge::cli

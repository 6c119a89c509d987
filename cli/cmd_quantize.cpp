// macforge quantize: float32 values in, codes and dequantized values out (CSV).
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "numerics/quantize.hpp"

namespace macforge::cli {
namespace {

const char* kUsage =
    "usage: macforge quantize --format F [--rule ocp|ceil|nv|absmax|cast] [--in FILE|-] [--out FILE|-]\n\n"
    "Reads one float32 per line, decimal (1.5, -3e-2, inf, nan) or the bits in hex with a 0x\n"
    "prefix (0x3fc00000). Consecutive runs of block-size values form blocks; the whole input is\n"
    "one tensor (one row). Writes CSV: index,input_f32_hex,scale_code_hex,elem_code_hex,\n"
    "output_f32_hex, plus tensor_scale_f32_hex (the decode scale gD) for NV formats. The scale\n"
    "column holds the block's e8m0/ue4m3 code, the fp32 scale's bits for per-tensor/channel\n"
    "formats, or 0x00 for an unscaled cast. Blank lines and lines starting with # are skipped.";

std::string hex(uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", digits, v);
  return buf;
}

// Parses one input line: decimal float or 0x-prefixed float32 bits.
bool parse_value(const std::string& s, float& out) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (s.size() > 10) return false;
    char* end;
    unsigned long b = std::strtoul(s.c_str() + 2, &end, 16);
    if (*end) return false;
    out = f32_from_bits(uint32_t(b));
    return true;
  }
  char* end;
  errno = 0;
  out = std::strtof(s.c_str(), &end);
  return end != s.c_str() && *end == 0;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace

int cmd_quantize(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("format,f", po::value<std::string>()->required(), "format name (see 'macforge formats')")(
      "rule,r", po::value<std::string>(), "scaling rule (default: the format's)")(
      "in,i", po::value<std::string>()->default_value("-"), "input file, - for stdin")(
      "out,o", po::value<std::string>()->default_value("-"), "output CSV, - for stdout");
  po::variables_map vm;
  if (!parse_options("quantize", kUsage, desc, args, vm)) return 0;

  BlockFormat fmt = parse_block_format(vm["format"].as<std::string>());
  Rule rule = vm.count("rule") ? parse_rule(vm["rule"].as<std::string>()) : fmt.default_rule;
  check_rule(fmt, rule);

  std::string in_path = vm["in"].as<std::string>();
  std::ifstream file;
  if (in_path != "-") {
    file.open(in_path);
    if (!file.good()) throw UsageError(in_path + ": cannot read the input file (--in; - reads stdin)");
  }
  std::istream& in = in_path == "-" ? std::cin : file;
  std::vector<float> x;
  std::string line;
  for (size_t lineno = 1; std::getline(in, line); ++lineno) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    float v;
    if (!parse_value(t, v))
      throw UsageError(in_path + ":" + std::to_string(lineno) + ": malformed number '" + t +
                       "' (expected a decimal float or 0x followed by 1-8 hex digits)");
    x.push_back(v);
  }
  if (in.bad()) throw RuntimeError("error reading '" + in_path + "'");
  if (x.empty()) throw UsageError(in_path + ": no input values");
  if (rule == Rule::Nv)
    for (size_t i = 0; i < x.size(); ++i)
      if (!std::isfinite(x[i]))
        throw UsageError(in_path + ": value " + std::to_string(i) +
                         " is not finite; the nv rule is defined for finite inputs only");

  QMatrix q = quantize(fmt, rule, x.data(), 1, x.size());
  int edig = (fmt.elem.bits + 3) / 4;
  AtomicOutput out(vm["out"].as<std::string>());
  std::ostream& os = out.stream();
  os << "index,input_f32_hex,scale_code_hex,elem_code_hex,output_f32_hex";
  if (fmt.has_tensor_scale()) os << ",tensor_scale_f32_hex";
  os << "\n";
  for (size_t i = 0; i < x.size(); ++i) {
    std::string sc = "0x00";
    if (fmt.has_block_scale()) sc = hex(q.scale_codes[i / q.block_len()], 2);
    else if (fmt.has_fp32_scale()) sc = hex(f32_bits(q.chan_scale[0]), 8);
    os << i << "," << hex(f32_bits(x[i]), 8) << "," << sc << "," << hex(q.codes[i], edig) << ","
       << hex(f32_bits(q.dequant[i]), 8);
    if (fmt.has_tensor_scale()) os << "," << hex(f32_bits(q.tensor_gd), 8);
    os << "\n";
  }
  out.commit();
  return 0;
}

}  // namespace macforge::cli

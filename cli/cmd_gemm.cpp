// macforge gemm: one GEMM from a tensorcore file (shared/ref/tensorcore/
// README.md) under an accumulation model, e.g. to reproduce an H200's bits.
#include <iostream>
#include <sstream>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/output.hpp"
#include "numerics/dot.hpp"

namespace macforge::cli {
namespace {

std::string usage_text() {
  std::ostringstream s;
  s << "usage: macforge gemm --in FILE [--accum MODE] [--out OUT] [--check]\n\n"
       "Reads a GEMM D = A x B^T in the tensorcore text format (a, b, out, M, N, K, A, B and\n"
       "optionally D; shared/ref/tensorcore/README.md) and computes D with the accumulation\n"
       "MODE: M lines of N hex words, float32 bits (8 digits) or bfloat16 bits (4 digits, the\n"
       "float32 result rounded to nearest even) as the file's `out` says, one space apart.\n"
       "D goes to OUT (written whole or not at all) or to stdout; nothing else is printed.\n\n"
       "--accum defaults to the file's use_fast_accum: 1 -> hopper-fp8, 0 -> hopper-fp8-cublas.\n"
       "MODE is exact-block, aligned:W, fused:g=G,f=F,align=rz|rne,acc=f32|e8mN,accround=rz|rne,\n"
       "accin=0|1,p=P,q=Q (docs/accumulation.md), or a preset:\n";
  for (const FusedPreset& p : fused_presets()) s << "  " << p.name << ": " << p.source << "\n";
  s << "\n--check compares the result with the file's own D and prints one line\n"
       "`equal N/TOTAL` on stdout (D itself then goes only to --out, if given). Exit 0 when\n"
       "every output word is equal, 1 when any differs, 2 for usage errors, malformed files\n"
       "(FILE:LINE: problem) or a --check on a file without D.";
  return s.str();
}

}  // namespace

int cmd_gemm(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("in,i", po::value<std::string>(), "tensorcore file")(
      "accum,a", po::value<std::string>(), "accumulation mode or preset (default: from use_fast_accum)")(
      "out,o", po::value<std::string>(), "write D here (default: stdout)")(
      "check", "compare with the file's D; print `equal N/TOTAL`; exit 1 unless all equal");
  po::variables_map vm;
  std::string usage = usage_text();
  if (!parse_options("gemm", usage, desc, args, vm)) return 0;
  if (!vm.count("in")) throw UsageError("macforge gemm: --in FILE is required (see 'macforge gemm --help')");

  // The mode is checked before the (possibly large) file is read.
  AccumSpec acc;
  bool have_acc = vm.count("accum") > 0;
  if (have_acc) acc = parse_accum(vm["accum"].as<std::string>());
  TensorcoreGemm g = read_tensorcore(vm["in"].as<std::string>());
  if (!have_acc) {
    if (g.fast_accum < 0)
      throw UsageError("macforge gemm: " + vm["in"].as<std::string>() +
                       " has no use_fast_accum line: give --accum (see 'macforge gemm --help')");
    acc = parse_accum(g.fast_accum ? "hopper-fp8" : "hopper-fp8-cublas");
  }
  bool check = vm.count("check") > 0;
  if (check && g.D.empty())
    throw UsageError("macforge gemm --check: " + vm["in"].as<std::string>() + " has no D to compare with");

  std::vector<uint32_t> words = output_words(gemm(g.A, g.B, acc), g.out_bf16);
  std::string text = format_words(words, g.M, g.N, g.out_bf16);
  if (vm.count("out")) write_file_atomic(vm["out"].as<std::string>(), text);
  else if (!check) std::cout << text;
  if (!check) return 0;
  size_t equal = 0;
  for (size_t i = 0; i < words.size(); ++i) equal += words[i] == g.D[i];
  std::cout << "equal " << equal << "/" << words.size() << "\n";
  return equal == words.size() ? 0 : 1;
}

}  // namespace macforge::cli

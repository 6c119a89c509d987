// Writes the Verilog of the PE test suites (and of single PEs, for lint and
// manual inspection).
//
//   pe_testgen suite NAME DIR      DIR/pes.v, DIR/tb.v and the primitives
//   pe_testgen lint DIR            one DIR/<module>.v per lint config, DIR/list.txt
//   pe_testgen pe DIR MODULE A B LANES ACCUM PIPELINE int|ext [MULTIPLIER]
//   pe_testgen mul DIR             the float32 multiplier primitive's files
//   pe_testgen replay NAME FILE VECTORS   iverilog testbench replaying recorded vectors
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "suites.hpp"

using namespace macforge;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

void copy_files(const std::vector<std::string>& files, const fs::path& dir) {
  for (const std::string& f : files)
    fs::copy_file(f, dir / fs::path(f).filename(), fs::copy_options::overwrite_existing);
}

int usage() {
  std::cerr << "usage: pe_testgen suite NAME DIR | lint DIR | mul DIR | replay NAME FILE VECTORS |\n"
               "       pe DIR MODULE A B LANES ACCUM PIPELINE int|ext [booth4|array|behavioural]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 3) return usage();
    std::string cmd = argv[1];
    if (cmd == "suite" && argc == 4) {
      rtl_pe::Suite s = rtl_pe::make_suite(argv[2]);
      fs::path dir = argv[3];
      fs::create_directories(dir);
      std::ostringstream pes;
      for (const gen::PeSpec& p : s.pes) gen::emit_pe(p, pes);
      write(dir / "pes.v", pes.str());
      write(dir / "tb.v", rtl_pe::tb_verilog(s));
      copy_files(gen::pe_primitive_files(s.pes.at(0)), dir);
      return 0;
    }
    if (cmd == "replay" && argc == 5) {
      rtl_pe::Suite s = rtl_pe::make_suite(argv[2]);
      write(fs::path(argv[3]), rtl_pe::replay_verilog(s, argv[4]));
      return 0;
    }
    if (cmd == "lint" && argc == 3) {
      fs::path dir = argv[2];
      fs::create_directories(dir);
      std::string list;
      for (const gen::PeSpec& p : rtl_pe::lint_specs()) {
        gen::emit_pe(p, dir.string());
        list += p.module_name + " " + p.a.name + " " + p.b.name + " lanes=" + std::to_string(p.lanes) + " " +
                p.accum.name() + " pipeline=" + std::to_string(p.pipeline) +
                (p.acc_source == gen::AccSource::External ? " external" : " internal") +
                (p.modes > 1 ? std::string(" mode1 ") + p.a1.name + " " + p.b1.name + " reuse " + gen::reuse_name(p.reuse)
                             : std::string()) +
                " multiplier " + gen::multiplier_name(p.multiplier) + "\n";
      }
      write(dir / "list.txt", list);
      return 0;
    }
    if (cmd == "mul" && argc == 3) {
      fs::path dir = argv[2];
      fs::create_directories(dir);
      copy_files(gen::fp32_mul_primitive_files(), dir);
      return 0;
    }
    if (cmd == "pe" && (argc == 10 || argc == 11)) {
      gen::PeSpec p;
      p.module_name = argv[3];
      p.a = parse_block_format(argv[4]);
      p.b = parse_block_format(argv[5]);
      p.lanes = std::stoi(argv[6]);
      p.accum = parse_accum(argv[7]);
      p.accum.lanes = p.lanes;
      p.pipeline = std::stoi(argv[8]);
      p.acc_source = std::string(argv[9]) == "ext" ? gen::AccSource::External : gen::AccSource::Internal;
      if (argc == 11) {
        std::string m = argv[10];
        if (m == "booth4") p.multiplier = gen::Multiplier::Booth4;
        else if (m == "array") p.multiplier = gen::Multiplier::Array;
        else if (m == "behavioural") p.multiplier = gen::Multiplier::Behavioural;
        else throw std::invalid_argument("unknown multiplier '" + m + "' (allowed: " + gen::kMultiplierChoices + ")");
      }
      gen::PeInfo info = gen::emit_pe(p, std::string(argv[2]));
      gen::PeWidths w = gen::pe_widths(p);
      std::cout << info.module_name << ": latency " << info.latency << ", group " << info.group
                << ", lane product " << w.lane_product << ", lane value " << w.lane_value << ", chunk sum "
                << w.chunk_sum << ", group sum " << w.group_sum << ", normalized " << w.norm_sig << ", exponent "
                << w.exp_bits << ", adder window " << w.add_window << "\n";
      for (const std::string& c : w.cuts) std::cout << "  cut: " << c << "\n";
      return 0;
    }
    return usage();
  } catch (const std::exception& e) {
    std::cerr << "pe_testgen: " << e.what() << "\n";
    return 1;
  }
}

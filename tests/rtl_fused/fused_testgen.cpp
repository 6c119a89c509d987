// Writes the fused-mode PEs of cases.hpp (one directory of .v files per PE,
// for the lint test), their concatenation pes.v and the test top tb.v (one
// shared input bus, `sel` picks the PE that sees in_valid).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cases.hpp"
#include "gen/pe_emit.hpp"

using namespace macforge;
using namespace macforge::gen;

static void write(const std::string& path, const std::string& text) {
  std::ofstream o(path + ".tmp");
  o << text;
  o.close();
  if (!o || std::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
    std::cerr << "fused_testgen: cannot write " << path << "\n";
    std::exit(1);
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fused_testgen OUT_DIR\n";
    return 2;
  }
  std::string dir = argv[1];
  std::ostringstream pes, tb, names;
  tb << "// Test top of tests/rtl_fused: every PE on one input bus.\n"
        "module tb (\n  input  wire clk,\n  input  wire rst,\n  input  wire [7:0] sel,\n"
        "  input  wire in_valid,\n  input  wire in_first,\n  input  wire in_last,\n"
        "  input  wire [255:0] in_a,\n  input  wire [255:0] in_b,\n  input  wire [7:0] in_a_scale,\n"
        "  input  wire [7:0] in_b_scale,\n  output wire out_valid,\n"
        "  output wire [31:0] out_acc\n);\n";
  tb << "  wire [" << fused_test::kNumCases - 1 << ":0] v;\n  wire [" << 32 * fused_test::kNumCases - 1 << ":0] r;\n";
  std::string ors = "32'd0";
  try {
    for (int i = 0; i < fused_test::kNumCases; ++i) {
      const fused_test::Case& c = fused_test::kCases[i];
      PeSpec s;
      s.module_name = std::string("pe_") + c.name;
      s.a = parse_block_format(c.a);
      s.b = parse_block_format(c.b);
      s.accum = parse_accum(c.accum);
      s.lanes = s.accum.fused.terms;
      s.pipeline = c.pipeline;
      PeInfo info = pe_info(s);
      std::string sub = dir + "/" + s.module_name;
      std::string cmd = "mkdir -p '" + sub + "'";
      if (std::system(cmd.c_str()) != 0) return 1;
      for (const PeFile& f : pe_files(s)) {
        write(sub + "/" + f.name, f.text);
        pes << f.text;
      }
      names << s.module_name << "\n";
      tb << "  " << s.module_name << " u" << i << " (.clk(clk), .rst(rst), .in_valid(in_valid & (sel == 8'd" << i
         << ")), .in_first(in_first), .in_blk_last(1'b1), .in_last(in_last), .in_a(in_a[" << info.a_port_bits - 1
         << ":0]), .in_b(in_b[" << info.b_port_bits - 1 << ":0]), " << (info.a_scale ? ".in_a_scale(in_a_scale), " : "")
         << (info.b_scale ? ".in_b_scale(in_b_scale), " : "") << ".out_valid(v[" << i << "]), .out_acc(r[" << 32 * i
         << " +: 32]));\n";
      ors += " | (v[" + std::to_string(i) + "] ? r[" + std::to_string(32 * i) + " +: 32] : 32'd0)";
    }
  } catch (const std::exception& e) {
    std::cerr << "fused_testgen: " << e.what() << "\n";
    return 1;
  }
  tb << "  assign out_valid = |v;\n  assign out_acc = " << ors << ";\nendmodule\n";
  write(dir + "/pes.v", pes.str());
  write(dir + "/tb.v", tb.str());
  write(dir + "/names.txt", names.str());
  return 0;
}

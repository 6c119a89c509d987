// Writes the Verilog of the multiplier test (tests/gen_mult/CMakeLists.txt):
//   mult_testgen DIR
// DIR/<module>.v   one file per generated multiplier / fused dot-product module
// DIR/tb.v         a top instantiating all of them
// DIR/cases.inc    the cases for the C++ harness (mult_main.cpp)
// Single multipliers share the top inputs a[7:0], b[7:0] (each takes its low
// bits), so one sweep of all 2^16 pairs enumerates every case exhaustively.
// Fused modules get their own inputs fa_K, fb_K and output fp_K.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "gen/pe/booth_multiplier.hpp"

using namespace macforge::gen::pe;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

const char* kind_name(PpKind k) { return k == PpKind::Booth4 ? "booth" : "array"; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: mult_testgen DIR\n";
    return 2;
  }
  fs::path dir = argv[1];
  fs::create_directories(dir);
  std::ostringstream tb, inc, files;
  tb << "// Test top of the generated multipliers (mult_testgen).\nmodule tb (\n  input  wire [7:0] a,\n"
        "  input  wire [7:0] b";
  std::ostringstream body;
  const int shapes[][2] = {{4, 4}, {6, 6}, {8, 8}, {8, 4}, {4, 8}, {6, 8}, {3, 5}, {2, 2}};
  int k = 0;
  for (PpKind kind : {PpKind::Booth4, PpKind::Array})
    for (FaStyle style : {FaStyle::Add, FaStyle::Gates})
      for (const auto& sh : shapes)
        for (int sg = 0; sg < 4; ++sg, ++k) {
          int na = sh[0], nb = sh[1];
          bool sa = sg & 1, sb = sg & 2;
          std::string name = std::string("m") + kind_name(kind) + (style == FaStyle::Add ? "" : "_g") + "_" +
                             std::to_string(na) + (sa ? "s" : "u") + std::to_string(nb) + (sb ? "s" : "u");
          write(dir / (name + ".v"), multiplier_module(name, kind, na, sa, nb, sb, style));
          files << name << ".v\n";
          tb << ",\n  output wire [" << na + nb - 1 << ":0] p_" << k;
          body << "  " << name << " u_" << k << " (.a(a[" << na - 1 << ":0]), .b(b[" << nb - 1 << ":0]), .p(p_" << k
               << "));\n";
          inc << "MUL(" << k << ", " << na << ", " << sa << ", " << nb << ", " << sb << ")\n";
        }
  // Fused lanes: widths and signedness of the INT x INT, INT x FP-significand
  // and FP x FP cases, lanes at static left shifts as aligned:W places them.
  struct F {
    int na;
    bool sa;
    int nb;
    bool sb;
  };
  const F fshapes[] = {{8, true, 8, true}, {4, true, 4, true}, {8, true, 4, false}, {6, false, 6, false}};
  int f = 0;
  for (PpKind kind : {PpKind::Booth4, PpKind::Array})
    for (int lanes : {2, 4, 8})
      for (const F& s : fshapes)
        for (bool shifted : {false, true}) {
          std::vector<int> shifts;
          int maxsh = 0;
          for (int l = 0; l < lanes; ++l) {
            shifts.push_back(shifted ? (l * 3) % 5 : 0);
            maxsh = std::max(maxsh, shifts.back());
          }
          int lg = 0;
          while ((1 << lg) < lanes) ++lg;
          int W = s.na + s.nb + lg + maxsh + 1;
          std::string name = std::string("f") + kind_name(kind) + "_" + std::to_string(lanes) + "x" +
                             std::to_string(s.na) + (s.sa ? "s" : "u") + std::to_string(s.nb) + (s.sb ? "s" : "u") +
                             (shifted ? "_sh" : "");
          write(dir / (name + ".v"), fused_dot_module(name, kind, lanes, s.na, s.sa, s.nb, s.sb, shifts, W));
          files << name << ".v\n";
          tb << ",\n  input  wire [" << lanes * s.na - 1 << ":0] fa_" << f << ",\n  input  wire ["
             << lanes * s.nb - 1 << ":0] fb_" << f << ",\n  output wire [" << W - 1 << ":0] fp_" << f;
          body << "  " << name << " uf_" << f << " (.a(fa_" << f << "), .b(fb_" << f << "), .p(fp_" << f << "));\n";
          inc << "FUSED(" << f << ", " << lanes << ", " << s.na << ", " << s.sa << ", " << s.nb << ", " << s.sb << ", "
              << W;
          for (int x : shifts) inc << ", " << x;
          inc << ")\n";
          ++f;
        }
  tb << "\n);\n" << body.str() << "endmodule\n";
  write(dir / "tb.v", tb.str());
  write(dir / "cases.inc", inc.str());
  write(dir / "files.txt", files.str());
  return 0;
}

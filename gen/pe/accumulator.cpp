// The group accumulator and the float32 accumulate (gen/pe/accumulator.hpp).
#include "gen/pe/accumulator.hpp"

#include <string>
#include <utility>
#include <vector>

namespace macforge::gen::pe {

Bundle emit_group_accumulator(std::ostream& o, const Geometry& g, const Bundle& c) {
  int GW = g.gw;
  o << "\n  // Group accumulator: sums the chunks of a group exactly; g_* hold a complete\n"
       "  // group in the cycle after its last chunk.\n";
  o << "  reg         g_valid;\n  reg  " << rng(GW) << "g_sum;\n";
  Bundle gb;
  gb.add("valid", "g_valid", 1, true);
  std::vector<std::pair<std::string, int>> carried;  // captured from the chunk
  if (g.internal) carried.push_back({"last", 1});
  if (g.A.scaled()) carried.push_back({"as", g.A.scale_code_bits()});
  if (g.B.scaled()) carried.push_back({"bs", g.B.scale_code_bits()});
  if (!g.internal) carried.push_back({"acc", 32});
  if (g.chunk_emax() && g.cpg == 1) carried.push_back({"emax", g.epw});
  std::vector<std::string> sticky;  // OR-ed over the chunks of a group
  if (g.internal) sticky.push_back("first");
  if (g.lane_nan()) sticky.push_back("nan");
  if (g.has_inf) {
    sticky.push_back("pinf");
    sticky.push_back("ninf");
  }
  for (auto& [k, w] : carried) o << "  reg  " << rng(w) << "g_" << k << ";\n";
  for (auto& k : sticky) o << "  reg         g_" << k << ";\n";
  if (g.cpg == 1) {
    o << "  // One chunk per group: in_blk_last is set on every chunk.\n";
    o << "  always @(posedge clk) begin\n";
    o << "    if (rst) g_valid <= 1'b0;\n    else     g_valid <= " << c["valid"] << " & " << c["blk"] << ";\n";
    o << "    if (" << c["valid"] << ") begin\n";
    o << "      g_sum <= " << c["sum"] << ";\n";
    for (auto& k : sticky) o << "      g_" << k << " <= " << c[k] << ";\n";
    for (auto& [k, w] : carried) o << "      g_" << k << " <= " << c[k] << ";\n";
    o << "    end\n  end\n";
  } else {
    std::string add;
    if (!g.aligned) {
      o << "  wire " << rng(g.csw) << "c_in = " << c["sum"] << ";\n";
      add = sext("c_in", g.csw, GW);
    } else {
      o << "  wire " << rng(g.csw) << "c_in = " << c["sum"] << ";\n";
      std::string sh = g.chunk_emax() ? c["emax"] : "";
      if (g.umin >= 0) {
        std::string placed = g.umin > 0 ? "{" + sext("c_in", g.csw, GW - g.umin) + ", " + S(g.umin) + "'d0}"
                                        : sext("c_in", g.csw, GW);
        o << "  // The chunk sum's unit is 2^(emax + " << g.umin << ") group lsbs.\n";
        o << "  wire " << rng(GW) << "c_add = " << placed << (sh.empty() ? "" : " << " + sh) << ";\n";
      } else {
        int r = -g.umin;
        o << "  // The chunk sum's unit is 2^(emax - " << r
          << ") group lsbs; below the group lsb it is zero\n"
             "  // (those products were exact), so the low bits are dropped unread.\n";
        o << "  /* verilator lint_off UNUSEDSIGNAL */\n";
        o << "  wire " << rng(GW + r) << "c_wide = " << sext("c_in", g.csw, GW + r) << " << " << sh << ";\n";
        o << "  /* verilator lint_on UNUSEDSIGNAL */\n";
        o << "  wire " << rng(GW) << "c_add = " << slice("c_wide", r, GW) << ";\n";
      }
      add = "c_add";
    }
    o << "  reg         g_open;  // a group has begun and not yet ended\n";
    o << "  always @(posedge clk) begin\n";
    o << "    if (rst) begin\n      g_valid <= 1'b0;\n      g_open  <= 1'b0;\n    end else begin\n";
    o << "      g_valid <= " << c["valid"] << " & " << c["blk"] << ";\n";
    o << "      if (" << c["valid"] << ") g_open <= ~" << c["blk"] << ";\n    end\n";
    o << "    if (" << c["valid"] << ") begin\n";
    o << "      g_sum <= (g_open ? g_sum : " << cst(GW, 0) << ") + " << add << ";\n";
    for (auto& k : sticky) o << "      g_" << k << " <= (g_open & g_" << k << ") | " << c[k] << ";\n";
    for (auto& [k, w] : carried) o << "      g_" << k << " <= " << c[k] << ";\n";
    o << "    end\n  end\n";
  }
  for (auto& k : sticky) gb.add(k, "g_" + k, 1);
  for (auto& [k, w] : carried) gb.add(k, "g_" + k, w);
  gb.add("sum", "g_sum", GW);
  return gb;
}

void emit_fadd_module(std::ostream& o, const Geometry& g) {
  const std::string name = g.spec.module_name + "_fadd";
  int NW = g.mw, EW = g.ew, NWIN = g.nwin;
  int SHW = bitlen(NWIN + 1);
  int LZW = lzc_bits(NWIN + 2);
  o << "// Float32 accumulate: sum = RNE32(acc + v), v = (-1)^v_sgn * v_sig * 2^(v_exp - 127 - " << NW - 1
    << ")\n"
       "// exact (v_sig normalized, MSB set). A single-path adder whose window holds the\n"
       "// whole of v: the operand with the higher frame stays, the other is shifted right\n"
       "// with a sticky bit; the window is wide enough that a cancelling subtraction is\n"
       "// exact and any other case has >= 2 bits below the rounding position (round to\n"
       "// odd, then RNE once = RNE). Subnormal results come from capping the\n"
       "// normalization shift at the subnormal frame. IEEE specials per FORMATS.md s5.\n";
  std::vector<PortDecl> ports = {"input  wire [31:0] acc", "input  wire v_sgn", "input  wire " + rng(NW) + "v_sig",
                                    "input  wire " + rng(EW) + "v_exp", "input  wire v_zero"};
  if (g.has_nan) ports.push_back("input  wire v_nan");
  if (g.has_inf) {
    ports.push_back("input  wire v_inf");
    ports.push_back("input  wire v_isgn");
  }
  ports.push_back("output wire [31:0] sum");
  o << "module " << name << " (\n" << join_ports(ports) << ");\n";
  o << "  wire        a_sgn = acc[31];\n"
       "  wire [7:0]  a_ef  = acc[30:23];\n"
       "  wire [22:0] a_mf  = acc[22:0];\n"
       "  wire        a_nrm = |a_ef;\n"
       "  wire        a_top = &a_ef;\n"
       "  wire        a_nan = a_top & |a_mf;\n"
       "  wire        a_inf = a_top & ~|a_mf;\n";
  o << "  // Frame of acc: max(e,1) (a subnormal sits in the smallest normal frame).\n";
  o << "  wire " << rng(EW) << "a_exp = {" << (EW > 8 ? S(EW - 8) + "'d0, " : "") << "a_ef[7:1], a_ef[0] | ~a_nrm};\n";
  o << "  // Both significands MSB-aligned in an " << NWIN << "-bit window.\n";
  o << "  wire " << rng(NWIN) << "a_win = {a_nrm, a_mf, " << NWIN - 24 << "'d0};\n";
  o << "  wire " << rng(NWIN) << "v_win = {v_sig, " << NWIN - NW << "'d0};\n";
  o << "  wire " << rng(EW) << "d = a_exp - v_exp;\n";
  o << "  wire        v_big = d[" << EW - 1 << "];\n";
  o << "  wire " << rng(EW) << "d_abs = v_big ? -d : d;\n";
  o << "  // Shifting by more than the window leaves only the sticky bit.\n";
  o << "  wire " << rng(SHW) << "sh = (d_abs > " << cst(EW, NWIN + 1) << ") ? " << cst(SHW, NWIN + 1) << " : "
    << slice("d_abs", 0, SHW) << ";\n";
  o << "  wire " << rng(NWIN) << "big = v_big ? v_win : a_win;\n";
  o << "  wire " << rng(NWIN) << "sml = v_big ? a_win : v_win;\n";
  o << "  wire        big_sgn = v_big ? v_sgn : a_sgn;\n";
  o << "  wire        sml_sgn = v_big ? a_sgn : v_sgn;\n";
  o << "  wire " << rng(EW) << "big_exp = v_big ? v_exp : a_exp;\n";
  o << "  wire " << rng(NWIN) << "sml_sh = sml >> sh;\n";
  o << "  wire        sml_st = |(sml & ~({" << NWIN << "{1'b1}} << sh));\n";
  o << "  // A carry bit on top; the sticky bit as an extra lsb keeps the computed value\n"
       "  // strictly between the same two window grid points as the exact one.\n";
  o << "  wire " << rng(NWIN + 2) << "big_x = {1'b0, big, 1'b0};\n";
  o << "  wire " << rng(NWIN + 2) << "sml_x = {1'b0, sml_sh, sml_st};\n";
  o << "  wire        eff_sub = big_sgn ^ sml_sgn;\n";
  o << "  wire " << rng(NWIN + 2) << "raw = eff_sub ? big_x - sml_x : big_x + sml_x;\n";
  o << "  // Negative only when the lower frame held the larger magnitude (equal frames,\n"
       "  // or a subnormal acc).\n";
  o << "  wire        neg = eff_sub & raw[" << NWIN + 1 << "];\n";
  o << "  wire " << rng(NWIN + 2) << "mag = neg ? -raw : raw;\n";
  o << "  wire        r_sgn = neg ? sml_sgn : big_sgn;\n";
  o << "  wire " << rng(LZW) << "lz;\n";
  o << "  mf_lzc #(.W(" << NWIN + 2 << ")) u_lzc (.x(mag), .cnt(lz));\n";
  o << "  // Bit " << NWIN + 1 << " of mag has biased exponent big_exp + 1; a left shift by s gives\n"
       "  // big_exp + 1 - s, which must stay >= 1: s = min(lz, big_exp) (big_exp >= 1).\n";
  o << "  wire        lz_fits = " << zext("lz", LZW, EW) << " <= big_exp;\n";
  o << "  wire " << rng(LZW) << "s = lz_fits ? lz : " << slice("big_exp", 0, LZW) << ";\n";
  o << "  wire " << rng(NWIN + 2) << "nrm = mag << s;\n";
  o << "  wire " << rng(EW) << "r_exp = big_exp + " << cst(EW, 1) << " - " << zext("s", LZW, EW) << ";\n";
  o << "  wire        ovf = nrm[" << NWIN + 1 << "] & (r_exp >= " << cst(EW, 255) << ");\n";
  o << "  // No leading one at the top after the capped shift: a subnormal, field 0.\n";
  o << "  wire [7:0]  r_ef = nrm[" << NWIN + 1 << "] ? r_exp[7:0] : 8'd0;\n";
  o << "  wire [22:0] r_mf = nrm[" << NWIN << ":" << NWIN - 22 << "];\n";
  o << "  wire        r_grd = nrm[" << NWIN - 23 << "];\n";
  o << "  wire        r_st = |nrm[" << NWIN - 24 << ":0];\n";
  o << "  wire        r_up = r_grd & (r_st | r_mf[0]);\n";
  o << "  // The mantissa carry moves into the exponent field (also subnormal -> normal\n"
       "  // and 254 -> Inf).\n";
  o << "  wire [30:0] r_bits = {r_ef, r_mf} + {30'd0, r_up};\n";
  o << "  wire        mag_zero = ~|mag;\n";
  o << "  // Exact cancellation gives +0.\n";
  o << "  wire [31:0] fin = ovf ? {r_sgn, 8'hFF, 23'd0} : mag_zero ? 32'd0 : {r_sgn, r_bits};\n";
  std::string nan = "a_nan";
  if (g.has_nan) nan += " | v_nan";
  if (g.has_inf) nan += " | (v_inf & a_inf & (a_sgn ^ v_isgn))";
  o << "  // Specials: NaN sticks; Inf + -Inf = NaN; a finite value leaves Inf alone; a\n"
       "  // zero group value (zero sum, or a zero ue4m3 scale) is acc + 0: -0 becomes +0.\n";
  o << "  assign sum = (" << nan << ") ? 32'h7FC00000 :\n";
  if (g.has_inf) o << "               v_inf ? {v_isgn, 8'hFF, 23'd0} :\n";
  o << "               a_inf ? acc :\n";
  o << "               v_zero ? {acc[31] & |acc[30:0], acc[30:0]} :\n";
  o << "               fin;\n";
  o << "endmodule\n\n";
}

void emit_float_accumulate(std::ostream& o, const Geometry& g, const Bundle& n) {
  o << "\n  // Float32 accumulate (one rounding per group).\n";
  o << "  reg         o_valid;\n  reg  [31:0] acc_q;\n";
  o << "  wire [31:0] f_sum;\n";
  std::string acc_in;
  if (g.internal) {
    o << "  // The first group of a dot product starts from +0.0.\n";
    o << "  wire [31:0] f_acc = " << n["first"] << " ? 32'd0 : acc_q;\n";
    acc_in = "f_acc";
  } else {
    acc_in = n["acc"];
  }
  const std::string& P = g.spec.module_name;
  o << "  " << P << "_fadd u_fadd (.acc(" << acc_in << "), .v_sgn(" << n["sgn"] << "), .v_sig(" << n["sig"]
    << "), .v_exp(" << n["exp"] << "), .v_zero(" << n["zero"] << ")";
  if (g.has_nan) o << ", .v_nan(" << n["nan"] << ")";
  if (g.has_inf) o << ", .v_inf(" << n["inf"] << "), .v_isgn(" << n["isgn"] << ")";
  o << ", .sum(f_sum));\n";
  o << "  always @(posedge clk) begin\n";
  o << "    if (rst) begin\n      o_valid <= 1'b0;\n      acc_q   <= 32'd0;\n    end else begin\n";
  if (g.internal)
    o << "      o_valid <= " << n["valid"] << " & " << n["last"] << ";\n";
  else
    o << "      o_valid <= " << n["valid"] << ";\n";
  o << "      if (" << n["valid"] << ") acc_q <= f_sum;\n    end\n  end\n";
  o << "  assign out_valid = o_valid;\n  assign out_acc = acc_q;\n";
}

}  // namespace macforge::gen::pe

// The block-scale stage (gen/pe/scale.hpp).
#include "gen/pe/scale.hpp"

#include <string>
#include <vector>

namespace macforge::gen::pe {

Bundle emit_scale(std::ostream& o, const Geometry& g, const Bundle& gb) {
  const Operand &A = g.A, &B = g.B;
  o << "\n  // Group value = group sum x block scales: exponent adds (e8m0, ue4m3) and\n"
       "  // the ue4m3 significand product.\n";
  std::vector<std::string> eterms;
  std::vector<std::string> snan;
  std::string szero;
  auto scale_dec = [&](const char* v, ScaleKind k, const std::string& code) {
    std::string s = v;
    if (k == ScaleKind::E8M0) {
      o << "  wire " << s << "_nan = &" << code << ";  // e8m0 0xFF\n";
      eterms.push_back(zext(code, 8, g.ew));
    } else {
      o << "  wire " << s << "_nan = &" << code << ";  // ue4m3 S.1111.111\n";
      o << "  wire " << s << "_nrm = |" << code << "[6:3];\n";
      o << "  wire [3:0] " << s << "_sig = {" << s << "_nrm, " << code << "[2:0]};\n";
      o << "  wire " << s << "_zero = ~|" << code << ";\n";
      eterms.push_back(zext("{" + code + "[6:4], " + code + "[3] | ~" + s + "_nrm}", 4, g.ew));
    }
    snan.push_back(s + "_nan");
  };
  if (g.A.scaled()) scale_dec("sa", A.scale, gb["as"]);
  if (g.B.scaled()) scale_dec("sb", B.scale, gb["bs"]);
  std::string gsum = gb["sum"];
  std::string sval;
  if (g.ue_a || g.ue_b) {
    if (g.ue_a && g.ue_b)
      o << "  wire " << rng(g.spw) << "s_sig = " << zext("sa_sig", 4, g.spw) << " * " << zext("sb_sig", 4, g.spw)
        << ";\n";
    else
      o << "  wire " << rng(g.spw) << "s_sig = " << (g.ue_a ? "sa_sig" : "sb_sig") << ";\n";
    o << "  wire " << rng(g.ssw) << "s_val = $signed(" << sext(gsum, g.gw, g.ssw) << ") * $signed("
      << zext("s_sig", g.spw, g.ssw) << ");\n";
    std::string z = g.ue_a && g.ue_b ? "sa_zero | sb_zero" : g.ue_a ? "sa_zero" : "sb_zero";
    o << "  wire s_szero = " << z << ";\n";
    szero = "s_szero";
    sval = "s_val";
  } else {
    sval = gsum;
  }
  o << "  wire s_zero = ~|" << gsum << (szero.empty() ? "" : " | " + szero) << ";  // the group value is zero\n";
  std::string nan_expr, inf_expr, isgn_expr;
  {
    std::vector<std::string> t;
    if (g.lane_nan()) t.push_back(gb["nan"]);
    if (g.has_inf) t.push_back("(" + gb["pinf"] + " & " + gb["ninf"] + ")");
    for (auto& s : snan) t.push_back(s);
    if (g.has_inf && !szero.empty()) t.push_back("((" + gb["pinf"] + " | " + gb["ninf"] + ") & " + szero + ")");
    if (!t.empty()) {
      o << "  wire s_nan = ";
      for (size_t i = 0; i < t.size(); ++i) o << (i ? " | " : "") << t[i];
      o << ";\n";
    }
    if (g.has_inf) {
      o << "  wire s_inf = " << gb["pinf"] << " | " << gb["ninf"] << ";\n";
      o << "  wire s_isgn = " << gb["ninf"] << ";\n";
    }
  }
  o << "  // Biased float32 exponent of the value's MSB before normalization (the\n"
       "  // leading-zero count is subtracted next): element lsbs, scale exponents"
    << (g.chunk_emax() && g.cpg == 1 ? ", chunk exponent" : "") << ".\n";
  std::string ex = cst(g.ew, g.kconst);
  for (auto& t : eterms) ex += " + " + t;
  if (g.chunk_emax() && g.cpg == 1) ex += " + " + zext(gb["emax"], g.epw, g.ew);
  o << "  wire " << rng(g.ew) << "s_exp = " << ex << ";\n";
  Bundle sbd;
  sbd.add("valid", gb["valid"], 1, true);
  if (g.internal) {
    sbd.add("first", gb["first"], 1);
    sbd.add("last", gb["last"], 1);
  } else {
    sbd.add("acc", gb["acc"], 32);
  }
  sbd.add("val", sval, g.ssw);
  sbd.add("exp", "s_exp", g.ew);
  sbd.add("zero", "s_zero", 1);
  if (g.has_nan) sbd.add("nan", "s_nan", 1);
  if (g.has_inf) {
    sbd.add("inf", "s_inf", 1);
    sbd.add("isgn", "s_isgn", 1);
  }
  return sbd;
}

}  // namespace macforge::gen::pe

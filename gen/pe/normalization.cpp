// Normalization of the group value (gen/pe/normalization.hpp).
#include "gen/pe/normalization.hpp"

namespace macforge::gen::pe {

void emit_normalization(std::ostream& o, const Geometry& g, Bundle& s) {
  int MW = g.mw;
  o << "\n  // Normalization of the exact group value: magnitude, leading zeros, shift.\n";
  o << "  wire " << rng(g.ssw) << "n_val = " << s["val"] << ";\n";
  o << "  wire n_sgn = n_val[" << g.ssw - 1 << "];\n";
  o << "  wire " << rng(MW) << "n_mag = n_sgn ? -" << slice("n_val", 0, MW) << " : " << slice("n_val", 0, MW) << ";\n";
  o << "  wire " << rng(lzc_bits(MW)) << "n_lz;\n";
  o << "  mf_lzc #(.W(" << MW << ")) u_nlzc (.x(n_mag), .cnt(n_lz));\n";
  o << "  wire " << rng(MW) << "n_sig = n_mag << n_lz;\n";
  o << "  wire " << rng(g.ew) << "n_exp = " << s["exp"] << " - " << zext("n_lz", lzc_bits(MW), g.ew) << ";\n";
  s.drop("val");
  s.drop("exp");
  s.add("sgn", "n_sgn", 1);
  s.add("sig", "n_sig", MW);
  s.add("exp", "n_exp", g.ew);
}

}  // namespace macforge::gen::pe

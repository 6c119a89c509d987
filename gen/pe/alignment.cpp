// Alignment of the lane products (gen/pe/alignment.hpp).
#include "gen/pe/alignment.hpp"

namespace macforge::gen::pe {

Leaves emit_alignment(std::ostream& o, const Geometry& g, Bundle& c) {
  int L = g.lanes;
  o << "\n  // Alignment of the lane products.\n";
  std::vector<std::string> leaves;
  for (int i = 0; i < L; ++i) {
    std::string lp = "lp" + S(i);
    o << "  wire " << rng(g.pow) << lp << " = " << slice(c["lp"], i * g.pow, g.pow) << ";\n";
  }
  if (!g.aligned) {
    if (g.epw == 0) {
      for (int i = 0; i < L; ++i) leaves.push_back("lp" + S(i));
    } else {
      o << "  // exact-block: each product shifted by its offset exponent into one fixed point.\n";
      for (int i = 0; i < L; ++i) {
        std::string lv = "lv" + S(i);
        o << "  wire " << rng(g.lw) << lv << " = " << sext("lp" + S(i), g.pow, g.lw) << " << "
          << slice(c["le"], i * g.epw, g.epw) << ";\n";
        leaves.push_back(lv);
      }
    }
  } else {
    int k = -g.umin;  // static left shift into the W window (negative: already truncated in the lane)
    auto placed = [&](int i) {
      std::string lp = "lp" + S(i);
      if (k > 0) return "{" + sext(lp, g.pow, g.lw - k) + ", " + S(k) + "'d0}";
      return sext(lp, g.pow, g.lw);
    };
    if (g.epw == 0) {
      for (int i = 0; i < L; ++i) {
        std::string lv = "lv" + S(i);
        o << "  wire " << rng(g.lw) << lv << " = " << placed(i) << ";\n";
        leaves.push_back(lv);
      }
    } else {
      o << "  // aligned:" << g.W << ": the chunk's largest product exponent (zero products excluded),\n"
        << "  // then each product shifted right from it with floor.\n";
      std::vector<std::string> ex;
      for (int i = 0; i < L; ++i) {
        std::string e = slice(c["le"], i * g.epw, g.epw);
        o << "  wire " << rng(g.epw) << "em" << i << " = " << c["lnz"] << "[" << i << "] ? " << e << " : "
          << cst(g.epw, 0) << ";\n";
        ex.push_back("em" + S(i));
      }
      int lvl = 0;
      while (ex.size() > 1) {
        ++lvl;
        std::vector<std::string> nx;
        for (size_t i = 0; i + 1 < ex.size(); i += 2) {
          std::string n = "mx" + S(lvl) + "_" + S(long(i / 2));
          o << "  wire " << rng(g.epw) << n << " = (" << ex[i] << " > " << ex[i + 1] << ") ? " << ex[i] << " : "
            << ex[i + 1] << ";\n";
          nx.push_back(n);
        }
        if (ex.size() % 2) nx.push_back(ex.back());
        ex = nx;
      }
      o << "  wire " << rng(g.epw) << "emax = " << ex[0] << ";\n";
      for (int i = 0; i < L; ++i) {
        std::string lv = "lv" + S(i);
        o << "  wire " << rng(g.lw) << "lw" << i << " = " << placed(i) << ";\n";
        o << "  wire " << rng(g.lw) << lv << " = $signed(lw" << i << ") >>> (emax - "
          << slice(c["le"], i * g.epw, g.epw) << ");\n";
        leaves.push_back(lv);
      }
    }
  }
  if (g.epw > 0) c.drop("le");
  if (g.chunk_emax()) c.drop("lnz");
  c.drop("lp");
  if (g.chunk_emax()) c.add("emax", "emax", g.epw);
  return {leaves, g.leaf_width()};
}

Leaves register_leaves(std::ostream& o, const Geometry& g, Bundle& c, const Leaves& in) {
  int L = g.lanes, leaf_w = in.width;
  std::string all;
  for (int i = L - 1; i >= 0; --i) all += in.names[size_t(i)] + (i ? ", " : "");
  o << "  wire " << vec(L * leaf_w) << "lane_v = {" << all << "};\n";
  c.add_bus("lv", "lane_v", L * leaf_w);
  register_bundle(o, c, "al", cut_name(Cut::Align));
  Leaves out{{}, leaf_w};
  for (int i = 0; i < L; ++i) {
    o << "  wire " << rng(leaf_w) << "tv" << i << " = " << slice(c["lv"], i * leaf_w, leaf_w) << ";\n";
    out.names.push_back("tv" + S(i));
  }
  c.drop("lv");
  return out;
}

}  // namespace macforge::gen::pe

// The adder tree (gen/pe/adder_tree.hpp).
#include "gen/pe/adder_tree.hpp"

namespace macforge::gen::pe {

std::string emit_tree(std::ostream& o, std::vector<std::string> names, const BigInt& leaf_max, int leaf_w,
                      int& out_w) {
  std::vector<int> cnt(names.size(), 1), wid(names.size(), leaf_w);
  int level = 0;
  while (names.size() > 1) {
    ++level;
    std::vector<std::string> nn;
    std::vector<int> nc, nw;
    for (size_t i = 0; i + 1 < names.size(); i += 2) {
      int c = cnt[i] + cnt[i + 1];
      int w = bitlen(leaf_max * c) + 1;
      std::string n = "t" + S(level) + "_" + S(long(i / 2));
      o << "  wire " << rng(w) << n << " = " << sext(names[i], wid[i], w) << " + " << sext(names[i + 1], wid[i + 1], w)
        << ";\n";
      nn.push_back(n);
      nc.push_back(c);
      nw.push_back(w);
    }
    if (names.size() % 2) {
      nn.push_back(names.back());
      nc.push_back(cnt.back());
      nw.push_back(wid.back());
    }
    names = nn;
    cnt = nc;
    wid = nw;
  }
  out_w = wid[0];
  return names[0];
}

void emit_chunk_sum(std::ostream& o, const Geometry& g, Bundle& c, const Leaves& leaves) {
  o << "\n  // Adder tree over the lanes (each node as wide as its exact bound).\n";
  int tw = 0;
  std::string root = emit_tree(o, leaves.names, g.leaf_max, leaves.width, tw);
  o << "  wire " << rng(g.csw) << "c_sum = " << sext(root, tw, g.csw) << ";\n";
  c.add("sum", "c_sum", g.csw);
}

}  // namespace macforge::gen::pe

#include "gen/pe/bundle.hpp"

#include <algorithm>
#include <stdexcept>

#include "gen/pe/verilog_text.hpp"

namespace macforge::gen::pe {

void Bundle::add(const std::string& key, const std::string& expr, int width, bool valid) {
  sigs.push_back({key, expr, width, valid, false});
}
void Bundle::add_bus(const std::string& key, const std::string& expr, int width) {
  sigs.push_back({key, expr, width, false, true});
}
void Bundle::drop(const std::string& key) {
  sigs.erase(std::remove_if(sigs.begin(), sigs.end(), [&](const Sig& s) { return s.key == key; }), sigs.end());
}
bool Bundle::has(const std::string& key) const {
  return std::any_of(sigs.begin(), sigs.end(), [&](const Sig& s) { return s.key == key; });
}
const std::string& Bundle::operator[](const std::string& key) const {
  for (const Sig& s : sigs)
    if (s.key == key) return s.expr;
  throw std::logic_error("pe_emit: no signal " + key);
}

void register_bundle(std::ostream& o, Bundle& b, const std::string& stage, const std::string& why) {
  o << "\n  // Register stage '" << stage << "': " << why << ".\n";
  for (const Sig& s : b.sigs) o << "  reg  " << (s.bus ? vec(s.width) : rng(s.width)) << stage << "_" << s.key << ";\n";
  o << "  always @(posedge clk) begin\n";
  for (const Sig& s : b.sigs) {
    std::string r = stage + "_" + s.key;
    if (s.valid)
      o << "    if (rst) " << r << " <= 1'b0;\n    else     " << r << " <= " << s.expr << ";\n";
    else
      o << "    " << r << " <= " << s.expr << ";\n";
  }
  o << "  end\n";
  for (Sig& s : b.sigs) s.expr = stage + "_" + s.key;
}

std::string join_ports(const std::vector<PortDecl>& ports) {
  std::string s;
  for (size_t i = 0; i < ports.size(); ++i) {
    const PortDecl& p = ports[i];
    std::string line = "  " + p.decl + (i + 1 < ports.size() ? ",\n" : "\n");
    if (p.waiver.empty())
      s += line;
    else
      s += "  /* verilator lint_off UNUSEDSIGNAL */  // " + p.waiver + "\n" + line +
           "  /* verilator lint_on UNUSEDSIGNAL */\n";
  }
  return s;
}

}  // namespace macforge::gen::pe

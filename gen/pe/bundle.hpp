// Pipeline bundles: the signals travelling together down the PE datapath. A
// part emitter reads a bundle's signals by key, adds what it produces and
// drops what it consumed; at a pipeline cut the whole bundle is re-registered
// (register_bundle), so later parts read the registered copies unawares.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace macforge::gen::pe {

struct Sig {
  std::string key, expr;
  int width;
  bool valid;  // a valid bit: cleared by rst in a register stage
  bool bus;    // a per-lane bus: declared as a vector even for one lane
};

struct Bundle {
  std::vector<Sig> sigs;
  void add(const std::string& key, const std::string& expr, int width, bool valid = false);
  void add_bus(const std::string& key, const std::string& expr, int width);
  void drop(const std::string& key);
  bool has(const std::string& key) const;
  // The current expression of signal `key` (a logic_error if absent: an emitter bug).
  const std::string& operator[](const std::string& key) const;
};

// Emits register stage `stage` (registers <stage>_<key>) for every signal of
// b, with the comment `why`, and points b's signals at the registers.
void register_bundle(std::ostream& o, Bundle& b, const std::string& stage, const std::string& why);

// A port declaration; `waiver` (if any) explains why the input is unused in this
// configuration and wraps the port in a lint waiver.
struct PortDecl {
  std::string decl, waiver;
  PortDecl(const std::string& d) : decl(d) {}  // NOLINT: implicit on purpose
  PortDecl(const char* d) : decl(d) {}         // NOLINT
  PortDecl(const std::string& d, const std::string& w) : decl(d), waiver(w) {}
};

// The port list of a module header, one port a line.
std::string join_ports(const std::vector<PortDecl>& ports);

}  // namespace macforge::gen::pe

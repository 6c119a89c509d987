#include "synth/netlist.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>

namespace macforge::synth {

const NlModule* NlDesign::module(const std::string& name) const {
  for (const NlModule& m : modules)
    if (m.name == name) return &m;
  return nullptr;
}

namespace {

class Lexer {
 public:
  Lexer(const std::string& s, const std::string& src) : s_(s), src_(src) {}

  [[noreturn]] void fail(const std::string& msg) const {
    throw NetlistError(src_ + ":" + std::to_string(line_) + ": " + msg);
  }
  int line() const { return line_; }

  void skip() {
    while (p_ < s_.size()) {
      char c = s_[p_];
      if (c == '\n') {
        ++line_;
        ++p_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++p_;
      } else if (c == '/' && p_ + 1 < s_.size() && s_[p_ + 1] == '*') {
        size_t e = s_.find("*/", p_ + 2);
        if (e == std::string::npos) fail("unterminated comment");
        line_ += int(std::count(s_.begin() + long(p_), s_.begin() + long(e), '\n'));
        p_ = e + 2;
      } else if (c == '/' && p_ + 1 < s_.size() && s_[p_ + 1] == '/') {
        while (p_ < s_.size() && s_[p_] != '\n') ++p_;
      } else if (c == '(' && p_ + 1 < s_.size() && s_[p_ + 1] == '*') {
        size_t e = s_.find("*)", p_ + 2);  // attribute
        if (e == std::string::npos) fail("unterminated attribute");
        line_ += int(std::count(s_.begin() + long(p_), s_.begin() + long(e), '\n'));
        p_ = e + 2;
      } else {
        return;
      }
    }
  }
  bool eof() {
    skip();
    return p_ >= s_.size();
  }
  char peek() {
    skip();
    return p_ < s_.size() ? s_[p_] : '\0';
  }
  bool accept(char c) {
    if (peek() == c) {
      ++p_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'" + near());
  }
  std::string near() {
    skip();
    return p_ < s_.size() ? " near '" + s_.substr(p_, std::min<size_t>(20, s_.size() - p_)) + "'" : " at end of file";
  }
  // An identifier (plain or escaped; the escaped form is returned without
  // the backslash and the terminating space).
  std::string ident() {
    skip();
    if (p_ >= s_.size()) fail("unexpected end of file");
    if (s_[p_] == '\\') {
      size_t b = ++p_;
      while (p_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[p_]))) ++p_;
      return s_.substr(b, p_ - b);
    }
    size_t b = p_;
    while (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])) || s_[p_] == '_' || s_[p_] == '$')) ++p_;
    if (p_ == b) fail("expected an identifier" + near());
    return s_.substr(b, p_ - b);
  }
  bool peek_ident() {
    char c = peek();
    return c == '\\' || c == '_' || std::isalpha(static_cast<unsigned char>(c));
  }
  long number() {
    skip();
    size_t b = p_;
    while (p_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[p_]))) ++p_;
    if (p_ == b) fail("expected a number" + near());
    // Yosys never writes a width or index this large; stol would throw
    // std::out_of_range (found by fuzz_netlist).
    if (p_ - b > 9) fail("number " + s_.substr(b, p_ - b) + " out of range" + near());
    return std::stol(s_.substr(b, p_ - b));
  }
  // A sized constant after its width: 'h.., 'b.., 'd..; returns bits lsb first.
  std::vector<char> constant(long width) {
    expect('\'');
    if (p_ < s_.size() && (s_[p_] == 's' || s_[p_] == 'S')) ++p_;
    char base = char(std::tolower(static_cast<unsigned char>(s_[p_++])));
    size_t b = p_;
    while (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])) || s_[p_] == '_' || s_[p_] == '?')) ++p_;
    std::string digits;
    for (size_t i = b; i < p_; ++i)
      if (s_[i] != '_') digits += char(std::tolower(static_cast<unsigned char>(s_[i])));
    // Yosys writes only well-formed constants; anything else is a damaged file and must be
    // reported as one, not left to std::stoull (which throws its own exceptions).
    const char* valid = base == 'b' ? "01xz?" : base == 'o' ? "01234567xz?" : base == 'h' ? "0123456789abcdefxz?"
                        : "0123456789";
    for (char d : digits)
      if (!std::strchr(valid, d)) fail(std::string("bad digit '") + d + "' in a constant of base '" + base + "'");
    if (base == 'd' && digits.size() > 19) fail("decimal constant '" + digits + "' is wider than 64 bits");
    std::vector<char> bits;  // lsb first
    auto push_digit = [&](char d, int nb) {
      for (int k = 0; k < nb; ++k) {
        if (d == 'x' || d == 'z' || d == '?') bits.push_back(d == '?' ? 'z' : d);
        else {
          int v = std::isdigit(static_cast<unsigned char>(d)) ? d - '0' : d - 'a' + 10;
          bits.push_back(((v >> k) & 1) ? '1' : '0');
        }
      }
    };
    if (base == 'b' || base == 'h' || base == 'o') {
      int nb = base == 'b' ? 1 : base == 'h' ? 4 : 3;
      for (auto it = digits.rbegin(); it != digits.rend(); ++it) push_digit(*it, nb);
    } else if (base == 'd') {
      unsigned long long v = std::stoull(digits.empty() ? "0" : digits);
      for (long k = 0; k < width; ++k) bits.push_back(k < 64 && ((v >> k) & 1) ? '1' : '0');
    } else {
      fail(std::string("unsupported constant base '") + base + "'");
    }
    char ext = bits.empty() ? '0' : (bits.back() == 'x' || bits.back() == 'z' ? bits.back() : '0');
    while (long(bits.size()) < width) bits.push_back(ext);
    bits.resize(size_t(width));
    return bits;
  }

 private:
  const std::string& s_;
  std::string src_;
  size_t p_ = 0;
  int line_ = 1;
};

void declare(Lexer& lx, NlModule& m, bool in, bool out) {
  int msb = 0, lsb = 0;
  bool ranged = false;
  if (lx.accept('[')) {
    bool neg = lx.accept('-');
    msb = int(lx.number()) * (neg ? -1 : 1);
    lx.expect(':');
    neg = lx.accept('-');
    lsb = int(lx.number()) * (neg ? -1 : 1);
    lx.expect(']');
    ranged = true;
  }
  while (true) {
    std::string n = lx.ident();
    auto it = m.wire_index.find(n);
    if (it == m.wire_index.end()) {
      NlWire w;
      w.name = n;
      if (ranged) {
        if (msb < lsb) lx.fail("ascending range [" + std::to_string(msb) + ":" + std::to_string(lsb) + "] of " + n + " not supported");
        w.width = msb - lsb + 1;
        w.lsb = lsb;
      }
      m.wire_index[n] = int(m.wires.size());
      m.wires.push_back(w);
      it = m.wire_index.find(n);
    }
    NlWire& w = m.wires[size_t(it->second)];
    if (in) w.input = true;
    if (out) w.output = true;
    if (lx.accept('=')) lx.fail("wire declarations with an initializer are not supported");
    if (!lx.accept(',')) break;
  }
  lx.expect(';');
}

// A connection expression; bits are returned lsb first.
std::vector<NlBit> expr(Lexer& lx, const NlModule& m) {
  std::vector<NlBit> out;
  char c = lx.peek();
  if (c == '{') {
    lx.accept('{');
    std::vector<std::vector<NlBit>> parts;
    if (lx.peek() != '}') {
      while (true) {
        parts.push_back(expr(lx, m));
        if (!lx.accept(',')) break;
      }
    }
    lx.expect('}');
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) out.insert(out.end(), it->begin(), it->end());
    return out;
  }
  if (std::isdigit(static_cast<unsigned char>(c))) {
    long w = lx.number();
    if (lx.peek() != '\'') lx.fail("unsized constants are not supported");
    for (char b : lx.constant(w)) {
      NlBit nb;
      nb.cval = b;
      out.push_back(nb);
    }
    return out;
  }
  if (c == '\'') lx.fail("unsized constants are not supported");
  std::string n = lx.ident();
  auto it = m.wire_index.find(n);
  if (it == m.wire_index.end()) lx.fail("undeclared wire '" + n + "' in module " + m.name);
  const NlWire& w = m.wires[size_t(it->second)];
  int lo = 0, hi = w.width - 1;
  if (lx.accept('[')) {
    int a = int(lx.number());
    int b = a;
    if (lx.accept(':')) b = int(lx.number());
    lx.expect(']');
    hi = std::max(a, b) - w.lsb;
    lo = std::min(a, b) - w.lsb;
    if (lo < 0 || hi >= w.width) lx.fail("bit select out of range on '" + n + "'");
  }
  for (int k = lo; k <= hi; ++k) {
    NlBit nb;
    nb.wire = it->second;
    nb.bit = k;
    out.push_back(nb);
  }
  return out;
}

}  // namespace

NlDesign parse_netlist(const std::string& text, const std::string& source) {
  NlDesign d;
  Lexer lx(text, source);
  while (!lx.eof()) {
    std::string kw = lx.ident();
    if (kw != "module") lx.fail("expected 'module', found '" + kw + "'");
    NlModule m;
    m.name = lx.ident();
    if (lx.accept('(')) {
      if (lx.peek() != ')')
        while (true) {
          m.ports.push_back(lx.ident());
          if (!lx.accept(',')) break;
        }
      lx.expect(')');
    }
    lx.expect(';');
    bool any = false;
    while (true) {
      std::string w = lx.ident();
      if (w == "endmodule") break;
      any = true;
      if (w == "wire" || w == "reg") declare(lx, m, false, false);
      else if (w == "input") declare(lx, m, true, false);
      else if (w == "output") declare(lx, m, false, true);
      else if (w == "inout") lx.fail("inout ports are not supported");
      else if (w == "assign") {
        std::vector<NlBit> l = expr(lx, m);
        lx.expect('=');
        std::vector<NlBit> r = expr(lx, m);
        lx.expect(';');
        if (l.size() != r.size()) {
          // Verilog semantics: zero-extend / truncate the right side
          NlBit z;
          z.cval = '0';
          r.resize(l.size(), z);
        }
        m.assigns.push_back({l, r});
      } else if (w == "always" || w == "initial" || w == "function" || w == "task" || w == "generate") {
        lx.fail("'" + w + "' in a gate-level netlist: the design has logic that was not mapped to cells");
      } else {
        NlInst inst;
        inst.type = w;
        inst.line = lx.line();
        if (lx.accept('#')) lx.fail("parameterized instance of " + w + " in a gate-level netlist");
        inst.name = lx.ident();
        lx.expect('(');
        if (lx.peek() != ')') {
          while (true) {
            if (!lx.accept('.')) lx.fail("only named port connections are supported (instance " + inst.name + ")");
            std::string port = lx.ident();
            lx.expect('(');
            std::vector<NlBit> bits;
            if (lx.peek() != ')') bits = expr(lx, m);
            lx.expect(')');
            inst.conns.push_back({port, bits});
            if (!lx.accept(',')) break;
          }
        }
        lx.expect(')');
        lx.expect(';');
        m.insts.push_back(std::move(inst));
      }
    }
    m.blackbox = !any || (m.insts.empty() && m.assigns.empty() &&
                          std::all_of(m.wires.begin(), m.wires.end(), [](const NlWire& x) { return x.input || x.output; }) &&
                          std::any_of(m.wires.begin(), m.wires.end(), [](const NlWire& x) { return x.output; }));
    d.modules.push_back(std::move(m));
  }
  return d;
}

NlDesign read_netlist(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw NetlistError(path + ":0: cannot open the netlist");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_netlist(ss.str(), path);
}

// ---- flattening --------------------------------------------------------------------

namespace {

constexpr int kConst0 = -1, kConst1 = -2;

struct Flattener {
  const NlDesign& d;
  const Library& lib;
  const std::function<std::string(const std::string&)>& part_of;
  const std::vector<const NlModule*>& macros;
  std::vector<int> parent;  // union-find over provisional net ids
  std::vector<FlatCell> cells;
  std::vector<std::pair<int, int>> const_ties;  // provisional net tied to a constant (net, kConst*)

  int fresh() {
    parent.push_back(int(parent.size()));
    return int(parent.size()) - 1;
  }
  int find(int x) {
    while (parent[size_t(x)] != x) {
      parent[size_t(x)] = parent[size_t(parent[size_t(x)])];
      x = parent[size_t(x)];
    }
    return x;
  }
  void unite(int a, int b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[size_t(std::max(a, b))] = std::min(a, b);
  }

  static int const_of(char c) { return c == '1' ? kConst1 : kConst0; }

  // bits of the module's wires -> provisional nets
  void expand(const NlModule& m, const std::string& prefix, const std::string& part,
              const std::vector<std::vector<int>>& port_nets, int depth) {
    if (depth > 32) throw NetlistError("netlist hierarchy deeper than 32 levels (recursive module " + m.name + "?)");
    std::vector<std::vector<int>> wnet(m.wires.size());
    for (size_t i = 0; i < m.wires.size(); ++i) {
      const NlWire& w = m.wires[i];
      if (!port_nets[i].empty()) {
        wnet[i] = port_nets[i];
      } else {
        wnet[i].resize(size_t(w.width));
        for (int& n : wnet[i]) n = fresh();
      }
    }
    auto bitnet = [&](const NlBit& b) { return b.wire < 0 ? const_of(b.cval) : wnet[size_t(b.wire)][size_t(b.bit)]; };
    auto tie = [&](int a, int b) {
      if (a >= 0 && b >= 0) unite(a, b);
      else if (a >= 0) const_ties.push_back({a, b});
      else if (b >= 0) const_ties.push_back({b, a});
    };
    for (const auto& [l, r] : m.assigns)
      for (size_t k = 0; k < l.size(); ++k) tie(bitnet(l[k]), bitnet(r[k]));
    for (const NlInst& inst : m.insts) {
      std::string path = prefix.empty() ? inst.name : prefix + "." + inst.name;
      // The innermost instance that names a part decides (parts can sit inside
      // kept sub-modules of the array, e.g. a grid cell's registers).
      std::string named = part_of(inst.name);
      std::string ipart = depth == 0 || named != "other" ? named : part;
      if (const NlModule* sub = d.module(inst.type); sub && !sub->blackbox) {
        std::vector<std::vector<int>> pn(sub->wires.size());
        for (const auto& [port, bits] : inst.conns) {
          auto it = sub->wire_index.find(port);
          if (it == sub->wire_index.end())
            throw NetlistError("instance " + path + " of " + inst.type + " connects unknown port " + port);
          const NlWire& pw = sub->wires[size_t(it->second)];
          if (int(bits.size()) != pw.width)
            throw NetlistError("instance " + path + ": port " + port + " is " + std::to_string(pw.width) +
                               " bits, connected to " + std::to_string(bits.size()));
          std::vector<int> nets;
          for (const NlBit& b : bits) {
            int n = bitnet(b);
            if (n < 0) {  // a constant on a port: a fresh net tied to it
              int f = fresh();
              const_ties.push_back({f, n});
              n = f;
            }
            nets.push_back(n);
          }
          pn[size_t(it->second)] = nets;
        }
        expand(*sub, path, ipart, pn, depth + 1);
        continue;
      }
      const NlModule* macro = nullptr;
      for (const NlModule* mm : macros)
        if (mm->name == inst.type) macro = mm;
      if (macro) {
        FlatCell fc;
        fc.type = inst.type;
        fc.path = path;
        fc.part = "pe_array";
        fc.seq = true;
        for (const auto& [port, bits] : inst.conns) {
          auto it = macro->wire_index.find(port);
          if (it == macro->wire_index.end())
            throw NetlistError("instance " + path + " of " + inst.type + " connects unknown port " + port);
          const NlWire& pw = macro->wires[size_t(it->second)];
          if (int(bits.size()) != pw.width)
            throw NetlistError("instance " + path + ": port " + port + " is " + std::to_string(pw.width) +
                               " bits, connected to " + std::to_string(bits.size()));
          for (size_t k = 0; k < bits.size(); ++k) {
            FlatPin fp;
            fp.pin = port + "[" + std::to_string(k) + "]";
            fp.output = pw.output;
            fp.net = bitnet(bits[k]);
            fc.pins.push_back(fp);
          }
        }
        cells.push_back(std::move(fc));
        continue;
      }
      const LibCell* lc = lib.cell(inst.type);
      if (!lc)
        throw NetlistError("instance " + path + " is of type " + inst.type +
                           ", which is neither a module of the netlist nor a cell of " + lib.path);
      FlatCell fc;
      fc.type = inst.type;
      fc.path = path;
      fc.part = ipart;
      fc.lib = lc;
      fc.seq = lc->sequential();
      for (const auto& [port, bits] : inst.conns) {
        const LibPin* p = lc->pin(port);
        if (!p) throw NetlistError("instance " + path + " (" + inst.type + ") connects unknown pin " + port);
        if (bits.size() > 1) throw NetlistError("instance " + path + ": pin " + port + " connected to a vector");
        if (bits.empty()) continue;
        FlatPin fp;
        fp.pin = port;
        fp.output = p->dir == PinDir::Output || p->dir == PinDir::Inout;
        fp.net = bitnet(bits[0]);
        fc.pins.push_back(fp);
      }
      cells.push_back(std::move(fc));
    }
  }
};

}  // namespace

FlatNetlist flatten(const NlDesign& d, const std::string& top, const Library& lib,
                    const std::function<std::string(const std::string&)>& part_of,
                    const std::vector<const NlModule*>& macros) {
  const NlModule* tm = d.module(top);
  if (!tm) throw NetlistError("netlist has no module " + top);
  Flattener f{d, lib, part_of, macros, {}, {}, {}};
  std::vector<std::vector<int>> pn(tm->wires.size());
  // top ports get their nets first, so that they are never renamed away
  for (size_t i = 0; i < tm->wires.size(); ++i)
    if (tm->wires[i].input || tm->wires[i].output) {
      pn[i].resize(size_t(tm->wires[i].width));
      for (int& n : pn[i]) n = f.fresh();
    }
  f.expand(*tm, "", "", pn, 0);

  // constants: a provisional net tied to a constant becomes that constant
  std::vector<int> cval(f.parent.size(), 0);  // 0 none, kConst0/kConst1
  for (auto [n, c] : f.const_ties) {
    int r = f.find(n);
    if (cval[size_t(r)] != 0 && cval[size_t(r)] != c)
      throw NetlistError("a net of " + top + " is tied to both 0 and 1");
    cval[size_t(r)] = c;
  }
  // dense ids for the roots that are real nets
  std::vector<int> id(f.parent.size(), -1);
  FlatNetlist n;
  n.top = top;
  auto final_net = [&](int prov) -> int {
    if (prov < 0) return prov;
    int r = f.find(prov);
    if (cval[size_t(r)] != 0) return cval[size_t(r)];
    if (id[size_t(r)] < 0) id[size_t(r)] = n.nets++;
    return id[size_t(r)];
  };
  for (size_t i = 0; i < tm->wires.size(); ++i) {
    const NlWire& w = tm->wires[i];
    if (!w.input && !w.output) continue;
    FlatPort p;
    p.name = w.name;
    p.input = w.input;
    p.width = w.width;
    for (int prov : pn[i]) p.nets.push_back(final_net(prov));
    n.ports.push_back(p);
  }
  // keep header order of ports
  std::vector<FlatPort> ordered;
  for (const std::string& pname : tm->ports)
    for (const FlatPort& p : n.ports)
      if (p.name == pname) ordered.push_back(p);
  if (ordered.size() == n.ports.size()) n.ports = ordered;
  for (FlatCell& c : f.cells) {
    for (FlatPin& p : c.pins) p.net = final_net(p.net);
    n.cells.push_back(std::move(c));
  }
  n.driver_cell.assign(size_t(n.nets), -1);
  n.driver_pin.assign(size_t(n.nets), "");
  n.is_input.assign(size_t(n.nets), false);
  n.loads.assign(size_t(n.nets), {});
  for (const FlatPort& p : n.ports)
    if (p.input)
      for (int x : p.nets)
        if (x >= 0) n.is_input[size_t(x)] = true;
  for (size_t ci = 0; ci < n.cells.size(); ++ci) {
    const FlatCell& c = n.cells[ci];
    for (const FlatPin& p : c.pins) {
      if (p.net < 0) {
        if (!p.output) n.const_loads.push_back(int(ci));
        continue;
      }
      if (p.output) {
        size_t x = size_t(p.net);
        if (n.driver_cell[x] >= 0 || n.is_input[x])
          throw NetlistError("net driven twice in " + top + ": by " + c.path + "." + p.pin +
                             (n.is_input[x] ? " and a primary input" : " and " + n.cells[size_t(n.driver_cell[x])].path));
        n.driver_cell[x] = int(ci);
        n.driver_pin[x] = p.pin;
      } else {
        n.loads[size_t(p.net)].push_back({int(ci), p.pin});
      }
    }
  }
  return n;
}

int logic_depth(const FlatNetlist& n) {
  // depth of a net = combinational cells on the longest path from a startpoint
  std::vector<int> depth(size_t(n.nets), -1);
  std::vector<char> state(size_t(n.nets), 0);  // 0 new, 1 on stack, 2 done
  int best = 0;
  // iterative DFS over drivers
  for (int start = 0; start < n.nets; ++start) {
    if (state[size_t(start)] == 2) continue;
    std::vector<std::pair<int, size_t>> stack{{start, 0}};
    state[size_t(start)] = 1;
    while (!stack.empty()) {
      auto& [net, k] = stack.back();
      int dc = n.driver_cell[size_t(net)];
      const FlatCell* c = dc >= 0 ? &n.cells[size_t(dc)] : nullptr;
      if (!c || c->seq) {
        depth[size_t(net)] = 0;
        state[size_t(net)] = 2;
        stack.pop_back();
        continue;
      }
      bool pushed = false;
      while (k < c->pins.size()) {
        const FlatPin& p = c->pins[k++];
        if (p.output || p.net < 0) continue;
        char s = state[size_t(p.net)];
        if (s == 1) throw NetlistError("combinational loop through " + c->path + " in " + n.top);
        if (s == 0) {
          state[size_t(p.net)] = 1;
          stack.push_back({p.net, 0});
          pushed = true;
          break;
        }
      }
      if (pushed) continue;
      int d = 0;
      for (const FlatPin& p : c->pins)
        if (!p.output && p.net >= 0) d = std::max(d, depth[size_t(p.net)]);
      depth[size_t(net)] = d + 1;
      state[size_t(net)] = 2;
      best = std::max(best, d + 1);
      stack.pop_back();
    }
  }
  return best;
}

}  // namespace macforge::synth

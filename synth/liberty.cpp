#include "synth/liberty.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace macforge::synth {

// ---- generic syntax -------------------------------------------------------------

const LibAttr* LibGroup::attr(const std::string& name) const {
  for (const LibAttr& a : attrs)
    if (a.name == name) return &a;
  return nullptr;
}

std::string LibGroup::value(const std::string& name, const std::string& dflt) const {
  const LibAttr* a = attr(name);
  if (!a || a->values.empty()) return dflt;
  return a->values[0];
}

namespace {

enum class Tok { Word, String, LParen, RParen, LBrace, RBrace, Colon, Semi, Comma, End };

struct Token {
  Tok kind = Tok::End;
  std::string text;
  int line = 0;
};

class Scanner {
 public:
  Scanner(const std::string& text, const std::string& source) : s_(text), src_(source) {}

  [[noreturn]] void fail(int line, const std::string& msg) const {
    throw LibertyError(src_ + ":" + std::to_string(line) + ": " + msg);
  }

  const Token& peek() {
    if (!have_) {
      tok_ = scan();
      have_ = true;
    }
    return tok_;
  }
  Token next() {
    peek();
    have_ = false;
    return tok_;
  }
  // Line of the last character consumed before the peeked token (to know
  // whether a value continues on the same line).
  int line_before_peek() {
    peek();
    return prev_line_;
  }

 private:
  const std::string& s_;
  std::string src_;
  size_t p_ = 0;
  int line_ = 1;
  int prev_line_ = 1;
  Token tok_;
  bool have_ = false;

  static bool word_char(char c) {
    return !(std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == '{' || c == '}' ||
             c == ':' || c == ';' || c == ',' || c == '"');
  }

  void skip() {
    prev_line_ = line_;
    while (p_ < s_.size()) {
      char c = s_[p_];
      if (c == '\n') {
        ++line_;
        ++p_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++p_;
      } else if (c == '\\') {
        // line continuation: backslash, optional blanks, newline
        size_t q = p_ + 1;
        while (q < s_.size() && (s_[q] == ' ' || s_[q] == '\t' || s_[q] == '\r')) ++q;
        if (q < s_.size() && s_[q] == '\n') {
          p_ = q + 1;
          ++line_;
        } else {
          return;
        }
      } else if (c == '/' && p_ + 1 < s_.size() && s_[p_ + 1] == '*') {
        int start = line_;
        size_t e = s_.find("*/", p_ + 2);
        if (e == std::string::npos) fail(start, "unterminated comment");
        line_ += int(std::count(s_.begin() + long(p_), s_.begin() + long(e), '\n'));
        p_ = e + 2;
      } else if (c == '/' && p_ + 1 < s_.size() && s_[p_ + 1] == '/') {
        while (p_ < s_.size() && s_[p_] != '\n') ++p_;
      } else {
        return;
      }
    }
  }

  Token scan() {
    skip();
    Token t;
    t.line = line_;
    if (p_ >= s_.size()) return t;
    char c = s_[p_];
    switch (c) {
      case '(': t.kind = Tok::LParen; ++p_; return t;
      case ')': t.kind = Tok::RParen; ++p_; return t;
      case '{': t.kind = Tok::LBrace; ++p_; return t;
      case '}': t.kind = Tok::RBrace; ++p_; return t;
      case ':': t.kind = Tok::Colon; ++p_; return t;
      case ';': t.kind = Tok::Semi; ++p_; return t;
      case ',': t.kind = Tok::Comma; ++p_; return t;
      default: break;
    }
    if (c == '"') {
      t.kind = Tok::String;
      ++p_;
      std::string v;
      while (true) {
        if (p_ >= s_.size()) fail(t.line, "unterminated string");
        char d = s_[p_];
        if (d == '"') {
          ++p_;
          break;
        }
        if (d == '\\' && p_ + 1 < s_.size() && (s_[p_ + 1] == '\n' || s_[p_ + 1] == '\r')) {
          p_ += s_[p_ + 1] == '\r' && p_ + 2 < s_.size() && s_[p_ + 2] == '\n' ? 3 : 2;
          ++line_;
          continue;
        }
        if (d == '\n') ++line_;
        v += d;
        ++p_;
      }
      t.text = std::move(v);
      return t;
    }
    t.kind = Tok::Word;
    size_t b = p_;
    while (p_ < s_.size() && word_char(s_[p_])) ++p_;
    if (p_ == b) fail(line_, std::string("unexpected character '") + c + "'");
    t.text = s_.substr(b, p_ - b);
    return t;
  }
};

const char* tok_name(Tok k) {
  switch (k) {
    case Tok::Word: return "a name";
    case Tok::String: return "a string";
    case Tok::LParen: return "'('";
    case Tok::RParen: return "')'";
    case Tok::LBrace: return "'{'";
    case Tok::RBrace: return "'}'";
    case Tok::Colon: return "':'";
    case Tok::Semi: return "';'";
    case Tok::Comma: return "','";
    case Tok::End: return "end of file";
  }
  return "?";
}

// Arguments between '(' (consumed) and ')': comma-separated; an argument made
// of several words is joined with single spaces.
std::vector<std::string> parse_args(Scanner& sc, int open_line) {
  std::vector<std::string> args;
  std::string cur;
  bool any = false;
  while (true) {
    Token t = sc.next();
    if (t.kind == Tok::RParen) break;
    if (t.kind == Tok::End) sc.fail(open_line, "unterminated '(' (missing ')')");
    if (t.kind == Tok::Comma) {
      args.push_back(cur);
      cur.clear();
      any = false;
      continue;
    }
    if (t.kind != Tok::Word && t.kind != Tok::String)
      sc.fail(t.line, std::string("unexpected ") + tok_name(t.kind) + " in an argument list");
    if (any) cur += ' ';
    cur += t.text;
    any = true;
  }
  if (any || !args.empty()) args.push_back(cur);
  return args;
}

void parse_body(Scanner& sc, LibGroup& g, int depth) {
  if (depth > 64) sc.fail(g.line, "groups nested too deeply");
  while (true) {
    Token t = sc.next();
    if (t.kind == Tok::RBrace) return;
    if (t.kind == Tok::End) sc.fail(g.line, "group '" + g.type + "' is not closed (missing '}')");
    if (t.kind == Tok::Semi) continue;  // stray ';'
    if (t.kind != Tok::Word && t.kind != Tok::String)
      sc.fail(t.line, std::string("expected an attribute or group name, found ") + tok_name(t.kind));
    const Token& n = sc.peek();
    if (n.kind == Tok::Colon) {
      sc.next();
      LibAttr a;
      a.name = t.text;
      a.line = t.line;
      Token v = sc.next();
      if (v.kind != Tok::Word && v.kind != Tok::String)
        sc.fail(v.line, "attribute '" + t.text + "': expected a value, found " + tok_name(v.kind));
      std::string val = v.text;
      // An unquoted value may continue with more words on the same line
      // (e.g. function : A & B ;).
      while (true) {
        const Token& w = sc.peek();
        if ((w.kind == Tok::Word || w.kind == Tok::String) && w.line == v.line && v.kind == Tok::Word) {
          val += " " + sc.next().text;
        } else {
          break;
        }
      }
      a.values.push_back(val);
      if (sc.peek().kind == Tok::Semi) sc.next();
      g.attrs.push_back(std::move(a));
    } else if (n.kind == Tok::LParen) {
      Token lp = sc.next();
      std::vector<std::string> args = parse_args(sc, lp.line);
      if (sc.peek().kind == Tok::LBrace) {
        sc.next();
        LibGroup child;
        child.type = t.text;
        child.args = std::move(args);
        child.line = t.line;
        parse_body(sc, child, depth + 1);
        g.groups.push_back(std::move(child));
      } else {
        LibAttr a;
        a.name = t.text;
        a.values = std::move(args);
        a.complex = true;
        a.line = t.line;
        if (sc.peek().kind == Tok::Semi) sc.next();
        g.attrs.push_back(std::move(a));
      }
    } else {
      sc.fail(n.line, "after '" + t.text + "': expected ':' or '(', found " + tok_name(n.kind));
    }
  }
}

}  // namespace

LibGroup parse_liberty_syntax(const std::string& text, const std::string& source) {
  Scanner sc(text, source);
  Token t = sc.next();
  if (t.kind == Tok::End) sc.fail(t.line, "empty file: expected 'library (NAME) {'");
  if (t.kind != Tok::Word || t.text != "library")
    sc.fail(t.line, "expected 'library (NAME) {' at the start of a Liberty file");
  Token lp = sc.next();
  if (lp.kind != Tok::LParen) sc.fail(lp.line, "expected '(' after 'library'");
  LibGroup g;
  g.type = "library";
  g.line = t.line;
  g.args = parse_args(sc, lp.line);
  Token lb = sc.next();
  if (lb.kind != Tok::LBrace) sc.fail(lb.line, "expected '{' after 'library (...)'");
  parse_body(sc, g, 0);
  Token e = sc.next();
  if (e.kind != Tok::End) sc.fail(e.line, "text after the end of the library group");
  return g;
}

// ---- model ------------------------------------------------------------------------

namespace {

[[noreturn]] void fail_at(const std::string& src, int line, const std::string& msg) {
  throw LibertyError(src + ":" + std::to_string(line) + ": " + msg);
}

double to_number(const std::string& s, const std::string& src, int line, const std::string& what) {
  const char* b = s.c_str();
  while (*b == ' ') ++b;
  char* e = nullptr;
  double v = std::strtod(b, &e);
  while (e && *e == ' ') ++e;
  if (e == b || (e && *e != '\0') || !std::isfinite(v))
    fail_at(src, line, what + ": '" + s + "' is not a number");
  return v;
}

std::vector<double> number_list(const std::vector<std::string>& parts, const std::string& src, int line,
                                const std::string& what) {
  std::vector<double> out;
  for (const std::string& p : parts) {
    std::string cur;
    for (char c : p) {
      if (c == ',') {
        if (!cur.empty() && cur.find_first_not_of(" \t\r\n") != std::string::npos)
          out.push_back(to_number(cur, src, line, what));
        cur.clear();
      } else if (c != '\n' && c != '\r' && c != '\t') {
        cur += c;
      }
    }
    if (cur.find_first_not_of(" ") != std::string::npos) out.push_back(to_number(cur, src, line, what));
  }
  return out;
}

// "1ns", "100ps", "1V", "1mV", "1nW" -> value in the base unit given by scale table.
double unit_value(const std::string& s, const std::string& base, const std::string& src, int line) {
  std::string t;
  for (char c : s)
    if (c != ' ') t += c;
  size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.' || t[i] == 'e' ||
                          t[i] == 'E' || t[i] == '-' || t[i] == '+'))
    ++i;
  // "1e" would eat the e of a unit like... no unit starts with e here.
  double num = i == 0 ? 1.0 : to_number(t.substr(0, i), src, line, "unit");
  std::string u = t.substr(i);
  std::string lu;
  for (char c : u) lu += char(std::tolower(static_cast<unsigned char>(c)));
  std::string lb;
  for (char c : base) lb += char(std::tolower(static_cast<unsigned char>(c)));
  if (lu.size() < lb.size() || lu.compare(lu.size() - lb.size(), lb.size(), lb) != 0)
    fail_at(src, line, "unit '" + s + "': expected a unit of " + base);
  std::string prefix = lu.substr(0, lu.size() - lb.size());
  double f;
  if (prefix.empty()) f = 1;
  else if (prefix == "m") f = 1e-3;
  else if (prefix == "u") f = 1e-6;
  else if (prefix == "n") f = 1e-9;
  else if (prefix == "p") f = 1e-12;
  else if (prefix == "f") f = 1e-15;
  else if (prefix == "k") f = 1e3;
  else fail_at(src, line, "unit '" + s + "': unknown prefix '" + prefix + "'");
  return num * f;
}

struct Template {
  std::string var1, var2;
  std::vector<double> idx1, idx2;
};

enum class Axis { Slew, Load, Other };

Axis axis_of(const std::string& var) {
  if (var.find("capacitance") != std::string::npos) return Axis::Load;
  if (var.find("transition") != std::string::npos) return Axis::Slew;
  return Axis::Other;
}

LibTable read_table(const LibGroup& g, const std::map<std::string, Template>& templates, const std::string& src) {
  LibTable t;
  std::string tname = g.args.empty() ? "" : g.args[0];
  Template tp;
  if (!tname.empty() && tname != "scalar") {
    auto it = templates.find(tname);
    if (it == templates.end()) fail_at(src, g.line, g.type + ": unknown table template '" + tname + "'");
    tp = it->second;
  }
  std::vector<double> i1 = tp.idx1, i2 = tp.idx2;
  if (const LibAttr* a = g.attr("index_1")) i1 = number_list(a->values, src, a->line, "index_1");
  if (const LibAttr* a = g.attr("index_2")) i2 = number_list(a->values, src, a->line, "index_2");
  const LibAttr* va = g.attr("values");
  if (!va) fail_at(src, g.line, g.type + ": table without values");
  t.values = number_list(va->values, src, va->line, "values");
  if (tname.empty() || tname == "scalar" || (i1.empty() && i2.empty())) {
    if (t.values.size() != 1) {
      // a scalar template with several values: keep their mean
      double s = 0;
      for (double v : t.values) s += v;
      t.values = {t.values.empty() ? 0.0 : s / double(t.values.size())};
    }
    return t;
  }
  size_t n1 = i1.empty() ? 1 : i1.size(), n2 = i2.empty() ? 1 : i2.size();
  if (t.values.size() != n1 * n2)
    fail_at(src, va->line,
            g.type + ": " + std::to_string(t.values.size()) + " values for a " + std::to_string(n1) + "x" +
                std::to_string(n2) + " table");
  Axis a1 = axis_of(tp.var1), a2 = axis_of(tp.var2);
  if (i2.empty()) {
    if (a1 == Axis::Load) t.load = i1;
    else t.slew = i1;
  } else if (a1 == Axis::Load && a2 != Axis::Load) {
    // variable_1 is the load: store transposed
    t.load = i1;
    t.slew = i2;
    t.transposed = true;
  } else {
    t.slew = i1;
    t.load = i2;
  }
  return t;
}

// Position of x on an axis: index i and weight w so that x ~ ax[i]*(1-w) + ax[i+1]*w
// (linear extrapolation beyond the ends).
void locate(const std::vector<double>& ax, double x, size_t& i, double& w) {
  if (ax.size() < 2) {
    i = 0;
    w = 0;
    return;
  }
  size_t k = 0;
  while (k + 2 < ax.size() && x > ax[k + 1]) ++k;
  double d = ax[k + 1] - ax[k];
  i = k;
  w = d != 0 ? (x - ax[k]) / d : 0;
}

}  // namespace

double LibTable::lookup(double slew_ns, double load_pf) const {
  if (values.empty()) return 0;
  if (values.size() == 1) return values[0];
  size_t ns = slew.empty() ? 1 : slew.size(), nl = load.empty() ? 1 : load.size();
  auto at = [&](size_t is, size_t il) {
    return transposed ? values[il * ns + is] : values[is * nl + il];
  };
  size_t is = 0, il = 0;
  double ws = 0, wl = 0;
  if (ns > 1) locate(slew, slew_ns, is, ws);
  if (nl > 1) locate(load, load_pf, il, wl);
  size_t is1 = ns > 1 ? is + 1 : is, il1 = nl > 1 ? il + 1 : il;
  double v00 = at(is, il), v01 = at(is, il1), v10 = at(is1, il), v11 = at(is1, il1);
  double v0 = v00 + (v01 - v00) * wl, v1 = v10 + (v11 - v10) * wl;
  return v0 + (v1 - v0) * ws;
}

double LibWireLoad::length(int fanout) const {
  if (fanout <= 0 || fanout_length.empty()) return 0;
  for (const auto& [f, l] : fanout_length)
    if (f == fanout) return l;
  // interpolate between table points, extrapolate with the slope
  const std::pair<int, double>* lo = nullptr;
  const std::pair<int, double>* hi = nullptr;
  for (const auto& e : fanout_length) {
    if (e.first < fanout && (!lo || e.first > lo->first)) lo = &e;
    if (e.first > fanout && (!hi || e.first < hi->first)) hi = &e;
  }
  if (lo && hi) return lo->second + (hi->second - lo->second) * double(fanout - lo->first) / double(hi->first - lo->first);
  if (lo) return lo->second + slope * double(fanout - lo->first);
  // below the first point: scale proportionally
  return hi->second * double(fanout) / double(hi->first);
}

const LibPin* LibCell::pin(const std::string& n) const {
  for (const LibPin& p : pins)
    if (p.name == n) return &p;
  return nullptr;
}

bool LibCell::is_flop() const {
  return std::any_of(seq.begin(), seq.end(), [](const LibSeq& s) { return !s.latch; });
}
bool LibCell::is_latch() const {
  return std::any_of(seq.begin(), seq.end(), [](const LibSeq& s) { return s.latch; });
}

std::vector<const LibPin*> LibCell::inputs() const {
  std::vector<const LibPin*> v;
  for (const LibPin& p : pins)
    if (p.dir == PinDir::Input) v.push_back(&p);
  return v;
}
std::vector<const LibPin*> LibCell::outputs() const {
  std::vector<const LibPin*> v;
  for (const LibPin& p : pins)
    if (p.dir == PinDir::Output || p.dir == PinDir::Inout) v.push_back(&p);
  return v;
}

const LibCell* Library::cell(const std::string& n) const {
  auto it = index_.find(n);
  return it == index_.end() ? nullptr : &cells[it->second];
}

const LibWireLoad* Library::wire_load() const {
  if (default_wire_load.empty()) return nullptr;
  for (const LibWireLoad& w : wire_loads)
    if (w.name == default_wire_load) return &w;
  return nullptr;
}

double Library::mean_input_cap_pf() const {
  double s = 0;
  int n = 0;
  for (const LibCell& c : cells) {
    if (c.dont_use) continue;
    for (const LibPin& p : c.pins)
      if (p.dir == PinDir::Input && p.cap_pf > 0) {
        s += p.cap_pf;
        ++n;
      }
  }
  return n ? s / n : 0;
}

namespace {

std::string unquote_bool(const std::string& v) {
  std::string l;
  for (char c : v) l += char(std::tolower(static_cast<unsigned char>(c)));
  return l;
}

void read_pin(const LibGroup& g, const std::string& name, LibCell& cell, double cap_scale, double e_scale,
              const std::map<std::string, Template>& templates, const std::string& src) {
  LibPin p;
  p.name = name;
  std::string dir = g.value("direction");
  if (dir == "input") p.dir = PinDir::Input;
  else if (dir == "output") p.dir = PinDir::Output;
  else if (dir == "inout") p.dir = PinDir::Inout;
  else if (dir == "internal") p.dir = PinDir::Internal;
  else if (dir.empty()) fail_at(src, g.line, "pin " + name + " of cell " + cell.name + " has no direction");
  else fail_at(src, g.line, "pin " + name + " of cell " + cell.name + ": unknown direction '" + dir + "'");
  if (const LibAttr* a = g.attr("capacitance")) {
    p.cap_pf = to_number(a->values.at(0), src, a->line, "capacitance") * cap_scale;
  } else {
    double r = 0, f = 0;
    if (const LibAttr* a = g.attr("rise_capacitance")) r = to_number(a->values.at(0), src, a->line, "rise_capacitance");
    if (const LibAttr* a = g.attr("fall_capacitance")) f = to_number(a->values.at(0), src, a->line, "fall_capacitance");
    p.cap_pf = std::max(r, f) * cap_scale;
  }
  p.function = g.value("function");
  p.clock = unquote_bool(g.value("clock")) == "true";
  for (const LibGroup& ip : g.groups) {
    if (ip.type != "internal_power") continue;
    LibPowerArc arc;
    arc.related_pin = ip.value("related_pin");
    arc.when = ip.value("when");
    for (const LibGroup& t : ip.groups) {
      if (t.type == "rise_power") arc.rise = read_table(t, templates, src);
      else if (t.type == "fall_power") arc.fall = read_table(t, templates, src);
      else if (t.type == "power") arc.rise = arc.fall = read_table(t, templates, src);
    }
    for (LibTable* tb : {&arc.rise, &arc.fall})
      for (double& v : tb->values) v *= e_scale;
    if (arc.rise.empty() && arc.fall.empty()) continue;
    // "A B" related to several pins: one arc each
    std::istringstream rp(arc.related_pin);
    std::string one;
    std::vector<std::string> rel;
    while (rp >> one) rel.push_back(one);
    if (rel.size() <= 1) {
      p.power.push_back(arc);
    } else {
      for (const std::string& r : rel) {
        LibPowerArc a2 = arc;
        a2.related_pin = r;
        p.power.push_back(a2);
      }
    }
  }
  cell.pins.push_back(std::move(p));
}

LibSeq read_seq(const LibGroup& g, bool latch) {
  LibSeq s;
  s.latch = latch;
  s.iq = g.args.size() > 0 ? g.args[0] : "IQ";
  s.iqn = g.args.size() > 1 ? g.args[1] : "IQN";
  s.clocked_on = g.value("clocked_on");
  s.next_state = g.value("next_state");
  s.enable = g.value("enable");
  s.data_in = g.value("data_in");
  s.clear = g.value("clear");
  s.preset = g.value("preset");
  s.cpv1 = g.value("clear_preset_var1");
  s.cpv2 = g.value("clear_preset_var2");
  return s;
}

}  // namespace

Library build_library(const LibGroup& top, const std::string& src) {
  Library lib;
  lib.path = src;
  lib.name = top.args.empty() ? "" : top.args[0];
  // units
  std::string units;
  if (const LibAttr* a = top.attr("time_unit")) {
    lib.time_unit_ns = unit_value(a->values.at(0), "s", src, a->line) * 1e9;
    units += "time_unit " + a->values[0] + "; ";
  }
  double volt_unit = 1;
  if (const LibAttr* a = top.attr("voltage_unit")) {
    volt_unit = unit_value(a->values.at(0), "V", src, a->line);
    units += "voltage_unit " + a->values[0] + "; ";
  }
  if (const LibAttr* a = top.attr("capacitive_load_unit")) {
    if (a->values.size() != 2) fail_at(src, a->line, "capacitive_load_unit needs (value, unit)");
    double v = to_number(a->values[0], src, a->line, "capacitive_load_unit");
    lib.cap_unit_pf = v * unit_value(a->values[1], "F", src, a->line) * 1e12;
    units += "capacitive_load_unit (" + a->values[0] + "," + a->values[1] + "); ";
  } else {
    fail_at(src, top.line, "library has no capacitive_load_unit (needed for pin capacitances and energies)");
  }
  if (const LibAttr* a = top.attr("leakage_power_unit")) {
    lib.leak_unit_nw = unit_value(a->values.at(0), "W", src, a->line) * 1e9;
    units += "leakage_power_unit " + a->values[0] + "; ";
  }
  lib.energy_unit_pj = lib.cap_unit_pf * volt_unit * volt_unit;
  lib.units_text = units;
  // supply voltage: the default operating conditions, else nom_voltage
  std::string doc = top.value("default_operating_conditions");
  for (const LibGroup& g : top.groups)
    if (g.type == "operating_conditions" && (doc.empty() || (!g.args.empty() && g.args[0] == doc)))
      if (const LibAttr* a = g.attr("voltage")) {
        lib.voltage = to_number(a->values.at(0), src, a->line, "voltage") * volt_unit;
        if (!doc.empty()) break;
      }
  if (lib.voltage <= 0)
    if (const LibAttr* a = top.attr("nom_voltage")) lib.voltage = to_number(a->values.at(0), src, a->line, "nom_voltage") * volt_unit;
  if (lib.voltage <= 0) fail_at(src, top.line, "library gives no supply voltage (nom_voltage or operating_conditions)");

  std::map<std::string, Template> templates;
  for (const LibGroup& g : top.groups) {
    if (g.type != "lu_table_template" && g.type != "power_lut_template") continue;
    Template t;
    t.var1 = g.value("variable_1");
    t.var2 = g.value("variable_2");
    if (const LibAttr* a = g.attr("index_1")) t.idx1 = number_list(a->values, src, a->line, "index_1");
    if (const LibAttr* a = g.attr("index_2")) t.idx2 = number_list(a->values, src, a->line, "index_2");
    if (!g.args.empty()) templates[g.args[0]] = t;
  }
  lib.default_wire_load = top.value("default_wire_load");
  for (const LibGroup& g : top.groups) {
    if (g.type != "wire_load" || g.args.empty()) continue;
    LibWireLoad w;
    w.name = g.args[0];
    if (const LibAttr* a = g.attr("capacitance"))
      w.cap_per_len_pf = to_number(a->values.at(0), src, a->line, "capacitance") * lib.cap_unit_pf;
    if (const LibAttr* a = g.attr("slope")) w.slope = to_number(a->values.at(0), src, a->line, "slope");
    for (const LibAttr& a : g.attrs)
      if (a.name == "fanout_length" && a.values.size() == 2)
        w.fanout_length.push_back({int(to_number(a.values[0], src, a.line, "fanout_length")),
                                   to_number(a.values[1], src, a.line, "fanout_length")});
    lib.wire_loads.push_back(w);
  }
  double default_leak = 0;
  if (const LibAttr* a = top.attr("default_cell_leakage_power"))
    default_leak = to_number(a->values.at(0), src, a->line, "default_cell_leakage_power");

  for (const LibGroup& g : top.groups) {
    if (g.type != "cell") continue;
    if (g.args.empty()) fail_at(src, g.line, "cell group without a name");
    LibCell c;
    c.name = g.args[0];
    c.line = g.line;
    if (const LibAttr* a = g.attr("area")) {
      c.area = to_number(a->values.at(0), src, a->line, "area of cell " + c.name);
      c.has_area = true;
    }
    c.dont_use = unquote_bool(g.value("dont_use")) == "true";
    for (const char* a : {"is_isolation_cell", "is_level_shifter", "always_on"})
      if (unquote_bool(g.value(a)) == "true") c.power_mgmt = true;
    if (g.has("retention_cell") || g.has("switch_cell_type")) c.power_mgmt = true;
    if (const LibAttr* a = g.attr("cell_leakage_power")) {
      c.leakage_nw = to_number(a->values.at(0), src, a->line, "cell_leakage_power") * lib.leak_unit_nw;
    } else {
      double s = 0;
      int n = 0;
      for (const LibGroup& lp : g.groups)
        if (lp.type == "leakage_power")
          if (const LibAttr* a = lp.attr("value")) {
            s += to_number(a->values.at(0), src, a->line, "leakage_power value");
            ++n;
          }
      c.leakage_nw = (n ? s / n : default_leak) * lib.leak_unit_nw;
    }
    for (const LibGroup& sg : g.groups) {
      if (sg.type == "pin") {
        if (sg.args.empty()) fail_at(src, sg.line, "pin group without a name in cell " + c.name);
        for (const std::string& n : sg.args) read_pin(sg, n, c, lib.cap_unit_pf, lib.energy_unit_pj, templates, src);
      } else if (sg.type == "bus" || sg.type == "bundle") {
        for (const LibGroup& bp : sg.groups)
          if (bp.type == "pin")
            for (const std::string& n : bp.args) read_pin(bp, n, c, lib.cap_unit_pf, lib.energy_unit_pj, templates, src);
      } else if (sg.type == "ff" || sg.type == "ff_bank") {
        c.seq.push_back(read_seq(sg, false));
      } else if (sg.type == "latch" || sg.type == "latch_bank") {
        c.seq.push_back(read_seq(sg, true));
      } else if (sg.type == "statetable") {
        c.statetable = true;
      }
    }
    if (lib.index_.count(c.name)) fail_at(src, g.line, "cell " + c.name + " is defined twice");
    lib.index_[c.name] = lib.cells.size();
    lib.cells.push_back(std::move(c));
  }
  if (lib.cells.empty()) fail_at(src, top.line, "library " + lib.name + " has no cells");
  return lib;
}

Library parse_liberty(const std::string& text, const std::string& source) {
  LibGroup top = parse_liberty_syntax(text, source);
  return build_library(top, source);
}

Library read_liberty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LibertyError(path + ":0: cannot open the Liberty file");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0x1f && static_cast<unsigned char>(text[1]) == 0x8b)
    throw LibertyError(path + ":1: gzip-compressed file; Yosys 0.23 needs a plain Liberty file (gunzip it first)");
  return parse_liberty(text, path);
}

}  // namespace macforge::synth

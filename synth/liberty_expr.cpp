#include "synth/liberty_expr.hpp"

#include <cctype>

namespace macforge::synth {

namespace {

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  BoolExprPtr parse() {
    BoolExprPtr e = parse_or();
    skip();
    if (p_ != s_.size()) fail("unexpected '" + std::string(1, s_[p_]) + "'");
    return e;
  }

 private:
  const std::string& s_;
  size_t p_ = 0;

  [[noreturn]] void fail(const std::string& msg) const {
    throw ExprError("boolean expression \"" + s_ + "\": " + msg + " at column " + std::to_string(p_ + 1));
  }
  void skip() {
    while (p_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[p_]))) ++p_;
  }
  static bool name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '[' || c == ']' || c == '.' || c == '$';
  }
  static BoolExprPtr node(BoolExpr::Kind k, std::vector<BoolExprPtr> a) {
    auto e = std::make_shared<BoolExpr>();
    e->kind = k;
    e->args = std::move(a);
    return e;
  }

  BoolExprPtr parse_or() {
    std::vector<BoolExprPtr> terms{parse_and()};
    while (true) {
      skip();
      if (p_ < s_.size() && (s_[p_] == '|' || s_[p_] == '+')) {
        ++p_;
        terms.push_back(parse_and());
      } else {
        break;
      }
    }
    return terms.size() == 1 ? terms[0] : node(BoolExpr::Or, terms);
  }

  // AND: '&', '*' or juxtaposition of two operands.
  BoolExprPtr parse_and() {
    std::vector<BoolExprPtr> terms{parse_xor()};
    while (true) {
      skip();
      if (p_ >= s_.size()) break;
      char c = s_[p_];
      if (c == '&' || c == '*') {
        ++p_;
        terms.push_back(parse_xor());
      } else if (c == '!' || c == '(' || name_char(c)) {
        terms.push_back(parse_xor());  // implicit AND
      } else {
        break;
      }
    }
    return terms.size() == 1 ? terms[0] : node(BoolExpr::And, terms);
  }

  BoolExprPtr parse_xor() {
    std::vector<BoolExprPtr> terms{parse_unary()};
    while (true) {
      skip();
      if (p_ < s_.size() && s_[p_] == '^') {
        ++p_;
        terms.push_back(parse_unary());
      } else {
        break;
      }
    }
    return terms.size() == 1 ? terms[0] : node(BoolExpr::Xor, terms);
  }

  BoolExprPtr parse_unary() {
    skip();
    if (p_ >= s_.size()) fail("unexpected end");
    BoolExprPtr e;
    char c = s_[p_];
    if (c == '!') {
      ++p_;
      e = node(BoolExpr::Not, {parse_unary()});
      return postfix(e);
    }
    if (c == '(') {
      ++p_;
      e = parse_or();
      skip();
      if (p_ >= s_.size() || s_[p_] != ')') fail("missing ')'");
      ++p_;
      return postfix(e);
    }
    if (!name_char(c)) fail("unexpected '" + std::string(1, c) + "'");
    size_t b = p_;
    while (p_ < s_.size() && name_char(s_[p_])) ++p_;
    std::string n = s_.substr(b, p_ - b);
    e = std::make_shared<BoolExpr>();
    if (n == "0" || n == "1") {
      e->kind = BoolExpr::Const;
      e->value = n == "1";
    } else {
      e->kind = BoolExpr::Var;
      e->name = n;
    }
    return postfix(e);
  }

  BoolExprPtr postfix(BoolExprPtr e) {
    while (true) {
      skip();
      if (p_ < s_.size() && s_[p_] == '\'') {
        ++p_;
        e = node(BoolExpr::Not, {e});
      } else {
        return e;
      }
    }
  }
};

}  // namespace

BoolExprPtr parse_bool_expr(const std::string& text) {
  std::string t = text;
  // strip surrounding quotes if the value kept them
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  bool blank = true;
  for (char c : t)
    if (!std::isspace(static_cast<unsigned char>(c))) blank = false;
  if (blank) throw ExprError("empty boolean expression");
  Parser p(t);
  return p.parse();
}

bool BoolExpr::eval(const std::map<std::string, bool>& env) const {
  switch (kind) {
    case Var: {
      auto it = env.find(name);
      if (it == env.end()) throw ExprError("boolean expression uses unknown name '" + name + "'");
      return it->second;
    }
    case Const: return value;
    case Not: return !args[0]->eval(env);
    case And:
      for (const auto& a : args)
        if (!a->eval(env)) return false;
      return true;
    case Or:
      for (const auto& a : args)
        if (a->eval(env)) return true;
      return false;
    case Xor: {
      bool v = false;
      for (const auto& a : args) v ^= a->eval(env);
      return v;
    }
  }
  return false;
}

std::string BoolExpr::verilog() const {
  switch (kind) {
    case Var: return name;
    case Const: return value ? "1'b1" : "1'b0";
    case Not: return "(~" + args[0]->verilog() + ")";
    case And:
    case Or:
    case Xor: {
      const char* op = kind == And ? " & " : kind == Or ? " | " : " ^ ";
      std::string s = "(";
      for (size_t i = 0; i < args.size(); ++i) s += (i ? op : "") + args[i]->verilog();
      return s + ")";
    }
  }
  return "1'b0";
}

void BoolExpr::vars(std::vector<std::string>& out) const {
  if (kind == Var) {
    for (const std::string& n : out)
      if (n == name) return;
    out.push_back(name);
  }
  for (const auto& a : args) a->vars(out);
}

bool single_var(const BoolExpr& e, std::string& name, bool& inverted) {
  if (e.kind == BoolExpr::Var) {
    name = e.name;
    inverted = false;
    return true;
  }
  if (e.kind == BoolExpr::Not && single_var(*e.args[0], name, inverted)) {
    inverted = !inverted;
    return true;
  }
  return false;
}

}  // namespace macforge::synth

#include "sweep/expr.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex.h>

#include <cstring>

#include "sweep/util.hpp"

namespace macforge::sweep {

namespace {

// A value: text, and a number when the text is one.
struct Value {
  std::string text;
  bool is_num = false;
  double num = 0;
  static Value of_text(const std::string& t) {
    Value v;
    v.text = t;
    char* end = nullptr;
    std::string s = trim(t);
    if (!s.empty()) {
      double d = std::strtod(s.c_str(), &end);
      if (end && *end == '\0') {
        v.is_num = true;
        v.num = d;
      }
    }
    return v;
  }
  static Value of_num(double d) {
    Value v;
    v.is_num = true;
    v.num = d;
    v.text = fmt_num(d, 15);
    return v;
  }
  static Value of_bool(bool b) { return of_num(b ? 1 : 0); }
  bool truthy() const { return is_num ? num != 0 : !text.empty() && text != "false"; }
};

enum class Op { Lit, Var, Not, Neg, And, Or, Eq, Ne, Lt, Le, Gt, Ge, Match, In, Add, Sub, Mul, Div, List };

}  // namespace

struct Expr::Node {
  Op op = Op::Lit;
  std::string text;  // literal text or variable name
  std::vector<std::shared_ptr<const Node>> kids;
  int col = 0;
  int depth = 1;  // height of the subtree: eval and destruction recurse this deep
};

namespace {

using NodeP = std::shared_ptr<const Expr::Node>;

class Parser {
 public:
  Parser(const std::string& t, const std::vector<std::string>& names) : t_(t), names_(names) {}

  NodeP parse() {
    NodeP n = parse_or();
    skip();
    if (p_ < t_.size()) fail("unexpected '" + t_.substr(p_) + "'");
    return n;
  }

 private:
  const std::string& t_;
  const std::vector<std::string>& names_;
  size_t p_ = 0;
  int nest_ = 0;  // open '(', '!', 'not', unary '-' on the parser's stack

  // Recursive descent: a deep nesting ('((((...', '!!!!...', '1+1+1+...')
  // would overflow the stack while parsing or evaluating (fuzz_filter found
  // '(' x 300). No sensible filter comes near these limits.
  static constexpr int kMaxNest = 64;
  static constexpr int kMaxDepth = 256;
  struct Nest {
    Parser& p;
    explicit Nest(Parser& parser) : p(parser) {
      if (++p.nest_ > kMaxNest) p.fail("nested more than " + std::to_string(kMaxNest) + " deep (parentheses, '!', 'not', '-')");
    }
    ~Nest() { --p.nest_; }
  };

  [[noreturn]] void fail(const std::string& msg) const {
    throw ExprError("column " + std::to_string(p_ + 1) + ": " + msg);
  }
  void skip() {
    while (p_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[p_]))) ++p_;
  }
  bool eat(const std::string& tok) {
    skip();
    if (t_.compare(p_, tok.size(), tok) != 0) return false;
    // Do not split `<=` as `<` or words such as `index` as `in`.
    if (std::isalpha(static_cast<unsigned char>(tok[0])) && p_ + tok.size() < t_.size() &&
        (std::isalnum(static_cast<unsigned char>(t_[p_ + tok.size()])) || t_[p_ + tok.size()] == '_'))
      return false;
    p_ += tok.size();
    return true;
  }
  NodeP make(Op op, std::vector<NodeP> kids, int col, const std::string& text = "") {
    auto n = std::make_shared<Expr::Node>();
    n->op = op;
    n->kids = std::move(kids);
    n->col = col;
    n->text = text;
    for (const NodeP& k : n->kids) n->depth = std::max(n->depth, k->depth + 1);
    if (n->depth > kMaxDepth)
      fail("expression more than " + std::to_string(kMaxDepth) + " operators deep; split it into several where:/exclude: entries");
    return n;
  }
  NodeP parse_or() {
    NodeP l = parse_and();
    for (;;) {
      int c = int(p_);
      if (eat("||") || eat("or")) l = make(Op::Or, {l, parse_and()}, c);
      else return l;
    }
  }
  NodeP parse_and() {
    NodeP l = parse_not();
    for (;;) {
      int c = int(p_);
      if (eat("&&") || eat("and")) l = make(Op::And, {l, parse_not()}, c);
      else return l;
    }
  }
  NodeP parse_not() {
    int c = int(p_);
    skip();
    if (p_ < t_.size() && t_[p_] == '!' && (p_ + 1 >= t_.size() || t_[p_ + 1] != '=')) {
      ++p_;
      Nest guard(*this);
      return make(Op::Not, {parse_not()}, c);
    }
    if (eat("not")) {
      Nest guard(*this);
      return make(Op::Not, {parse_not()}, c);
    }
    return parse_cmp();
  }
  NodeP parse_cmp() {
    NodeP l = parse_sum();
    int c = int(p_);
    static const std::vector<std::pair<std::string, Op>> ops = {
        {"==", Op::Eq}, {"!=", Op::Ne}, {"<=", Op::Le}, {">=", Op::Ge}, {"=~", Op::Match}, {"<", Op::Lt}, {">", Op::Gt}};
    for (const auto& [tok, op] : ops)
      if (eat(tok)) return make(op, {l, parse_sum()}, c);
    if (eat("in")) {
      skip();
      if (!eat("[")) fail("expected '[' after 'in'");
      std::vector<NodeP> items;
      if (!eat("]")) {
        do items.push_back(parse_sum());
        while (eat(","));
        if (!eat("]")) fail("expected ']' or ','");
      }
      return make(Op::In, {l, make(Op::List, items, c)}, c);
    }
    return l;
  }
  NodeP parse_sum() {
    NodeP l = parse_prod();
    for (;;) {
      int c = int(p_);
      if (eat("+")) l = make(Op::Add, {l, parse_prod()}, c);
      else if (eat("-")) l = make(Op::Sub, {l, parse_prod()}, c);
      else return l;
    }
  }
  NodeP parse_prod() {
    NodeP l = parse_unary();
    for (;;) {
      int c = int(p_);
      if (eat("*")) l = make(Op::Mul, {l, parse_unary()}, c);
      else if (eat("/")) l = make(Op::Div, {l, parse_unary()}, c);
      else return l;
    }
  }
  NodeP parse_unary() {
    int c = int(p_);
    if (eat("-")) {
      Nest guard(*this);
      return make(Op::Neg, {parse_unary()}, c);
    }
    return parse_atom();
  }
  NodeP parse_atom() {
    skip();
    int c = int(p_);
    if (p_ >= t_.size()) fail("unexpected end of the expression");
    char ch = t_[p_];
    if (ch == '(') {
      ++p_;
      Nest guard(*this);
      NodeP n = parse_or();
      if (!eat(")")) fail("expected ')'");
      return n;
    }
    if (ch == '\'' || ch == '"') {
      size_t e = t_.find(ch, p_ + 1);
      if (e == std::string::npos) fail("unterminated string");
      std::string s = t_.substr(p_ + 1, e - p_ - 1);
      p_ = e + 1;
      return make(Op::Lit, {}, c, s);
    }
    if (std::isdigit(static_cast<unsigned char>(ch)) || ch == '.') {
      size_t e = p_;
      while (e < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[e])) || t_[e] == '.')) ++e;
      std::string s = t_.substr(p_, e - p_);
      Value v = Value::of_text(s);
      if (!v.is_num) fail("'" + s + "' is not a number (quote text: '" + s + "')");
      p_ = e;
      return make(Op::Lit, {}, c, s);
    }
    if (std::isalpha(static_cast<unsigned char>(ch)) || ch == '_') {
      size_t e = p_;
      while (e < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[e])) || t_[e] == '_')) ++e;
      std::string w = t_.substr(p_, e - p_);
      p_ = e;
      if (w == "true") return make(Op::Lit, {}, c, "1");
      if (w == "false") return make(Op::Lit, {}, c, "0");
      if (std::find(names_.begin(), names_.end(), w) == names_.end()) {
        p_ = size_t(c);
        fail("unknown name '" + w + "' (known: " + join(names_) + "; quote text: '" + w + "')");
      }
      return make(Op::Var, {}, c, w);
    }
    fail(std::string("unexpected '") + ch + "'");
  }
};

Value eval_node(const Expr::Node& n, const std::map<std::string, std::string>& vars) {
  auto bin = [&](size_t i) { return eval_node(*n.kids[i], vars); };
  auto err = [&](const std::string& m) { throw ExprError("column " + std::to_string(n.col + 1) + ": " + m); };
  auto cmp = [&](const Value& a, const Value& b) -> int {
    if (a.is_num && b.is_num) return a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
    return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  };
  auto arith = [&](double (*f)(double, double)) {
    Value a = bin(0), b = bin(1);
    if (!a.is_num || !b.is_num) err("arithmetic on text ('" + a.text + "', '" + b.text + "')");
    return Value::of_num(f(a.num, b.num));
  };
  switch (n.op) {
    case Op::Lit: return Value::of_text(n.text);
    case Op::Var: {
      auto it = vars.find(n.text);
      if (it == vars.end()) err("no value for '" + n.text + "'");
      return Value::of_text(it->second);
    }
    case Op::Not: return Value::of_bool(!bin(0).truthy());
    case Op::Neg: {
      Value a = bin(0);
      if (!a.is_num) err("'-' on text");
      return Value::of_num(-a.num);
    }
    case Op::And: return Value::of_bool(bin(0).truthy() && bin(1).truthy());
    case Op::Or: return Value::of_bool(bin(0).truthy() || bin(1).truthy());
    case Op::Eq: return Value::of_bool(cmp(bin(0), bin(1)) == 0);
    case Op::Ne: return Value::of_bool(cmp(bin(0), bin(1)) != 0);
    case Op::Lt: return Value::of_bool(cmp(bin(0), bin(1)) < 0);
    case Op::Le: return Value::of_bool(cmp(bin(0), bin(1)) <= 0);
    case Op::Gt: return Value::of_bool(cmp(bin(0), bin(1)) > 0);
    case Op::Ge: return Value::of_bool(cmp(bin(0), bin(1)) >= 0);
    case Op::Match: {
      Value a = bin(0), b = bin(1);
      // POSIX extended syntax, matched by the C library's automaton: std::regex
      // backtracks, and a pattern such as 'i+++*++' or '(a+)+' made it run for
      // minutes (found by fuzz_filter). Long patterns and large repeat counts
      // are refused, as they make the automaton itself large.
      size_t digits = 0, run = 0;  // longest digit run inside {...}
      bool brace = false;
      for (char c : b.text) {
        if (c == '{' || c == '}') brace = c == '{';
        run = brace && std::isdigit(static_cast<unsigned char>(c)) ? run + 1 : 0;
        digits = std::max(digits, run);
      }
      // A repeat of a repeat or of a group ('a++', '(a+)*') can be exponential in
      // glibc's matcher too (the fuzz regression test hung): refused.
      bool nested = false;
      for (size_t i = 1; i < b.text.size(); ++i)
        if (std::strchr("+*?{", b.text[i]) && std::strchr("+*?})", b.text[i - 1]))
          nested = true;
      if (b.text.size() > 200 || b.text.find('\0') != std::string::npos || digits > 3 || nested)
        err("regular expression '" + b.text + "' too long, nested repeats or a repeat count over 999");
      regex_t re;
      if (regcomp(&re, b.text.c_str(), REG_EXTENDED | REG_NOSUB) != 0)
        err("bad regular expression '" + b.text + "'");
      const bool hit = regexec(&re, a.text.c_str(), 0, nullptr, 0) == 0;
      regfree(&re);
      return Value::of_bool(hit);
    }
    case Op::In: {
      Value a = bin(0);
      for (const auto& k : n.kids[1]->kids)
        if (cmp(a, eval_node(*k, vars)) == 0) return Value::of_bool(true);
      return Value::of_bool(false);
    }
    case Op::Add: return arith([](double x, double y) { return x + y; });
    case Op::Sub: return arith([](double x, double y) { return x - y; });
    case Op::Mul: return arith([](double x, double y) { return x * y; });
    case Op::Div: return arith([](double x, double y) { return x / y; });
    case Op::List: err("a list is only valid after 'in'");
  }
  return Value();
}

}  // namespace

Expr Expr::parse(const std::string& text, const std::vector<std::string>& names) {
  Expr e;
  e.text_ = text;
  e.root_ = Parser(text, names).parse();
  return e;
}

bool Expr::eval(const std::map<std::string, std::string>& vars) const {
  if (!root_) return true;
  return eval_node(*root_, vars).truthy();
}

}  // namespace macforge::sweep

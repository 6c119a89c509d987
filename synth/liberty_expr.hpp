// Liberty boolean expressions (pin `function`, ff `next_state`, `clear`, ...):
// parsing, evaluation and translation to Verilog.
//
// Syntax (Liberty reference): operands are pin / state names and the
// constants 0 and 1; `!A` and `A'` invert; `^` is XOR; `&`, `*` and plain
// juxtaposition (`A B`) are AND; `|` and `+` are OR; parentheses group.
// Precedence, highest first: inversion, XOR, AND, OR.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace macforge::synth {

struct ExprError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct BoolExpr {
  enum Kind { Var, Const, Not, And, Or, Xor } kind = Const;
  std::string name;  // Var
  bool value = false;  // Const
  std::vector<std::shared_ptr<BoolExpr>> args;

  bool eval(const std::map<std::string, bool>& env) const;  // throws ExprError on an unknown name
  std::string verilog() const;                              // e.g. "(~(A & B))"
  void vars(std::vector<std::string>& out) const;           // names used, first-seen order
};

using BoolExprPtr = std::shared_ptr<BoolExpr>;

// Throws ExprError("...") naming the expression and the problem.
BoolExprPtr parse_bool_expr(const std::string& text);

// If the expression is a single (possibly inverted) variable, its name and
// polarity (for clock and reset pins).
bool single_var(const BoolExpr& e, std::string& name, bool& inverted);

}  // namespace macforge::synth

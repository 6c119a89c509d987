// Filter expressions of sweep files: `where: "rows == cols && a_bits >= 6"`,
// `exclude: ["format =~ 'int' && dataflow == 'weight-stationary'"]`.
//
// Grammar (docs/sweeps.md): || && ! ( ) == != < <= > >= =~ (regex search)
// `in [v, ...]`, + - * /, numbers, 'single' or "double" quoted strings,
// true/false, and the names of a point's parameters. Comparisons are numeric
// when both sides are numbers, else on the text.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace macforge::sweep {

// what() is "column C: problem"; the caller adds the file and line.
struct ExprError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Expr {
 public:
  struct Node;
  Expr() = default;
  // Parses text; every name must be one of `names`. Throws ExprError.
  static Expr parse(const std::string& text, const std::vector<std::string>& names);
  bool eval(const std::map<std::string, std::string>& vars) const;  // throws ExprError
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

}  // namespace macforge::sweep

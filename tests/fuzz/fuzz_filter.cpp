// libFuzzer harness: sweep filter expressions (sweep/expr.cpp). Input: the
// expression, then after the first newline comma-separated values given to
// the parameters in order. Bad expressions (and bad evaluations such as a
// division by zero or an invalid regex) must throw ExprError.
#include <cstdint>
#include <map>
#include <string>

#include "sweep/expr.hpp"
#include "sweep/spec.hpp"

using namespace macforge::sweep;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string expr = text, vals;
  size_t nl = text.find('\n');
  if (nl != std::string::npos) {
    expr = text.substr(0, nl);
    vals = text.substr(nl + 1);
  }
  std::map<std::string, std::string> vars;
  size_t pos = 0;
  for (const std::string& name : param_names()) {
    size_t comma = vals.find(',', pos);
    vars[name] = pos <= vals.size() ? vals.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos)
                                    : std::string("8");
    pos = comma == std::string::npos ? vals.size() + 1 : comma + 1;
  }
  try {
    Expr e = Expr::parse(expr, param_names());
    (void)e.eval(vars);
  } catch (const ExprError&) {
  }
  return 0;
}

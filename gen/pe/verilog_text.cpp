#include "gen/pe/verilog_text.hpp"

#include "gen/verilog.hpp"

namespace macforge::gen::pe {

int bitlen(const BigInt& v) { return v <= 0 ? 0 : int(boost::multiprecision::msb(v)) + 1; }
// Written as in-place shifts: g++ 12 -O3 sees a false out-of-bounds copy in
// cpp_int's `BigInt(1) << n` returned from an out-of-line function.
BigInt pow2(int n) {
  BigInt r = 1;
  r <<= n;
  return r;
}
BigInt ceil_shr(const BigInt& v, int k) {
  BigInt r = v + pow2(k) - 1;
  r >>= k;
  return r;
}
int clog2(long long x) {
  int n = 0;
  while ((1LL << n) < x) ++n;
  return n;
}
int lzc_bits(int w) { return clog2(w + 1); }

std::string S(long long v) { return std::to_string(v); }
std::string rng(int w) { return vrange(w); }
std::string vec(int w) { return "[" + S(w - 1) + ":0] "; }
std::string slice(const std::string& bus, int lo, int w) {
  return w == 1 ? bus + "[" + S(lo) + "]" : bus + "[" + S(lo + w - 1) + ":" + S(lo) + "]";
}
std::string zext(const std::string& x, int from, int to) {
  if (to == from) return x;
  if (to - from == 1) return "{1'b0, " + x + "}";
  return "{{" + S(to - from) + "{1'b0}}, " + x + "}";
}
std::string sext(const std::string& x, int from, int to) {
  if (to == from) return x;
  std::string msb = from == 1 ? x : x + "[" + S(from - 1) + "]";
  if (to - from == 1) return "{" + msb + ", " + x + "}";
  return "{{" + S(to - from) + "{" + msb + "}}, " + x + "}";
}
std::string cst(int w, long long v) {
  BigInt m = pow2(w);
  BigInt u = ((BigInt(v) % m) + m) % m;
  return S(w) + "'d" + u.str();
}

}  // namespace macforge::gen::pe

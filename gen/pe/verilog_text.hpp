// Small text helpers shared by the PE part emitters (gen/pe/*.cpp): exact
// widths from cpp_int bounds, and sized Verilog ranges, slices, extensions and
// constants. The array emitter's helpers (gen/verilog.hpp) cover whole buses;
// these write the expressions inside one PE.
#pragma once

#include <boost/multiprecision/cpp_int.hpp>
#include <string>

namespace macforge::gen::pe {

using BigInt = boost::multiprecision::cpp_int;

// Bits of the unsigned value v (0 for v <= 0).
int bitlen(const BigInt& v);
BigInt pow2(int n);
// ceil(v / 2^k) for v >= 0.
BigInt ceil_shr(const BigInt& v, int k);
// Smallest n with 2^n >= x.
int clog2(long long x);
// Width of mf_lzc's count for a W-bit input.
int lzc_bits(int w);

std::string S(long long v);
// "[w-1:0] ", or "" for one bit (the same as vrange of gen/verilog.hpp).
std::string rng(int w);
// Always a vector, so that bit selects work for one lane too.
std::string vec(int w);
// Bits [lo + w - 1 : lo] of bus (bus[lo] for one bit).
std::string slice(const std::string& bus, int lo, int w);
// Zero-extends expression x from `from` to `to` bits.
std::string zext(const std::string& x, int from, int to);
// Sign-extends the named wire x (from bits) to `to` bits.
std::string sext(const std::string& x, int from, int to);
// A w-bit constant; negative values as two's complement.
std::string cst(int w, long long v);

}  // namespace macforge::gen::pe

// The ports of a generated top module (output- or weight-stationary,
// docs/array.md section 2) as host values, and the copy of those values onto
// and off a verilated model of any configuration: ports that only some
// configurations have are detected by name at compile time. Header-only and
// without Verilator includes, so both the array testbench (tests/rtl_array)
// and the plain Verilator harness (sim/plain_main.cpp) use it; the SystemC
// wrapper drives the same values through signals (sim/rtl_sc.hpp).
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace macforge::sim {

using BitVec = std::vector<uint32_t>;  // little-endian 32-bit words (Verilator's VlWide order)

// Every input of either top module (OS or WS); a model takes those it has.
struct PortInputs {
  bool rst = false;
  bool in_valid = false, in_first = false, in_blk_last = false, in_last = false, in_bank = false;
  bool in_mode = false;  // multi-format arrays: the mode of this chunk (docs/array.md)
  BitVec in_a, in_a_scale, in_b, in_b_scale, in_ga, in_gb, in_psum;
  bool w_valid = false, w_bank = false;
  uint32_t w_row = 0, w_chunk = 0;
  BitVec w_b, w_b_scale, w_gb;
};

struct PortOutputs {
  bool out_valid = false;
  uint32_t out_row = 0;
  bool out_last = false;
  BitVec out_c;
};

namespace verilated {

// A port of up to 64 bits is an integer, a wider one an array of 32-bit words.
template <typename P>
void put(P& port, const BitVec& v) {
  if constexpr (std::is_integral_v<P>) {
    uint64_t x = (v.size() > 0 ? v[0] : 0) | (v.size() > 1 ? uint64_t(v[1]) << 32 : 0);
    port = P(x);
  } else {
    for (size_t w = 0; w < sizeof(port) / sizeof(port[0]); ++w) port[w] = w < v.size() ? v[w] : 0;
  }
}
template <typename P>
void put(P& port, uint64_t x) {
  put(port, BitVec{uint32_t(x), uint32_t(x >> 32)});
}
template <typename P>
BitVec get(const P& port) {
  if constexpr (std::is_integral_v<P>) {
    uint64_t x = uint64_t(port);
    return BitVec{uint32_t(x), uint32_t(x >> 32)};
  } else {
    BitVec v(sizeof(port) / sizeof(port[0]));
    for (size_t w = 0; w < v.size(); ++w) v[w] = port[w];
    return v;
  }
}

#define MF_HAS_PORT(member)                                                  \
  template <typename T, typename = void>                                     \
  struct has_##member : std::false_type {};                                  \
  template <typename T>                                                      \
  struct has_##member<T, std::void_t<decltype(std::declval<T&>().member)>> \
      : std::true_type {};
MF_HAS_PORT(in_first)
MF_HAS_PORT(in_mode)
MF_HAS_PORT(in_a_scale)
MF_HAS_PORT(in_b)
MF_HAS_PORT(in_b_scale)
MF_HAS_PORT(in_ga)
MF_HAS_PORT(in_gb)
MF_HAS_PORT(in_bank)
MF_HAS_PORT(in_psum)
MF_HAS_PORT(w_valid)
MF_HAS_PORT(w_chunk)
MF_HAS_PORT(w_b_scale)
MF_HAS_PORT(w_gb)
MF_HAS_PORT(out_row)
MF_HAS_PORT(out_last)
#undef MF_HAS_PORT

}  // namespace verilated

// Sets the model's inputs (call before eval()).
template <typename T>
void drive(T& top, const PortInputs& in) {
  using namespace verilated;
#define MF_PUT_IF(member, v) \
  if constexpr (has_##member<T>::value) put(top.member, v)
  top.rst = in.rst;
  top.in_valid = in.in_valid;
  top.in_blk_last = in.in_blk_last;
  top.in_last = in.in_last;
  put(top.in_a, in.in_a);
  MF_PUT_IF(in_first, uint64_t(in.in_first));
  MF_PUT_IF(in_mode, uint64_t(in.in_mode));
  MF_PUT_IF(in_a_scale, in.in_a_scale);
  MF_PUT_IF(in_b, in.in_b);
  MF_PUT_IF(in_b_scale, in.in_b_scale);
  MF_PUT_IF(in_ga, in.in_ga);
  MF_PUT_IF(in_gb, in.in_gb);
  MF_PUT_IF(in_bank, uint64_t(in.in_bank));
  MF_PUT_IF(in_psum, in.in_psum);
  MF_PUT_IF(w_valid, uint64_t(in.w_valid));
  if constexpr (has_w_valid<T>::value) {
    put(top.w_bank, uint64_t(in.w_bank));
    put(top.w_row, uint64_t(in.w_row));
    put(top.w_b, in.w_b);
  }
  MF_PUT_IF(w_chunk, uint64_t(in.w_chunk));
  MF_PUT_IF(w_b_scale, in.w_b_scale);
  MF_PUT_IF(w_gb, in.w_gb);
#undef MF_PUT_IF
}

// Reads the model's outputs (after eval()).
template <typename T>
void sample(const T& top, PortOutputs& out) {
  using namespace verilated;
  out.out_valid = top.out_valid;
  out.out_c = get(top.out_c);
  if constexpr (has_out_row<T>::value) out.out_row = uint32_t(top.out_row);
  if constexpr (has_out_last<T>::value) out.out_last = top.out_last;
}

}  // namespace macforge::sim

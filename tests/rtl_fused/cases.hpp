// The fused-mode PEs under test (tests/rtl_fused): shared by the generator
// (fused_testgen.cpp) and the Verilator driver (fused_main.cpp).
#pragma once

namespace fused_test {

struct Case {
  const char* name;   // PE module pe_<name>
  const char* a;      // element formats
  const char* b;
  const char* accum;  // pe.accumulation
  int max_steps;      // longest dot product, in steps of G
  int dots;           // random dot products
  int pipeline;       // extra register stages
};

// G = 8 PEs keep the suite small; the G = 32 ones are the H200 Hopper FP8 step
// (hopper-fp8, K = 128 among others) and one with promotion every 2 G.
inline const Case kCases[] = {
    {"g8", "fp8_e4m3", "fp8_e4m3", "fused:g=8,f=13,acc=e8m13", 16, 3000, 0},
    {"g8_p16", "fp8_e4m3", "fp8_e5m2", "fused:g=8,f=13,acc=e8m13,p=16", 16, 3000, 2},
    {"g8_f32_rne", "fp8_e5m2", "fp8_e5m2", "fused:g=8,f=25,acc=f32,accround=rne", 16, 3000, 0},
    {"g8_f4_rne", "fp8_e4m3", "fp8_e4m3", "fused:g=8,f=4,acc=e8m5,accround=rne,p=24", 12, 3000, 0},
    // e8m0 block scales (32 elements): scale exponents join the product
    // exponents, so the step sums reach the accumulator's subnormals and Inf.
    {"mx_rz", "mxfp8_e4m3", "mxfp8_e4m3", "fused:g=8,f=13,acc=e8m13", 16, 3000, 0},
    {"mx_rne_p16", "mxfp8_e4m3", "mxfp8_e5m2", "fused:g=8,f=13,acc=e8m13,accround=rne,p=16", 16, 3000, 1},
    {"mix_f32", "fp8_e4m3", "mxfp8_e5m2", "fused:g=8,f=25,acc=f32,accround=rne", 16, 2000, 0},
    {"bw_mx", "mxfp8_e4m3", "mxfp8_e4m3", "blackwell-mxf8f6f4", 8, 1000, 0},
    {"hopper", "fp8_e4m3", "fp8_e4m3", "hopper-fp8", 8, 1500, 0},
    {"hopper_p64", "fp8_e4m3", "fp8_e5m2", "fused:g=32,f=13,acc=e8m13,p=64", 8, 1500, 1},
};
constexpr int kNumCases = sizeof(kCases) / sizeof(kCases[0]);
constexpr int kPortBits = 256;  // the tb's in_a / in_b: 32 lanes of 8 bits

}  // namespace fused_test

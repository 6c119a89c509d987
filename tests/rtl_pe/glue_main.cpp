// Glue between a verilated test top and the harness (harness.hpp). Compiled
// by Verilator's own build together with the model: it is the only file that
// sees Verilator's port types. MUL_TEST selects the mf_fp32_mul top.
#include <cstdint>
#include <cstdio>
#include <memory>

#include "harness.hpp"
#include "verilated.h"

#ifdef MUL_TEST
#include "Vmf_fp32_mul.h"
#else
#include "Vtb.h"
#endif

namespace {

using macforge::rtl_pe::Port;

template <class T>
void put(T& port, const uint32_t* w) {
  if constexpr (sizeof(T) <= 4)
    port = T(w[0]);
  else
    port = T(uint64_t(w[0]) | (uint64_t(w[1]) << 32));
}
template <std::size_t N>
void put(VlWide<N>& port, const uint32_t* w) {
  for (std::size_t i = 0; i < N; ++i) port[i] = w[i];
}
template <class T>
void get(const T& port, uint32_t* w) {
  w[0] = uint32_t(port);
  if constexpr (sizeof(T) > 4) w[1] = uint32_t(uint64_t(port) >> 32);
}
template <std::size_t N>
void get(const VlWide<N>& port, uint32_t* w) {
  for (std::size_t i = 0; i < N; ++i) w[i] = port[i];
}

#ifdef MUL_TEST
class Glue : public macforge::rtl_pe::MulModel {
 public:
  explicit Glue(Vmf_fp32_mul* t) : t_(t) {}
  uint32_t mul(uint32_t a, uint32_t b) override {
    t_->a = a;
    t_->b = b;
    t_->eval();
    return t_->y;
  }

 private:
  Vmf_fp32_mul* t_;
};
#else
class Glue : public macforge::rtl_pe::Model {
 public:
  explicit Glue(Vtb* t) : t_(t) {}
  void write(Port p, const uint32_t* w) override {
    switch (p) {
      case Port::Clk: put(t_->clk, w); break;
      case Port::Rst: put(t_->rst, w); break;
      case Port::InValid: put(t_->in_valid, w); break;
      case Port::InFirst: put(t_->in_first, w); break;
      case Port::InBlkLast: put(t_->in_blk_last, w); break;
      case Port::InLast: put(t_->in_last, w); break;
      case Port::InMode: put(t_->in_mode, w); break;
      case Port::InA: put(t_->in_a, w); break;
      case Port::InB: put(t_->in_b, w); break;
      case Port::InAScale: put(t_->in_a_scale, w); break;
      case Port::InBScale: put(t_->in_b_scale, w); break;
      case Port::InAcc: put(t_->in_acc, w); break;
      case Port::OutValid:
      case Port::OutAcc: break;
    }
  }
  void read(Port p, uint32_t* w) override {
    if (p == Port::OutValid) get(t_->out_valid, w);
    if (p == Port::OutAcc) get(t_->out_acc, w);
  }
  void eval() override { t_->eval(); }

 private:
  Vtb* t_;
};
#endif

}  // namespace

int main(int argc, char** argv) {
  auto ctx = std::make_unique<VerilatedContext>();
#ifdef MUL_TEST
  auto top = std::make_unique<Vmf_fp32_mul>(ctx.get());
  Glue glue(top.get());
  int rc = macforge::rtl_pe::run_fp32_mul(glue, argc, argv);
#else
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SUITE [--cycles N] [--seed S]\n", argv[0]);
    return 2;
  }
  auto top = std::make_unique<Vtb>(ctx.get());
  Glue glue(top.get());
  int rc = macforge::rtl_pe::run_suite(argv[1], glue, argc, argv);
#endif
  top->final();
  return rc;
}

// The verilated RTL as an array back end of the SystemC model: the generated
// top module, verilated with `verilator --sc`, is instantiated inside an
// sc_module with a 1 ns clock; a clocked thread replays the controller's
// planned steps on its ports through RtlDriver and reports when each step's
// output rows have left the array. Header-only: compiled once per verilated
// model (VTop = the Verilator class, e.g. Vmx8_os_top).
//
// Cycle convention (gen/schedule.hpp): cycle t spans [t, t+1) ns; the rising
// edge ending it is at t+1 ns. The thread makes the clock itself, and only
// while a GEMM runs on this back end (an idle array costs no evaluation): at
// t+0.5 ns it lowers the clock, reads the registered outputs of cycle t and
// drives cycle t's inputs; at t+1 ns it raises the clock.
#pragma once

#include <systemc>

#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "sim/engine.hpp"
#include "sim/rtl_driver.hpp"

namespace macforge::sim {

namespace rtl_detail {

// A signal bound to one port of the verilated model, written/read as BitVec.
struct Binding {
  virtual ~Binding() = default;
  virtual void set(const BitVec& v) = 0;
  virtual void get(BitVec& v) const = 0;
};

template <typename T>
struct TypedBinding : Binding {
  sc_core::sc_signal<T> sig;
  explicit TypedBinding(const char* name) : sig(name) {}
  void set(const BitVec& v) override {
    if constexpr (std::is_same_v<T, bool>) {
      sig.write(!v.empty() && (v[0] & 1u));
    } else if constexpr (std::is_integral_v<T>) {
      uint64_t x = (v.size() > 0 ? v[0] : 0) | (v.size() > 1 ? uint64_t(v[1]) << 32 : 0);
      sig.write(T(x));
    } else {  // sc_bv<W>
      T bv;
      int words = (bv.length() + 31) / 32;
      for (int w = 0; w < words; ++w) bv.set_word(w, w < int(v.size()) ? v[size_t(w)] : 0u);
      sig.write(bv);
    }
  }
  void get(BitVec& v) const override {
    if constexpr (std::is_integral_v<T>) {
      uint64_t x = uint64_t(sig.read());
      v.assign({uint32_t(x), uint32_t(x >> 32)});
    } else {
      const T& bv = sig.read();
      int words = (bv.length() + 31) / 32;
      v.resize(size_t(words));
      for (int w = 0; w < words; ++w) v[size_t(w)] = bv.get_word(w);
    }
  }
};

template <typename Port>
std::unique_ptr<Binding> bind(Port& port, const char* name) {
  using T = typename std::remove_reference_t<Port>::data_type;
  auto b = std::make_unique<TypedBinding<T>>(name);
  port(b->sig);
  return b;
}

#define MF_RTL_HAS(member)                                                   \
  template <typename T, typename = void>                                     \
  struct has_##member : std::false_type {};                                  \
  template <typename T>                                                      \
  struct has_##member<T, std::void_t<decltype(std::declval<T&>().member)>> \
      : std::true_type {};
MF_RTL_HAS(in_first)
MF_RTL_HAS(in_mode)
MF_RTL_HAS(in_a_scale)
MF_RTL_HAS(in_b)
MF_RTL_HAS(in_b_scale)
MF_RTL_HAS(in_ga)
MF_RTL_HAS(in_gb)
MF_RTL_HAS(in_bank)
MF_RTL_HAS(in_psum)
MF_RTL_HAS(w_valid)
MF_RTL_HAS(w_chunk)
MF_RTL_HAS(w_b_scale)
MF_RTL_HAS(w_gb)
MF_RTL_HAS(out_row)
MF_RTL_HAS(out_last)
#undef MF_RTL_HAS

inline BitVec bit(bool b) { return BitVec{b ? 1u : 0u}; }
inline BitVec word(uint32_t x) { return BitVec{x}; }

}  // namespace rtl_detail

template <class VTop>
class RtlArray : public sc_core::sc_module, public ArrayBackend {
 public:
  SC_HAS_PROCESS(RtlArray);

  RtlArray(sc_core::sc_module_name name, const ArraySpec& arr)
      : sc_module(name),
        clk_("clk"),
        top_("rtl"),
        drv_(arr),
        arr_(arr) {
    using namespace rtl_detail;
    top_.clk(clk_);
    rst_ = bind(top_.rst, "rst");
    in_valid_ = bind(top_.in_valid, "in_valid");
    in_blk_last_ = bind(top_.in_blk_last, "in_blk_last");
    in_last_ = bind(top_.in_last, "in_last");
    in_a_ = bind(top_.in_a, "in_a");
    out_valid_ = bind(top_.out_valid, "out_valid");
    out_c_ = bind(top_.out_c, "out_c");
    if constexpr (has_in_first<VTop>::value) in_first_ = bind(top_.in_first, "in_first");
    if constexpr (has_in_mode<VTop>::value) in_mode_ = bind(top_.in_mode, "in_mode");
    if constexpr (has_in_a_scale<VTop>::value) in_a_scale_ = bind(top_.in_a_scale, "in_a_scale");
    if constexpr (has_in_b<VTop>::value) in_b_ = bind(top_.in_b, "in_b");
    if constexpr (has_in_b_scale<VTop>::value) in_b_scale_ = bind(top_.in_b_scale, "in_b_scale");
    if constexpr (has_in_ga<VTop>::value) in_ga_ = bind(top_.in_ga, "in_ga");
    if constexpr (has_in_gb<VTop>::value) in_gb_ = bind(top_.in_gb, "in_gb");
    if constexpr (has_in_bank<VTop>::value) in_bank_ = bind(top_.in_bank, "in_bank");
    if constexpr (has_in_psum<VTop>::value) in_psum_ = bind(top_.in_psum, "in_psum");
    if constexpr (has_w_valid<VTop>::value) {
      w_valid_ = bind(top_.w_valid, "w_valid");
      w_bank_ = bind(top_.w_bank, "w_bank");
      w_row_ = bind(top_.w_row, "w_row");
      w_b_ = bind(top_.w_b, "w_b");
    }
    if constexpr (has_w_chunk<VTop>::value) w_chunk_ = bind(top_.w_chunk, "w_chunk");
    if constexpr (has_w_b_scale<VTop>::value) w_b_scale_ = bind(top_.w_b_scale, "w_b_scale");
    if constexpr (has_w_gb<VTop>::value) w_gb_ = bind(top_.w_gb, "w_gb");
    if constexpr (has_out_row<VTop>::value) out_row_ = bind(top_.out_row, "out_row");
    if constexpr (has_out_last<VTop>::value) out_last_ = bind(top_.out_last, "out_last");
    SC_THREAD(drive_thread);
  }

  VTop& model() { return top_; }
  std::string name() const override { return "rtl"; }
  bool functional() const override { return true; }
  // Cycles the model has been clocked (for speed figures).
  int64_t clocked() const { return clocked_; }
  const RtlDriver& driver() const { return drv_; }

  void begin(const ArraySpec&, const Schedule&, GemmData* data) override {
    if (!data) throw std::runtime_error("the RTL back end needs operand data");
    data_ = data;
    drv_.begin(*data->A, *data->B);
    active_ = true;
    activate_ev_.notify(sc_core::SC_ZERO_TIME);
  }
  void issue(const Step& s, int64_t index, const StepTimes& t) override {
    drv_.push(s, index, t);
    planned_last_ = std::max(planned_last_, t.result_cycle);
  }
  int64_t wait_results(const Step&, int64_t index, const StepTimes& t) override {
    int64_t last = 0;
    while (!drv_.done(index, last)) {
      // Watchdog: outputs far later than the model predicts mean a broken array.
      int64_t now = int64_t(sc_core::sc_time_stamp().value() / sc_core::sc_time(1, sc_core::SC_NS).value());
      if (now > t.result_cycle + 4096) {
        drv_.abandon("step " + std::to_string(index) + ": outputs missing 4096 cycles after the predicted cycle " +
                     std::to_string(t.result_cycle));
        break;
      }
      wait(done_ev_ | watchdog_ev_);
    }
    drv_.done(index, last);
    return last + 1;
  }
  void end() override {
    if (data_) data_->C = drv_.C();
    active_ = false;
  }

 private:
  void drive_thread() {
    using sc_core::sc_time;
    using sc_core::SC_NS;
    const sc_time half(0.5, SC_NS);
    PortInputs in;
    PortOutputs out;
    BitVec tmp;
    int reset_cycles = 3;  // synchronous reset at start-up
    clk_.write(true);
    for (;;) {
      if (!active_ && reset_cycles == 0) {
        wait(activate_ev_);
        continue;
      }
      // Falling edge in the middle of the cycle.
      sc_time now = sc_core::sc_time_stamp();
      sc_time target = sc_time(1, SC_NS) * std::floor(now / sc_time(1, SC_NS)) + half;
      if (target < now) target += sc_time(1, SC_NS);
      if (target > now) wait(target - now);
      clk_.write(false);
      ++clocked_;
      int64_t cycle = int64_t(sc_core::sc_time_stamp().value() / sc_time(1, SC_NS).value());
      if (reset_cycles > 0) {
        --reset_cycles;
        in = PortInputs{};
        in.rst = true;
      } else {
        // Outputs of this cycle (registered: stable since the rising edge).
        out_valid_->get(tmp);
        out.out_valid = tmp[0] & 1u;
        out_c_->get(out.out_c);
        if (out_row_) {
          out_row_->get(tmp);
          out.out_row = tmp[0];
        }
        if (out_last_) {
          out_last_->get(tmp);
          out.out_last = tmp[0] & 1u;
        }
        size_t before = drv_.pending();
        drv_.outputs(cycle, out);
        if (drv_.pending() != before) done_ev_.notify(sc_core::SC_ZERO_TIME);
        drv_.inputs(cycle, in);
        if (cycle % 1024 == 0) watchdog_ev_.notify(sc_core::SC_ZERO_TIME);
      }
      drive(in);
      wait(half);
      clk_.write(true);  // rising edge: ends the cycle
    }
  }

  void drive(const PortInputs& in) {
    using namespace rtl_detail;
    rst_->set(bit(in.rst));
    in_valid_->set(bit(in.in_valid));
    in_blk_last_->set(bit(in.in_blk_last));
    in_last_->set(bit(in.in_last));
    if (!in.in_a.empty()) in_a_->set(in.in_a);
    if (in_first_) in_first_->set(bit(in.in_first));
    if (in_mode_) in_mode_->set(bit(in.in_mode));
    if (in_a_scale_ && !in.in_a_scale.empty()) in_a_scale_->set(in.in_a_scale);
    if (in_b_ && !in.in_b.empty()) in_b_->set(in.in_b);
    if (in_b_scale_ && !in.in_b_scale.empty()) in_b_scale_->set(in.in_b_scale);
    if (in_ga_ && !in.in_ga.empty()) in_ga_->set(in.in_ga);
    if (in_gb_ && !in.in_gb.empty()) in_gb_->set(in.in_gb);
    if (in_bank_) in_bank_->set(bit(in.in_bank));
    if (in_psum_ && !in.in_psum.empty()) in_psum_->set(in.in_psum);
    if (w_valid_) {
      w_valid_->set(bit(in.w_valid));
      w_bank_->set(bit(in.w_bank));
      w_row_->set(word(in.w_row));
      if (!in.w_b.empty()) w_b_->set(in.w_b);
    }
    if (w_chunk_) w_chunk_->set(word(in.w_chunk));
    if (w_b_scale_ && !in.w_b_scale.empty()) w_b_scale_->set(in.w_b_scale);
    if (w_gb_ && !in.w_gb.empty()) w_gb_->set(in.w_gb);
  }

  sc_core::sc_signal<bool> clk_;
  VTop top_;
  RtlDriver drv_;
  ArraySpec arr_;
  GemmData* data_ = nullptr;
  std::unique_ptr<rtl_detail::Binding> rst_, in_valid_, in_first_, in_mode_, in_blk_last_, in_last_, in_bank_, in_a_,
      in_a_scale_, in_b_, in_b_scale_, in_ga_, in_gb_, in_psum_, w_valid_, w_bank_, w_row_, w_chunk_, w_b_,
      w_b_scale_, w_gb_, out_valid_, out_row_, out_last_, out_c_;
  sc_core::sc_event done_ev_, watchdog_ev_, activate_ev_;
  bool active_ = false;
  int64_t planned_last_ = 0;
  int64_t clocked_ = 0;
};

}  // namespace macforge::sim

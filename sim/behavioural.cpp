// The behavioural array: the controller's plan is the array's timing (outputs
// leave at the planned result cycle); in functional mode each finished output
// tile is computed with the reference arithmetic (sim/fast_gemm.hpp: numerics
// gemm() or its exact fast path), which is bit-exact with the RTL (FORMATS.md
// section 5: the result does not depend on tiling or dataflow).
#include <algorithm>

#include "sim/engine.hpp"
#include "sim/fast_gemm.hpp"

namespace macforge::sim {
namespace {

using namespace sc_core;

class Behavioural : public ArrayBackend {
 public:
  explicit Behavioural(bool functional) : functional_(functional) {}
  std::string name() const override { return functional_ ? "behavioural" : "timing-only"; }
  bool functional() const override { return functional_; }

  void begin(const ArraySpec& arr, const Schedule&, GemmData* data) override {
    arr_ = arr;
    data_ = functional_ ? data : nullptr;
    if (functional_ && !data) throw std::runtime_error("functional run without operand data");
    if (data_) {
      data_->C.assign(data_->A->rows * data_->B->rows, 0.0f);
      tiles_ = std::make_unique<TileGemm>(*data_->A, *data_->B, arr.accum);
    }
  }

  void issue(const Step&, int64_t, const StepTimes&) override {}

  int64_t wait_results(const Step& s, int64_t, const StepTimes& t) override {
    int64_t end = t.result_cycle + 1;
    int64_t now = int64_t(sc_time_stamp().value() / sc_time(1, SC_NS).value());
    if (end > now) wait(sc_time(double(end - now), SC_NS));
    if (data_ && s.out_final) compute_tile(s);
    return end;
  }

 private:
  void compute_tile(const Step& s) {
    tiles_->compute(size_t(s.m0), size_t(s.m1), size_t(s.n0), size_t(s.n1), data_->C.data(), data_->B->rows);
  }

  bool functional_;
  ArraySpec arr_;
  GemmData* data_ = nullptr;
  std::unique_ptr<TileGemm> tiles_;
};

}  // namespace

std::unique_ptr<ArrayBackend> make_behavioural_backend(bool functional) {
  return std::make_unique<Behavioural>(functional);
}

}  // namespace macforge::sim

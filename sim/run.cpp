#include "sim/run.hpp"

#include "sim/data.hpp"

namespace macforge::sim {

void resolve_modes(std::vector<Gemm>& gemms, const ArraySpec& arr) {
  for (Gemm& g : gemms) {
    int m = arr.find_mode(g.format);
    if (m < 0) {
      std::string where = g.origin.empty() ? "layer '" + g.name + "'" : g.origin + ":" + std::to_string(g.line);
      throw FormatError(where + ": format: '" + g.format + "' is not a mode of this array (allowed: " +
                        arr.mode_names() + ")");
    }
    g.mode = m;
  }
}

void check_workload(const AccelConfig& cfg, const std::vector<Gemm>& gemms, bool ideal) {
  for (const Gemm& g : gemms) {
    if (g.mode < -1 || g.mode >= cfg.array.num_modes())
      throw FormatError("layer '" + g.name + "': mode " + std::to_string(g.mode) +
                        " is not a mode of this array (allowed: " + cfg.array.mode_names() + ")");
    try {
      Schedule s(layer_array(cfg.array, g), cfg.memory, g, ideal);
    } catch (const FormatError& e) {
      throw FormatError("layer '" + g.name + "' (" + std::to_string(g.M) + "x" + std::to_string(g.N) + "x" +
                        std::to_string(g.K) + "): " + e.what());
    }
  }
}

RunSummary run_workload(const AccelConfig& cfg, const std::vector<Gemm>& gemms, const SimRequest& req) {
  check_workload(cfg, gemms, req.ideal);
  RunSummary sum;
  sum.config = cfg.source;
  sum.array = cfg.array;
  sum.memory = cfg.memory;
  sum.energy = make_energy_model(cfg.memory);
  sum.ideal = req.ideal;
  sum.mode = req.timing_only ? "timing-only" : "functional";
  auto backend = make_behavioural_backend(!req.timing_only);
  RunOptions opt;
  opt.ideal = req.ideal;
  for (const Gemm& g : gemms) {
    if (req.timing_only) {
      sum.layers.push_back(default_accelerator().run(cfg, g, *backend, opt));
      continue;
    }
    // The layer's operands in its mode's formats (quantized by their rules).
    Operands ops = make_operands(layer_array(cfg.array, g), g, req.seed);
    GemmData data;
    data.A = &ops.A;
    data.B = &ops.B;
    LayerReport r = default_accelerator().run(cfg, g, *backend, opt, &data);
    r.has_output = true;
    r.output_hash = hash_floats(data.C);
    sum.layers.push_back(r);
  }
  return sum;
}

}  // namespace macforge::sim

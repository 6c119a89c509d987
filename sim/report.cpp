#include "sim/report.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace macforge::sim {

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\', o += c;
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else o += c;
  }
  return o;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream s;
  s << std::setprecision(10) << v;
  return s.str();
}

namespace {

void add(BufferStats& a, const BufferStats& b, uint64_t k) {
  a.read_bytes += b.read_bytes * k;
  a.read_words += b.read_words * k;
  a.write_bytes += b.write_bytes * k;
  a.write_words += b.write_words * k;
  a.fills += b.fills * k;
  a.hits += b.hits * k;
  a.word_bytes = b.word_bytes;
}

std::string buffer_json(const BufferStats& b) {
  std::ostringstream s;
  s << "{\"reads_words\": " << b.read_words << ", \"reads_bytes\": " << b.read_bytes
    << ", \"writes_words\": " << b.write_words << ", \"writes_bytes\": " << b.write_bytes
    << ", \"word_bytes\": " << b.word_bytes << ", \"fills\": " << b.fills << ", \"hits\": " << b.hits << "}";
  return s.str();
}

// A layer's figures for `count` back-to-back instances.
LayerReport scaled(const LayerReport& r) {
  LayerReport t = r;
  uint64_t k = uint64_t(r.gemm.count);
  if (k == 1) return t;
  t.total_cycles *= int64_t(k);
  t.compute_cycles *= int64_t(k);
  t.stall_cycles *= int64_t(k);
  t.ideal_cycles *= int64_t(k);
  t.port_stall_cycles *= int64_t(k);
  t.macs *= double(k);
  t.input = t.weight = t.output = BufferStats{};
  add(t.input, r.input, k);
  add(t.weight, r.weight, k);
  add(t.output, r.output, k);
  t.dram_read_bytes *= k;
  t.dram_write_bytes *= k;
  return t;
}

}  // namespace

LayerReport total_of(const std::vector<LayerReport>& layers) {
  LayerReport t;
  t.gemm.name = "total";
  t.gemm.M = t.gemm.N = t.gemm.K = 0;
  double capacity = 0;
  for (const LayerReport& l0 : layers) {
    LayerReport l = scaled(l0);
    t.total_cycles += l.total_cycles;
    t.compute_cycles += l.compute_cycles;
    t.stall_cycles += l.stall_cycles;
    t.ideal_cycles += l.ideal_cycles;
    t.port_stall_cycles += l.port_stall_cycles;
    t.macs += l.macs;
    add(t.input, l.input, 1);
    add(t.weight, l.weight, 1);
    add(t.output, l.output, 1);
    t.dram_read_bytes += l.dram_read_bytes;
    t.dram_write_bytes += l.dram_write_bytes;
    t.wall_seconds += l.wall_seconds;
    t.cpu_seconds += l.cpu_seconds;
    t.backend = l.backend;
    // Array capacity over the layer at its mode's peak, so that the total's
    // utilization weighs every layer's cycles by the MACs its mode could do.
    capacity += (l.peak_macs_per_cycle > 0 ? l.peak_macs_per_cycle : 0) * double(l.total_cycles);
  }
  if (t.total_cycles > 0 && capacity > 0) t.peak_macs_per_cycle = capacity / double(t.total_cycles);
  return t;
}

std::string layer_json(const LayerReport& r0, const std::string& ind, double peak_macs_per_cycle,
                       const std::string& energy) {
  LayerReport r = scaled(r0);
  std::ostringstream s;
  s << "{\n";
  if (r.gemm.name != "total") {
    s << ind << "  \"name\": \"" << json_escape(r.gemm.name) << "\", \"M\": " << r.gemm.M << ", \"N\": " << r.gemm.N
      << ", \"K\": " << r.gemm.K << ", \"count\": " << r.gemm.count << ",\n";
    s << ind << "  \"format\": \"" << json_escape(r.format) << "\", \"mode\": " << r.mode << ", \"lanes\": " << r.lanes
      << ",\n";
    s << ind << "  \"schedule\": {\"order\": \"" << r.sched.order << "\", \"steps\": " << r.sched.steps
      << ", \"padded_k\": " << r.sched.Kp << ", \"tile_k\": " << r.sched.tile_k << ", \"tile_rows\": "
      << r.sched.tile_rows << "},\n";
  }
  // Per layer: the peak of the mode it ran in; the total: MACs over the
  // capacity of every layer's cycles at its mode's peak (total_of).
  double peak = r.peak_macs_per_cycle > 0 ? r.peak_macs_per_cycle : peak_macs_per_cycle;
  double util = r.total_cycles > 0 ? r.macs / (peak * double(r.total_cycles)) : 0;
  s << ind << "  \"total_cycles\": " << r.total_cycles << ", \"compute_cycles\": " << r.compute_cycles
    << ", \"stall_cycles\": " << r.stall_cycles << ", \"port_stall_cycles\": " << r.port_stall_cycles
    << ", \"ideal_cycles\": " << r.ideal_cycles << ",\n";
  s << ind << "  \"macs\": " << json_number(r.macs) << ", \"utilization\": " << json_number(util) << ",\n";
  s << ind << "  \"buffers\": {\n";
  s << ind << "    \"input\": " << buffer_json(r.input) << ",\n";
  s << ind << "    \"weight\": " << buffer_json(r.weight) << ",\n";
  s << ind << "    \"output\": " << buffer_json(r.output) << "\n";
  s << ind << "  },\n";
  s << ind << "  \"dram_bytes\": " << r.dram_bytes() << ", \"dram_read_bytes\": " << r.dram_read_bytes
    << ", \"dram_write_bytes\": " << r.dram_write_bytes << ",\n";
  if (!energy.empty()) s << ind << "  \"energy\": " << energy << ",\n";
  if (r.has_output) {
    char h[20];
    std::snprintf(h, sizeof h, "%016llx", static_cast<unsigned long long>(r.output_hash));
    s << ind << "  \"output_hash\": \"" << h << "\",\n";
  }
  s << ind << "  \"wall_seconds\": " << json_number(r.wall_seconds) << ", \"cpu_seconds\": " << json_number(r.cpu_seconds)
    << "\n";
  s << ind << "}";
  return s.str();
}

std::string to_json(const RunSummary& sum) {
  std::ostringstream s;
  const ArraySpec& a = sum.array;
  s << "{\n  \"config\": \"" << json_escape(sum.config) << "\",\n";
  s << "  \"array\": {\"rows\": " << a.rows << ", \"cols\": " << a.cols << ", \"dataflow\": \""
    << dataflow_name(a.dataflow) << "\", \"lanes\": " << a.lanes << ", \"a\": \"" << json_escape(a.a.name)
    << "\", \"b\": \"" << json_escape(a.b.name) << "\", \"group\": " << a.group() << ", \"pe_latency\": "
    << a.pe_latency << ", \"out_stage\": " << a.out_stage << ",\n    \"modes\": [";
  for (int m = 0; m < a.num_modes(); ++m) {
    ArraySpec am = a.in_mode(m);
    s << (m ? ", " : "") << "{\"mode\": " << m << ", \"format\": \"" << json_escape(a.mode_name(m))
      << "\", \"a\": \"" << json_escape(am.a.name) << "\", \"b\": \"" << json_escape(am.b.name)
      << "\", \"lanes\": " << am.lanes << ", \"group\": " << am.group() << "}";
  }
  s << "]},\n";
  const MemoryConfig& m = sum.memory;
  auto buf = [&](const BufferConfig& b) {
    std::ostringstream o;
    o << "{\"capacity\": " << b.capacity << ", \"banks\": " << b.banks << ", \"ports\": " << b.ports
      << ", \"double_buffer\": " << (b.double_buffer ? "true" : "false") << ", \"word_bytes\": "
      << (b.word_bytes ? std::to_string(b.word_bytes) : std::string("\"auto\"")) << "}";
    return o.str();
  };
  s << "  \"memory\": {\"ideal\": " << (sum.ideal ? "true" : "false") << ", \"dram\": {\"bandwidth\": "
    << json_number(m.dram.bandwidth) << ", \"latency\": " << m.dram.latency << "},\n";
  s << "    \"input\": " << buf(m.input) << ",\n    \"weight\": " << buf(m.weight) << ",\n    \"output\": "
    << buf(m.output) << "},\n";
  s << "  \"energy_model\": " << energy_model_json(sum.energy) << ",\n";
  s << "  \"mode\": \"" << sum.mode << "\",\n";
  s << "  \"layers\": [\n";
  std::vector<LayerEnergy> en = layer_energies(sum);
  LayerEnergy total;
  for (const LayerEnergy& e : en) total += e;
  for (size_t i = 0; i < sum.layers.size(); ++i)
    s << "    " << layer_json(sum.layers[i], "    ", a.peak_macs_per_cycle(), energy_json(en[i]))
      << (i + 1 < sum.layers.size() ? ",\n" : "\n");
  s << "  ],\n";
  s << "  \"total\": " << layer_json(total_of(sum.layers), "  ", a.peak_macs_per_cycle(), energy_json(total))
    << "\n}\n";
  return s.str();
}

std::vector<LayerEnergy> layer_energies(const RunSummary& s) {
  std::vector<LayerEnergy> v;
  for (const LayerReport& l : s.layers) v.push_back(layer_energy(l, s.array, s.energy));
  return v;
}

std::string energy_table(const RunSummary& sum) {
  std::vector<LayerEnergy> en = layer_energies(sum);
  LayerEnergy total;
  for (const LayerEnergy& e : en) total += e;
  std::ostringstream s;
  // One unit for the whole table, from the largest figure: nJ .. J.
  double top = std::max(total.memory_pj(), std::isfinite(total.array_pj) ? total.array_pj : 0.0);
  const char* unit = top >= 1e12 ? "J" : top >= 1e9 ? "mJ" : top >= 1e6 ? "uJ" : "nJ";
  double per = top >= 1e12 ? 1e-12 : top >= 1e9 ? 1e-9 : top >= 1e6 ? 1e-6 : 1e-3;
  auto nj = [per](double pj) {
    if (!std::isfinite(pj)) return std::string("-");
    char b[32];
    std::snprintf(b, sizeof b, "%.3f", pj * per);
    return std::string(b);
  };
  char line[512];
  std::string head = std::string("layer (energy, ") + unit + ")";
  std::snprintf(line, sizeof line, "%-20s %-12s %12s %12s %12s %12s %12s %12s %12s %12s\n", head.c_str(),
                "format", "array", "input", "weight", "output", "dram", "leakage", "total", "of it scales");
  s << line;
  auto row = [&](const std::string& name, const std::string& fmt, const LayerEnergy& e) {
    std::snprintf(line, sizeof line, "%-20s %-12s %12s %12s %12s %12s %12s %12s %12s %12s\n", name.c_str(), fmt.c_str(),
                  nj(e.array_pj).c_str(), nj(e.input_pj).c_str(), nj(e.weight_pj).c_str(), nj(e.output_pj).c_str(),
                  nj(e.dram_pj).c_str(), nj(e.leakage_pj).c_str(), nj(e.total_pj()).c_str(), nj(e.scale_pj).c_str());
    s << line;
  };
  for (size_t i = 0; i < en.size(); ++i) {
    const LayerReport& l = sum.layers[i];
    row(l.gemm.count > 1 ? l.gemm.name + " x" + std::to_string(l.gemm.count) : l.gemm.name, l.format, en[i]);
  }
  row("total", "", total);
  if (!std::isfinite(total.array_pj)) s << "(array: no pJ/MAC given; pass --pj-per-mac from macforge synth)\n";
  return s.str();
}

}  // namespace macforge::sim

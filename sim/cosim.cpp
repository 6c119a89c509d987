#include "sim/cosim.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "numerics/quantize.hpp"
#include "sim/report.hpp"

namespace macforge::sim {

CosimArgs parse_cosim_args(const std::vector<std::string>& args, bool allow_many_gemms) {
  CosimArgs c;
  auto value = [&](size_t& i) -> const std::string& {
    if (i + 1 >= args.size()) throw FormatError("option " + args[i] + " needs a value");
    return args[++i];
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--config" || a == "-c") c.config = value(i);
    else if (a == "--gemm") {
      if (!c.gemms.empty() && !allow_many_gemms) throw FormatError("--gemm given twice");
      c.gemms.push_back(parse_gemm(value(i)));
    } else if (a == "--array") parse_array_shape(value(i), c.ov.rows, c.ov.cols);
    else if (a == "--dataflow") c.ov.dataflow = parse_dataflow(value(i));
    else if (a == "--mode") {
      c.mode = value(i);
      if (c.mode.empty()) throw FormatError("--mode: expected a mode number (0, 1) or a mode's format name");
    }
    else if (a == "--seed") {
      const std::string& s = value(i);
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 19)
        throw FormatError("--seed '" + s + "': expected a non-negative integer");
      c.seed = std::stoull(s);
    } else if (a == "--ideal-memory") c.ideal = true;
    else if (a == "--vcd") c.vcd = value(i);
    else throw FormatError("unknown option '" + a + "'");
  }
  if (c.config.empty()) throw FormatError("--config is required");
  if (c.gemms.empty()) throw FormatError("--gemm M,N,K is required");
  if (c.ov.dataflow && *c.ov.dataflow == Dataflow::IS)
    throw FormatError("--dataflow is: the generated RTL has no input-stationary dataflow (co-simulation: os, ws)");
  return c;
}

int cosim_mode(const ArraySpec& arr, const std::string& mode) {
  int m = arr.find_mode(mode);
  if (m < 0) {
    std::string modes;
    for (int k = 0; k < arr.num_modes(); ++k) modes += (k ? ", " : "") + std::to_string(k) + " = " + arr.mode_name(k);
    throw FormatError("--mode '" + mode + "': not a mode of this array (" +
                      (arr.num_modes() > 1 ? "modes: " : "single-format: ") + modes + ")");
  }
  return m;
}

Mismatch first_mismatch(const std::vector<float>& got, const std::vector<float>& want, int64_t N,
                        const std::string& who) {
  Mismatch m;
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    uint32_t g = f32_bits(got[i]), w = f32_bits(want[i]);
    if (g == w || (std::isnan(got[i]) && std::isnan(want[i]))) continue;
    m.found = true;
    m.m = int64_t(i) / N;
    m.n = int64_t(i) % N;
    m.got = g;
    m.want = w;
    m.who = who;
    return m;
  }
  if (got.size() != want.size()) {
    m.found = true;
    m.who = who + " (result size differs)";
  }
  return m;
}

namespace {

std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}

std::string backend_json(const LayerReport& r) {
  std::ostringstream s;
  s << "{\"total_cycles\": " << r.total_cycles << ", \"compute_cycles\": " << r.compute_cycles
    << ", \"stall_cycles\": " << r.stall_cycles << ", \"dram_bytes\": " << r.dram_bytes()
    << ", \"wall_seconds\": " << json_number(r.wall_seconds) << ", \"cpu_seconds\": " << json_number(r.cpu_seconds)
    << "}";
  return s.str();
}

}  // namespace

std::string cosim_json(const std::string& config, const ArraySpec& arr, uint64_t seed, bool ideal,
                       const std::vector<CosimResult>& results, int64_t rtl_clocked, double rtl_seconds,
                       double rtl_cpu_seconds) {
  std::ostringstream s;
  bool ok = true;
  for (const auto& r : results) ok = ok && r.ok();
  s << "{\n  \"config\": \"" << json_escape(config) << "\",\n";
  s << "  \"array\": {\"rows\": " << arr.rows << ", \"cols\": " << arr.cols << ", \"dataflow\": \""
    << dataflow_name(arr.dataflow) << "\", \"lanes\": " << arr.lanes << ", \"a\": \"" << json_escape(arr.a.name)
    << "\", \"b\": \"" << json_escape(arr.b.name) << "\", \"mode\": " << arr.mode << ", \"mode_name\": \""
    << json_escape(arr.mode_name(arr.mode)) << "\", \"modes\": " << arr.num_modes() << "},\n";
  s << "  \"seed\": " << seed << ", \"ideal_memory\": " << (ideal ? "true" : "false") << ",\n";
  s << "  \"runs\": [\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const CosimResult& r = results[i];
    s << "    {\"M\": " << r.gemm.M << ", \"N\": " << r.gemm.N << ", \"K\": " << r.gemm.K << ",\n";
    s << "     \"behavioural\": " << backend_json(r.beh) << ",\n";
    s << "     \"rtl\": " << backend_json(r.rtl) << ",\n";
    s << "     \"reference_seconds\": " << json_number(r.ref_seconds) << ",\n";
    s << "     \"cycles_match\": " << (r.beh.total_cycles == r.rtl.total_cycles ? "true" : "false")
      << ", \"outputs_match\": " << (r.mismatch.found ? "false" : "true");
    if (r.mismatch.found) {
      const Mismatch& m = r.mismatch;
      s << ",\n     \"first_mismatch\": {\"backend\": \"" << json_escape(m.who) << "\", \"m\": " << m.m
        << ", \"n\": " << m.n << ", \"got\": \"" << hex(m.got) << "\", \"got_value\": "
        << json_number(f32_from_bits(m.got)) << ", \"reference\": \"" << hex(m.want)
        << "\", \"reference_value\": " << json_number(f32_from_bits(m.want)) << "}";
    }
    if (!r.rtl_errors.empty()) {
      s << ",\n     \"rtl_errors\": [";
      for (size_t e = 0; e < r.rtl_errors.size(); ++e)
        s << (e ? ", " : "") << "\"" << json_escape(r.rtl_errors[e]) << "\"";
      s << "]";
    }
    s << "}" << (i + 1 < results.size() ? ",\n" : "\n");
  }
  s << "  ],\n";
  s << "  \"rtl_clocked_cycles\": " << rtl_clocked << ", \"rtl_seconds\": " << json_number(rtl_seconds)
    << ", \"rtl_cpu_seconds\": " << json_number(rtl_cpu_seconds) << ",\n  \"rtl_cycles_per_second\": "
    << json_number(rtl_seconds > 0 ? double(rtl_clocked) / rtl_seconds : 0) << ", \"rtl_cycles_per_cpu_second\": "
    << json_number(rtl_cpu_seconds > 0 ? double(rtl_clocked) / rtl_cpu_seconds : 0) << ",\n";
  s << "  \"ok\": " << (ok ? "true" : "false") << "\n}\n";
  return s.str();
}

}  // namespace macforge::sim

#include "gen/manifest.hpp"

#include <cstdio>
#include <sstream>

namespace macforge::gen {

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

namespace {

std::string q(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      default: o += c;
    }
  }
  return o + "\"";
}

std::string gscale_name(GScale g) {
  switch (g) {
    case GScale::None: return "none";
    case GScale::Tensor: return "tensor";
    case GScale::Channel: return "channel";
  }
  return "?";
}

std::string b(bool v) { return v ? "true" : "false"; }

}  // namespace

std::string manifest_json(const ManifestInput& in) {
  const ArrayConfig& c = *in.cfg;
  const PeInfo& pe = *in.pe;
  const ArrayDesign& d = *in.design;
  const ArrayTiming& t = d.timing;
  bool ws = c.dataflow == Dataflow::WeightStationary;
  std::ostringstream os;
  os << "{\n";
  os << "  \"generator\": " << q(in.generator) << ",\n";
  os << "  \"config_hash\": " << q("fnv1a64:" + hex64(c.hash())) << ",\n";
  os << "  \"config\": " << c.canonical_json() << ",\n";
  os << "  \"derived\": {\"accumulation_group\": " << c.group << ", \"chunks_per_group\": " << c.chunks_per_group()
     << ", \"a_bits\": " << pe.a_bits << ", \"b_bits\": " << pe.b_bits << ", \"a_block_scale\": " << b(pe.a_scale)
     << ", \"b_block_scale\": " << b(pe.b_scale) << ", \"a_output_scale\": " << q(gscale_name(d.ga))
     << ", \"b_output_scale\": " << q(gscale_name(d.gb)) << ", \"a_format\": " << q(c.a.name)
     << ", \"b_format\": " << q(c.b.name) << ", \"output_multipliers\": " << d.mul_count
     << ", \"scale_buffer_slots\": " << d.scale_slots;
  if (c.modes == 2) {
    // Per mode: what in_mode = m runs (mode 0 repeats the fields above).
    struct M {
      const BlockFormat &a, &b;
      int lanes, group;
    } ms[2] = {{c.a, c.b, c.lanes, c.group}, {c.a1, c.b1, c.lanes1, c.group1}};
    os << ", \"reuse\": " << q(reuse_name(c.reuse)) << ", \"modes\": [";
    for (int k = 0; k < 2; ++k)
      os << (k ? ", " : "") << "{\"mode\": " << k << ", \"a_format\": " << q(ms[k].a.name)
         << ", \"b_format\": " << q(ms[k].b.name) << ", \"a_bits\": " << ms[k].a.elem.bits
         << ", \"b_bits\": " << ms[k].b.elem.bits << ", \"lanes\": " << ms[k].lanes
         << ", \"accumulation_group\": " << ms[k].group << ", \"chunks_per_group\": " << ms[k].group / ms[k].lanes
         << "}";
    os << "]";
  }
  os << "},\n";
  os << "  \"modules\": {\"top\": " << q(d.top) << ", \"array\": " << q(d.array) << ", \"pe\": " << q(d.pe)
     << ", \"primitives\": [";
  for (size_t k = 0; k < in.primitives.size(); ++k) os << (k ? ", " : "") << q(in.primitives[k]);
  os << "]},\n";
  os << "  \"files\": [";
  for (size_t k = 0; k < in.files.size(); ++k) os << (k ? ", " : "") << q(in.files[k]);
  os << "],\n";
  os << "  \"ports\": [\n";
  for (size_t k = 0; k < d.ports.size(); ++k) {
    const Port& p = d.ports[k];
    os << "    {\"name\": " << q(p.name) << ", \"direction\": " << q(p.input ? "input" : "output")
       << ", \"width\": " << p.width << ", \"meaning\": " << q(p.meaning) << "}" << (k + 1 < d.ports.size() ? "," : "")
       << "\n";
  }
  os << "  ],\n";
  os << "  \"latency\": {\"pe\": " << t.pe_latency << ", \"output_stage\": " << t.out_stage;
  if (ws)
    os << ", \"row_step\": " << t.ws_row_step() << ", \"in_blk_last_to_out_valid\": " << t.ws_out_delay();
  else
    os << ", \"in_last_to_first_row\": " << t.os_row_delay(0) << ", \"in_last_to_last_row\": " << t.os_row_delay(t.rows - 1);
  os << "},\n";
  os << "  \"schedule\": {\n";
  os << "    \"dataflow\": " << q(dataflow_name(c.dataflow)) << ",\n";
  os << "    \"interface\": \"fixed schedule, no backpressure; docs/array.md\",\n";
  os << "    \"cycle_convention\": \"inputs driven in cycle t are sampled at the rising edge ending cycle t; an output "
        "in cycle t is read before that edge\",\n";
  os << "    \"symbols\": {\"R\": " << t.rows << ", \"C\": " << t.cols << ", \"L\": " << t.lanes << ", \"G\": " << t.group
     << ", \"Q\": " << t.chunks_per_group() << ", \"LAT\": " << t.pe_latency << ", \"S\": " << t.out_stage;
  if (ws) os << ", \"D\": " << t.ws_row_step();
  os << "},\n";
  os << "    \"formulas\": {";
  auto f = timing_formulas(c.dataflow);
  for (size_t k = 0; k < f.size(); ++k) os << (k ? "," : "") << "\n      " << q(f[k].first) << ": " << q(f[k].second);
  os << "\n    },\n";
  if (ws) {
    os << "    \"row_out_delay\": " << t.ws_out_delay() << ",\n";
    os << "    \"tile_cycles_M1\": " << t.ws_tile_cycles(1) << ",\n";
    os << "    \"bank_reuse_after\": " << t.ws_last_read(0) << "\n";
  } else {
    os << "    \"issue_interval\": " << t.os_issue_interval() << ",\n";
    os << "    \"tile_cycles_K_G\": " << t.os_tile_cycles(t.group) << "\n";
  }
  os << "  }\n}\n";
  return os.str();
}

}  // namespace macforge::gen

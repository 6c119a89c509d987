#include "sim/memory_energy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "numerics/elem_format.hpp"
#include "sim/engine.hpp"
#include "sim/report.hpp"

namespace macforge::sim {

const std::vector<SramAnchor>& horowitz_sram_anchors() {
  // M. Horowitz, "Computing's energy problem (and what we can do about it)",
  // ISSCC 2014, 45 nm, 0.9 V: 64-bit cache/SRAM access energy.
  static const std::vector<SramAnchor> a = {{8.0 * 1024, 10.0}, {32.0 * 1024, 20.0}, {1024.0 * 1024, 100.0}};
  return a;
}

double sram_pj_per_bit_45nm(double bank_bytes) {
  const auto& a = horowitz_sram_anchors();
  bank_bytes = std::max(bank_bytes, 1.0);
  double e64;
  if (bank_bytes <= a.front().bytes) {
    // Below the smallest anchor: bit- and word-line lengths go as the side of
    // the array, sqrt(capacity) (the CACTI/Accelergy trend the anchors follow:
    // 8 KiB -> 32 KiB is x4 capacity, x2 energy).
    e64 = a.front().pj_per_64bit * std::sqrt(bank_bytes / a.front().bytes);
  } else if (bank_bytes >= a.back().bytes) {
    e64 = a.back().pj_per_64bit * std::sqrt(bank_bytes / a.back().bytes);
  } else {
    size_t i = 1;
    while (a[i].bytes < bank_bytes) ++i;
    // Straight line in log(energy) over log(capacity) between the anchors.
    double t = std::log(bank_bytes / a[i - 1].bytes) / std::log(a[i].bytes / a[i - 1].bytes);
    e64 = a[i - 1].pj_per_64bit * std::pow(a[i].pj_per_64bit / a[i - 1].pj_per_64bit, t);
  }
  return e64 / 64.0;
}

double tech_factor(const TechPoint& t) {
  double v = t.voltage / kHorowitzVoltage;
  return (t.node_nm / kHorowitzNodeNm) * v * v;
}

double port_factor(int ports) { return ports >= 2 ? std::sqrt(4.0 / 3.0) : 1.0; }

double buffer_model_pj_per_bit(const BufferConfig& b, const TechPoint& t) {
  // An access activates one bank: its size sets the line lengths.
  double bank = double(b.capacity) / double(std::max(1, b.banks));
  return sram_pj_per_bit_45nm(bank) * port_factor(b.ports) * tech_factor(t);
}

namespace {

struct DramTech {
  const char* name;
  double pj_per_bit;
};
// Sources: docs/memory_energy.md section 2.
const DramTech kDram[] = {
    {"ddr4", 15.0},   // Micron TN-40-07 method on DDR4-2400 x8 currents: 13.8 (read) .. 19.8 (write) pJ/bit
    {"lpddr4", 5.0},  // the 4-6 pJ/bit range (not verified against a datasheet here)
    {"lpddr5", 3.5},  // the 3-4 pJ/bit range (not verified against a datasheet here)
    {"hbm2", 3.9},    // O'Connor et al., "Fine-Grained DRAM", MICRO 2017
    {"hbm3", 3.5},    // the 3-4 pJ/bit range (not verified against a datasheet here)
};

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

BufferEnergy buffer_energy(const BufferConfig& b, const TechPoint& t) {
  BufferEnergy e;
  double model = buffer_model_pj_per_bit(b, t);
  // Horowitz gives reads only; CACTI's write energy of a bank is of the same
  // order, so writes default to the read figure (override write_pj_per_bit).
  e.read_pj_per_bit = b.read_pj_per_bit >= 0 ? b.read_pj_per_bit : model;
  e.write_pj_per_bit = b.write_pj_per_bit >= 0 ? b.write_pj_per_bit : model;
  // No leakage figure we can cite for the built-in library's SRAM: 0 unless set.
  e.leakage_mw = b.leakage_mw >= 0 ? b.leakage_mw : 0.0;
  e.overridden_read = b.read_pj_per_bit >= 0;
  e.overridden_write = b.write_pj_per_bit >= 0;
  e.overridden_leakage = b.leakage_mw >= 0;
  return e;
}

uint64_t div_up(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace

std::vector<std::string> dram_technologies() {
  std::vector<std::string> v;
  for (const DramTech& d : kDram) v.push_back(d.name);
  return v;
}

double dram_tech_pj_per_bit(const std::string& technology) {
  for (const DramTech& d : kDram)
    if (technology == d.name) return d.pj_per_bit;
  std::string list;
  for (const DramTech& d : kDram) list += (list.empty() ? "" : ", ") + std::string(d.name);
  throw FormatError("memory.dram.technology: unknown DRAM technology '" + technology + "' (valid: " + list + ")");
}

double library_node_nm(const std::string& n) {
  if (n.find("macforge45") != std::string::npos) return 45;
  if (n.find("sky130") != std::string::npos) return 130;
  if (n.find("sg13g2") != std::string::npos) return 130;
  if (n.find("NangateOpenCellLibrary") != std::string::npos || n.find("FreePDK45") != std::string::npos) return 45;
  return 0;
}

EnergyModel make_energy_model(const MemoryConfig& m, const TechPoint& t0) {
  EnergyModel e;
  e.tech = t0;
  if (m.node_nm > 0 || m.voltage > 0) {
    if (m.node_nm > 0) e.tech.node_nm = m.node_nm;
    if (m.voltage > 0) e.tech.voltage = m.voltage;
    std::ostringstream s;
    s << "memory.energy (" << e.tech.node_nm << " nm, " << e.tech.voltage << " V)";
    e.tech.source = s.str();
  }
  e.input = buffer_energy(m.input, e.tech);
  e.weight = buffer_energy(m.weight, e.tech);
  e.output = buffer_energy(m.output, e.tech);
  e.dram_technology = m.dram.technology;
  // DRAM is its own chip and process: no scaling to the logic library.
  e.dram_pj_per_bit = m.dram.pj_per_bit >= 0 ? m.dram.pj_per_bit : dram_tech_pj_per_bit(m.dram.technology);
  e.dram_overridden = m.dram.pj_per_bit >= 0;
  e.clock_mhz = m.clock_mhz;
  return e;
}

OperandBits operand_bits(const BlockFormat& f, int64_t rows, int64_t K) {
  OperandBits o;
  if (rows <= 0 || K <= 0) return o;
  o.elem = uint64_t(rows) * uint64_t(K) * uint64_t(f.elem.bits);
  if (f.has_block_scale()) o.block_scales = uint64_t(rows) * div_up(uint64_t(K), uint64_t(f.block)) * uint64_t(f.scale_bits());
  o.side_scales = scale_side_bits(f, rows);
  return o;
}

double LayerEnergy::total_pj() const { return array_pj + memory_pj(); }

LayerEnergy& LayerEnergy::operator+=(const LayerEnergy& o) {
  array_pj += o.array_pj;
  input_pj += o.input_pj;
  weight_pj += o.weight_pj;
  output_pj += o.output_pj;
  dram_pj += o.dram_pj;
  leakage_pj += o.leakage_pj;
  scale_pj += o.scale_pj;
  for (auto [x, y] : {std::pair<OperandBits*, const OperandBits*>{&a, &o.a}, {&b, &o.b}}) {
    x->elem += y->elem;
    x->block_scales += y->block_scales;
    x->side_scales += y->side_scales;
  }
  return *this;
}

LayerEnergy layer_energy(const LayerReport& r, const ArraySpec& arr0, const EnergyModel& e) {
  LayerEnergy out;
  const double k = double(std::max<int64_t>(1, r.gemm.count));
  int mode = std::max(0, r.mode);
  out.array_pj = mode < int(e.pj_per_mac.size()) && e.pj_per_mac[size_t(mode)] >= 0
                     ? r.macs * k * e.pj_per_mac[size_t(mode)]
                     : nan();
  // An SRAM access toggles a whole word: a partial word costs the full word.
  auto buf = [&](const BufferStats& s, const BufferEnergy& b) {
    double wbits = double(s.word_bytes) * 8.0;
    return k * wbits * (double(s.read_words) * b.read_pj_per_bit + double(s.write_words) * b.write_pj_per_bit);
  };
  out.input_pj = buf(r.input, e.input);
  out.weight_pj = buf(r.weight, e.weight);
  out.output_pj = buf(r.output, e.output);
  out.dram_pj = k * double(r.dram_read_bytes + r.dram_write_bytes) * 8.0 * e.dram_pj_per_bit;
  double ns = k * double(r.total_cycles) * 1000.0 / e.clock_mhz;
  out.leakage_pj = (e.input.leakage_mw + e.weight.leakage_mw + e.output.leakage_mw) * ns;  // mW x ns = pJ
  // Scale bits: one copy of each operand in the layer's formats, K as streamed.
  ArraySpec arr = arr0.in_mode(mode < arr0.num_modes() ? mode : 0);
  int64_t Kp = arr.padded_k(r.gemm.K);
  out.a = operand_bits(arr.a, r.gemm.M, Kp);
  out.b = operand_bits(arr.b, r.gemm.N, Kp);
  for (OperandBits* o : {&out.a, &out.b}) {
    o->elem *= uint64_t(k);
    o->block_scales *= uint64_t(k);
    o->side_scales *= uint64_t(k);
  }
  // The scale bits' part of the operand traffic: each operand's buffer
  // accesses and its DRAM fills (the buffer's writes) carry the tensor's share
  // of scale bits.
  auto share = [](const OperandBits& o) { return o.total() ? double(o.scales()) / double(o.total()) : 0.0; };
  out.scale_pj = share(out.a) * (out.input_pj + k * double(r.input.write_bytes) * 8.0 * e.dram_pj_per_bit) +
                 share(out.b) * (out.weight_pj + k * double(r.weight.write_bytes) * 8.0 * e.dram_pj_per_bit);
  return out;
}

namespace {

std::string bits_json(const OperandBits& o) {
  std::ostringstream s;
  s << "{\"elem_bits\": " << o.elem << ", \"block_scale_bits\": " << o.block_scales
    << ", \"side_scale_bits\": " << o.side_scales << "}";
  return s.str();
}

std::string buffer_model_json(const BufferEnergy& b) {
  std::ostringstream s;
  s << "{\"read_pj_per_bit\": " << json_number(b.read_pj_per_bit) << ", \"write_pj_per_bit\": "
    << json_number(b.write_pj_per_bit) << ", \"leakage_mw\": " << json_number(b.leakage_mw) << ", \"overridden\": ["
    << (b.overridden_read ? "\"read\"" : "")
    << (b.overridden_write ? std::string(b.overridden_read ? ", " : "") + "\"write\"" : "")
    << (b.overridden_leakage ? std::string(b.overridden_read || b.overridden_write ? ", " : "") + "\"leakage\"" : "")
    << "]}";
  return s.str();
}

}  // namespace

std::string energy_json(const LayerEnergy& e) {
  std::ostringstream s;
  s << "{\"array_pj\": " << json_number(e.array_pj) << ", \"input_pj\": " << json_number(e.input_pj)
    << ", \"weight_pj\": " << json_number(e.weight_pj) << ", \"output_pj\": " << json_number(e.output_pj)
    << ", \"buffers_pj\": " << json_number(e.buffers_pj()) << ", \"dram_pj\": " << json_number(e.dram_pj)
    << ", \"leakage_pj\": " << json_number(e.leakage_pj) << ", \"memory_pj\": " << json_number(e.memory_pj())
    << ", \"total_pj\": " << json_number(e.total_pj()) << ", \"scale_pj\": " << json_number(e.scale_pj)
    << ", \"operand_bits\": {\"a\": " << bits_json(e.a) << ", \"b\": " << bits_json(e.b) << "}}";
  return s.str();
}

std::string energy_model_json(const EnergyModel& e) {
  std::ostringstream s;
  s << "{\"node_nm\": " << json_number(e.tech.node_nm) << ", \"voltage\": " << json_number(e.tech.voltage)
    << ", \"tech_source\": \"" << json_escape(e.tech.source) << "\", \"clock_mhz\": " << json_number(e.clock_mhz)
    << ",\n    \"input\": " << buffer_model_json(e.input) << ",\n    \"weight\": " << buffer_model_json(e.weight)
    << ",\n    \"output\": " << buffer_model_json(e.output) << ",\n    \"dram\": {\"technology\": \""
    << json_escape(e.dram_technology) << "\", \"pj_per_bit\": " << json_number(e.dram_pj_per_bit)
    << ", \"overridden\": " << (e.dram_overridden ? "true" : "false") << "},\n    \"pj_per_mac\": [";
  for (size_t i = 0; i < e.pj_per_mac.size(); ++i) s << (i ? ", " : "") << json_number(e.pj_per_mac[i]);
  s << "]}";
  return s.str();
}

}  // namespace macforge::sim

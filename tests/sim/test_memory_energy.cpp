// Memory energy (sim/memory_energy.hpp, docs/memory_energy.md) against
// independent truth: Horowitz's published SRAM figures, hand-counted bytes of
// a tiny layer times pJ/bit, hand-counted element and scale bits of MX and NV
// formats, override precedence, and bad configuration values.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "numerics/elem_format.hpp"
#include "sim/memory_energy.hpp"
#include "sim/report.hpp"
#include "sim/run.hpp"
#include "sim/sim_config.hpp"

int sc_main(int, char**) { return 0; }

using namespace macforge;
using namespace macforge::sim;

namespace {

std::string cfg(const std::string& fmt, int lanes, int R, int C, const std::string& memory) {
  return "name: t\npe:\n  a: " + fmt + "\n  b: " + fmt + "\n  lanes: " + std::to_string(lanes) +
         "\narray:\n  rows: " + std::to_string(R) + "\n  cols: " + std::to_string(C) +
         "\n  dataflow: output-stationary\n" + memory;
}

// The tiny memory: 1 KiB single-bank buffers of 4-byte words, no double buffering.
const char* kTinyMem =
    "memory:\n"
    "  input:  {capacity: 1KiB, banks: 1, ports: 2, double_buffer: false, word_bytes: 4,"
    " read_pj_per_bit: 0.5, write_pj_per_bit: 0.25}\n"
    "  weight: {capacity: 1KiB, banks: 1, ports: 2, double_buffer: false, word_bytes: 4,"
    " read_pj_per_bit: 0.75, write_pj_per_bit: 1.0}\n"
    "  output: {capacity: 1KiB, banks: 1, ports: 2, double_buffer: false, word_bytes: 4,"
    " read_pj_per_bit: 2.0, write_pj_per_bit: 3.0, leakage_mw: 1.5}\n"
    "  dram: {bandwidth: 8, latency: 10, pj_per_bit: 10}\n"
    "  energy: {clock_mhz: 500}\n";

RunSummary run(const std::string& text, int64_t M, int64_t N, int64_t K) {
  LoadedConfig c = parse_sim_config(text, "t.yaml");
  Gemm g;
  g.name = "tiny";
  g.M = M, g.N = N, g.K = K;
  SimRequest req;
  req.timing_only = true;
  return run_workload(c.accel, {g}, req);
}

std::string parse_error(const std::string& memory_yaml) {
  try {
    parse_sim_config(cfg("int8", 1, 2, 2, memory_yaml), "c.yaml");
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// Horowitz, ISSCC 2014, 45 nm / 0.9 V, 64-bit accesses: 8 KB 10 pJ, 32 KB
// 20 pJ, 1 MB 100 pJ -- reproduced exactly at the anchors; sqrt(capacity)
// outside them; a straight line in log-log between them.
TEST(MemoryEnergy, HorowitzAnchorsAndScaling) {
  EXPECT_DOUBLE_EQ(sram_pj_per_bit_45nm(8 * 1024) * 64, 10.0);
  EXPECT_DOUBLE_EQ(sram_pj_per_bit_45nm(32 * 1024) * 64, 20.0);
  EXPECT_DOUBLE_EQ(sram_pj_per_bit_45nm(1024 * 1024) * 64, 100.0);
  EXPECT_NEAR(sram_pj_per_bit_45nm(2 * 1024) * 64, 5.0, 1e-12);            // 8 KB / 4 -> / 2
  EXPECT_NEAR(sram_pj_per_bit_45nm(4 * 1024 * 1024) * 64, 200.0, 1e-9);    // 1 MB x 4 -> x 2
  EXPECT_NEAR(sram_pj_per_bit_45nm(16 * 1024) * 64, 10.0 * std::sqrt(2.0), 1e-12);  // log-log midpoint
  // 32 KB -> 1 MB is x32 capacity for x5 energy: at 32 KB x 2^2.5 the midpoint sqrt(20 x 100).
  EXPECT_NEAR(sram_pj_per_bit_45nm(32 * 1024 * std::pow(2.0, 2.5)) * 64, std::sqrt(2000.0), 1e-9);
  // E ~ C V^2, C ~ node: 1 at Horowitz's point; sky130 at 1.8 V: 130/45 x (1.8/0.9)^2.
  EXPECT_DOUBLE_EQ(tech_factor({45, 0.9, ""}), 1.0);
  EXPECT_NEAR(tech_factor({130, 1.8, ""}), 130.0 / 45.0 * 4.0, 1e-12);
  // A bank of a banked buffer: 64 KiB in 8 banks is 8 KiB banks, 1 port (no 8T factor).
  BufferConfig b;
  b.capacity = 64 * 1024;
  b.banks = 8;
  b.ports = 1;
  EXPECT_NEAR(buffer_model_pj_per_bit(b, {45, 0.9, ""}), 10.0 / 64, 1e-12);
  b.ports = 2;
  EXPECT_NEAR(buffer_model_pj_per_bit(b, {45, 0.9, ""}), 10.0 / 64 * std::sqrt(4.0 / 3.0), 1e-12);
}

TEST(MemoryEnergy, DramTechnologies) {
  EXPECT_DOUBLE_EQ(dram_tech_pj_per_bit("hbm2"), 3.9);  // O'Connor et al., MICRO 2017
  for (const std::string& t : dram_technologies()) EXPECT_GT(dram_tech_pj_per_bit(t), 0);
  EXPECT_THROW(dram_tech_pj_per_bit("ddr9"), FormatError);
  EXPECT_EQ(library_node_nm("sky130_fd_sc_hd__tt_025C_1v80"), 130);
  EXPECT_EQ(library_node_nm("macforge45"), 45);
  EXPECT_EQ(library_node_nm("mystery"), 0);
}

// A tiny layer on a tiny array, counted by hand. int8 (no scales), 2x2
// output-stationary array, 1 lane, GEMM M=2, N=2, K=8; 4-byte words:
//   A = 2 rows x 8 int8 = 16 B, B = 16 B, C = 2 x 2 float32 = 16 B; one tile,
//   one step (everything fits in 1 KiB).
//   input buffer:  filled from DRAM 16 B = 4 words written; the array reads
//                  16 B = 4 words.                      -> 4x32x0.25 + 4x32x0.5  = 32 + 64  = 96 pJ
//   weight buffer: the same with B.                     -> 4x32x1.0  + 4x32x0.75 = 128 + 96 = 224 pJ
//   output buffer: the array writes 16 B = 4 words and the writer reads them
//                  back to send to DRAM (4 words).      -> 4x32x3.0  + 4x32x2.0  = 384 + 256 = 640 pJ
//   DRAM: 32 B read + 16 B written = 48 B = 384 bits    -> 384 x 10 = 3840 pJ
//   leakage: 1.5 mW x cycles x 2 ns (500 MHz).
TEST(MemoryEnergy, HandCountedTinyLayer) {
  RunSummary s = run(cfg("int8", 1, 2, 2, kTinyMem), 2, 2, 8);
  ASSERT_EQ(s.layers.size(), 1u);
  const LayerReport& r = s.layers[0];
  EXPECT_EQ(r.input.write_bytes, 16u);
  EXPECT_EQ(r.input.read_bytes, 16u);
  EXPECT_EQ(r.input.write_words, 4u);
  EXPECT_EQ(r.input.read_words, 4u);
  EXPECT_EQ(r.weight.write_words, 4u);
  EXPECT_EQ(r.weight.read_words, 4u);
  EXPECT_EQ(r.output.write_words, 4u);
  EXPECT_EQ(r.output.read_words, 4u);
  EXPECT_EQ(r.dram_read_bytes, 32u);
  EXPECT_EQ(r.dram_write_bytes, 16u);
  s.energy.pj_per_mac = {0.125};
  LayerEnergy e = layer_energy(r, s.array, s.energy);
  EXPECT_DOUBLE_EQ(e.input_pj, 96.0);
  EXPECT_DOUBLE_EQ(e.weight_pj, 224.0);
  EXPECT_DOUBLE_EQ(e.output_pj, 640.0);
  EXPECT_DOUBLE_EQ(e.dram_pj, 3840.0);
  EXPECT_DOUBLE_EQ(e.leakage_pj, 1.5 * double(r.total_cycles) * 2.0);
  EXPECT_DOUBLE_EQ(e.array_pj, 2 * 2 * 8 * 0.125);  // 32 MACs
  EXPECT_DOUBLE_EQ(e.scale_pj, 0.0);                // int8: no scale bits
  EXPECT_DOUBLE_EQ(e.total_pj(), 4.0 + 96 + 224 + 640 + 3840 + e.leakage_pj);
  // count = 3 back-to-back instances: three times everything.
  LayerReport r3 = r;
  r3.gemm.count = 3;
  LayerEnergy e3 = layer_energy(r3, s.array, s.energy);
  EXPECT_DOUBLE_EQ(e3.total_pj(), 3 * e.total_pj());
  // The JSON and the table carry the same numbers.
  std::string j = to_json(s);
  EXPECT_NE(j.find("\"input_pj\": 96, \"weight_pj\": 224, \"output_pj\": 640"), std::string::npos) << j;
  EXPECT_NE(j.find("\"dram_pj\": 3840"), std::string::npos);
  EXPECT_NE(energy_table(s).find("3.840"), std::string::npos) << energy_table(s);
}

// Element and scale bits of one operand, by hand (FORMATS.md): 4 rows, K = 64.
//   mxint8: 4 x 64 x 8 = 2048 element bits; e8m0 per 32: 4 x 2 x 8 = 64.
//   mxfp4:  4 x 64 x 4 = 1024; e8m0 per 32: 64.
//   nvfp4:  4 x 64 x 4 = 1024; ue4m3 per 16: 4 x 4 x 8 = 128; fp32 tensor scale 32.
//   int8/channel/fp32: 2048; no block scales; 4 fp32 channel scales = 128.
TEST(MemoryEnergy, ScaleBitsMxVsNv) {
  OperandBits mx8 = operand_bits(parse_block_format("mxint8"), 4, 64);
  EXPECT_EQ(mx8.elem, 2048u);
  EXPECT_EQ(mx8.block_scales, 64u);
  EXPECT_EQ(mx8.side_scales, 0u);
  OperandBits mx4 = operand_bits(parse_block_format("mxfp4_e2m1"), 4, 64);
  EXPECT_EQ(mx4.elem, 1024u);
  EXPECT_EQ(mx4.block_scales, 64u);
  OperandBits nv4 = operand_bits(parse_block_format("nvfp4"), 4, 64);
  EXPECT_EQ(nv4.elem, 1024u);
  EXPECT_EQ(nv4.block_scales, 128u);
  EXPECT_EQ(nv4.side_scales, 32u);
  OperandBits ch = operand_bits(parse_block_format("int8/channel/fp32"), 4, 64);
  EXPECT_EQ(ch.elem, 2048u);
  EXPECT_EQ(ch.block_scales, 0u);
  EXPECT_EQ(ch.side_scales, 128u);
  // A partial block still carries its scale: K = 40 -> 2 MX blocks, 3 NV blocks.
  EXPECT_EQ(operand_bits(parse_block_format("mxint8"), 1, 40).block_scales, 16u);
  EXPECT_EQ(operand_bits(parse_block_format("nvfp4"), 1, 40).block_scales, 24u);
  // In a run: NV moves a larger share of scale bits than MX at the same element width.
  std::string mem = "memory:\n  dram: {pj_per_bit: 10}\n";
  RunSummary smx = run(cfg("mxfp4_e2m1", 8, 2, 2, mem), 4, 4, 64);
  RunSummary snv = run(cfg("nvfp4", 8, 2, 2, mem), 4, 4, 64);
  LayerEnergy emx = layer_energies(smx)[0], env = layer_energies(snv)[0];
  EXPECT_EQ(emx.a.block_scales, 64u);
  EXPECT_EQ(env.a.block_scales, 128u);
  EXPECT_EQ(env.a.side_scales, 32u);
  EXPECT_GT(env.scale_pj / env.memory_pj(), emx.scale_pj / emx.memory_pj());
}

// Overrides: a buffer's figure in the config beats the model; the config's
// memory.energy node/voltage beat the library's; dram.pj_per_bit beats the
// technology's figure.
TEST(MemoryEnergy, OverridePrecedence) {
  MemoryConfig m = parse_memory_config(YAML::Load(
      "{input: {capacity: 8KiB, banks: 1, ports: 1, read_pj_per_bit: 0.01}, weight: {capacity: 8KiB, banks: 1, ports: 1},"
      " dram: {technology: hbm2}}"));
  TechPoint lib{130, 1.8, "sky130"};
  EnergyModel e = make_energy_model(m, lib);
  EXPECT_DOUBLE_EQ(e.input.read_pj_per_bit, 0.01);
  EXPECT_TRUE(e.input.overridden_read);
  EXPECT_NEAR(e.input.write_pj_per_bit, 10.0 / 64 * tech_factor(lib), 1e-12);  // not overridden: model at the library's point
  EXPECT_NEAR(e.weight.read_pj_per_bit, 10.0 / 64 * tech_factor(lib), 1e-12);
  EXPECT_DOUBLE_EQ(e.dram_pj_per_bit, 3.9);
  m.node_nm = 45;
  m.voltage = 0.9;
  m.dram.pj_per_bit = 7;
  e = make_energy_model(m, lib);
  EXPECT_NEAR(e.weight.read_pj_per_bit, 10.0 / 64, 1e-12);  // the config's process point wins
  EXPECT_DOUBLE_EQ(e.dram_pj_per_bit, 7.0);
  EXPECT_TRUE(e.dram_overridden);
  // Only the voltage set: the library's node stays.
  m.node_nm = 0;
  m.voltage = 0.9;
  e = make_energy_model(m, lib);
  EXPECT_NEAR(e.tech.node_nm, 130, 0);
  EXPECT_NEAR(e.tech.voltage, 0.9, 0);
}

TEST(MemoryEnergy, BadConfigValues) {
  // One line: file:line:col: key: what is valid (columns counted by hand: "  dram: {" is 9
  // characters, "technology: " 12, so the value starts at column 22).
  EXPECT_EQ(parse_error("memory:\n  input: {read_pj_per_bit: -1}\n"),
            "c.yaml:11:28: memory.input.read_pj_per_bit: expected energy in pJ per bit (got '-1')");
  EXPECT_EQ(parse_error("memory:\n  weight: {write_pj_per_bit: 2e5}\n"),
            "c.yaml:11:30: memory.weight.write_pj_per_bit: must be in [0, 10000] (got 2e5)");
  EXPECT_EQ(parse_error("memory:\n  output: {leakage_mw: lots}\n"),
            "c.yaml:11:24: memory.output.leakage_mw: expected power in mW (got 'lots')");
  EXPECT_EQ(parse_error("memory:\n  dram: {technology: ddr9}\n"),
            "c.yaml:11:22: memory.dram.technology: unknown DRAM technology 'ddr9' (valid: ddr4, lpddr4, lpddr5, hbm2, "
            "hbm3)");
  EXPECT_EQ(parse_error("memory:\n  dram: {pj_per_bit: x}\n"),
            "c.yaml:11:22: memory.dram.pj_per_bit: expected energy in pJ per bit (got 'x')");
  EXPECT_EQ(parse_error("memory:\n  energy: {node_nm: 0}\n"),
            "c.yaml:11:21: memory.energy.node_nm: must be in [1, 1000] (got 0)");
  EXPECT_EQ(parse_error("memory:\n  energy: {vdd: 1}\n"),
            "c.yaml:11:12: memory.energy.vdd: unknown key (valid: clock_mhz, node_nm, voltage)");
}

#ifdef MF_MACFORGE
// The CLI: a bad value exits 2 with one line and writes nothing; a good run
// reports energy per layer and in total.
TEST(MemoryEnergyCli, ExitCodesAndReport) {
  std::string dir = MF_WORK_DIR;
  std::system(("mkdir -p " + dir).c_str());
  {
    std::ofstream f(dir + "/bad.yaml");
    f << cfg("int8", 1, 2, 2, "memory:\n  dram: {technology: ddr9}\n");
  }
  std::string out = dir + "/bad.json";
  std::remove(out.c_str());
  int rc = std::system((std::string(MF_MACFORGE) + " sim --config " + dir + "/bad.yaml --gemm 2,2,8 --timing-only -o " +
                        out + " 2> " + dir + "/bad.err")
                           .c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  std::ifstream err(dir + "/bad.err");
  std::string line, all;
  int lines = 0;
  while (std::getline(err, line)) ++lines, all += line;
  EXPECT_EQ(lines, 1) << all;
  EXPECT_NE(all.find("bad.yaml:11:22: memory.dram.technology"), std::string::npos) << all;
  EXPECT_FALSE(std::ifstream(out).good());
  {
    std::ofstream f(dir + "/tiny.yaml");
    f << cfg("int8", 1, 2, 2, kTinyMem);
  }
  out = dir + "/tiny.json";
  rc = std::system((std::string(MF_MACFORGE) + " sim --config " + dir + "/tiny.yaml --gemm 2,2,8 --timing-only " +
                    "--pj-per-mac 0.125 -o " + out)
                       .c_str());
  ASSERT_EQ(WEXITSTATUS(rc), 0);
  std::stringstream ss;
  ss << std::ifstream(out).rdbuf();
  EXPECT_NE(ss.str().find("\"array_pj\": 4, \"input_pj\": 96, \"weight_pj\": 224, \"output_pj\": 640"),
            std::string::npos)
      << ss.str();
  rc = std::system((std::string(MF_MACFORGE) + " sim --config " + dir + "/tiny.yaml --gemm 2,2,8 --timing-only " +
                    "--pj-per-mac 1,2 -o " + out + " 2>/dev/null")
                       .c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 2);  // two figures for a one-mode array
}
#endif

// Unit tests of the SystemC accelerator model (docs/timing_model.md): memory
// configuration, workloads, traffic formulas, the closed-form cycle counts of
// every dataflow, memory stalls, and the functional behavioural array against
// the reference gemm().
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstring>
#include <random>

#include "gen/pe_emit.hpp"
#include "gen/schedule.hpp"
#include "numerics/dot.hpp"
#include "sim/controller.hpp"
#include "sim/data.hpp"
#include "sim/engine.hpp"
#include "sim/fast_gemm.hpp"
#include "sim/run.hpp"
#include "sim/sim_config.hpp"

int sc_main(int, char**) { return 0; }

using namespace macforge;
using namespace macforge::sim;

namespace {

std::string cfg_text(const std::string& a, const std::string& b, int lanes, int R, int C, const std::string& df,
                     const std::string& memory = "", int pipeline = 0) {
  std::string s = "name: t\npe:\n  a: " + a + "\n  b: " + b + "\n  lanes: " + std::to_string(lanes) +
                  "\n  pipeline: " + std::to_string(pipeline) + "\narray:\n  rows: " + std::to_string(R) +
                  "\n  cols: " + std::to_string(C) + "\n  dataflow: " + df + "\n";
  return s + memory;
}

AccelConfig accel(const std::string& a, const std::string& b, int lanes, int R, int C, Dataflow df,
                  const std::string& memory = "", int pipeline = 0) {
  ConfigOverrides ov;
  ov.dataflow = df;
  std::string gdf = df == Dataflow::OS ? "output-stationary" : "weight-stationary";
  return parse_sim_config(cfg_text(a, b, lanes, R, C, gdf, memory, pipeline), "t.yaml", ov).accel;
}

LayerReport run1(const AccelConfig& c, int64_t M, int64_t N, int64_t K, bool ideal) {
  auto be = make_behavioural_backend(false);
  RunOptions o;
  o.ideal = ideal;
  Gemm g;
  g.M = M, g.N = N, g.K = K;
  return default_accelerator().run(c, g, *be, o);
}

}  // namespace

// ---- memory configuration -----------------------------------------------------

TEST(MemoryConfig, DefaultsAndKeys) {
  MemoryConfig d = parse_memory_config(YAML::Node());
  EXPECT_EQ(d.input.capacity, 256u * 1024);
  EXPECT_EQ(d.input.banks, 2);
  EXPECT_TRUE(d.input.double_buffer);
  EXPECT_EQ(d.dram.bandwidth, 64.0);
  EXPECT_EQ(d.dram.latency, 100);
  MemoryConfig m = parse_memory_config(YAML::Load(
      "dram: {bandwidth: 12.5, latency: 7}\ninput: {capacity: 1MiB, banks: 4, ports: 1, double_buffer: false, "
      "word_bytes: 32}\nweight: {capacity: 64KB}\noutput: {capacity: 4096}\n"));
  EXPECT_EQ(m.dram.bandwidth, 12.5);
  EXPECT_EQ(m.dram.latency, 7);
  EXPECT_EQ(m.input.capacity, 1024u * 1024);
  EXPECT_EQ(m.input.banks, 4);
  EXPECT_EQ(m.input.ports, 1);
  EXPECT_FALSE(m.input.double_buffer);
  EXPECT_EQ(m.input.slot_bytes(), 1024u * 1024);
  EXPECT_EQ(m.weight.capacity, 64000u);
  EXPECT_EQ(m.output.capacity, 4096u);
  EXPECT_EQ(m.output.slot_bytes(), 2048u);
}

TEST(MemoryConfig, ErrorsNameFileLineAndKey) {
  std::string text = cfg_text("mxfp8_e4m3", "mxfp8_e4m3", 4, 4, 4, "output-stationary",
                              "memory:\n  input:\n    banks: 0\n");
  try {
    parse_sim_config(text, "cfg.yaml");
    FAIL() << "expected an error";
  } catch (const FormatError& e) {
    std::string w = e.what();
    EXPECT_NE(w.find("cfg.yaml:13:"), std::string::npos) << w;
    EXPECT_NE(w.find("memory.input.banks"), std::string::npos) << w;
  }
  for (const char* bad : {"memory:\n  dram: {bandwidth: 0}\n", "memory:\n  dram: {speed: 3}\n",
                          "memory:\n  input: {capacity: lots}\n", "memory:\n  cache: {}\n",
                          "memory:\n  input: {capacity: 0}\n", "memory:\n  dram: {latency: -1}\n"}) {
    EXPECT_THROW(parse_sim_config(cfg_text("mxint8", "mxint8", 4, 4, 4, "output-stationary", bad), "c.yaml"),
                 FormatError)
        << bad;
  }
}

TEST(MemoryConfig, GeneratorErrorsKeepTheirLineNumbers) {
  // The memory section comes first; the bad lanes value is on line 8.
  std::string text = "memory:\n  dram: {bandwidth: 16}\n  input:\n    capacity: 8KiB\nname: t\npe:\n  a: mxint8\n"
                     "  lanes: 5\narray: {rows: 4, cols: 4}\n";
  try {
    parse_sim_config(text, "c.yaml");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("c.yaml:8:"), std::string::npos) << e.what();
  }
  LoadedConfig ok = parse_sim_config("memory: {dram: {bandwidth: 16}}\nname: t\npe: {a: mxint8}\n", "c.yaml");
  EXPECT_EQ(ok.accel.memory.dram.bandwidth, 16.0);
}

TEST(MemoryConfig, OverridesAreValidatedLikeTheGenerator) {
  std::string text = cfg_text("mxint8", "mxint8", 4, 4, 4, "output-stationary");
  ConfigOverrides ov;
  ov.rows = 100;
  ov.cols = 4;
  EXPECT_THROW(parse_sim_config(text, "c.yaml", ov), FormatError);
  ConfigOverrides ws;
  ws.dataflow = Dataflow::WS;  // WS: a PE holds a group in at most 16 chunks; lanes 1 needs 32
  EXPECT_THROW(parse_sim_config(cfg_text("mxint8", "mxint8", 1, 4, 4, "output-stationary"), "c.yaml", ws),
               FormatError);
  ConfigOverrides is;
  is.dataflow = Dataflow::IS;
  EXPECT_EQ(parse_sim_config(text, "c.yaml", is).accel.array.dataflow, Dataflow::IS);
}

// ---- workloads -----------------------------------------------------------------

TEST(Workload, GemmArgument) {
  Gemm g = parse_gemm("64,32,100");
  EXPECT_EQ(g.M, 64);
  EXPECT_EQ(g.N, 32);
  EXPECT_EQ(g.K, 100);
  for (const char* bad : {"0,4,4", "4,0,4", "4,4,0", "-1,4,4", "4,4", "4,4,4,4", "a,4,4", "4.5,4,4", ""})
    EXPECT_THROW(parse_gemm(bad), FormatError) << bad;
}

TEST(Workload, LayerFile) {
  auto l = parse_layers("# comment\nname,M,N,K,count\nqkv, 2048, 12288, 4096, 1\n\nheads,4,4,4,32\n", "x.csv");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].name, "qkv");
  EXPECT_EQ(l[0].N, 12288);
  EXPECT_EQ(l[1].count, 32);
  struct Bad {
    const char* text;
    const char* where;
  };
  for (Bad b : {Bad{"M,N,K\n1,2,3\n", "x.csv:1:"}, Bad{"name,M,N,K\na,1,2,3\nb,1,2\n", "x.csv:3:"},
                Bad{"name,M,N,K\na,1,2,3\n\nb,1,-2,3\n", "x.csv:4:"}, Bad{"name,M,N,K\na,1,2,0\n", "x.csv:2:"},
                Bad{"name,M,N,K\na,1,x,3\n", "x.csv:2:"}, Bad{"name,M,N,K\n", "x.csv"}, Bad{"", "x.csv"}}) {
    try {
      parse_layers(b.text, "x.csv");
      FAIL() << b.text;
    } catch (const FormatError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(b.where, 0), 0u) << e.what();
    }
  }
}

// ---- traffic ------------------------------------------------------------------

TEST(Traffic, ElementAndScaleBits) {
  BlockFormat mx8 = parse_block_format("mxfp8_e4m3"), mx4 = parse_block_format("mxfp4_e2m1");
  BlockFormat nv = parse_block_format("nvfp4"), i8 = parse_block_format("int8/channel/fp32");
  EXPECT_EQ(slice_bits(mx8, 1, 0, 32), 32u * 8 + 8);       // MX: 8 bits per 32 elements
  EXPECT_EQ(slice_bits(mx4, 3, 0, 64), 3u * (64 * 4 + 16));
  EXPECT_EQ(slice_bits(nv, 1, 0, 32), 32u * 4 + 16);       // NV: 8 bits per 16 elements
  EXPECT_EQ(slice_bits(mx8, 1, 16, 48), 32u * 8 + 16);     // a range touching two blocks
  EXPECT_EQ(scale_side_bits(nv, 7), 32u);                  // plus one fp32 tensor scale
  EXPECT_EQ(scale_side_bits(i8, 7), 7u * 32);              // per-channel fp32 scales
  EXPECT_EQ(scale_side_bits(mx8, 7), 0u);
}

TEST(Traffic, IdealMemoryMovesEveryOperandOnce) {
  for (const char* f : {"mxfp8_e4m3", "mxfp4_e2m1", "nvfp4", "mxint8"}) {
    AccelConfig c = accel(f, f, 4, 4, 4, Dataflow::OS);
    int64_t M = 13, N = 9, K = 100;
    LayerReport r = run1(c, M, N, K, true);
    BlockFormat bf = parse_block_format(f);
    int64_t Kp = (K + 3) / 4 * 4;
    uint64_t a = 0, b = 0;
    // OS slices are per tile rows; sum them exactly as the formula of docs/timing_model.md section 5.
    for (int64_t m0 = 0; m0 < M; m0 += 4) a += bits_to_bytes(slice_bits(bf, std::min<int64_t>(4, M - m0), 0, Kp));
    for (int64_t n0 = 0; n0 < N; n0 += 4) b += bits_to_bytes(slice_bits(bf, std::min<int64_t>(4, N - n0), 0, Kp));
    if (bf.has_tensor_scale()) a += 4, b += 4;
    EXPECT_EQ(r.dram_read_bytes, a + b) << f;
    EXPECT_EQ(r.dram_write_bytes, uint64_t(M * N * 4)) << f;
  }
}

TEST(Traffic, FourBitFormatsMoveFewerBytes) {
  std::string mem = "memory:\n  dram: {bandwidth: 16, latency: 50}\n  input: {capacity: 16KiB}\n"
                    "  weight: {capacity: 16KiB}\n";
  for (Dataflow df : {Dataflow::OS, Dataflow::WS, Dataflow::IS}) {
    LayerReport r8 = run1(accel("mxfp8_e4m3", "mxfp8_e4m3", 8, 8, 8, df, mem), 256, 256, 512, false);
    LayerReport r4 = run1(accel("mxfp4_e2m1", "mxfp4_e2m1", 8, 8, 8, df, mem), 256, 256, 512, false);
    LayerReport n4 = run1(accel("nvfp4", "nvfp4", 8, 8, 8, df, mem), 256, 256, 512, false);
    EXPECT_LT(r4.dram_bytes(), r8.dram_bytes()) << dataflow_name(df);
    EXPECT_LT(n4.dram_bytes(), r8.dram_bytes()) << dataflow_name(df);
    EXPECT_LT(r4.dram_read_bytes, n4.dram_read_bytes) << "nvfp4 carries twice the scale bits of mxfp4";
    EXPECT_LE(r4.total_cycles, r8.total_cycles) << dataflow_name(df);
  }
}

// ---- cycles -------------------------------------------------------------------

// Ideal memory: the SystemC model, the closed forms of docs/timing_model.md and
// the generator's own schedule functions agree for every dataflow and shape.
TEST(Cycles, IdealMemoryEqualsClosedForms) {
  struct Cfg {
    const char *a, *b;
    int lanes, R, C, pipeline;
  };
  std::vector<Cfg> cfgs = {{"mxfp8_e4m3", "mxfp8_e4m3", 4, 4, 4, 0}, {"mxint8", "mxfp4_e2m1", 8, 3, 5, 1},
                           {"nvfp4", "nvfp4", 4, 8, 2, 0},         {"int8/channel/fp32", "nvint4", 4, 3, 4, 1},
                           {"mxint8", "mxint8", 32, 2, 2, 0},      {"bf16", "bf16", 2, 4, 3, 2}};
  std::vector<std::array<int64_t, 3>> shapes = {{1, 1, 1},    {5, 7, 33},  {16, 16, 64}, {37, 23, 100},
                                                {3, 50, 500}, {64, 2, 31}, {100, 100, 7}};
  for (const Cfg& cf : cfgs)
    for (Dataflow df : {Dataflow::OS, Dataflow::WS, Dataflow::IS}) {
      if (df != Dataflow::OS && cf.lanes == 2) continue;  // WS: at most 16 chunks per group
      AccelConfig c = accel(cf.a, cf.b, cf.lanes, cf.R, cf.C, df, "", cf.pipeline);
      const ArraySpec& a = c.array;
      for (auto s : shapes) {
        int64_t M = s[0], N = s[1], K = s[2];
        LayerReport r = run1(c, M, N, K, true);
        std::string what = std::string(cf.a) + "x" + cf.b + " " + dataflow_name(df) + " " + std::to_string(M) + "x" +
                           std::to_string(N) + "x" + std::to_string(K);
        EXPECT_EQ(r.total_cycles, closed_form_cycles(a, M, N, K)) << what;
        EXPECT_EQ(r.total_cycles, r.compute_cycles) << what;
        EXPECT_EQ(r.stall_cycles, 0) << what;
        gen::ArrayTiming t = a.timing;
        auto cdiv = [](int64_t x, int64_t y) { return (x + y - 1) / y; };
        if (df == Dataflow::OS) {
          t.dataflow = gen::Dataflow::OutputStationary;
          EXPECT_EQ(r.total_cycles, t.os_gemm_cycles(cdiv(M, a.rows) * cdiv(N, a.cols), K)) << what;
          // Written out: (T-1) max(nk, R, C) + nk + LAT + C + R - 1 + S.
          int64_t T = cdiv(M, a.rows) * cdiv(N, a.cols), nk = cdiv(K, a.lanes);
          EXPECT_EQ(r.total_cycles, (T - 1) * std::max<int64_t>({nk, a.rows, a.cols}) + nk + a.pe_latency + a.cols +
                                        a.rows - 1 + a.out_stage);
        } else {
          t.dataflow = gen::Dataflow::WeightStationary;
          int64_t rows = df == Dataflow::WS ? M : N, stat = df == Dataflow::WS ? N : M;
          // IS is WS with the roles of (A, M) and (B, N) swapped.
          EXPECT_EQ(r.total_cycles, gen::ws_plan(t, rows, stat, K).cycles()) << what;
          int64_t Q = a.chunks_per_group(), D = a.pe_latency + 1;
          int64_t P = cdiv(stat, a.cols) * cdiv(cdiv(K, a.group()), a.rows);
          int64_t out_delay = (a.rows - 1) * D + a.pe_latency + a.cols + a.out_stage;
          int64_t ktiles = cdiv(cdiv(K, a.group()), a.rows);
          // Streaming-bound regime (docs/timing_model.md 3.2): R*Q + P*M*Q + out_delay.
          if (rows * Q >= a.rows * Q + (a.rows - 1) * D + a.pe_latency + a.cols - 2 &&
              (ktiles == 1 || rows * Q >= out_delay + 1)) {
            EXPECT_EQ(r.total_cycles, a.rows * Q + P * rows * Q + out_delay) << what;
          }
        }
      }
    }
}

TEST(Cycles, StallsGrowAsBandwidthFalls) {
  for (Dataflow df : {Dataflow::OS, Dataflow::WS, Dataflow::IS}) {
    int64_t prev_stall = -1, prev_total = 0;
    int64_t compute = 0;
    for (double bw : {4096.0, 256.0, 64.0, 16.0, 4.0, 1.0}) {
      std::string mem = "memory:\n  dram: {bandwidth: " + std::to_string(bw) +
                        ", latency: 100}\n  input: {capacity: 32KiB}\n  weight: {capacity: 32KiB}\n";
      LayerReport r = run1(accel("mxfp8_e4m3", "mxfp8_e4m3", 4, 8, 8, df, mem), 128, 96, 256, false);
      if (compute) {
        EXPECT_EQ(r.compute_cycles, compute);
      }
      compute = r.compute_cycles;
      EXPECT_EQ(r.total_cycles, r.compute_cycles + r.stall_cycles);
      EXPECT_GE(r.stall_cycles, prev_stall) << dataflow_name(df) << " bw " << bw;
      EXPECT_GE(r.total_cycles, prev_total);
      if (bw <= 16.0) {
        EXPECT_GT(r.stall_cycles, prev_stall) << dataflow_name(df) << " bw " << bw;
      }
      prev_stall = r.stall_cycles;
      prev_total = r.total_cycles;
    }
    EXPECT_GT(prev_stall, 4 * compute) << "1 B/cycle is far below the array's demand";
  }
}

TEST(Cycles, DoubleBufferingHidesTransfers) {
  for (Dataflow df : {Dataflow::OS, Dataflow::WS}) {
    std::string single = "memory:\n  dram: {bandwidth: 32, latency: 20}\n  input: {double_buffer: false}\n"
                         "  weight: {double_buffer: false}\n  output: {double_buffer: false}\n";
    std::string dbl = "memory:\n  dram: {bandwidth: 32, latency: 20}\n";
    LayerReport s = run1(accel("mxint8", "mxint8", 8, 8, 8, df, single), 64, 64, 512, false);
    LayerReport d = run1(accel("mxint8", "mxint8", 8, 8, 8, df, dbl), 64, 64, 512, false);
    EXPECT_LT(d.total_cycles, s.total_cycles) << dataflow_name(df);
  }
}

TEST(Cycles, PortLimitedBuffersStretchSteps) {
  std::string narrow = "memory:\n  dram: {bandwidth: 4096, latency: 0}\n  input: {word_bytes: 4, banks: 1}\n";
  std::string wide = "memory:\n  dram: {bandwidth: 4096, latency: 0}\n";
  LayerReport n = run1(accel("mxint8", "mxint8", 8, 8, 8, Dataflow::OS, narrow), 64, 64, 256, false);
  LayerReport w = run1(accel("mxint8", "mxint8", 8, 8, 8, Dataflow::OS, wide), 64, 64, 256, false);
  EXPECT_EQ(w.port_stall_cycles, 0);
  EXPECT_GT(n.port_stall_cycles, 0);
  EXPECT_GT(n.total_cycles, w.total_cycles);
}

TEST(Cycles, BufferTooSmallForOneTile) {
  std::string tiny = "memory:\n  input: {capacity: 64}\n";
  for (Dataflow df : {Dataflow::OS, Dataflow::WS, Dataflow::IS}) {
    AccelConfig c = accel("mxfp8_e4m3", "mxfp8_e4m3", 4, 8, 8, df, tiny);
    try {
      run1(c, 64, 64, 256, false);
      FAIL() << dataflow_name(df);
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("too small for one tile"), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(run1(c, 64, 64, 256, true)) << "ideal memory has unbounded buffers";
  }
}

TEST(Cycles, KernelRunsManyGemmsInOneProcess) {
  AccelConfig c = accel("mxint8", "mxint8", 4, 4, 4, Dataflow::WS, "memory:\n  dram: {bandwidth: 8}\n");
  LayerReport a = run1(c, 33, 17, 200, false);
  LayerReport b = run1(accel("mxint8", "mxint8", 4, 4, 4, Dataflow::OS), 5, 5, 5, false);
  LayerReport a2 = run1(c, 33, 17, 200, false);
  EXPECT_EQ(a.total_cycles, a2.total_cycles);
  EXPECT_EQ(a.dram_bytes(), a2.dram_bytes());
  EXPECT_GT(b.total_cycles, 0);
}

TEST(Cycles, LayerCountsScaleTheTotal) {
  AccelConfig c = accel("mxint8", "mxint8", 4, 4, 4, Dataflow::OS);
  SimRequest req;
  req.timing_only = true;
  std::vector<Gemm> one = {parse_gemm("16,16,64")};
  std::vector<Gemm> many = one;
  many[0].count = 3;
  RunSummary s1 = run_workload(c, one, req), s3 = run_workload(c, many, req);
  LayerReport t1 = total_of(s1.layers), t3 = total_of(s3.layers);
  EXPECT_EQ(t3.total_cycles, 3 * t1.total_cycles);
  EXPECT_EQ(t3.dram_bytes(), 3 * t1.dram_bytes());
}

// ---- functional behavioural array ----------------------------------------------

TEST(Functional, BehaviouralArrayIsBitExactWithTheReference) {
  std::string mem = "memory:\n  dram: {bandwidth: 8, latency: 30}\n  input: {capacity: 1KiB}\n"
                    "  weight: {capacity: 1KiB}\n  output: {capacity: 512}\n";
  struct Cfg {
    const char *a, *b;
    int lanes;
  };
  for (Cfg cf : {Cfg{"mxfp8_e4m3", "mxint8", 4}, Cfg{"nvfp4", "int8/channel/fp32", 4}, Cfg{"bf16", "fp8_e5m2", 4}})
    for (Dataflow df : {Dataflow::OS, Dataflow::WS, Dataflow::IS})
      for (bool ideal : {false, true}) {
        AccelConfig c = accel(cf.a, cf.b, cf.lanes, 4, 3, df, mem);
        Gemm g = parse_gemm("19,11,150");
        Operands ops = make_operands(c.array, g, 7);
        GemmData d{&ops.A, &ops.B, {}};
        auto be = make_behavioural_backend(true);
        RunOptions o;
        o.ideal = ideal;
        default_accelerator().run(c, g, *be, o, &d);
        std::vector<float> ref = gemm(ops.A, ops.B, c.array.accum);
        ASSERT_EQ(d.C.size(), ref.size());
        EXPECT_EQ(0, std::memcmp(d.C.data(), ref.data(), ref.size() * 4))
            << cf.a << " x " << cf.b << " " << dataflow_name(df) << (ideal ? " ideal" : "");
      }
}

// docs/timing_model.md section 8, number by number.
TEST(Docs, WorkedExample) {
  LoadedConfig c = parse_sim_config(
      "name: example\npe: {a: mxfp8_e4m3, b: mxfp8_e4m3, lanes: 4}\n"
      "array: {rows: 4, cols: 4, dataflow: output-stationary}\nmemory:\n  dram: {bandwidth: 16, latency: 20}\n",
      "ex.yaml");
  EXPECT_EQ(c.accel.array.pe_latency, 2);
  EXPECT_EQ(c.accel.array.out_stage, 0);
  LayerReport ideal = run1(c.accel, 8, 8, 64, true);
  EXPECT_EQ(ideal.total_cycles, 73);
  LayerReport r = run1(c.accel, 8, 8, 64, false);
  EXPECT_EQ(r.sched.order, "m,n,k");
  EXPECT_EQ(r.total_cycles, 133);
  EXPECT_EQ(r.compute_cycles, 73);
  EXPECT_EQ(r.stall_cycles, 60);
  EXPECT_EQ(r.dram_read_bytes, 1056u);
  EXPECT_EQ(r.dram_write_bytes, 256u);
  EXPECT_EQ(r.input.fills, 2u);
  EXPECT_EQ(r.weight.fills, 2u);
  EXPECT_EQ(r.weight.hits, 2u);
}

// The behavioural array's tile kernel against numerics gemm(), on data with a
// wide dynamic range (a random power of two per block, so block values often
// do not fit the float accumulator exactly and the TwoSum fallback runs),
// zero blocks, and NaN/Inf where the format has them.
TEST(FastGemm, BitExactWithTheReference) {
  struct Pair {
    const char *a, *b;
    int lanes;
  };
  std::vector<Pair> pairs = {{"mxfp8_e4m3", "mxfp8_e4m3", 4}, {"mxfp8_e5m2", "mxfp8_e4m3", 4},
                             {"mxint8", "mxint8", 8},         {"mxint4", "mxfp6_e3m2", 4},
                             {"mxfp6_e2m3", "mxfp4_e2m1", 8}, {"nvfp4", "nvfp4", 4},
                             {"nvint4", "mxint8", 4},         {"int8/channel/fp32", "nvint4", 4},
                             {"int8/tensor/fp32", "int4", 4}, {"fp8_e4m3", "fp8_e4m3", 4},
                             {"bf16", "mxint8", 4},           {"mxfp8_e5m2", "mxfp8_e5m2", 2}};
  std::mt19937 rng(5);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::uniform_int_distribution<int> mag(-30, 30);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (const Pair& p : pairs)
    for (bool special : {false, true}) {
      BlockFormat fa = parse_block_format(p.a), fb = parse_block_format(p.b);
      bool nv = fa.default_rule == Rule::Nv || fb.default_rule == Rule::Nv;
      size_t M = 13, N = 10, K = 203;
      auto data = [&](size_t rows) {
        std::vector<float> x(rows * K);
        for (size_t r = 0; r < rows; ++r)
          for (size_t c0 = 0; c0 < K; c0 += 16) {
            float s = std::ldexp(1.0f, mag(rng));
            bool zero = u(rng) < 0.05f;
            for (size_t c = c0; c < std::min(K, c0 + 16); ++c) {
              float v = zero || u(rng) < 0.05f ? 0.0f : gauss(rng) * s;
              if (special && !nv && u(rng) < 0.01f) v = u(rng) < 0.5f ? NAN : INFINITY;
              x[r * K + c] = v;
            }
          }
        return x;
      };
      auto xa = data(M), xb = data(N);
      QMatrix A = quantize(fa, fa.default_rule, xa.data(), M, K), B = quantize(fb, fb.default_rule, xb.data(), N, K);
      AccumSpec acc;
      acc.lanes = p.lanes;
      std::vector<float> ref = gemm(A, B, acc), got(M * N, -1.0f);
      TileGemm t(A, B, acc);
      for (size_t m0 = 0; m0 < M; m0 += 5)
        for (size_t n0 = 0; n0 < N; n0 += 7) t.compute(m0, std::min(M, m0 + 5), n0, std::min(N, n0 + 7), got.data(), N);
      for (size_t i = 0; i < M * N; ++i) {
        bool same = std::memcmp(&got[i], &ref[i], 4) == 0 || (std::isnan(got[i]) && std::isnan(ref[i]));
        ASSERT_TRUE(same) << p.a << " x " << p.b << (special ? " special" : "") << " C[" << i / N << "][" << i % N
                          << "] = " << got[i] << ", reference " << ref[i];
      }
      if (!special && std::string(p.a) == "mxfp8_e4m3") {
        EXPECT_TRUE(t.fast());
        EXPECT_EQ(t.reference_tiles, 0u);
      }
    }
}

// ---- multi-format arrays: a mode per layer (docs/timing_model.md 3.5) -----------

namespace {

// A [mxint8, nvint4] array: mode 0 mxint8 x mxint8 on 8 lanes (group 32),
// mode 1 nvint4 x nvint4 on 2 x 8 = 16 lanes (group 16).
AccelConfig mixed_accel(Dataflow df, const std::string& memory = "") {
  ConfigOverrides ov;
  ov.dataflow = df;
  std::string text = "name: t\npe: {modes: [mxint8, nvint4], reuse: int-scheme2, lanes: 8}\n"
                     "array: {rows: 4, cols: 4}\n" + memory;
  AccelConfig c = parse_sim_config(text, "t.yaml", ov).accel;
  EXPECT_EQ(c.array.num_modes(), 2);
  return c;
}

Gemm layer(const char* name, int64_t M, int64_t N, int64_t K, const std::string& format) {
  Gemm g;
  g.name = name;
  g.M = M, g.N = N, g.K = K;
  g.format = format;
  return g;
}

int64_t cdiv64(int64_t x, int64_t y) { return (x + y - 1) / y; }

}  // namespace

TEST(Modes, LayerFileFormatColumn) {
  auto l = parse_layers("name,M,N,K,format\nattn,4,4,64,mxint8\nffn,4,4,64,nvint4\nplain,4,4,64,\n", "x.csv");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].format, "mxint8");
  EXPECT_EQ(l[1].format, "nvint4");
  EXPECT_EQ(l[2].format, "");
  EXPECT_EQ(l[1].line, 3);
  // Header-driven: any column order, count and format both optional.
  auto r = parse_layers("format,K,count,name,N,M\n1,64,2,up,8,4\n", "y.csv");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].name, "up");
  EXPECT_EQ(r[0].M, 4);
  EXPECT_EQ(r[0].N, 8);
  EXPECT_EQ(r[0].K, 64);
  EXPECT_EQ(r[0].count, 2);
  EXPECT_EQ(r[0].format, "1");
  for (const char* bad : {"name,M,N,K,precision\na,1,1,1,x\n", "name,M,N,K,format,format\na,1,1,1,x,y\n",
                          "name,M,N,format\na,1,1,x\n"}) {
    try {
      parse_layers(bad, "z.csv");
      FAIL() << bad;
    } catch (const FormatError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("z.csv:1: expected the header", 0), 0u) << e.what();
    }
  }
}

TEST(Modes, FormatNamesAModeOfTheArray) {
  AccelConfig mix = mixed_accel(Dataflow::OS);
  const ArraySpec& a = mix.array;
  EXPECT_EQ(a.num_modes(), 2);
  EXPECT_EQ(a.find_mode(""), 0);
  EXPECT_EQ(a.find_mode("mxint8"), 0);
  EXPECT_EQ(a.find_mode("mxint8/mxint8"), 0);
  EXPECT_EQ(a.find_mode("0"), 0);
  EXPECT_EQ(a.find_mode("nvint4"), 1);
  EXPECT_EQ(a.find_mode("nvint4/nvint4"), 1);
  EXPECT_EQ(a.find_mode("1"), 1);
  for (const char* bad : {"2", "fp8", "mxint4", "nvfp4", "mxint8/nvint4", "nvint4/"}) EXPECT_EQ(a.find_mode(bad), -1) << bad;
  // Mode 1 runs 16 lanes, group 16 (nvint4's block), one chunk per group.
  ArraySpec m1 = a.in_mode(1);
  EXPECT_EQ(m1.lanes, 16);
  EXPECT_EQ(m1.group(), 16);
  EXPECT_EQ(m1.chunks_per_group(), 1);
  EXPECT_EQ(m1.timing.lanes, 16);
  EXPECT_EQ(m1.timing.group, 16);
  EXPECT_EQ(m1.timing.pe_latency, a.timing.pe_latency);
  EXPECT_EQ(m1.timing.out_stage, a.timing.out_stage);
  EXPECT_EQ(m1.pe_latency, a.pe_latency);
  EXPECT_EQ(m1.a.name, "nvint4");
  // The generator's view of mode 1 (gen/config.hpp lanes1, group1) is the same.
  gen::ArrayConfig g = gen::parse_config("name: t\npe: {modes: [mxint8, nvint4], lanes: 8}\n", "g.yaml");
  EXPECT_EQ(g.lanes1, m1.lanes);
  EXPECT_EQ(g.group1, m1.group());
  EXPECT_EQ(g.group, a.group());

  std::vector<Gemm> ok = parse_layers("name,M,N,K,format\na,4,4,4,nvint4\nb,4,4,4,\nc,4,4,4,1\n", "l.csv");
  resolve_modes(ok, a);
  EXPECT_EQ(ok[0].mode, 1);
  EXPECT_EQ(ok[1].mode, 0);
  EXPECT_EQ(ok[2].mode, 1);
  std::vector<Gemm> bad = parse_layers("name,M,N,K,format\na,4,4,4,mxint8\nb,4,4,4,fp8\n", "l.csv");
  try {
    resolve_modes(bad, a);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_STREQ(e.what(), "l.csv:3: format: 'fp8' is not a mode of this array (allowed: mxint8, nvint4)");
  }
  // A single-format array has one mode: its own format.
  AccelConfig one = accel("mxint8", "mxint8", 8, 4, 4, Dataflow::OS);
  std::vector<Gemm> same = parse_layers("name,M,N,K,format\na,4,4,4,mxint8\nb,4,4,4,0\n", "s.csv");
  resolve_modes(same, one.array);
  EXPECT_EQ(same[0].mode, 0);
  std::vector<Gemm> other = parse_layers("name,M,N,K,format\na,4,4,4,nvint4\n", "s.csv");
  try {
    resolve_modes(other, one.array);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_STREQ(e.what(), "s.csv:2: format: 'nvint4' is not a mode of this array (allowed: mxint8)");
  }
  std::vector<Gemm> one_mode = parse_layers("name,M,N,K,format\na,4,4,4,1\n", "s.csv");
  EXPECT_THROW(resolve_modes(one_mode, one.array), FormatError);
}

// Ideal memory: each layer takes the closed form of docs/timing_model.md
// section 3 with its mode's lanes and group, written out here by hand; the
// mixed workload's total is the sum; the SystemC model, the closed forms
// (ideal_cycles) and the timing-only and functional runs agree.
TEST(Modes, MixedWorkloadCyclesFollowEachModesLanes) {
  AccelConfig c = mixed_accel(Dataflow::OS);
  const int64_t R = 4, C = 4, LAT = c.array.pe_latency, S = c.array.out_stage;
  // OS: (T - 1) * max(nk, R, C) + nk + LAT + C + R - 1 + S, nk = ceil(K / lanes_m).
  auto os = [&](int64_t M, int64_t N, int64_t K, int64_t lanes) {
    int64_t T = cdiv64(M, R) * cdiv64(N, C), nk = cdiv64(K, lanes);
    return (T - 1) * std::max({nk, R, C}) + nk + LAT + C + R - 1 + S;
  };
  std::vector<Gemm> w = {layer("proj8", 16, 12, 200, "mxint8"), layer("ffn4", 16, 12, 200, "nvint4"),
                         layer("short8", 9, 7, 40, ""), layer("short4", 9, 7, 40, "1")};
  resolve_modes(w, c.array);
  const int64_t expect[4] = {os(16, 12, 200, 8), os(16, 12, 200, 16), os(9, 7, 40, 8), os(9, 7, 40, 16)};
  // nk = 25 vs 13 chunks; at K = 40 mode 1's 3 chunks are below max(R, C) = 4.
  EXPECT_EQ(expect[0], 11 * 25 + 25 + LAT + 7 + S);
  EXPECT_EQ(expect[1], 11 * 13 + 13 + LAT + 7 + S);
  EXPECT_EQ(expect[3], 5 * 4 + 3 + LAT + 7 + S);
  SimRequest req;
  req.ideal = true;
  req.timing_only = true;
  RunSummary s = run_workload(c, w, req);
  req.timing_only = false;
  RunSummary f = run_workload(c, w, req);
  ASSERT_EQ(s.layers.size(), 4u);
  int64_t sum = 0;
  for (size_t i = 0; i < 4; ++i) {
    const LayerReport& r = s.layers[i];
    EXPECT_EQ(r.total_cycles, expect[i]) << w[i].name;
    EXPECT_EQ(r.ideal_cycles, expect[i]) << w[i].name << ": closed form";
    EXPECT_EQ(f.layers[i].total_cycles, expect[i]) << w[i].name << ": functional";
    EXPECT_EQ(r.mode, i % 2 ? 1 : 0);
    EXPECT_EQ(r.format, i % 2 ? "nvint4" : "mxint8");
    EXPECT_EQ(r.lanes, i % 2 ? 16 : 8);
    sum += expect[i];
  }
  EXPECT_EQ(total_of(s.layers).total_cycles, sum);
  EXPECT_EQ(total_of(f.layers).total_cycles, sum);
  // The same workload with every layer in mode 0 takes longer by mode 1's savings.
  std::vector<Gemm> all8 = w;
  for (Gemm& g : all8) g.mode = 0;
  RunSummary s8 = run_workload(c, all8, req);
  EXPECT_EQ(total_of(s8.layers).total_cycles, 2 * (expect[0] + expect[2]));
}

TEST(Modes, WeightStationaryPassesFollowEachModesGroup) {
  for (Dataflow df : {Dataflow::WS, Dataflow::IS}) {
    AccelConfig c = mixed_accel(df);
    const int64_t R = 4, C = 4, LAT = c.array.pe_latency, S = c.array.out_stage, D = LAT + 1;
    const int64_t M = 96, N = 96, K = 256;  // WS streams the M rows, IS the N rows
    // Streaming-bound closed form: R*Q + P*rows*Q + (R-1)(LAT+1) + LAT + C + S,
    // Q = G / L, P = ceil(stat / C) * ceil(ceil(K / G) / R).
    auto st = [&](int64_t G, int64_t L) {
      int64_t Q = G / L, rows = M, stat = N;
      int64_t Kt = cdiv64(cdiv64(K, G), R), P = cdiv64(stat, C) * Kt;
      int64_t out_delay = (R - 1) * D + LAT + C + S;
      EXPECT_GE(rows * Q, R * Q + (R - 1) * D + LAT + C - 2) << "streaming-bound regime";
      EXPECT_TRUE(Kt == 1 || rows * Q >= out_delay + 1) << "streaming-bound regime";
      return R * Q + P * rows * Q + out_delay;
    };
    // Mode 0: Q = 32/8 = 4 chunks per group, 8 groups = 2 K tiles; mode 1:
    // Q = 16/16 = 1, 16 groups = 4 K tiles: half the stream cycles.
    int64_t e0 = st(32, 8), e1 = st(16, 16);
    EXPECT_EQ(e0, R * 4 + 24 * 2 * M * 4 + (R - 1) * D + LAT + C + S);
    EXPECT_EQ(e1, R * 1 + 24 * 4 * M * 1 + (R - 1) * D + LAT + C + S);
    std::vector<Gemm> w = {layer("attn", M, N, K, "mxint8"), layer("ffn", M, N, K, "nvint4")};
    resolve_modes(w, c.array);
    SimRequest req;
    req.ideal = true;
    req.timing_only = true;
    RunSummary s = run_workload(c, w, req);
    EXPECT_EQ(s.layers[0].total_cycles, e0) << dataflow_name(df);
    EXPECT_EQ(s.layers[1].total_cycles, e1) << dataflow_name(df);
    EXPECT_EQ(s.layers[0].ideal_cycles, e0) << dataflow_name(df);
    EXPECT_EQ(s.layers[1].ideal_cycles, e1) << dataflow_name(df);
    EXPECT_EQ(total_of(s.layers).total_cycles, e0 + e1);
  }
}

// Traffic in a layer's mode: its element and scale bits (docs/timing_model.md
// section 5.2), K padded to its lanes.
TEST(Modes, TrafficUsesTheModesFormats) {
  AccelConfig c = mixed_accel(Dataflow::OS);
  const int64_t M = 13, N = 9, K = 100;
  SimRequest req;
  req.ideal = true;
  req.timing_only = true;
  std::vector<Gemm> w = {layer("a8", M, N, K, "mxint8"), layer("b4", M, N, K, "nvint4")};
  resolve_modes(w, c.array);
  RunSummary s = run_workload(c, w, req);
  // Per OS tile row of 4 rows (3 tile rows of A: 4, 4, 4, 1 rows; B: 4, 4, 1):
  // mxint8: Kp = 104, 8 bits + one 8-bit scale per 32 (4 blocks);
  // nvint4: Kp = 112, 4 bits + one 8-bit scale per 16 (7 blocks), + 4 B tensor scale each.
  auto rows_bytes = [](int64_t rows, int64_t per_row_bits) { return uint64_t((rows * per_row_bits + 7) / 8); };
  uint64_t a8 = 0, b8 = 0, a4 = 4, b4 = 4;
  for (int64_t r : {4, 4, 4, 1}) a8 += rows_bytes(r, 104 * 8 + 4 * 8), a4 += rows_bytes(r, 112 * 4 + 7 * 8);
  for (int64_t r : {4, 4, 1}) b8 += rows_bytes(r, 104 * 8 + 4 * 8), b4 += rows_bytes(r, 112 * 4 + 7 * 8);
  EXPECT_EQ(s.layers[0].dram_read_bytes, a8 + b8);
  EXPECT_EQ(s.layers[1].dram_read_bytes, a4 + b4);
  EXPECT_EQ(s.layers[1].sched.Kp, 112);
  EXPECT_EQ(s.layers[0].dram_write_bytes, uint64_t(M * N * 4));
  EXPECT_EQ(s.layers[1].dram_write_bytes, uint64_t(M * N * 4));
  // The buffers are the array's, not the layer's: `auto` words serve the
  // hungrier mode (4 rows x 16 lanes x (4 + 8/16) bits = 36 B per cycle in
  // mode 1, 33 B in mode 0; one bank per slot: 64 B words) in both modes.
  EXPECT_EQ(s.layers[0].input.word_bytes, 64u);
  EXPECT_EQ(s.layers[1].input.word_bytes, 64u);
}

// The functional array computes a mode-m layer bit-exactly as numerics gemm()
// with mode m's formats and lanes (the fast kernel and the reference agree).
TEST(Modes, FunctionalLayersAreBitExactInTheirMode) {
  std::string mem = "memory:\n  dram: {bandwidth: 8, latency: 30}\n  input: {capacity: 2KiB}\n"
                    "  weight: {capacity: 2KiB}\n  output: {capacity: 512}\n";
  for (Dataflow df : {Dataflow::OS, Dataflow::WS, Dataflow::IS})
    for (int mode : {0, 1}) {
      AccelConfig c = mixed_accel(df, mem);
      Gemm g = layer("l", 19, 11, 150, mode ? "nvint4" : "mxint8");
      g.mode = mode;
      ArraySpec am = c.array.in_mode(mode);
      Operands ops = make_operands(am, g, 7);
      EXPECT_EQ(ops.A.fmt.name, mode ? "nvint4" : "mxint8");
      GemmData d{&ops.A, &ops.B, {}};
      auto be = make_behavioural_backend(true);
      RunOptions o;
      LayerReport r = default_accelerator().run(c, g, *be, o, &d);
      EXPECT_EQ(r.mode, mode);
      AccumSpec acc;
      acc.lanes = mode ? 16 : 8;
      std::vector<float> ref = gemm(ops.A, ops.B, acc);
      ASSERT_EQ(d.C.size(), ref.size());
      EXPECT_EQ(0, std::memcmp(d.C.data(), ref.data(), ref.size() * 4)) << dataflow_name(df) << " mode " << mode;
      // Limited memory: the timing-only run of the same layer takes the same cycles.
      auto be0 = make_behavioural_backend(false);
      EXPECT_EQ(default_accelerator().run(c, g, *be0, o).total_cycles, r.total_cycles);
    }
}

// docs/timing_model.md section 8.1, number by number.
TEST(Docs, MixedWorkedExample) {
  LoadedConfig c = parse_sim_config(
      "name: mixed\npe: {modes: [mxint8, mxint4], reuse: int-scheme2, lanes: 8}\n"
      "array: {rows: 4, cols: 4, dataflow: output-stationary}\n",
      "mixed.yaml");
  EXPECT_EQ(c.accel.array.pe_latency, 2);
  EXPECT_EQ(c.accel.array.out_stage, 0);
  std::vector<Gemm> w = parse_layers(
      "# mixed.csv: the attention projection in mxint8, the FFN layer in mxint4\nname,M,N,K,format\n"
      "proj,16,12,200,mxint8\nffn,16,12,200,mxint4\n",
      "mixed.csv");
  resolve_modes(w, c.accel.array);
  SimRequest req;
  req.ideal = true;
  req.timing_only = true;
  RunSummary s = run_workload(c.accel, w, req);
  ASSERT_EQ(s.layers.size(), 2u);
  EXPECT_EQ(s.layers[0].total_cycles, 309);
  EXPECT_EQ(s.layers[1].total_cycles, 165);
  EXPECT_EQ(total_of(s.layers).total_cycles, 474);
  EXPECT_EQ(s.layers[0].dram_read_bytes, 5796u);
  EXPECT_EQ(s.layers[1].dram_read_bytes, 3108u);
  EXPECT_EQ(s.layers[1].dram_write_bytes, 768u);
  for (Gemm& g : w) g.mode = 0;
  EXPECT_EQ(total_of(run_workload(c.accel, w, req).layers).total_cycles, 618);
}

// A GEMM that names no mode (--gemm) runs in the mode the array spec is in:
// co-simulation puts the whole model into mode m with in_mode(m).
TEST(Modes, UnnamedGemmRunsInTheSpecsMode) {
  AccelConfig c = mixed_accel(Dataflow::OS);
  Gemm g = parse_gemm("16,12,200");
  EXPECT_EQ(g.mode, -1);
  LayerReport r0 = run1(c, 16, 12, 200, true);
  EXPECT_EQ(r0.mode, 0);
  AccelConfig c1 = c;
  c1.array = c.array.in_mode(1);
  auto be = make_behavioural_backend(false);
  RunOptions o;
  o.ideal = true;
  LayerReport r1 = default_accelerator().run(c1, g, *be, o);
  EXPECT_EQ(r1.mode, 1);
  EXPECT_EQ(r1.lanes, 16);
  EXPECT_EQ(r1.format, "nvint4");
  EXPECT_EQ(r1.total_cycles, closed_form_cycles(c.array.in_mode(1), 16, 12, 200));
  EXPECT_LT(r1.total_cycles, r0.total_cycles);
  // A layer that names its mode runs in it whatever mode the spec is in.
  g.mode = 0;
  EXPECT_EQ(default_accelerator().run(c1, g, *be, o).total_cycles, r0.total_cycles);
}

// Convolution layers (im2col), SCALE-Sim's cfg and topology inputs and its
// cycle convention (docs/timing_model.md section 11). Truth: rows produced by
// SCALE-Sim v2 itself (issue #14), hand-computed im2col shapes, ResNet MACs
// recounted here from the architecture (He et al. 2016, torchvision v1.5) and
// torchvision's published GFLOPS.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "numerics/elem_format.hpp"
#include "sim/scalesim.hpp"
#include "sim/workload.hpp"

// The SystemC library references sc_main; these tests never start the kernel.
extern "C" int sc_main(int, char**) { return 0; }

namespace fs = std::filesystem;
using namespace macforge;
using namespace macforge::sim;

namespace {

struct CliRun {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path work() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path d = fs::path(MF_WORK_DIR) / (std::string(info->test_suite_name()) + "." + info->name());
  fs::create_directories(d);
  return d;
}

CliRun run(const std::string& args) {
  fs::path o = work() / "stdout.txt", e = work() / "stderr.txt";
  std::string cmd = std::string(MF_MACFORGE) + " " + args;
  int st = std::system((cmd + " > " + o.string() + " 2> " + e.string()).c_str());
  CliRun r;
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(o);
  r.err = slurp(e);
  return r;
}

fs::path write(const std::string& name, const std::string& text) {
  fs::path p = work() / name;
  std::ofstream(p) << text;
  return p;
}

int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

int64_t total_cycles(const std::string& json) {
  size_t t = json.find("\"total\"");
  size_t c = json.find("\"compute_cycles\": ", t);
  return std::stoll(json.substr(c + 18));
}

std::string cfg_text(int r, int c, const char* df) {
  return "[general]\nrun_name = t\n\n[architecture_presets]\nArrayHeight:    " + std::to_string(r) +
         "\nArrayWidth:     " + std::to_string(c) +
         "\nIfmapSramSzkB:   64\nFilterSramSzkB:  64\nOfmapSramSzkB:   64\nIfmapOffset:    0\n"
         "FilterOffset:   10000000\nOfmapOffset:    20000000\nBandwidth : 10\nDataflow : " +
         df + "\nMemoryBanks:   1\n\n[run_presets]\nInterfaceBandwidth: USER\n";
}

Gemm gemm(int64_t M, int64_t N, int64_t K) {
  Gemm g;
  g.M = M, g.N = N, g.K = K;
  return g;
}

}  // namespace

// ---- SCALE-Sim's cycle convention ----------------------------------------------

// Rows produced by SCALE-Sim v2 itself (R x C, dataflow, M, N, K -> cycles).
TEST(ScaleSimConvention, ReproducesScaleSimRows) {
  EXPECT_EQ(scalesim_cycles(4, 4, Dataflow::OS, gemm(37, 53, 71)).cycles, 10779);
  EXPECT_EQ(scalesim_cycles(4, 4, Dataflow::OS, gemm(64, 64, 64)).cycles, 17919);
  EXPECT_EQ(scalesim_cycles(32, 32, Dataflow::OS, gemm(512, 512, 512)).cycles, 146943);
  // 64^3 on 4x4: 16 x 16 = 256 folds of 64 + 4 + 4 - 2 = 70 rows.
  ScaleSimCycles c = scalesim_cycles(4, 4, Dataflow::OS, gemm(64, 64, 64));
  EXPECT_EQ(c.folds, 256);
  EXPECT_EQ(c.fold_cycles, 70);
}

// WS and IS: each demand matrix of systolic_compute_{ws,is}.py, built
// separately in SCALE-Sim (which asserts they have equal length), gives the
// same rows per fold as the closed form.
TEST(ScaleSimConvention, StationaryFoldsAgreeWithEveryDemandMatrix) {
  for (int R : {1, 3, 4, 8})
    for (int C : {1, 2, 5, 8})
      for (int64_t T : {1, 7, 64}) {
        int64_t ifmap_ws = R + T + (C - 1) + (R - 1);  // prefix R, T, suffix C-1, skew R-1
        int64_t filter_ws = R + (R + C + T - 2);       // R weight rows + suffix, no skew
        int64_t ofmap_ws = (2 * R - 1) + T + (C - 1);  // prefix 2R-1, T, skew C-1
        EXPECT_EQ(ifmap_ws, filter_ws);
        EXPECT_EQ(ofmap_ws, filter_ws);
        // WS: T = M; IS: T = N.
        EXPECT_EQ(scalesim_cycles(R, C, Dataflow::WS, gemm(T, 9, 13)).fold_cycles, filter_ws);
        EXPECT_EQ(scalesim_cycles(R, C, Dataflow::IS, gemm(9, T, 13)).fold_cycles, filter_ws);
        // OS: ifmap T + (C-1) suffix + (R-1) skew; ofmap (T-1) prefix + R rows + (C-1) skew.
        EXPECT_EQ(scalesim_cycles(R, C, Dataflow::OS, gemm(9, 13, T)).fold_cycles, T + C - 1 + R - 1);
        EXPECT_EQ(T - 1 + R + C - 1, T + C - 1 + R - 1);
      }
  // Folds: WS over (K, N), IS over (K, M).
  EXPECT_EQ(scalesim_cycles(4, 4, Dataflow::WS, gemm(100, 9, 17)).folds, 5 * 3);
  EXPECT_EQ(scalesim_cycles(4, 4, Dataflow::IS, gemm(9, 100, 17)).folds, 5 * 3);
  EXPECT_EQ(scalesim_cycles(4, 4, Dataflow::WS, gemm(100, 9, 17)).cycles, 15 * (8 + 4 + 100 - 2) - 1);
}

TEST(ScaleSimConvention, CliRowsExactly) {
  fs::path cfg = write("a.cfg", cfg_text(4, 4, "os"));
  // SCALE-Sim's GEMM topology: every row ends with a comma.
  fs::path topo = write("g.csv", "Layer, M, N, K,\nr1, 37, 53, 71,\nr2, 64, 64, 64,\n");
  CliRun r = run("sim --scalesim-cfg " + cfg.string() + " --topology " + topo.string() + " --convention scalesim");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"compute_cycles\": 10779"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"compute_cycles\": 17919"), std::string::npos) << r.out;
  EXPECT_EQ(total_cycles(r.out), 10779 + 17919);
  // The offsets are named in one warning line, never silently ignored.
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("IfmapOffset"), std::string::npos) << r.err;
  fs::path big = write("b.cfg", cfg_text(32, 32, "os"));
  CliRun b = run("sim --scalesim-cfg " + big.string() + " --gemm 512,512,512 --convention scalesim");
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(total_cycles(b.out), 146943);
  // The default convention runs the SystemC model on the int8 1-lane array.
  CliRun m = run("sim --scalesim-cfg " + cfg.string() + " --topology " + topo.string() + " --timing-only --ideal-memory");
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_NE(m.out.find("\"lanes\": 1"), std::string::npos);
  // macforge overlaps a fold's fill and drain with the next: fewer cycles.
  EXPECT_LT(total_cycles(m.out), 10779 + 17919);
  // A macforge config with 1-lane PEs also runs in SCALE-Sim's convention.
  fs::path yaml = write("one.yaml", "pe: {a: int8, lanes: 1}\narray: {rows: 4, cols: 4}\n");
  CliRun y = run("sim --config " + yaml.string() + " --gemm 37,53,71 --convention scalesim");
  ASSERT_EQ(y.code, 0) << y.err;
  EXPECT_EQ(total_cycles(y.out), 10779);
}

// ---- convolutions (im2col) ------------------------------------------------------

TEST(Conv, Im2colByHand) {
  struct C {
    ConvShape s;
    int64_t M, N, K;
  };
  auto shape = [](int64_t H, int64_t W, int64_t Fh, int64_t Fw, int64_t Ch, int64_t F, int64_t S, int64_t P) {
    ConvShape s;
    s.H = H, s.W = W, s.Fh = Fh, s.Fw = Fw, s.C = Ch, s.F = F, s.Sh = s.Sw = S, s.Ph = s.Pw = P;
    return s;
  };
  for (const C& c : {
           // ResNet conv1: (224 + 6 - 7) / 2 = 111.5 -> 111 + 1 = 112; K = 7*7*3.
           C{shape(224, 224, 7, 7, 3, 64, 2, 3), 112 * 112, 64, 147},
           // 3x3 pad 1 keeps 56; K = 9*64.
           C{shape(56, 56, 3, 3, 64, 64, 1, 1), 56 * 56, 64, 576},
           // stride 2 with pad 1: (56 + 2 - 3) / 2 = 27.5 -> 28.
           C{shape(56, 56, 3, 3, 128, 128, 2, 1), 28 * 28, 128, 1152},
           // 1x1 stride 2 projection, no pad: (56 - 1) / 2 = 27.5 -> 28.
           C{shape(56, 56, 1, 1, 256, 512, 2, 0), 28 * 28, 512, 256},
           // non-square, stride 2: rows (7-3)/2+1 = 3, cols (5-2)/2 = 1.5 -> 2.
           C{shape(7, 5, 3, 2, 4, 6, 2, 0), 3 * 2, 6, 24},
           // a filter exactly as large as the padded input: one output pixel.
           C{shape(3, 3, 5, 5, 2, 7, 1, 1), 1, 7, 50}}) {
    Gemm g;
    ASSERT_EQ(conv_to_gemm(c.s, g), "");
    EXPECT_EQ(g.M, c.M);
    EXPECT_EQ(g.N, c.N);
    EXPECT_EQ(g.K, c.K);
  }
  // SCALE-Sim's rule counts the partial last window: ceil((5 - 2 + 2) / 2) = 3
  // columns where PyTorch's floor gives 2; AlexNet conv1 224/11/4: 55 vs 54.
  ConvShape s = shape(7, 5, 3, 2, 4, 6, 2, 0);
  s.scalesim_ceil = true;
  Gemm g;
  ASSERT_EQ(conv_to_gemm(s, g), "");
  EXPECT_EQ(g.M, 3 * 3);
  ConvShape a = shape(224, 224, 11, 11, 3, 96, 4, 0);
  ASSERT_EQ(conv_to_gemm(a, g), "");
  EXPECT_EQ(g.M, 54 * 54);
  a.scalesim_ceil = true;
  ASSERT_EQ(conv_to_gemm(a, g), "");
  EXPECT_EQ(g.M, 55 * 55);
  // Larger than the padded input.
  EXPECT_NE(conv_to_gemm(shape(3, 3, 6, 6, 1, 1, 1, 1), g).find("larger than its padded input"), std::string::npos);
}

TEST(Conv, LayerFileRows) {
  auto l = parse_layers(
      "name,in_h,in_w,filter_h,filter_w,channels,filters,stride,pad,M,N,K,count\n"
      "c1,224,224,7,7,3,64,2,3,,,,1\n"
      "c2,56,56,3,3,64,64,,,,,,2\n"
      "fc,,,,,,,,,1,1000,2048,1\n",
      "x.csv");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].M, 12544);
  EXPECT_EQ(l[0].K, 147);
  EXPECT_EQ(l[1].M, 54 * 54);  // stride 1, pad 0 by default
  EXPECT_EQ(l[1].count, 2);
  EXPECT_EQ(l[2].N, 1000);
  // A conv-only header.
  auto c = parse_layers("name,in_h,in_w,filter_h,filter_w,channels,filters\nx,8,8,3,3,2,5\n", "c.csv");
  EXPECT_EQ(c[0].M, 36);
  EXPECT_EQ(c[0].K, 18);
}

// Recounted from the architecture: ResNet-50 v1.5 (torchvision) = conv1, four
// stages of [3, 4, 6, 3] bottlenecks (1x1, 3x3 with the stage's stride, 1x1 to
// 4x width, a 1x1 projection in each stage's first block), fc 2048 -> 1000.
TEST(Conv, ResNetFilesMatchTheArchitecture) {
  auto count_macs = [](const std::vector<int>& blocks, bool bottleneck, int64_t& layers) {
    auto o = [](int64_t h, int64_t f, int64_t s, int64_t p) { return (h + 2 * p - f) / s + 1; };
    double macs = 112.0 * 112 * 7 * 7 * 3 * 64;
    layers = 1;
    int64_t h = 56, c = 64;
    for (int st = 0; st < 4; ++st) {
      int64_t w = 64 << st, cout = bottleneck ? 4 * w : w;
      for (int b = 0; b < blocks[size_t(st)]; ++b) {
        int64_t s = b == 0 && st > 0 ? 2 : 1, ho = o(h, 3, s, 1);
        if (bottleneck) {
          macs += double(h * h) * c * w + double(ho * ho) * 9 * w * w + double(ho * ho) * w * cout;
          layers += 3;
        } else {
          macs += double(ho * ho) * 9 * c * w + double(ho * ho) * 9 * w * w;
          layers += 2;
        }
        if (b == 0 && (s != 1 || c != cout)) {
          macs += double(ho * ho) * c * cout;
          ++layers;
        }
        h = ho, c = cout;
      }
    }
    macs += double(c) * 1000;  // fc
    ++layers;
    return macs;
  };
  struct Net {
    const char* file;
    std::vector<int> blocks;
    bool bottleneck;
    double published;  // torchvision model card GFLOPS (multiply-adds)
  };
  for (const Net& n : {Net{"resnet50.csv", {3, 4, 6, 3}, true, 4.09e9}, Net{"resnet18.csv", {2, 2, 2, 2}, false, 1.81e9}}) {
    int64_t layers = 0;
    double macs = count_macs(n.blocks, n.bottleneck, layers);
    auto l = load_layers(std::string(MF_SOURCE_DIR) + "/configs/workloads/" + n.file);
    double file_macs = 0;
    int64_t file_layers = 0;
    for (const Gemm& g : l) file_macs += g.macs(), file_layers += g.count;
    EXPECT_EQ(file_layers, layers) << n.file;
    EXPECT_EQ(file_macs, macs) << n.file;
    EXPECT_NEAR(macs / n.published, 1.0, 0.005) << n.file << ": " << macs;
  }
  // 53 convolutions + fc; 4 089 184 256 MACs.
  auto r50 = load_layers(std::string(MF_SOURCE_DIR) + "/configs/workloads/resnet50.csv");
  EXPECT_EQ(r50.size(), 54u);
}

// ---- SCALE-Sim inputs -------------------------------------------------------------

TEST(ScaleSimInputs, ConfigKeys) {
  ScaleSimConfig c = parse_scalesim_config(cfg_text(8, 16, "ws"), "a.cfg");
  EXPECT_EQ(c.rows, 8);
  EXPECT_EQ(c.cols, 16);
  EXPECT_EQ(c.dataflow, Dataflow::WS);
  EXPECT_EQ(c.ifmap_kb, 64);
  EXPECT_EQ(c.bandwidth, 10);
  EXPECT_EQ(c.run_name, "t");
  EXPECT_NE(c.warning().find("OfmapOffset"), std::string::npos);
  LoadedConfig lc = scalesim_accel_config(c);
  EXPECT_EQ(lc.accel.array.lanes, 1);
  EXPECT_EQ(lc.accel.array.a.elem.bits, 8);
  EXPECT_EQ(lc.accel.memory.input.capacity, 64u * 1024);
  EXPECT_EQ(lc.accel.memory.dram.bandwidth, 10.0);
  ScaleSimConfig i = parse_scalesim_config(cfg_text(4, 4, "is"), "i.cfg");
  EXPECT_EQ(scalesim_accel_config(i).accel.array.dataflow, Dataflow::IS);
  // Unknown keys are named.
  ScaleSimConfig u = parse_scalesim_config(cfg_text(4, 4, "os") + "Frobnicate = 3\n", "u.cfg");
  EXPECT_NE(u.warning().find("Frobnicate"), std::string::npos);
}

TEST(ScaleSimInputs, ConvTopology) {
  auto l = parse_scalesim_topology(
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
      "Conv1, 224, 224, 11, 11, 3, 96, 4,\n"
      "Conv2, 31, 31, 5, 5, 96, 256, 1,\n"
      "DP1, 10, 10, 3, 3, 32, 1, 1,\n"
      "Odd, 7, 5, 3, 2, 4, 6, 2, 1,\n",
      "t.csv");
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0].M, 55 * 55);
  EXPECT_EQ(l[0].K, 363);
  EXPECT_EQ(l[0].N, 96);
  EXPECT_EQ(l[1].M, 27 * 27);
  EXPECT_EQ(l[1].K, 2400);
  // Depthwise: 32 layers of one channel.
  EXPECT_EQ(l[2].count, 32);
  EXPECT_EQ(l[2].K, 9);
  EXPECT_EQ(l[2].M, 64);
  // Ninth column: column stride. Rows ceil((7-3+2)/2) = 3, cols (5-2+1)/1 = 4.
  EXPECT_EQ(l[3].M, 12);
}

// The shipped examples: configs/scalesim/ gives the rows, and its
// SCALE-Sim-form ResNet-18 (padding folded into the IFMAP size) the same MACs
// and GEMMs as configs/workloads/resnet18.csv.
TEST(ScaleSimInputs, ShippedExamples) {
  std::string dir = std::string(MF_SOURCE_DIR) + "/configs/";
  CliRun r = run("sim --scalesim-cfg " + dir + "scalesim/example_4x4_os.cfg --topology " + dir +
                 "scalesim/gemm_rows.csv --convention scalesim");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"compute_cycles\": 10779"), std::string::npos);
  EXPECT_NE(r.out.find("\"compute_cycles\": 17919"), std::string::npos);
  ScaleSimConfig big = load_scalesim_config(dir + "scalesim/example_32x32_os.cfg");
  auto rows = load_scalesim_topology(dir + "scalesim/gemm_rows.csv");
  EXPECT_EQ(scalesim_cycles(big.rows, big.cols, big.dataflow, rows[2]).cycles, 146943);
  auto a = load_scalesim_topology(dir + "scalesim/resnet18_topology.csv");
  auto b = load_layers(dir + "workloads/resnet18.csv");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].M, b[i].M) << b[i].name;
    EXPECT_EQ(a[i].N, b[i].N) << b[i].name;
    EXPECT_EQ(a[i].K, b[i].K) << b[i].name;
  }
}

// ---- bad input: one line with file:line, exit 2, nothing written -------------------

TEST(ScaleSimInputs, BadInput) {
  fs::path good = write("good.cfg", cfg_text(4, 4, "os"));
  fs::path topo = write("t.csv", "Layer, M, N, K,\na, 4, 4, 4,\n");
  std::string base = cfg_text(4, 4, "os");
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  struct Case {
    std::string args, expect;
  };
  std::vector<Case> cases = {
      {"--scalesim-cfg " + write("df.cfg", replace("Dataflow : os", "Dataflow : xs")).string() + " --topology " +
           topo.string(),
       "df.cfg:14: Dataflow: 'xs' is not a SCALE-Sim dataflow (allowed: os, ws, is)"},
      {"--scalesim-cfg " + write("zero.cfg", replace("ArrayHeight:    4", "ArrayHeight:    0")).string() +
           " --topology " + topo.string(),
       "zero.cfg:5: ArrayHeight must be a positive integer"},
      {"--scalesim-cfg " + write("neg.cfg", replace("IfmapSramSzkB:   64", "IfmapSramSzkB:   -64")).string() +
           " --topology " + topo.string(),
       "neg.cfg:7: IfmapSramSzkB must be a positive integer"},
      {"--scalesim-cfg " + write("miss.cfg", replace("ArrayWidth:     4\n", "")).string() + " --topology " +
           topo.string(),
       "miss.cfg:4: [architecture_presets] has no ArrayWidth"},
      {"--scalesim-cfg " + good.string() + " --topology " +
           write("cols.csv", "Layer, M, N, K,\na, 4, 4,\n").string(),
       "cols.csv:2: expected 4 fields"},
      {"--scalesim-cfg " + good.string() + " --topology " +
           write("hdr.csv", "Layer, IFMAP Height, IFMAP Width,\n").string(),
       "hdr.csv:1: expected the header"},
      {"--scalesim-cfg " + good.string() + " --topology " +
           write("negk.csv", "Layer, M, N, K,\na, 4, 4, 4,\nb, 4, -4, 4,\n").string(),
       "negk.csv:3: N must be a positive integer"},
      {"--scalesim-cfg " + good.string() + " --topology " +
           write("big.csv",
                 "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
                 "c, 3, 3, 5, 5, 1, 1, 1,\n")
               .string(),
       "big.csv:2: layer 'c': filter 5x5 is larger than its padded input 3x3"},
      {"--config " + write("l8.yaml", "pe: {a: int8, lanes: 8}\narray: {rows: 4, cols: 4}\n").string() +
           " --gemm 8,8,8 --convention scalesim",
       "1-lane"},
      {"--config " + write("l1.yaml", "pe: {a: int8, lanes: 1}\narray: {rows: 4, cols: 4}\n").string() +
           " --layers " +
           write("conv.csv", "name,in_h,in_w,filter_h,filter_w,channels,filters,stride,pad\nc,4,4,7,7,1,1,1,1\n")
               .string(),
       "conv.csv:2: layer 'c': filter 7x7 is larger than its padded input 6x6"},
      {"--config " + write("l2.yaml", "pe: {a: int8, lanes: 1}\narray: {rows: 4, cols: 4}\n").string() +
           " --layers " + write("z.csv", "name,in_h,in_w,filter_h,filter_w,channels,filters\nc,4,0,1,1,1,1\n").string(),
       "z.csv:2: in_w must be a positive integer"},
      {"--scalesim-cfg " + good.string() + " --topology " + topo.string() + " --convention timeloop",
       "--convention 'timeloop' (allowed: macforge, scalesim)"},
  };
  for (const Case& k : cases) {
    for (const char* conv : {"", " --convention scalesim"}) {
      if (k.args.find("--convention") != std::string::npos && *conv) continue;
      fs::path out = work() / "never.json";
      fs::remove(out);
      CliRun r = run("sim " + k.args + conv + " --timing-only --out " + out.string());
      EXPECT_EQ(r.code, 2) << k.args << "\n" << r.err;
      std::string last = r.err;
      EXPECT_EQ(lines(last), 1) << r.err;
      EXPECT_NE(last.find(k.expect), std::string::npos) << k.args << "\n" << r.err;
      EXPECT_TRUE(r.out.empty()) << k.args;
      EXPECT_FALSE(fs::exists(out)) << k.args;
    }
  }
}

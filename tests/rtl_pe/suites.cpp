#include "suites.hpp"

#include <stdexcept>

namespace macforge::rtl_pe {
namespace {

const char* kElems[] = {"fp8_e4m3", "fp8_e5m2", "fp6_e2m3", "fp6_e3m2", "fp4_e2m1", "int8", "int6", "int4"};
const char* kPresets[] = {"mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4_e2m1",
                          "mxint8",     "mxint6",     "mxint4",     "nvfp4",      "nvint4"};

gen::PeSpec spec(const std::string& module, const std::string& a, const std::string& b, int lanes, int pipeline,
                 gen::AccSource src, AccumSpec acc) {
  gen::PeSpec s;
  s.module_name = module;
  s.a = parse_block_format(a);
  s.b = parse_block_format(b);
  s.lanes = lanes;
  s.pipeline = pipeline;
  s.acc_source = src;
  acc.lanes = lanes;
  s.accum = acc;
  return s;
}

AccumSpec exact() { return AccumSpec{}; }
AccumSpec aligned(int w) {
  AccumSpec a;
  a.mode = AccumMode::Aligned;
  a.width = w;
  return a;
}

// Significand widths of the aligned:W definition (pa + pb).
int sig_pair(const BlockFormat& a, const BlockFormat& b) {
  auto p = [](const ElemFormat& e) { return e.is_int() ? e.bits : e.mbits + 1; };
  return p(a.elem) + p(b.elem);
}

const auto Int = gen::AccSource::Internal;
const auto Ext = gen::AccSource::External;

Suite exhaustive() {
  Suite s;
  s.name = "exhaustive";
  s.kind = SuiteKind::Exhaustive;
  int i = 0;
  for (const char* a : kElems)
    for (const char* b : kElems) s.pes.push_back(spec("ex" + std::to_string(i++), a, b, 1, 0, Int, exact()));
  // Block-scaled variants (block of one element, a different scale per code
  // pair): the MX integer implicit scale, scale NaN, float32 underflow and
  // overflow of the rounded product.
  for (const char* a : kElems) {
    std::string f = std::string(a) + "/1/e8m0";
    s.pes.push_back(spec("ex" + std::to_string(i++), f, f, 1, 0, Int, exact()));
  }
  s.pes.push_back(spec("ex" + std::to_string(i++), "fp4_e2m1/1/ue4m3", "fp4_e2m1/1/ue4m3", 1, 0, Int, exact()));
  s.pes.push_back(spec("ex" + std::to_string(i++), "int4/1/ue4m3", "int4/1/ue4m3", 1, 0, Int, exact()));
  s.pes.push_back(spec("ex" + std::to_string(i++), "fp4_e2m1/1/ue4m3", "fp8_e4m3/1/e8m0", 1, 0, Int, exact()));
  return s;
}

// The same 1-lane PEs as `exhaustive` (every ordered element pair: the 8-,
// 6- and 4-bit presets' elements, same width class and mixed INT x FP) with
// another lane multiplier than the default (array).
Suite exhaustive_with(gen::Multiplier m) {
  Suite s = exhaustive();
  s.name = std::string("exhaustive_") + gen::multiplier_name(m);
  for (gen::PeSpec& p : s.pes) {
    p.multiplier = m;
    p.module_name = "em" + p.module_name;
  }
  return s;
}

// Multi-lane PEs (8, 16, 32 lanes) with each multiplier kind: INT x INT with
// and without a fused tree (no cut between multipliers and tree vs pipeline
// cuts, aligned:W with and without truncated products), FP x FP and INT x FP.
Suite random_multipliers() {
  Suite s;
  s.name = "rand_multipliers";
  s.kind = SuiteKind::Random;
  s.cycles = 120000;
  int i = 0;
  for (gen::Multiplier m : {gen::Multiplier::Booth4, gen::Multiplier::Array, gen::Multiplier::Behavioural}) {
    auto add = [&](const char* a, const char* b, int lanes, int pipeline, AccumSpec acc) {
      gen::PeSpec p = spec("rm" + std::to_string(i++), a, b, lanes, pipeline, Int, acc);
      p.multiplier = m;
      s.pes.push_back(p);
    };
    add("mxint8", "mxint8", 8, 0, exact());
    add("mxint8", "mxint8", 32, 0, exact());
    add("mxint8", "mxint8", 16, 2, exact());
    add("mxint8", "mxint8", 16, 0, aligned(24));
    add("mxint4", "mxint4", 32, 0, aligned(6));
    add("mxint6", "nvint4", 16, 1, exact());
    add("mxfp8_e4m3", "mxfp8_e4m3", 8, 0, exact());
    add("mxfp6_e2m3", "mxfp4_e2m1", 32, 1, exact());
    add("mxint8", "mxfp8_e5m2", 16, 0, exact());
    add("nvfp4", "mxint4", 16, 2, aligned(10));
  }
  return s;
}

Suite random_preset(const std::string& preset, int index) {
  Suite s;
  s.name = "rand_" + preset;
  s.kind = SuiteKind::Random;
  s.cycles = 120000;
  BlockFormat f = parse_block_format(preset);
  int G = f.block;
  int pp = sig_pair(f, f);
  int wa = pp + 8;                 // window below the products: cpg > 1 uses the exact-tail path
  int wb = std::max(2, pp - 2);    // narrower than a product: every product truncated
  int w6 = index % 2 ? wb : wa, w7 = index % 2 ? wa : wb;
  std::string m = "r" + std::to_string(index) + "_";
  s.pes.push_back(spec(m + "l1", preset, preset, 1, 0, Int, exact()));
  s.pes.push_back(spec(m + "l8", preset, preset, 8, 2, Int, exact()));
  s.pes.push_back(spec(m + "lg", preset, preset, G, 5, Int, exact()));
  s.pes.push_back(spec(m + "x8", preset, preset, 8, 1, Ext, exact()));
  s.pes.push_back(spec(m + "x4", preset, preset, 4, 3, Ext, exact()));
  s.pes.push_back(spec(m + "ag", preset, preset, G, 1, Int, aligned(w6)));
  s.pes.push_back(spec(m + "a8", preset, preset, 8, 0, Int, aligned(w7)));
  return s;
}

Suite random_mixed() {
  Suite s;
  s.name = "rand_mixed";
  s.kind = SuiteKind::Random;
  s.cycles = 120000;
  s.pes.push_back(spec("mx0", "mxint4", "mxfp8_e4m3", 8, 1, Int, exact()));
  s.pes.push_back(spec("mx1", "mxfp8_e4m3", "nvfp4", 4, 2, Int, exact()));  // groups of 16 inside blocks of 32
  s.pes.push_back(spec("mx2", "mxfp8_e5m2", "fp8_e4m3", 16, 0, Int, exact()));
  s.pes.push_back(spec("mx3", "fp8_e4m3", "fp8_e5m2", 4, 3, Int, exact()));  // no block scale: group = lanes
  s.pes.push_back(spec("mx4", "int8/channel/fp32", "int8/channel/fp32", 16, 0, Int, exact()));
  s.pes.push_back(spec("mx5", "nvint4", "nvfp4", 16, 4, Ext, exact()));
  s.pes.push_back(spec("mx6", "mxint8", "mxint4", 32, 2, Int, aligned(9)));
  s.pes.push_back(spec("mx7", "fp6_e3m2/64/e8m0", "fp6_e2m3/64/e8m0", 64, 2, Int, exact()));
  s.pes.push_back(spec("mx8", "e3m4", "int6/16/ue4m3", 8, 1, Int, exact()));
  s.pes.push_back(spec("mx9", "fp16", "fp8_e4m3", 2, 1, Int, exact()));
  s.pes.push_back(spec("mx10", "int4_full", "fp4_e2m1", 4, 0, Ext, aligned(3)));
  s.pes.push_back(spec("mx11", "mxfp4_e2m1", "mxint8", 16, 6, Int, aligned(12)));
  s.weight.assign(s.pes.size(), 1.0);
  s.weight[9] = 0.05;  // fp16: the reference rebuilds a 65536-code table per dot product
  return s;
}

// A multi-format PE (pe.modes: [a/b, a1/b1], pe.reuse), exact-block.
gen::PeSpec mode_spec(const std::string& module, const std::string& a, const std::string& b, const std::string& a1,
                      const std::string& b1, gen::Reuse reuse, int lanes, int pipeline, gen::AccSource src) {
  gen::PeSpec s = spec(module, a, b, lanes, pipeline, src, exact());
  s.modes = 2;
  s.a1 = parse_block_format(a1);
  s.b1 = parse_block_format(b1);
  s.reuse = reuse;
  return s;
}

const auto None = gen::Reuse::None;
const auto S1 = gen::Reuse::IntScheme1;
const auto S2 = gen::Reuse::IntScheme2;
const auto Fp = gen::Reuse::FpShared;

// 1-lane-equivalent multi-format PEs (mode 0 one lane; mode 1 two lanes of
// 4-bit or one of 6-bit elements), plain element formats: every element pair
// of issue #11 with every reuse scheme that fits it, plus mixed INT x FP and
// mixed FP operand pairs.
Suite modes_exhaustive() {
  Suite s;
  s.name = "modes_exhaustive";
  s.kind = SuiteKind::Exhaustive;
  int i = 0;
  auto add = [&](const char* a, const char* b, const char* a1, const char* b1, gen::Reuse r) {
    s.pes.push_back(mode_spec("me" + std::to_string(i++), a, b, a1, b1, r, 1, 0, Int));
  };
  for (gen::Reuse r : {None, S1, S2}) add("int8", "int8", "int4", "int4", r);
  for (gen::Reuse r : {None, S1}) add("int8", "int8", "int6", "int6", r);
  for (const char* f8 : {"fp8_e4m3", "fp8_e5m2"})
    for (gen::Reuse r : {None, Fp}) add(f8, f8, "fp4_e2m1", "fp4_e2m1", r);
  for (const char* f6 : {"fp6_e2m3", "fp6_e3m2"})
    for (gen::Reuse r : {None, Fp}) add("fp8_e4m3", "fp8_e4m3", f6, f6, r);
  add("int8", "fp8_e4m3", "int4", "fp4_e2m1", None);
  add("fp8_e4m3", "fp8_e5m2", "fp6_e2m3", "fp6_e3m2", Fp);
  // Pipelined, and with the external accumulator (in_acc = +0.0).
  auto add_p = [&](const char* a, const char* a1, gen::Reuse r, int pipeline, gen::AccSource src) {
    s.pes.push_back(mode_spec("me" + std::to_string(i++), a, a, a1, a1, r, 1, pipeline, src));
  };
  add_p("int8", "int4", S2, 2, Ext);
  add_p("int8", "int4", S1, 3, Int);
  add_p("fp8_e4m3", "fp4_e2m1", Fp, 2, Int);
  add_p("fp8_e5m2", "fp4_e2m1", None, 1, Ext);
  return s;
}

// Multi-lane multi-format PEs of the MX/NV pairs, random block dot products
// with the mode switching between dot products: 8 lanes (16 in 4-bit mode),
// pipeline 0 and 3, output-stationary and external accumulator; plus a
// 4-lane PE (several chunks per 4-bit block) and a 6-bit pair.
Suite modes_random(bool fp) {
  Suite s;
  s.name = fp ? "modes_rand_fp" : "modes_rand_int";
  s.kind = SuiteKind::Random;
  s.cycles = 120000;
  int i = 0;
  std::string m = fp ? "mf" : "mi";
  auto add = [&](const char* a, const char* a1, gen::Reuse r, int lanes, int pipeline, gen::AccSource src) {
    s.pes.push_back(mode_spec(m + std::to_string(i++), a, a, a1, a1, r, lanes, pipeline, src));
  };
  const char* a = fp ? "mxfp8_e4m3" : "mxint8";
  const char* a1 = fp ? "nvfp4" : "nvint4";
  std::vector<gen::Reuse> schemes = fp ? std::vector<gen::Reuse>{None, Fp} : std::vector<gen::Reuse>{None, S1, S2};
  for (gen::Reuse r : schemes)
    for (int pipeline : {0, 3})
      for (gen::AccSource src : {Int, Ext}) add(a, a1, r, 8, pipeline, src);
  if (fp) {
    add(a, a1, Fp, 4, 2, Ext);
    add("mxfp8_e5m2", "mxfp6_e3m2", Fp, 8, 1, Int);
  } else {
    add(a, a1, S2, 4, 1, Int);
    add(a, "mxint6", S1, 8, 1, Ext);
  }
  return s;
}

// Deeper pipelines (input registers before the halves), the other lane
// multipliers, wider and narrower PEs, operand pairs with different formats
// (INT x FP, two FP8 kinds) and formats without block scales (group = lanes,
// a different group per mode).
Suite modes_random_deep() {
  Suite s;
  s.name = "modes_rand_deep";
  s.kind = SuiteKind::Random;
  s.cycles = 120000;
  int i = 0;
  auto add = [&](const char* a, const char* b, const char* a1, const char* b1, gen::Reuse r, int lanes, int pipeline,
                 gen::AccSource src, gen::Multiplier m) {
    gen::PeSpec p = mode_spec("md" + std::to_string(i++), a, b, a1, b1, r, lanes, pipeline, src);
    p.multiplier = m;
    s.pes.push_back(p);
  };
  const auto B4 = gen::Multiplier::Booth4, Ar = gen::Multiplier::Array, Bh = gen::Multiplier::Behavioural;
  add("mxint8", "mxint8", "nvint4", "nvint4", S2, 8, 6, Int, B4);
  add("mxint8", "mxint8", "nvint4", "nvint4", S1, 2, 5, Ext, Bh);
  add("mxint8", "mxint8", "nvint4", "nvint4", None, 8, 8, Int, B4);
  add("mxint8", "mxint8", "mxint6", "mxint6", S1, 32, 4, Int, Ar);
  add("int8", "int8", "int4", "int4", S2, 4, 1, Ext, Ar);
  add("mxfp8_e4m3", "mxfp8_e4m3", "nvfp4", "nvfp4", Fp, 8, 6, Int, B4);
  add("mxfp8_e5m2", "mxfp8_e4m3", "mxfp4_e2m1", "nvfp4", Fp, 8, 5, Ext, Ar);
  add("mxfp8_e4m3", "mxfp8_e4m3", "mxfp6_e2m3", "mxfp6_e2m3", None, 16, 7, Int, Bh);
  add("mxint8", "mxfp8_e4m3", "nvint4", "nvfp4", None, 4, 2, Int, Ar);
  add("fp8_e4m3", "fp8_e4m3", "fp4_e2m1", "fp4_e2m1", Fp, 4, 1, Ext, Ar);
  return s;
}

// Wide multi-format PEs (32 lanes, 64 in 4-bit mode): the widest chunk sums
// of each scheme, where a too-narrow sum or shift would first overflow.
Suite modes_random_wide() {
  Suite s;
  s.name = "modes_rand_wide";
  s.kind = SuiteKind::Random;
  s.cycles = 40000;
  int i = 0;
  auto add = [&](const char* a, const char* a1, gen::Reuse r, int lanes, int pipeline, gen::AccSource src) {
    s.pes.push_back(mode_spec("mw" + std::to_string(i++), a, a, a1, a1, r, lanes, pipeline, src));
  };
  add("int8", "int4", S1, 32, 0, Int);
  add("int8", "int4", S2, 32, 1, Ext);
  add("int8", "int4", None, 32, 2, Int);
  add("fp8_e4m3", "fp4_e2m1", Fp, 32, 0, Int);
  add("mxfp8_e4m3", "mxfp6_e3m2", Fp, 32, 2, Ext);
  add("mxint8", "mxint6", S1, 32, 0, Int);
  return s;
}

}  // namespace

std::vector<std::string> suite_names() {
  std::vector<std::string> v = {"exhaustive"};
  for (const char* p : kPresets) v.push_back(std::string("rand_") + p);
  v.push_back("rand_mixed");
  v.push_back("exhaustive_booth4");
  v.push_back("exhaustive_behavioural");
  v.push_back("rand_multipliers");
  v.push_back("modes_exhaustive");
  v.push_back("modes_rand_int");
  v.push_back("modes_rand_fp");
  v.push_back("modes_rand_deep");
  v.push_back("modes_rand_wide");
  return v;
}

Suite make_suite(const std::string& name) {
  if (name == "exhaustive") return exhaustive();
  if (name == "rand_mixed") return random_mixed();
  if (name == "exhaustive_booth4") return exhaustive_with(gen::Multiplier::Booth4);
  if (name == "exhaustive_behavioural") return exhaustive_with(gen::Multiplier::Behavioural);
  if (name == "rand_multipliers") return random_multipliers();
  if (name == "modes_exhaustive") return modes_exhaustive();
  if (name == "modes_rand_int") return modes_random(false);
  if (name == "modes_rand_fp") return modes_random(true);
  if (name == "modes_rand_deep") return modes_random_deep();
  if (name == "modes_rand_wide") return modes_random_wide();
  int i = 0;
  for (const char* p : kPresets) {
    if (name == std::string("rand_") + p) return random_preset(p, i);
    ++i;
  }
  throw std::invalid_argument("unknown suite '" + name + "'");
}

Layout layout(const Suite& s) {
  Layout l;
  l.n = int(s.pes.size());
  for (const gen::PeSpec& p : s.pes) {
    gen::PeInfo info = gen::pe_info(p);
    l.a_off.push_back(l.a_width);
    l.b_off.push_back(l.b_width);
    l.a_width += info.a_port_bits;
    l.b_width += info.b_port_bits;
  }
  return l;
}

std::string tb_verilog(const Suite& s) {
  Layout l = layout(s);
  auto r = [](int w) { return "[" + std::to_string(w - 1) + ":0] "; };
  auto sl = [](const std::string& bus, int lo, int w) {
    return bus + "[" + std::to_string(lo + w - 1) + ":" + std::to_string(lo) + "]";
  };
  int n = l.n;
  std::string t = "// Test top of PE suite " + s.name + " (tests/rtl_pe/suites.cpp).\n";
  t += "module tb (\n  input  wire clk,\n  input  wire rst,\n";
  for (const char* p : {"in_valid", "in_first", "in_blk_last", "in_last", "in_mode"}) t += "  input  wire " + r(n) + p + ",\n";
  t += "  input  wire " + r(l.a_width) + "in_a,\n  input  wire " + r(l.b_width) + "in_b,\n";
  t += "  input  wire " + r(8 * n) + "in_a_scale,\n  input  wire " + r(8 * n) + "in_b_scale,\n";
  t += "  input  wire " + r(32 * n) + "in_acc,\n";
  t += "  output wire " + r(n) + "out_valid,\n  output wire " + r(32 * n) + "out_acc\n);\n";
  for (int i = 0; i < n; ++i) {
    const gen::PeSpec& p = s.pes[size_t(i)];
    gen::PeInfo info = gen::pe_info(p);
    std::string k = "[" + std::to_string(i) + "]";
    t += "  " + p.module_name + " u" + std::to_string(i) + " (.clk(clk), .rst(rst), .in_valid(in_valid" + k +
         "), .in_first(in_first" + k + "), .in_blk_last(in_blk_last" + k + "), .in_last(in_last" + k + "),\n";
    if (info.mode.size() > 1) t += "    .in_mode(in_mode" + k + "),\n";
    t += "    .in_a(" + sl("in_a", l.a_off[size_t(i)], info.a_port_bits) + "), .in_b(" +
         sl("in_b", l.b_off[size_t(i)], info.b_port_bits) + ")";
    if (info.a_scale) t += ", .in_a_scale(" + sl("in_a_scale", 8 * i, 8) + ")";
    if (info.b_scale) t += ", .in_b_scale(" + sl("in_b_scale", 8 * i, 8) + ")";
    if (p.acc_source == gen::AccSource::External) t += ", .in_acc(" + sl("in_acc", 32 * i, 32) + ")";
    t += ",\n    .out_valid(out_valid" + k + "), .out_acc(" + sl("out_acc", 32 * i, 32) + "));\n";
  }
  t += "endmodule\n";
  return t;
}

std::string replay_verilog(const Suite& s, const std::string& vectors) {
  Layout l = layout(s);
  int n = l.n;
  struct P {
    const char* name;
    int width;
  };
  std::vector<P> ins = {{"in_valid", n},       {"in_first", n},   {"in_blk_last", n},  {"in_last", n}, {"in_mode", n},
                        {"in_a", l.a_width},   {"in_b", l.b_width}, {"in_a_scale", 8 * n}, {"in_b_scale", 8 * n},
                        {"in_acc", 32 * n}};
  auto r = [](int w) { return "[" + std::to_string(w - 1) + ":0] "; };
  std::string t = "// Replays recorded vectors of suite " + s.name + " (tests/rtl_pe/suites.cpp).\n";
  t += "`timescale 1ns/1ps\nmodule xtb;\n  reg clk;\n  reg rst;\n";
  for (const P& p : ins) t += "  reg  " + r(p.width) + p.name + ";\n";
  t += "  wire " + r(n) + "out_valid;\n  wire " + r(32 * n) + "out_acc;\n";
  t += "  reg  " + r(n) + "want_valid;\n  reg  " + r(32 * n) + "want_acc;\n  reg  " + r(32 * n) + "mask;\n";
  t += "  tb dut (.clk(clk), .rst(rst)";
  for (const P& p : ins) t += ", ." + std::string(p.name) + "(" + p.name + ")";
  t += ", .out_valid(out_valid), .out_acc(out_acc));\n";
  t += "  integer f, got, cycles, bad, i;\n  initial begin\n";
  t += "    f = $fopen(\"" + vectors + "\", \"r\");\n";
  t += "    if (f == 0) begin\n      $display(\"cannot open " + vectors + "\");\n      $finish;\n    end\n";
  t += "    clk = 0;\n    cycles = 0;\n    bad = 0;\n";
  t += "    got = $fscanf(f, \"%h %h %h %h %h %h %h %h %h %h %h %h %h\\n\", rst, in_valid, in_first, in_blk_last, in_last, "
       "in_mode, in_a, in_b, in_a_scale, in_b_scale, in_acc, want_valid, want_acc);\n";
  t += "    while (got == 13) begin\n";
  t += "      #1 clk = 1;\n      #1;\n";
  t += "      for (i = 0; i < " + std::to_string(n) + "; i = i + 1) mask[i*32 +: 32] = want_valid[i] ? 32'hFFFFFFFF : 32'h0;\n";
  t += "      if (out_valid !== want_valid || (out_acc & mask) !== (want_acc & mask)) begin\n";
  t += "        bad = bad + 1;\n";
  t += "        if (bad <= 5) $display(\"cycle %0d: out_valid %h (recorded %h), out_acc %h (recorded %h)\", cycles, "
       "out_valid, want_valid, out_acc, want_acc);\n";
  t += "      end\n      #1 clk = 0;\n      #1;\n      cycles = cycles + 1;\n";
  t += "      got = $fscanf(f, \"%h %h %h %h %h %h %h %h %h %h %h %h %h\\n\", rst, in_valid, in_first, in_blk_last, in_last, "
       "in_mode, in_a, in_b, in_a_scale, in_b_scale, in_acc, want_valid, want_acc);\n";
  t += "    end\n";
  t += "    if (bad == 0 && cycles > 0) $display(\"REPLAY PASS: %0d cycles\", cycles);\n";
  t += "    else $display(\"REPLAY FAIL: %0d of %0d cycles differ\", bad, cycles);\n";
  t += "    $finish;\n  end\nendmodule\n";
  return t;
}

std::vector<gen::PeSpec> lint_specs() {
  std::vector<gen::PeSpec> v;
  int i = 0;
  auto name = [&] { return "lint" + std::to_string(i++); };
  for (const char* a : kElems)
    for (const char* b : kElems) v.push_back(spec(name(), a, b, 1, 0, Int, exact()));
  int k = 0;
  for (const char* p : kPresets) {
    BlockFormat f = parse_block_format(p);
    int G = f.block, pp = sig_pair(f, f);
    v.push_back(spec(name(), p, p, 1, 0, Int, exact()));
    v.push_back(spec(name(), p, p, 8, 3, Ext, aligned(pp + 8)));
    v.push_back(spec(name(), p, p, G, 6 + k % 3, Int, aligned(std::max(2, pp - 2))));
    v.push_back(spec(name(), p, p, 4, 1, Ext, exact()));
    ++k;
  }
  for (const gen::PeSpec& s : random_mixed().pes) {
    gen::PeSpec c = s;
    c.module_name = name();
    v.push_back(c);
  }
  for (const gen::PeSpec& s : random_multipliers().pes) {
    if (s.multiplier == gen::kDefaultMultiplier) continue;  // covered above
    gen::PeSpec c = s;
    c.module_name = name();
    v.push_back(c);
  }
  // Multi-format PEs: every reuse scheme on every element pair it fits, the
  // multi-lane MX/NV pairs, deeper pipelines and the other lane multipliers.
  std::vector<gen::PeSpec> modes = modes_exhaustive().pes;
  for (bool fp : {false, true})
    for (const gen::PeSpec& s : modes_random(fp).pes) modes.push_back(s);
  for (const gen::PeSpec& s : modes_random_deep().pes) modes.push_back(s);
  for (const gen::PeSpec& s : modes_random_wide().pes) modes.push_back(s);
  for (gen::Reuse r : {None, S1, S2})
    for (gen::Multiplier m : {gen::Multiplier::Booth4, gen::Multiplier::Behavioural}) {
      gen::PeSpec c = mode_spec("", "mxint8", "mxint8", "nvint4", "nvint4", r, 8, 6, Int);
      c.multiplier = m;
      modes.push_back(c);
    }
  for (gen::Reuse r : {None, Fp}) {
    modes.push_back(mode_spec("", "mxfp8_e4m3", "mxfp8_e4m3", "nvfp4", "nvfp4", r, 2, 7, Ext));
    gen::PeSpec c = mode_spec("", "mxfp8_e5m2", "mxfp8_e4m3", "mxfp4_e2m1", "nvfp4", r, 8, 5, Int);
    c.multiplier = gen::Multiplier::Booth4;
    modes.push_back(c);
  }
  for (gen::PeSpec& c : modes) {
    c.module_name = name();
    v.push_back(c);
  }
  return v;
}

}  // namespace macforge::rtl_pe

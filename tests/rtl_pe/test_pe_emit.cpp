// Unit tests of the PE emitter's contract that need no simulation: spec
// validation, PeInfo, module naming, and the structural promise that an
// INT x INT PE has no floating-point logic before its group stage.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "gen/pe_emit.hpp"

using namespace macforge;
using gen::PeSpec;

namespace {

PeSpec make(const std::string& a, const std::string& b, int lanes = 1, int pipeline = 0) {
  PeSpec s;
  s.module_name = "pe";
  s.a = parse_block_format(a);
  s.b = parse_block_format(b);
  s.lanes = lanes;
  s.pipeline = pipeline;
  s.accum.lanes = lanes;
  return s;
}

std::string all_text(const PeSpec& s) {
  std::string t;
  for (const gen::PeFile& f : gen::pe_files(s)) t += f.text;
  return t;
}

void expect_error(const PeSpec& s, const std::string& fragment) {
  try {
    gen::pe_info(s);
    ADD_FAILURE() << "no FormatError for " << s.a.name << " x " << s.b.name << " lanes " << s.lanes;
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(PeEmit, RejectsBadSpecs) {
  expect_error(make("mxint8", "mxint8", 0), "lanes must be 1..64");
  expect_error(make("mxint8", "mxint8", 65), "lanes must be 1..64");
  expect_error(make("mxint8", "mxint8", 12), "must divide the accumulation group of 32");
  expect_error(make("nvfp4", "nvfp4", 32), "must divide the accumulation group of 16");
  expect_error(make("fp8_e4m3/24/e8m0", "fp8_e4m3/32/e8m0", 8), "do not nest");
  expect_error(make("mxint8", "mxint8", 8, -1), "pipeline");
  PeSpec bad = make("mxint8", "mxint8");
  bad.module_name = "3pe";
  expect_error(bad, "not a Verilog identifier");
  PeSpec w = make("mxint8", "mxint8");
  w.accum.mode = AccumMode::Aligned;
  w.accum.width = 1;
  expect_error(w, "aligned:W");
  expect_error(make("fp32", "fp8_e4m3", 4), "at most 16 bits");
}

TEST(PeEmit, InfoAndLatency) {
  for (int p = 0; p < 9; ++p) {
    gen::PeInfo i = gen::pe_info(make("mxfp8_e4m3", "nvfp4", 8, p));
    EXPECT_EQ(i.latency, 2 + p);
    EXPECT_EQ(i.group, 16);
    EXPECT_EQ(i.a_bits, 8);
    EXPECT_EQ(i.b_bits, 4);
    EXPECT_TRUE(i.a_scale);
    EXPECT_TRUE(i.b_scale);
  }
  gen::PeInfo plain = gen::pe_info(make("fp8_e4m3", "int8/channel/fp32", 4));
  EXPECT_EQ(plain.group, 4);
  EXPECT_FALSE(plain.a_scale);
  EXPECT_FALSE(plain.b_scale);
}

TEST(PeEmit, EveryModuleCarriesThePrefix) {
  PeSpec s = make("mxfp6_e3m2", "mxint4", 8, 3);
  s.module_name = "my_pe";
  std::string t = all_text(s);
  std::regex mod("module ([A-Za-z0-9_]+)");
  std::set<std::string> names;
  for (std::sregex_iterator it(t.begin(), t.end(), mod), end; it != end; ++it) names.insert((*it)[1]);
  EXPECT_EQ(names, (std::set<std::string>{"my_pe", "my_pe_mul", "my_pe_fadd"}));
  for (const gen::PeFile& f : gen::pe_files(s)) EXPECT_EQ(f.name.rfind("my_pe", 0), 0u) << f.name;
}

TEST(PeEmit, IntOnlyLanesHaveNoFloatingPointLogic) {
  for (const char* f : {"mxint8", "mxint4", "nvint4", "int8"}) {
    PeSpec s = make(f, f, 8, 2);
    gen::PeWidths w = gen::pe_widths(s);
    EXPECT_TRUE(w.int_only) << f;
    EXPECT_EQ(w.lane_exp, 0) << f;
    std::string mul = gen::pe_files(s)[0].text;
    EXPECT_NE(mul.find("pe.multiplier: array"), std::string::npos) << "generated signed integer multiply";
    PeSpec beh = s;
    beh.multiplier = gen::Multiplier::Behavioural;
    EXPECT_NE(gen::pe_files(beh)[0].text.find("$signed("), std::string::npos) << "signed integer multiply";
    EXPECT_EQ(mul.find("_x ="), std::string::npos) << "no exponent decode";
    std::string top = gen::pe_files(s)[2].text;
    // Everything in front of the group accumulator: lanes, alignment, tree.
    std::string lanes = top.substr(0, top.find("// Group accumulator"));
    EXPECT_EQ(lanes.find("lane_e"), std::string::npos) << "no product exponents";
    EXPECT_EQ(lanes.find("<<"), std::string::npos) << "no product alignment shifters";
    EXPECT_EQ(lanes.find("mf_lzc #("), std::string::npos) << "no normalization in the lanes";
    EXPECT_EQ(top.find("mf_lzc #("), top.rfind("mf_lzc #(")) << "one normalizer, at the group stage";
  }
  gen::PeWidths fp = gen::pe_widths(make("mxfp8_e4m3", "mxfp8_e4m3", 8));
  EXPECT_FALSE(fp.int_only);
  EXPECT_GT(fp.lane_exp, 0);
}

TEST(PeEmit, ExactWidths) {
  // mxint8: |q| <= 128, 32 products: 128*128*32 = 2^19 needs 20 bits + sign.
  gen::PeWidths i8 = gen::pe_widths(make("mxint8", "mxint8", 8));
  EXPECT_EQ(i8.lane_product, 16);
  EXPECT_EQ(i8.group_sum, 21);
  // mxfp8_e4m3: significand 4 bits, offset exponent <= 14: (15*15) << 28, times 32.
  gen::PeWidths f8 = gen::pe_widths(make("mxfp8_e4m3", "mxfp8_e4m3", 32));
  EXPECT_EQ(f8.lane_value, 37);
  EXPECT_EQ(f8.group_sum, 42);
  EXPECT_EQ(f8.add_window, 42);
  // aligned:W narrows the lanes to W bits plus sign.
  PeSpec a = make("mxfp8_e4m3", "mxfp8_e4m3", 32);
  a.accum.mode = AccumMode::Aligned;
  a.accum.width = 16;
  gen::PeWidths aw = gen::pe_widths(a);
  EXPECT_TRUE(aw.aligned);
  EXPECT_LE(aw.lane_value, 17);
  EXPECT_LE(aw.chunk_sum, 17 + 5);
}

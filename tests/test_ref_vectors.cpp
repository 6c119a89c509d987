// Every row of every file in ../shared/ref (copied to tests/data/ref) is
// reproduced bit for bit: scale codes, dequantized outputs (NaN by class) and,
// for the NV files, the tensor amax and gD.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "numerics/quantize.hpp"

using namespace macforge;

namespace {

struct Row {
  int case_id, block_id, index;
  uint32_t in, scale, out, amax = 0, gd = 0;
};

uint32_t hex(const std::string& s) { return uint32_t(std::stoul(s, nullptr, 16)); }

std::vector<Row> read_rows(const std::string& path, bool nv) {
  std::ifstream f(path);
  EXPECT_TRUE(f.good()) << path;
  std::string line;
  std::getline(f, line);  // header
  std::vector<Row> rows;
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::vector<std::string> c;
    std::string cell;
    while (std::getline(ss, cell, ',')) c.push_back(cell);
    Row r{std::stoi(c[0]), std::stoi(c[1]), std::stoi(c[2]), hex(c[3]), hex(c[4]), hex(c[5])};
    if (nv) {
      r.amax = hex(c[6]);
      r.gd = hex(c[7]);
    }
    rows.push_back(r);
  }
  return rows;
}

bool same_f32(uint32_t a, uint32_t b) {
  float fa = f32_from_bits(a), fb = f32_from_bits(b);
  if (std::isnan(fa) || std::isnan(fb)) return std::isnan(fa) && std::isnan(fb);
  return a == b;
}

class RefVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(RefVectors, ReproducedBitForBit) {
  std::string file = GetParam();  // e.g. mxfp8_e4m3.ocp.csv
  std::string preset = file.substr(0, file.find('.'));
  std::string rule = file.substr(file.find('.') + 1);
  rule = rule.substr(0, rule.find('.'));
  BlockFormat fmt = parse_block_format(preset);
  bool nv = rule == "nv";
  std::vector<Row> rows = read_rows(std::string(MACFORGE_TEST_DATA) + "/ref/" + file, nv);
  ASSERT_GT(rows.size(), 1000u);
  std::map<int, std::vector<Row>> cases;
  for (const Row& r : rows) cases[r.case_id].push_back(r);
  size_t checked = 0;
  for (auto& [id, rs] : cases) {
    std::vector<float> x(rs.size());
    for (const Row& r : rs) x[size_t(r.block_id) * fmt.block + r.index] = f32_from_bits(r.in);
    QMatrix q = quantize(fmt, parse_rule(rule), x.data(), 1, x.size());
    if (nv) {
      EXPECT_EQ(f32_bits(q.tensor_amax), rs[0].amax) << file << " case " << id;
      EXPECT_EQ(f32_bits(q.tensor_gd), rs[0].gd) << file << " case " << id;
    }
    for (const Row& r : rs) {
      size_t i = size_t(r.block_id) * fmt.block + r.index;
      ASSERT_EQ(q.scale_codes[r.block_id], r.scale)
          << file << " case " << id << " block " << r.block_id;
      ASSERT_TRUE(same_f32(f32_bits(q.dequant[i]), r.out))
          << file << " case " << id << " block " << r.block_id << " index " << r.index
          << " input 0x" << std::hex << r.in << " got 0x" << f32_bits(q.dequant[i]) << " want 0x"
          << r.out;
      ++checked;
    }
  }
  EXPECT_EQ(checked, rows.size());
}

INSTANTIATE_TEST_SUITE_P(
    AllFiles, RefVectors,
    ::testing::Values("mxfp4_e2m1.ceil.csv", "mxfp4_e2m1.ocp.csv", "mxfp6_e2m3.ceil.csv",
                      "mxfp6_e2m3.ocp.csv", "mxfp6_e3m2.ceil.csv", "mxfp6_e3m2.ocp.csv",
                      "mxfp8_e4m3.ceil.csv", "mxfp8_e4m3.ocp.csv", "mxfp8_e5m2.ceil.csv",
                      "mxfp8_e5m2.ocp.csv", "mxint4.ceil.csv", "mxint6.ceil.csv", "mxint8.ceil.csv",
                      "mxint8.ocp.csv", "nvfp4.nv.csv", "nvint4.nv.csv"),
    [](const ::testing::TestParamInfo<std::string>& i) {
      std::string n = i.param.substr(0, i.param.size() - 4);
      for (char& c : n)
        if (c == '.') c = '_';
      return n;
    });

// The copies in tests/data/ref stay byte-identical to ../shared/ref.
TEST(RefVectors, CopiesMatchShared) {
  std::string shared = std::string(MACFORGE_SOURCE_DIR) + "/../shared/ref";
  std::ifstream probe(shared + "/README.md");
  if (!probe.good()) GTEST_SKIP() << "../shared/ref not present";
  for (const char* f : {"mxfp4_e2m1.ceil.csv", "mxfp4_e2m1.ocp.csv", "mxfp6_e2m3.ceil.csv",
                        "mxfp6_e2m3.ocp.csv", "mxfp6_e3m2.ceil.csv", "mxfp6_e3m2.ocp.csv",
                        "mxfp8_e4m3.ceil.csv", "mxfp8_e4m3.ocp.csv", "mxfp8_e5m2.ceil.csv",
                        "mxfp8_e5m2.ocp.csv", "mxint4.ceil.csv", "mxint6.ceil.csv",
                        "mxint8.ceil.csv", "mxint8.ocp.csv", "nvfp4.nv.csv", "nvint4.nv.csv",
                        "cases.csv"}) {
    std::ifstream a(shared + "/" + f, std::ios::binary);
    std::ifstream b(std::string(MACFORGE_TEST_DATA) + "/ref/" + f, std::ios::binary);
    std::stringstream sa, sb;
    sa << a.rdbuf();
    sb << b.rdbuf();
    EXPECT_EQ(sa.str(), sb.str()) << f << " differs from ../shared/ref";
  }
}

}  // namespace

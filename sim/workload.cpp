#include "sim/workload.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "numerics/elem_format.hpp"

namespace macforge::sim {
namespace {

// Largest dimension accepted: keeps every product of three dimensions and the
// byte counts well inside 64 bits.
constexpr int64_t kMaxDim = int64_t(1) << 24;

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// Positive integer or an error message (empty string on success).
std::string parse_dim(const std::string& cell, const char* what, int64_t& out) {
  static const std::regex re("[+]?[0-9]{1,12}");
  std::string t = trim(cell);
  if (!std::regex_match(t, re))
    return std::string(what) + " must be a positive integer (got '" + t + "')";
  int64_t v = std::stoll(t);
  if (v <= 0) return std::string(what) + " must be a positive integer (got '" + t + "')";
  if (v > kMaxDim)
    return std::string(what) + " = " + t + " is larger than the supported " + std::to_string(kMaxDim);
  out = v;
  return "";
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string c;
  while (std::getline(ss, c, ',')) cells.push_back(c);
  if (!line.empty() && line.back() == ',') cells.push_back("");
  return cells;
}

}  // namespace

Gemm parse_gemm(const std::string& text) {
  std::vector<std::string> c = split(text);
  if (c.size() != 3) throw FormatError("--gemm '" + text + "': expected M,N,K, e.g. 64,64,256");
  Gemm g;
  const char* names[3] = {"M", "N", "K"};
  int64_t* dims[3] = {&g.M, &g.N, &g.K};
  for (int i = 0; i < 3; ++i) {
    std::string e = parse_dim(c[size_t(i)], names[i], *dims[i]);
    if (!e.empty()) throw FormatError("--gemm '" + text + "': " + e);
  }
  g.name = "gemm";
  return g;
}

std::string conv_to_gemm(const ConvShape& c, Gemm& g) {
  const int64_t v[] = {c.H, c.W, c.Fh, c.Fw, c.C, c.F, c.Sh, c.Sw};
  const char* names[] = {"in_h", "in_w", "filter_h", "filter_w", "channels", "filters", "stride", "stride"};
  for (int i = 0; i < 8; ++i)
    if (v[i] <= 0 || v[i] > kMaxDim)
      return std::string(names[i]) + " must be in [1, " + std::to_string(kMaxDim) + "] (got " +
             std::to_string(v[i]) + ")";
  if (c.Ph < 0 || c.Pw < 0 || c.Ph > kMaxDim || c.Pw > kMaxDim)
    return "pad must be in [0, " + std::to_string(kMaxDim) + "]";
  if (c.Fh > c.H + 2 * c.Ph || c.Fw > c.W + 2 * c.Pw)
    return "filter " + std::to_string(c.Fh) + "x" + std::to_string(c.Fw) + " is larger than its padded input " +
           std::to_string(c.H + 2 * c.Ph) + "x" + std::to_string(c.W + 2 * c.Pw);
  int64_t M = c.out_h() * c.out_w(), K = c.Fh * c.Fw * c.C;
  if (M > kMaxDim || K > kMaxDim)
    return "the lowered GEMM (M = " + std::to_string(M) + ", K = " + std::to_string(K) +
           ") is larger than the supported " + std::to_string(kMaxDim);
  g.M = M;
  g.N = c.F;
  g.K = K;
  return "";
}

std::vector<Gemm> parse_layers(const std::string& text, const std::string& origin) {
  std::vector<Gemm> out;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  bool header = false;
  // Column of each field in a row (-1: absent), from the header.
  enum { kName, kM, kN, kK, kCount, kFormat, kH, kW, kFh, kFw, kC, kF, kStride, kPad, kFields };
  static const char* const kColumns[kFields] = {"name",     "M",        "N",        "K",      "count",
                                                "format",   "in_h",     "in_w",     "filter_h", "filter_w",
                                                "channels", "filters",  "stride",   "pad"};
  int col[kFields];
  size_t ncols = 0;
  bool gemm_cols = false, conv_cols = false;
  auto err = [&](const std::string& what) -> FormatError {
    return FormatError(origin + ":" + std::to_string(lineno) + ": " + what);
  };
  const std::string expected =
      "expected the header 'name,M,N,K' or 'name,in_h,in_w,filter_h,filter_w,channels,filters' (optional "
      "columns: stride, pad, count, format)";
  const std::string all_cols =
      "columns: name, M, N, K, in_h, in_w, filter_h, filter_w, channels, filters, stride, pad, count, format";
  while (std::getline(in, line)) {
    ++lineno;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    std::vector<std::string> c = split(t);
    for (auto& x : c) x = trim(x);
    if (!header) {
      std::fill(col, col + kFields, -1);
      for (size_t i = 0; i < c.size(); ++i) {
        int f = int(std::find(kColumns, kColumns + kFields, c[i]) - kColumns);
        if (f == kFields) throw err(expected + ", got the column '" + c[i] + "' (" + all_cols + ")");
        if (col[f] >= 0) throw err(expected + ", got the column '" + c[i] + "' twice");
        col[f] = int(i);
      }
      if (col[kName] < 0) throw err(expected + ", got '" + t + "'");
      int ng = 0, nc = 0;
      for (int f = kM; f <= kK; ++f) ng += col[f] >= 0;
      for (int f = kH; f <= kF; ++f) nc += col[f] >= 0;
      if ((ng != 0 && ng != 3) || (nc != 0 && nc != 6) || (ng == 0 && nc == 0))
        throw err(expected + ", got '" + t + "'");
      if ((col[kStride] >= 0 || col[kPad] >= 0) && nc == 0)
        throw err("the columns stride and pad need the convolution columns: " + expected);
      gemm_cols = ng == 3;
      conv_cols = nc == 6;
      header = true;
      ncols = c.size();
      continue;
    }
    if (c.size() != ncols)
      throw err("expected " + std::to_string(ncols) + " comma-separated fields, got " +
                std::to_string(c.size()));
    Gemm g;
    g.name = c[size_t(col[kName])];
    if (g.name.empty()) throw err("empty layer name");
    for (char ch : g.name)
      if (ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20)
        throw err("layer name '" + g.name + "' contains a quote, backslash or control character");
    auto cell = [&](int f) { return col[f] < 0 ? std::string() : c[size_t(col[f])]; };
    auto dim = [&](int f, int64_t& v) {
      std::string e = parse_dim(cell(f), kColumns[f], v);
      if (!e.empty()) throw err(e);
    };
    // A row is a convolution when it fills the convolution columns.
    bool conv = false;
    if (conv_cols) {
      int filled = 0;
      for (int f = kH; f <= kF; ++f) filled += !cell(f).empty();
      int gfilled = 0;
      for (int f = kM; f <= kK; ++f) gfilled += !cell(f).empty();
      if (filled > 0 && gfilled > 0)
        throw err("layer '" + g.name + "' fills both M,N,K and the convolution columns; fill one group");
      conv = filled > 0 || !gemm_cols;
    }
    if (conv) {
      ConvShape s;
      dim(kH, s.H), dim(kW, s.W), dim(kFh, s.Fh), dim(kFw, s.Fw), dim(kC, s.C), dim(kF, s.F);
      if (!cell(kStride).empty()) dim(kStride, s.Sh);
      s.Sw = s.Sh;
      if (!cell(kPad).empty()) {
        static const std::regex re("[+]?[0-9]{1,12}");
        if (!std::regex_match(cell(kPad), re))
          throw err("pad must be a non-negative integer (got '" + cell(kPad) + "')");
        s.Ph = s.Pw = std::stoll(cell(kPad));
      }
      std::string e = conv_to_gemm(s, g);
      if (!e.empty()) throw err("layer '" + g.name + "': " + e);
    } else {
      if (conv_cols && (!cell(kStride).empty() || !cell(kPad).empty()))
        throw err("layer '" + g.name + "' is a GEMM row (M,N,K) but sets stride or pad");
      dim(kM, g.M), dim(kN, g.N), dim(kK, g.K);
    }
    if (col[kCount] >= 0) dim(kCount, g.count);
    if (col[kFormat] >= 0) {
      g.format = c[size_t(col[kFormat])];
      for (char ch : g.format)
        if (ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20)
          throw err("format '" + g.format + "' contains a quote, backslash or control character");
    }
    g.origin = origin;
    g.line = lineno;
    out.push_back(g);
  }
  if (!header) throw FormatError(origin + ": empty layer file (" + expected + ")");
  if (out.empty()) throw FormatError(origin + ": no layers after the header");
  return out;
}

std::vector<Gemm> load_layers(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f.good()) throw FormatError(path + ": cannot read the layer file (expected a CSV with the header 'name,M,N,K')");
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_layers(ss.str(), path);
}

std::vector<Gemm> transformer_block(int64_t H, int64_t S, int64_t heads, int64_t ffn) {
  if (ffn == 0) ffn = 4 * H;
  int64_t d = H / heads;
  std::vector<Gemm> g;
  auto add = [&](const char* name, int64_t M, int64_t N, int64_t K, int64_t count) {
    Gemm x;
    x.name = name;
    x.M = M, x.N = N, x.K = K, x.count = count;
    g.push_back(x);
  };
  add("qkv", S, 3 * H, H, 1);
  add("attn_scores", S, S, d, heads);
  add("attn_v", S, d, S, heads);
  add("out_proj", S, H, H, 1);
  add("mlp_up", S, ffn, H, 1);
  add("mlp_down", S, H, ffn, 1);
  return g;
}

}  // namespace macforge::sim

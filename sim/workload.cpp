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

std::vector<Gemm> parse_layers(const std::string& text, const std::string& origin) {
  std::vector<Gemm> out;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  bool header = false;
  // Column of each field in a row (-1: absent), from the header.
  enum { kName, kM, kN, kK, kCount, kFormat, kFields };
  static const char* const kColumns[kFields] = {"name", "M", "N", "K", "count", "format"};
  int col[kFields];
  size_t ncols = 0;
  auto err = [&](const std::string& what) -> FormatError {
    return FormatError(origin + ":" + std::to_string(lineno) + ": " + what);
  };
  const std::string expected = "expected the header 'name,M,N,K' (optional columns: count, format)";
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
        if (f == kFields)
          throw err(expected + ", got the column '" + c[i] + "' (columns: name, M, N, K, count, format)");
        if (col[f] >= 0) throw err(expected + ", got the column '" + c[i] + "' twice");
        col[f] = int(i);
      }
      for (int f = kName; f <= kK; ++f)
        if (col[f] < 0) throw err(expected + ", got '" + t + "'");
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
    int64_t* dims[4] = {&g.M, &g.N, &g.K, &g.count};
    for (int f = kM; f <= kCount; ++f) {
      if (col[f] < 0) continue;
      std::string e = parse_dim(c[size_t(col[f])], kColumns[f], *dims[f - kM]);
      if (!e.empty()) throw err(e);
    }
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
  if (!header) throw FormatError(origin + ": empty layer file (expected the header 'name,M,N,K')");
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

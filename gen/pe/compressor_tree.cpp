#include "gen/pe/compressor_tree.hpp"

#include <algorithm>
#include <stdexcept>

namespace macforge::gen::pe {

const char* const kZero = "1'b0";
const char* const kOne = "1'b1";

bool is_const(const std::string& bit) { return bit == kZero || bit == kOne; }

std::string bit_not(const std::string& a) {
  if (a == kZero) return kOne;
  if (a == kOne) return kZero;
  if (a.size() > 1 && a[0] == '~' && a.find_first_of(" &|^") == std::string::npos) return a.substr(1);
  return "~" + a;
}

std::string bit_and(const std::string& a, const std::string& b) {
  if (a == kZero || b == kZero) return kZero;
  if (a == kOne) return b;
  if (b == kOne) return a;
  return "(" + a + " & " + b + ")";
}

std::string bit_or(const std::string& a, const std::string& b) {
  if (a == kOne || b == kOne) return kOne;
  if (a == kZero) return b;
  if (b == kZero) return a;
  return "(" + a + " | " + b + ")";
}

std::string bit_xor(const std::string& a, const std::string& b) {
  if (a == kZero) return b;
  if (b == kZero) return a;
  if (a == kOne) return bit_not(b);
  if (b == kOne) return bit_not(a);
  return "(" + a + " ^ " + b + ")";
}

std::string MulOperand::bit(int k) const {
  if (k < 0) return kZero;
  if (k >= width) return is_signed ? bit(width - 1) : kZero;
  return name + "[" + std::to_string(k) + "]";
}

BitMatrix::BitMatrix(int w) : width(w), cols(size_t(w > 0 ? w : 0)), constant(size_t(w > 0 ? w : 0), 0) {
  if (w < 1) throw std::invalid_argument("BitMatrix: width must be >= 1, got " + std::to_string(w));
}

void BitMatrix::add_bit(int w, const std::string& bit) {
  if (w < 0) throw std::invalid_argument("BitMatrix: negative weight");
  if (w >= width || bit == kZero) return;
  if (bit == kOne) {
    add_constant(1, w);
    return;
  }
  cols[size_t(w)].push_back(bit);
}

void BitMatrix::add_constant(int64_t v, int w) {
  if (w < 0) throw std::invalid_argument("BitMatrix: negative weight");
  // v sign-extended to the width, added bit by bit (widths beyond 64 bits:
  // aligned:W sums).
  int carry = 0;
  for (int i = w; i < width; ++i) {
    int k = i - w;
    int vb = k < 63 ? int((uint64_t(v) >> k) & 1) : (v < 0 ? 1 : 0);
    int sum = constant[size_t(i)] + vb + carry;
    constant[size_t(i)] = char(sum & 1);
    carry = sum >> 1;
  }
}

size_t BitMatrix::bit_count() const {
  size_t n = 0;
  for (const auto& c : cols) n += c.size();
  return n;
}

TreeStats emit_compressor_tree(std::ostream& o, const BitMatrix& m, const std::string& prefix, const std::string& out,
                               FaStyle style, const std::string& cpa_header) {
  const int W = m.width;
  std::vector<std::vector<std::string>> cur = m.cols;
  for (int w = 0; w < W; ++w)
    if (m.constant[size_t(w)]) cur[size_t(w)].push_back(kOne);
  TreeStats st;
  int n_wire = 0;
  auto height = [&] {
    size_t h = 0;
    for (const auto& c : cur) h = std::max(h, c.size());
    return int(h);
  };
  // A full (3 inputs) or half (2) adder in column w; its carry goes to w + 1
  // (not built for the top column: the result is modulo 2^W).
  auto adder = [&](const std::string* in_bits, int n, std::vector<std::string>& sum_col,
                   std::vector<std::string>* carry_col) {
    std::string id = prefix + (n == 3 ? "_fa" : "_ha") + std::to_string(n_wire++);
    // The constant one (at most one per column) goes last.
    std::vector<std::string> in(in_bits, in_bits + n);
    std::stable_partition(in.begin(), in.end(), [](const std::string& x) { return x != kOne; });
    const std::string &a = in[0], &b = in[1];
    bool carry = carry_col != nullptr;
    if (n == 3) {
      const std::string& c = in[2];
      if (c == kOne || !carry || style == FaStyle::Gates) o << "  wire " << id << "_p = " << a << " ^ " << b << ";\n";
      if (c == kOne) {  // a + b + 1: s = ~(a ^ b), co = a | b
        o << "  wire " << id << "_s = ~" << id << "_p;\n";
        if (carry) o << "  wire " << id << "_c = " << a << " | " << b << ";\n";
      } else if (carry && style == FaStyle::Add) {
        o << "  wire " << id << "_s, " << id << "_c;\n";
        o << "  assign {" << id << "_c, " << id << "_s} = {1'b0, " << a << "} + {1'b0, " << b << "} + {1'b0, " << c
          << "};\n";
      } else {
        o << "  wire " << id << "_s = " << id << "_p ^ " << c << ";\n";
        if (carry) o << "  wire " << id << "_c = (" << a << " & " << b << ") | (" << c << " & " << id << "_p);\n";
      }
      ++st.full_adders;
    } else if (b == kOne) {  // a + 1: s = ~a, co = a (no gate)
      sum_col.push_back(bit_not(a));
      if (carry) carry_col->push_back(a);
      ++st.half_adders;
      return;
    } else {
      o << "  wire " << id << "_s = " << a << " ^ " << b << ";\n";
      if (carry) o << "  wire " << id << "_c = " << a << " & " << b << ";\n";
      ++st.half_adders;
    }
    sum_col.push_back(id + "_s");
    if (carry) carry_col->push_back(id + "_c");
  };
  o << "  // Dadda reduction of " << m.bit_count() << " partial-product bits (+ constant) to two rows.\n";
  while (height() > 2) {
    int h = height();
    int d = 2;
    while (d * 3 / 2 < h) d = d * 3 / 2;  // the largest Dadda height below h
    std::vector<std::vector<std::string>> next(size_t(W) + 1);
    for (int w = 0; w < W; ++w) {
      const auto& in = cur[size_t(w)];
      int n = int(in.size());
      int incoming = int(next[size_t(w)].size());  // carries from column w-1 of this stage
      int r = n + incoming - d;                     // bits to remove from this column
      int fa = 0, ha = 0;
      if (r > 0) {
        fa = std::min(r / 2, n / 3);
        ha = std::min(r - 2 * fa, (n - 3 * fa) / 2);
      }
      std::vector<std::string> col_out;
      std::vector<std::string>* carry = w + 1 < W ? &next[size_t(w) + 1] : nullptr;
      int k = 0;
      for (int i = 0; i < fa; ++i, k += 3) adder(&in[size_t(k)], 3, col_out, carry);
      for (int i = 0; i < ha; ++i, k += 2) adder(&in[size_t(k)], 2, col_out, carry);
      for (; k < n; ++k) col_out.push_back(in[size_t(k)]);
      col_out.insert(col_out.end(), next[size_t(w)].begin(), next[size_t(w)].end());
      next[size_t(w)] = std::move(col_out);
    }
    next.resize(size_t(W));
    cur = std::move(next);
    // Every column above d keeps >= 2 of its own bits to reduce, so each
    // stage lowers the height; guard against an endless loop all the same.
    if (height() >= h) throw std::logic_error("compressor tree: a reduction stage made no progress");
    ++st.stages;
  }
  std::string row[2];
  for (int r = 0; r < 2; ++r) {
    std::string cat;
    for (int w = W - 1; w >= 0; --w) {
      const auto& c = cur[size_t(w)];
      cat += (cat.empty() ? "" : ", ") + (size_t(r) < c.size() ? c[size_t(r)] : std::string(kZero));
    }
    row[r] = "{" + cat + "}";
  }
  o << cpa_header << "  // Carry-propagate add of the two rows (synthesis: a ripple chain of FA_X1).\n";
  o << "  wire [" << W - 1 << ":0] " << prefix << "_r0 = " << row[0] << ";\n";
  o << "  wire [" << W - 1 << ":0] " << prefix << "_r1 = " << row[1] << ";\n";
  o << "  wire [" << W - 1 << ":0] " << out << " = " << prefix << "_r0 + " << prefix << "_r1;\n";
  return st;
}

}  // namespace macforge::gen::pe

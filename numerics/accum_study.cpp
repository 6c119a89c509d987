#include "numerics/accum_study.hpp"
#include "numerics/shift.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <boost/multiprecision/cpp_int.hpp>

namespace macforge {
namespace {

using i128 = __int128;

int bitlen128(i128 v) {
  unsigned __int128 u = v < 0 ? (unsigned __int128)(-v) : (unsigned __int128)v;
  int n = 0;
  while (u) {
    u >>= 1;
    ++n;
  }
  return n;
}

// Block scale of operand row r at K index k as sig * 2^exp; false if NaN.
bool scale_of(const QMatrix& q, size_t r, size_t k, int64_t& sig, int& exp) {
  sig = 1;
  exp = 0;
  if (!q.fmt.has_block_scale()) return true;
  uint32_t c = q.scale_code(r, k / q.block_len());
  if (q.fmt.scale == ScaleKind::E8M0) {
    if (c == 0xFF) return false;
    exp = int(c) - 127;
    return true;
  }
  static const ElemFormat e4m3 = parse_elem_format("fp8_e4m3");
  c &= 0x7F;  // ue4m3: no sign
  if (e4m3.is_nan(c)) return false;
  e4m3.to_sig_exp(c, sig, exp);
  return true;
}

double fp32_scale(const QMatrix& q, size_t r) {
  if (q.fmt.has_tensor_scale()) return double(q.tensor_gd);
  return double(q.channel_scale(r));
}

}  // namespace

double exact_dot(const QMatrix& A, size_t m, const QMatrix& B, size_t n) {
  if (A.cols != B.cols) throw FormatError("exact_dot: operands differ in K");
  const ElemFormat &fa = A.fmt.elem, &fb = B.fmt.elem;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::pair<i128, int>> terms;
  terms.reserve(A.cols);
  int lsb = std::numeric_limits<int>::max(), top = std::numeric_limits<int>::min();
  for (size_t k = 0; k < A.cols; ++k) {
    uint32_t ca = A.code(m, k), cb = B.code(n, k);
    if (fa.is_nan(ca) || fa.is_inf(ca) || fb.is_nan(cb) || fb.is_inf(cb)) return nan;
    int64_t sa, sb, ta, tb;
    int ea, eb, xa, xb;
    if (!scale_of(A, m, k, ta, xa) || !scale_of(B, n, k, tb, xb)) return nan;
    fa.to_sig_exp(ca, sa, ea);
    fb.to_sig_exp(cb, sb, eb);
    // Integer elements inside an e8m0 block carry the implicit 2^-(N-2).
    ea += A.fmt.int_implicit_exp();
    eb += B.fmt.int_implicit_exp();
    i128 s = i128(sa) * sb * ta * tb;
    if (s == 0) continue;
    int e = ea + eb + xa + xb;
    terms.emplace_back(s, e);
    lsb = std::min(lsb, e);
    top = std::max(top, e + bitlen128(s));
  }
  double g = 1.0;
  bool ta = A.fmt.has_tensor_scale() || A.fmt.has_fp32_scale();
  bool tb = B.fmt.has_tensor_scale() || B.fmt.has_fp32_scale();
  if (ta || tb) g = fp32_scale(A, m) * fp32_scale(B, n);  // two floats: exact in double
  if (terms.empty()) return 0.0;
  int kbits = bitlen128(i128(terms.size())) + 1;
  double sum;
  if (top - lsb + kbits < 126) {
    i128 acc = 0;
    for (const auto& t : terms) acc += shl(t.first, t.second - lsb);
    sum = std::ldexp(double(acc), lsb);  // one rounding (RNE)
  } else {
    // Operands of very different magnitude: no fixed window fits int128.
    boost::multiprecision::cpp_int acc = 0;
    for (const auto& t : terms) {
      boost::multiprecision::cpp_int v = static_cast<long long>(t.first >> 64);
      v <<= 64;
      v += static_cast<unsigned long long>(static_cast<unsigned __int128>(t.first) & ~0ull);
      acc += v << (t.second - lsb);
    }
    sum = std::ldexp(acc.convert_to<double>(), lsb);
  }
  return sum * g;
}

std::vector<double> exact_gemm(const QMatrix& A, const QMatrix& B) {
  std::vector<double> E(A.rows * B.rows);
  for (size_t m = 0; m < A.rows; ++m)
    for (size_t n = 0; n < B.rows; ++n) E[m * B.rows + n] = exact_dot(A, m, B, n);
  return E;
}

double rel_fro_error(const std::vector<float>& C, const std::vector<double>& E) {
  double num = 0, den = 0;
  for (size_t i = 0; i < C.size(); ++i) {
    double d = double(C[i]) - E[i];
    num += d * d;
    den += E[i] * E[i];
  }
  if (num == 0) return 0.0;
  return std::sqrt(num / den);
}

std::vector<AccumStudyCell> run_accum_study(const AccumStudySpec& s) {
  if (s.modes.empty()) throw FormatError("accumulation study: no modes");
  if (s.data.empty()) throw FormatError("accumulation study: no data");
  std::vector<AccumStudyCell> cells;
  for (size_t d = 0; d < s.data.size(); ++d) {
    for (size_t K : s.K) {
      std::vector<AccumStudyCell> row(s.modes.size());
      for (int sd = 0; sd < s.seeds; ++sd) {
        uint64_t seed = s.seed + uint64_t(sd);
        // A and B from independent streams; the same data for every mode.
        std::vector<float> xa = draw(s.data[d].dist, s.M * K, seed * 2 + 0x9E3779B97F4A7C15ull * K);
        std::vector<float> xb = draw(s.data[d].dist, s.N * K, seed * 2 + 1 + 0x9E3779B97F4A7C15ull * K);
        std::vector<double> X(s.M * s.N, 0.0);
        for (size_t m = 0; m < s.M; ++m)
          for (size_t n = 0; n < s.N; ++n) {
            double acc = 0;
            for (size_t k = 0; k < K; ++k) acc += double(xa[m * K + k]) * double(xb[n * K + k]);
            X[m * s.N + n] = acc;
          }
        // Operands and exact results are shared by the modes of one format.
        std::map<std::string, std::pair<std::pair<QMatrix, QMatrix>, std::vector<double>>> by_format;
        for (size_t i = 0; i < s.modes.size(); ++i) {
          const AccumStudyMode& md = s.modes[i];
          std::string key = md.format.name + "|" + rule_name(md.rule);
          auto it = by_format.find(key);
          if (it == by_format.end()) {
            QMatrix A = quantize(md.format, md.rule, xa.data(), s.M, K);
            QMatrix B = quantize(md.format, md.rule, xb.data(), s.N, K);
            std::vector<double> E = exact_gemm(A, B);
            it = by_format.emplace(key, std::make_pair(std::make_pair(std::move(A), std::move(B)), std::move(E))).first;
          }
          const auto& ops = it->second.first;
          const std::vector<double>& E = it->second.second;
          std::vector<float> C = gemm(ops.first, ops.second, md.acc);
          double r = rel_fro_error(C, E);
          double qn = 0, qd = 0;
          for (size_t j = 0; j < X.size(); ++j) {
            qn += (E[j] - X[j]) * (E[j] - X[j]);
            qd += X[j] * X[j];
          }
          row[i].rel_err += r / s.seeds;
          row[i].rel_err_max = std::max(row[i].rel_err_max, r);
          row[i].quant_err += (qd > 0 ? std::sqrt(qn / qd) : 0.0) / s.seeds;
        }
      }
      for (size_t i = 0; i < s.modes.size(); ++i) {
        row[i].mode = i;
        row[i].data = d;
        row[i].K = K;
        cells.push_back(row[i]);
      }
    }
  }
  return cells;
}

}  // namespace macforge

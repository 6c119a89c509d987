#include "sim/fast_gemm.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace macforge::sim {
namespace {

typedef double v4d __attribute__((vector_size(32)));

QMatrix row_slice(const QMatrix& q, size_t r0, size_t r1) {
  QMatrix s;
  s.fmt = q.fmt;
  s.rule = q.rule;
  s.rows = r1 - r0;
  s.cols = q.cols;
  s.codes.assign(q.codes.begin() + std::ptrdiff_t(r0 * q.cols), q.codes.begin() + std::ptrdiff_t(r1 * q.cols));
  if (!q.scale_codes.empty()) {
    size_t nb = q.blocks_per_row();
    s.scale_codes.assign(q.scale_codes.begin() + std::ptrdiff_t(r0 * nb),
                         q.scale_codes.begin() + std::ptrdiff_t(r1 * nb));
  }
  if (q.chan_scale.size() > 1)
    s.chan_scale.assign(q.chan_scale.begin() + std::ptrdiff_t(r0), q.chan_scale.begin() + std::ptrdiff_t(r1));
  else
    s.chan_scale = q.chan_scale;
  s.tensor_amax = q.tensor_amax;
  s.tensor_gd = q.tensor_gd;
  return s;
}

int bits_of(double maxabs) { return maxabs < 1 ? 0 : int(std::ceil(std::log2(maxabs + 1.0))); }

// Sums of products of one group for a 4 x 4 block of outputs: rows a[0..3],
// columns the 4-wide panel bp (k-major). Every product and partial sum is an
// exact integer in double, so the order of additions does not matter. Cloned
// for AVX2 (chosen at load time when the CPU has it) and plain x86-64.
#if defined(__x86_64__) && defined(__GLIBC__)
#define MF_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MF_CLONES
#endif
MF_CLONES void group_dot4x4(const double* const a[4], const double* bp,
                                                                      size_t k0, size_t k1, v4d out[4]) {
  v4d s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
  const double *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
  for (size_t k = k0; k < k1; ++k) {
    v4d b;
    __builtin_memcpy(&b, bp + k * 4, sizeof b);
    s0 += a0[k] * b;
    s1 += a1[k] * b;
    s2 += a2[k] * b;
    s3 += a3[k] * b;
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

}  // namespace

bool TileGemm::prepare(Operand& o, const QMatrix& q) {
  const ElemFormat& f = q.fmt.elem;
  o.q = &q;
  if (f.bits > 16) return false;
  int ie = q.fmt.int_implicit_exp();
  o.lsb = (f.is_int() ? 0 : f.emin() - f.mbits) + ie;
  o.fixed.assign(f.num_codes(), 0.0);
  o.special.assign(f.num_codes(), 0);
  double maxabs = 0;
  for (uint32_t c = 0; c < f.num_codes(); ++c) {
    if (f.is_nan(c) || f.is_inf(c)) {
      o.special[c] = 1;
      continue;
    }
    int64_t s;
    int e;
    f.to_sig_exp(c, s, e);
    int sh = e + ie - o.lsb;
    if (sh > 60) return false;
    o.fixed[c] = std::ldexp(double(s), sh);
    maxabs = std::max(maxabs, std::fabs(o.fixed[c]));
  }
  if (bits_of(maxabs) > 26) return false;
  // Block scales per (row, block): significand and exponent, NaN flags.
  o.blocks = q.blocks_per_row();
  o.blen = q.block_len();
  size_t rows = q.rows;
  o.scale_sig.assign(rows * o.blocks, 1.0);
  o.scale_exp.assign(rows * o.blocks, 0);
  o.row_special.assign(rows, 0);
  static const ElemFormat e4m3 = parse_elem_format("fp8_e4m3");
  if (q.fmt.has_block_scale()) {
    for (size_t r = 0; r < rows; ++r)
      for (size_t b = 0; b < o.blocks; ++b) {
        uint32_t c = q.scale_code(r, b);
        size_t i = r * o.blocks + b;
        if (q.fmt.scale == ScaleKind::E8M0) {
          if (c == 0xFF) o.row_special[r] = 1;
          o.scale_exp[i] = int(c) - 127;
        } else {
          c &= 0x7F;
          if (e4m3.is_nan(c)) {
            o.row_special[r] = 1;
            continue;
          }
          int64_t s;
          int e;
          e4m3.to_sig_exp(c, s, e);
          o.scale_sig[i] = double(s);
          o.scale_exp[i] = e;
        }
      }
  }
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < q.cols && !o.row_special[r]; ++k)
      if (o.special[q.codes[r * q.cols + k]]) o.row_special[r] = 1;
  o.scale_val.resize(o.scale_sig.size());
  for (size_t i = 0; i < o.scale_sig.size(); ++i) o.scale_val[i] = std::ldexp(o.scale_sig[i], o.scale_exp[i] + o.lsb);
  return true;
}

TileGemm::TileGemm(const QMatrix& A, const QMatrix& B, const AccumSpec& acc) : A_(A), B_(B), acc_(acc) {
  G_ = accum_group(A, B, acc);
  if (acc.mode != AccumMode::ExactBlock || A.cols != B.cols) return;
  if (!prepare(a_, A) || !prepare(b_, B)) return;
  // Exactness: |sum of G products| * scale significands < 2^53.
  double ma = 0, mb = 0;
  for (double v : a_.fixed) ma = std::max(ma, std::fabs(v));
  for (double v : b_.fixed) mb = std::max(mb, std::fabs(v));
  int sa = A.fmt.scale == ScaleKind::UE4M3 ? 4 : 0, sb = B.fmt.scale == ScaleKind::UE4M3 ? 4 : 0;
  int need = bits_of(ma) + bits_of(mb) + bits_of(double(G_)) + sa + sb;
  fast_ = need <= 52;
}

void TileGemm::reference_tile(size_t m0, size_t m1, size_t n0, size_t n1, float* C, size_t ldc) {
  ++reference_tiles;
  QMatrix a = row_slice(A_, m0, m1), b = row_slice(B_, n0, n1);
  std::vector<float> c = gemm(a, b, acc_);
  size_t nn = n1 - n0;
  for (size_t i = 0; i < a.rows; ++i) std::copy_n(c.begin() + std::ptrdiff_t(i * nn), nn, C + (m0 + i) * ldc + n0);
}

const std::vector<double>& TileGemm::decoded(bool a, size_t r0, size_t r1) {
  uint64_t key = (uint64_t(a) << 63) | (uint64_t(r0) << 31) | uint64_t(r1);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  const size_t K = A_.cols, rows = r1 - r0;
  std::vector<double> d;
  if (a) {
    d.assign((rows + 3) / 4 * 4 * K, 0.0);
    for (size_t i = 0; i < rows; ++i) {
      const uint32_t* c = &A_.codes[(r0 + i) * K];
      for (size_t k = 0; k < K; ++k) d[i * K + k] = a_.fixed[c[k]];
    }
  } else {
    d.assign((rows + 3) / 4 * K * 4, 0.0);
    for (size_t j = 0; j < rows; ++j) {
      const uint32_t* c = &B_.codes[(r0 + j) * K];
      double* p = &d[(j / 4) * K * 4 + (j % 4)];
      for (size_t k = 0; k < K; ++k) p[k * 4] = b_.fixed[c[k]];
    }
  }
  cache_bytes_ += d.size() * sizeof(double);
  return cache_.emplace(key, std::move(d)).first->second;
}

void TileGemm::compute(size_t m0, size_t m1, size_t n0, size_t n1, float* C, size_t ldc) {
  bool special = false;
  if (fast_) {
    for (size_t m = m0; m < m1; ++m) special |= a_.row_special[m] != 0;
    for (size_t n = n0; n < n1; ++n) special |= b_.row_special[n] != 0;
  }
  if (!fast_ || special) {
    reference_tile(m0, m1, n0, n1, C, ldc);
    return;
  }
  ++fast_tiles;
  const size_t K = A_.cols, mr = m1 - m0, nr = n1 - n0;
  const size_t mr4 = (mr + 3) / 4 * 4, np = (nr + 3) / 4;
  // Decoded rows are kept while they fit the budget (both references below
  // stay valid: nothing is evicted between the two lookups).
  constexpr size_t kBudget = size_t(512) << 20;
  if (cache_bytes_ > kBudget) {
    cache_.clear();
    cache_bytes_ = 0;
  }
  const std::vector<double>& ad = decoded(true, m0, m1);
  const std::vector<double>& bd = decoded(false, n0, n1);
  const bool ta = A_.fmt.has_tensor_scale() || A_.fmt.has_fp32_scale();
  const bool tb = B_.fmt.has_tensor_scale() || B_.fmt.has_fp32_scale();
  const size_t groups = (K + G_ - 1) / G_;
  float acc[4][4];
  for (size_t i0 = 0; i0 < mr4; i0 += 4)
    for (size_t p = 0; p < np; ++p) {
      for (auto& row : acc) std::fill(row, row + 4, 0.0f);
      const double* bp = &bd[p * K * 4];
      const double* rows[4] = {&ad[(i0 + 0) * K], &ad[(i0 + 1) * K], &ad[(i0 + 2) * K], &ad[(i0 + 3) * K]};
      // Rows and columns past the tile are zero (their sums are 0 and are
      // skipped); their scale lookups use the tile's first row / column.
      size_t arow[4], bcol[4];
      for (int t = 0; t < 4; ++t) {
        arow[t] = (i0 + size_t(t) < mr ? m0 + i0 + size_t(t) : m0) * a_.blocks;
        bcol[t] = (p * 4 + size_t(t) < nr ? n0 + p * 4 + size_t(t) : n0) * b_.blocks;
      }
      for (size_t g = 0; g < groups; ++g) {
        size_t k0 = g * G_, k1 = std::min(K, k0 + G_);
        v4d sums[4];
        group_dot4x4(rows, bp, k0, k1, sums);
        const size_t ab = k0 / a_.blen, bb_ = k0 / b_.blen;
        double bv[4];
        for (int jj = 0; jj < 4; ++jj) bv[jj] = b_.scale_val[bcol[jj] + bb_];
        for (int ii = 0; ii < 4; ++ii) {
          const double av = a_.scale_val[arow[ii] + ab];
          for (int jj = 0; jj < 4; ++jj) {
            double S = sums[ii][jj];
            if (S == 0.0) continue;
            float& ac = acc[ii][jj];
            if (std::isinf(ac)) continue;  // finite additions leave an infinite sum alone
            // The block value S * scaleA * scaleB (times the element units):
            // exact, its significand is below 2^53.
            double v = S * (av * bv[jj]);
            if (v == 0.0) continue;
            double x = double(ac);
            // TwoSum: d + err == x + v exactly.
            double d = x + v, z = d - x, err = (x - (d - z)) + (v - z);
            if (err == 0.0 && std::isfinite(d)) {
              ac = float(d);
              continue;
            }
            size_t ai = arow[ii] + ab, bi = bcol[jj] + bb_;
            double sig = S * a_.scale_sig[ai] * b_.scale_sig[bi];
            int e = a_.lsb + b_.lsb + a_.scale_exp[ai] + b_.scale_exp[bi];
            ac = add_round_f32(ac, __int128(int64_t(sig)), e);
          }
        }
      }
      for (int ii = 0; ii < 4; ++ii) {
        size_t i = i0 + size_t(ii);
        if (i >= mr) break;
        for (int jj = 0; jj < 4; ++jj) {
          size_t jn = p * 4 + size_t(jj);
          if (jn >= nr) break;
          float r = acc[ii][jj];
          if (ta || tb) {  // tensor / channel scales last: C = RNE32(acc * RNE32(gA * gB))
            float ga = A_.fmt.has_tensor_scale() ? A_.tensor_gd : A_.channel_scale(m0 + i);
            float gb = B_.fmt.has_tensor_scale() ? B_.tensor_gd : B_.channel_scale(n0 + jn);
            float gg = ga * gb;
            r = r * gg;
          }
          C[(m0 + i) * ldc + n0 + jn] = r;
        }
      }
    }
}

}  // namespace macforge::sim

#include "numerics/qsnr_study.hpp"

#include "numerics/quantize.hpp"

namespace macforge {

QsnrResult measure_qsnr(const BlockFormat& fmt, Rule rule, const QsnrSetup& s) {
  check_rule(fmt, rule);
  if (s.n == 0) throw FormatError("n must be at least 1");
  Distribution d = s.dist;
  size_t crest_block = fmt.has_block_scale() ? size_t(fmt.block) : 32;
  d.crest_block = crest_block;
  std::vector<float> x = draw(d, s.n, s.seed);
  QsnrResult r;
  r.crest_mean = crest_mean(x.data(), x.size(), crest_block);
  std::vector<float> y = x;
  uint64_t rot_seed = s.seed * 0x2545F4914F6CDD1Dull + 7;
  if (s.rotate) hadamard_rotate(y.data(), y.size(), s.rotate_block, rot_seed);
  r.crest_mean_quantized = crest_mean(y.data(), y.size(), crest_block);
  QMatrix q = quantize(fmt, rule, y.data(), 1, y.size());
  std::vector<float> yq = q.dequant;
  // Rotation is orthonormal: measure in the original domain after undoing it.
  if (s.rotate) hadamard_unrotate(yq.data(), yq.size(), s.rotate_block, rot_seed);
  r.qsnr_db = qsnr_db(x.data(), yq.data(), x.size());
  return r;
}

}  // namespace macforge

// Accuracy metrics and test-data generation (FORMATS.md section 6): QSNR,
// crest factor, seeded random distributions and the random Hadamard rotation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace macforge {

// -10 log10(||x - xq||^2 / ||x||^2) in float64. +inf when exact.
double qsnr_db(const float* x, const float* xq, size_t n);

// Mean over blocks of max|x| / std(x) (population std). Blocks of zero
// spread are skipped.
double crest_mean(const float* x, size_t n, size_t block);

struct Distribution {
  enum Kind { Gaussian, Laplace, StudentT } kind = Gaussian;
  double nu = 3.0;          // Student-t degrees of freedom
  double outlier_p = 0.0;   // each value multiplied by outlier_mag with this probability
  double outlier_mag = 1.0;
  double crest = 0.0;       // >0: each block's largest |x| set to crest * std(block)
  size_t crest_block = 32;
};
// "gaussian" | "laplace" | "student-t:NU"; throws FormatError.
Distribution parse_distribution(const std::string& s);

// n float32 draws, deterministic for a seed.
std::vector<float> draw(const Distribution& d, size_t n, uint64_t seed);

// In-place random Hadamard rotation of consecutive blocks of `block` values
// (16 or 32): x <- H D x / sqrt(block), D a seeded random +-1 diagonal. The
// inverse undoes it. A trailing partial block is left as it is.
void hadamard_rotate(float* x, size_t n, size_t block, uint64_t seed);
void hadamard_unrotate(float* x, size_t n, size_t block, uint64_t seed);

}  // namespace macforge

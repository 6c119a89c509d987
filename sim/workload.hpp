// Workloads: one GEMM (--gemm M,N,K) or a list of them (--layers FILE.csv).
//
// C[M][N] = sum_k A[M][K] * B[N][K]; A are the activations (input buffer), B
// the weights (weight buffer, one row per output channel), C float32.
//
// Layer file: CSV whose header names the columns: `name,M,N,K` (required) and
// optionally `count` (the GEMM is run that many times back to back, e.g. once
// per attention head; default 1) and `format` (the mode of a multi-format
// array the layer runs in: a mode's format such as `nvint4`, `A/B` for mixed
// operands, or its number `0`/`1`; empty = mode 0). Columns may come in any
// order. Blank lines and lines starting with '#' are skipped. The format is
// resolved against the array by resolve_modes() (sim/run.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace macforge::sim {

struct Gemm {
  std::string name = "gemm";
  int64_t M = 0, N = 0, K = 0;
  int64_t count = 1;
  std::string format;  // the layer file's format cell as written ("" = mode 0)
  int mode = -1;       // the array mode it runs in (resolve_modes sets it from format);
                       // -1: the mode of the ArraySpec it is run on (ArraySpec::mode)
  std::string origin;  // file and line of the layer, for messages ("" for --gemm)
  int line = 0;
  double macs() const { return double(M) * double(N) * double(K) * double(count); }
};

// "M,N,K" with positive integers; throws FormatError ("--gemm '0,4,4': M must be
// a positive integer").
Gemm parse_gemm(const std::string& text);

// Reads a layer file. Errors name the file and line: "layers.csv:3: K must be a
// positive integer (got '-5')". Throws FormatError (malformed) or
// std::runtime_error (cannot open).
std::vector<Gemm> load_layers(const std::string& path);
std::vector<Gemm> parse_layers(const std::string& text, const std::string& origin);

// The GEMMs of one transformer block (the benchmark workload): hidden H,
// sequence S, `heads` attention heads, MLP width ffn (default 4H).
std::vector<Gemm> transformer_block(int64_t hidden, int64_t seq, int64_t heads, int64_t ffn = 0);

}  // namespace macforge::sim

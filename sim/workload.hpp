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
//
// Convolution rows (docs/timing_model.md section 11): the header may instead
// (or as well) name the columns `in_h,in_w,filter_h,filter_w,channels,filters`
// and optionally `stride` (default 1) and `pad` (zeros on each side, default
// 0). A row that fills them is lowered by im2col as SCALE-Sim does
// (conv_to_gemm); in a header with both groups each row fills exactly one
// group and leaves the other's cells empty.
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

// A convolution layer: input H x W x C, F filters of Fh x Fw x C, strides
// Sh/Sw, Ph/Pw zeros on each side (top and bottom / left and right).
struct ConvShape {
  int64_t H = 0, W = 0, Fh = 0, Fw = 0, C = 0, F = 0;
  int64_t Sh = 1, Sw = 1, Ph = 0, Pw = 0;
  // Output size rule. false: PyTorch/ONNX, floor((H + 2P - Fh) / S) + 1 (the
  // layer file). true: SCALE-Sim v2 (topology_utils.py topo_calc_hyperparams),
  // ceil((H - Fh + S) / S) = ceil((H - Fh) / S) + 1 with P = 0: a last window
  // that runs past the input still counts when S does not divide H - Fh.
  bool scalesim_ceil = false;
  int64_t out_h() const { return out(H, Fh, Sh, Ph); }
  int64_t out_w() const { return out(W, Fw, Sw, Pw); }
  int64_t out(int64_t n, int64_t f, int64_t s, int64_t p) const {
    return scalesim_ceil ? (n - f + s + s - 1) / s : (n + 2 * p - f) / s + 1;
  }
};

// im2col lowering as SCALE-Sim does it (topology_utils.py
// get_transformed_mnk_dimensions): M = Ho * Wo output pixels, K = Fh * Fw * C
// window elements, N = F filters. Returns "" and sets g.M/N/K, or a one-line
// error (a filter larger than its padded input, sizes out of range).
std::string conv_to_gemm(const ConvShape& c, Gemm& g);

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

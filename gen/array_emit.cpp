#include "gen/array_emit.hpp"

#include <algorithm>
#include <stdexcept>

namespace macforge::gen {

GScale gscale_of(const BlockFormat& f) {
  if (f.has_tensor_scale()) return GScale::Tensor;  // NV two-level: fp32 gD per tensor
  if (f.has_fp32_scale()) return f.gran == Granularity::Channel ? GScale::Channel : GScale::Tensor;
  return GScale::None;
}

namespace {

std::string str(long long v) { return std::to_string(v); }

// Every size the emitters need, named once.
struct Dims {
  int R, C, L, AB, BB, AW, BW, Q, QB, RB, LAT;
  bool as, bs;  // block scale ports
  GScale ga, gb;  // over all modes (Channel > Tensor > None): what the ports carry
  int GAW, GBW;  // widths of the tensor/channel scale inputs (0: none)
  bool ws;
  // Multi-format PEs: MB = 1 adds in_mode (a 1-bit field of every control
  // word); mga/mgb are each mode's own tensor/channel scales.
  int modes = 1, MB = 0;
  GScale mga[2] = {GScale::None, GScale::None}, mgb[2] = {GScale::None, GScale::None};
  bool mscaled(int m) const { return mga[m] != GScale::None || mgb[m] != GScale::None; }
};

GScale wider(GScale x, GScale y) {
  if (x == GScale::Channel || y == GScale::Channel) return GScale::Channel;
  return x == GScale::Tensor || y == GScale::Tensor ? GScale::Tensor : GScale::None;
}

// The operand formats of mode m (mode 0 is the config's own a x b).
const BlockFormat& mode_a(const ArrayConfig& c, const PeInfo& pe, int m) {
  return m > 0 && int(pe.mode.size()) > m ? pe.mode[size_t(m)].a : c.a;
}
const BlockFormat& mode_b(const ArrayConfig& c, const PeInfo& pe, int m) {
  return m > 0 && int(pe.mode.size()) > m ? pe.mode[size_t(m)].b : c.b;
}
int pe_modes(const PeInfo& pe) { return pe.mode.size() >= 2 ? 2 : 1; }

Dims dims_of(const ArrayConfig& c, const PeInfo& pe) {
  Dims d;
  d.R = c.rows;
  d.C = c.cols;
  d.L = c.lanes;
  d.AB = pe.a_bits;
  d.BB = pe.b_bits;
  d.modes = pe_modes(pe);
  d.MB = d.modes > 1 ? 1 : 0;
  // The operand buses are the PE's ports: the wider of the modes' LANES_m x BITS_m.
  d.AW = d.modes > 1 ? pe.a_port_bits : d.L * d.AB;
  d.BW = d.modes > 1 ? pe.b_port_bits : d.L * d.BB;
  d.Q = c.chunks_per_group();
  // WS weight banks hold the longest group of any mode (in chunks).
  for (int m = 1; m < d.modes; ++m) d.Q = std::max(d.Q, pe.mode[size_t(m)].group / pe.mode[size_t(m)].lanes);
  d.QB = vbits(d.Q);
  d.RB = vbits(d.R);
  d.LAT = pe.latency;
  d.as = pe.a_scale;
  d.bs = pe.b_scale;
  d.ws = c.dataflow == Dataflow::WeightStationary;
  d.ga = d.gb = GScale::None;
  for (int m = 0; m < d.modes; ++m) {
    d.mga[m] = gscale_of(mode_a(c, pe, m));
    d.mgb[m] = gscale_of(mode_b(c, pe, m));
    d.ga = wider(d.ga, d.mga[m]);
    d.gb = wider(d.gb, d.mgb[m]);
  }
  // WS streams one activation row at a time: A's scale is one float32 per row.
  d.GAW = d.ga == GScale::None ? 0 : (d.ga == GScale::Channel && !d.ws ? d.R * 32 : 32);
  d.GBW = d.gb == GScale::None ? 0 : (d.gb == GScale::Channel ? d.C * 32 : 32);
  return d;
}

std::string idx(int i, int j) { return str(i) + "_" + str(j); }

// One PE instance; the caller names the nets feeding it.
std::string pe_instance(const std::string& pe, const Dims& d, const std::string& inst, const std::string& ctl_first,
                        const std::string& ctl_valid, const std::string& ctl_blk_last, const std::string& ctl_last,
                        const std::string& a, const std::string& as, const std::string& b, const std::string& bs,
                        const std::string& acc_in, const std::string& out_valid, const std::string& out_acc,
                        const std::string& mode) {
  std::string s = "  " + pe + " " + inst + " (\n";
  s += "    .clk(clk),\n    .rst(rst),\n";
  s += "    .in_valid(" + ctl_valid + "),\n";
  if (d.MB) s += "    .in_mode(" + mode + "),\n";
  s += "    .in_first(" + ctl_first + "),\n";
  s += "    .in_blk_last(" + ctl_blk_last + "),\n    .in_last(" + ctl_last + "),\n";
  s += "    .in_a(" + a + "),\n    .in_b(" + b + "),\n";
  if (d.as) s += "    .in_a_scale(" + as + "),\n";
  if (d.bs) s += "    .in_b_scale(" + bs + "),\n";
  if (!acc_in.empty()) s += "    .in_acc(" + acc_in + "),\n";
  s += "    .out_valid(" + out_valid + "),\n    .out_acc(" + out_acc + ")\n  );\n";
  return s;
}

// ---- output-stationary grid -------------------------------------------------
// Inputs arrive skewed at the left edge (A rows, control) and the top edge (B
// columns). A and the control move right, B moves down, one PE per cycle.
// Each PE position is a cell module: the PE and the registers that bring its
// operands from the left neighbour (`left`, all but column 0) and from the one
// above (`top`, all but row 0). Cells of one kind are one module.
// The operand `v` (and `v_scale` with `scaled`) a cell's PE sees: registered
// from the ports v_i / v_scale_i when `reg` (the neighbour's copy arrives one
// cycle early), else the ports themselves; with its assign to v_o / v_scale_o.
std::string cell_operand(const std::string& v, int width, bool scaled, bool reg) {
  std::string s;
  if (reg) {
    s += "  reg " + vrange(width) + v + ";\n" + (scaled ? "  reg [7:0] " + v + "_scale;\n" : "");
    s += "  always @(posedge clk) " + v + " <= " + v + "_i;\n";
    if (scaled) s += "  always @(posedge clk) " + v + "_scale <= " + v + "_scale_i;\n";
  } else {
    s += "  wire " + vrange(width) + v + " = " + v + "_i;\n" +
         (scaled ? "  wire [7:0] " + v + "_scale = " + v + "_scale_i;\n" : "");
  }
  return s;
}

std::string cell_operand_out(const std::string& v, bool scaled) {
  return "  assign " + v + "_o = " + v + ";\n" + (scaled ? "  assign " + v + "_scale_o = " + v + "_scale;\n" : "");
}

std::string os_cell(ModuleSet& ms, const std::string& pe, const Dims& d, bool left, bool top) {
  std::string name = ms.prefix + "os_cell" + (left ? "_l" : "") + (top ? "_t" : "");
  if (ms.has(name)) return name;
  std::string from_a = left ? "from the left neighbour (registered here)" : "from the row input",
              from_b = top ? "from the PE above (registered here)" : "from the column input";
  std::vector<Port> ports = {{"clk", true, 1, ""},
                             {"rst", true, 1, ""},
                             {"ctl", true, 4 + d.MB,
                              std::string(d.MB ? "{mode, " : "{") + "last, blk_last, first, valid}, delayed i + j cycles by the top"},
                             {"a_i", true, d.AW, "one chunk of A " + from_a}};
  if (d.as) ports.push_back({"a_scale_i", true, 8, "its block scale code"});
  ports.push_back({"b_i", true, d.BW, "one chunk of B " + from_b});
  if (d.bs) ports.push_back({"b_scale_i", true, 8, "its block scale code"});
  ports.push_back({"a_o", false, d.AW, "the A chunk this PE sees (to the right neighbour)"});
  if (d.as) ports.push_back({"a_scale_o", false, 8, ""});
  ports.push_back({"b_o", false, d.BW, "the B chunk this PE sees (to the PE below)"});
  if (d.bs) ports.push_back({"b_scale_o", false, 8, ""});
  ports.push_back({"valid", false, 1, "the PE's out_valid"});
  ports.push_back({"acc", false, 32, "the PE's float32 out_acc"});
  std::string s = "// " + name + ": one PE position of the output-stationary grid" +
                  (left || top ? std::string(" with its operand registers") : "") + ".\n";
  s += module_header(name, ports);
  s += cell_operand("a", d.AW, d.as, left) + cell_operand("b", d.BW, d.bs, top);
  s += "  assign a_o = a;\n  assign b_o = b;\n";
  if (d.as) s += "  assign a_scale_o = a_scale;\n";
  if (d.bs) s += "  assign b_scale_o = b_scale;\n";
  s += pe_instance(pe, d, "u_pe", "ctl[1]", "ctl[0]", "ctl[2]", "ctl[3]", "a", "a_scale", "b", "b_scale", "", "valid",
                   "acc", "ctl[4]");
  ms.add(name, s + "endmodule\n");
  return name;
}

std::string os_grid(ModuleSet& ms, const std::string& name, const std::string& pe, const Dims& d) {
  std::vector<Port> ports = {
      {"clk", true, 1, ""},
      {"rst", true, 1, ""},
      {"ctl_tap", true, (d.R + d.C - 1) * (4 + d.MB),
       std::string("tap t: {") + (d.MB ? "mode, " : "") + "last, blk_last, first, valid} delayed t cycles, at [t*" +
           str(4 + d.MB) + " +: " + str(4 + d.MB) + "]; PE (i,j) takes tap i+j"},
      {"row_a", true, d.R * d.AW, "row i: one chunk of A at [i*" + str(d.AW) + " +: " + str(d.AW) + "]"},
  };
  if (d.as) ports.push_back({"row_a_scale", true, d.R * 8, "row i: block scale code of the chunk"});
  ports.push_back({"col_b", true, d.C * d.BW, "column j: one chunk of B, already skewed by j cycles"});
  if (d.bs) ports.push_back({"col_b_scale", true, d.C * 8, "column j: block scale code of the chunk"});
  ports.push_back({"pe_valid", false, d.R * d.C, "PE (i,j) at bit i*" + str(d.C) + "+j: its out_valid"});
  ports.push_back({"pe_acc", false, d.R * d.C * 32, "PE (i,j): its float32 out_acc"});

  std::string s = "// " + name + ": " + str(d.R) + " x " + str(d.C) +
                  " output-stationary PE grid with systolic operand forwarding (cells u_cell_i_j).\n";
  s += module_header(name, ports);
  s += "\n  // Operands seen by PE (i,j), passed on to its right (a) and lower (b) neighbours.\n";
  auto out_name = [](const std::string& sig, bool used, const std::string& k) {
    return (used ? "" : "unused_") + sig + "_" + k;
  };
  for (int i = 0; i < d.R; ++i)
    for (int j = 0; j < d.C; ++j) {
      std::string k = idx(i, j);
      bool right = j + 1 < d.C, down = i + 1 < d.R;
      s += "  wire " + vrange(d.AW) + out_name("a", right, k) + ";\n";
      if (d.as) s += "  wire [7:0] " + out_name("as", right, k) + ";\n";
      s += "  wire " + vrange(d.BW) + out_name("b", down, k) + ";\n";
      if (d.bs) s += "  wire [7:0] " + out_name("bs", down, k) + ";\n";
    }
  s += "\n";
  for (int i = 0; i < d.R; ++i)
    for (int j = 0; j < d.C; ++j) {
      std::string k = idx(i, j), l = j > 0 ? idx(i, j - 1) : "", u = i > 0 ? idx(i - 1, j) : "";
      bool right = j + 1 < d.C, down = i + 1 < d.R;
      int n = i * d.C + j;
      std::string cell = os_cell(ms, pe, d, j > 0, i > 0);
      s += "  " + cell + " u_cell_" + k + " (\n    .clk(clk),\n    .rst(rst),\n";
      s += "    .ctl(" + velem("ctl_tap", i + j, 4 + d.MB, (d.R + d.C - 1) * (4 + d.MB)) + "),\n";
      s += "    .a_i(" + (j == 0 ? velem("row_a", i, d.AW, d.R * d.AW) : "a_" + l) + "),\n";
      if (d.as) s += "    .a_scale_i(" + (j == 0 ? velem("row_a_scale", i, 8, d.R * 8) : "as_" + l) + "),\n";
      s += "    .b_i(" + (i == 0 ? velem("col_b", j, d.BW, d.C * d.BW) : "b_" + u) + "),\n";
      if (d.bs) s += "    .b_scale_i(" + (i == 0 ? velem("col_b_scale", j, 8, d.C * 8) : "bs_" + u) + "),\n";
      s += "    .a_o(" + out_name("a", right, k) + "),\n";
      if (d.as) s += "    .a_scale_o(" + out_name("as", right, k) + "),\n";
      s += "    .b_o(" + out_name("b", down, k) + "),\n";
      if (d.bs) s += "    .b_scale_o(" + out_name("bs", down, k) + "),\n";
      s += "    .valid(" + velem("pe_valid", n, 1, d.R * d.C) + "),\n    .acc(" + velem("pe_acc", n, 32, d.R * d.C * 32) +
           ")\n  );\n";
    }
  return s + "endmodule\n";
}

// ---- weight-stationary grid ---------------------------------------------------
// PE (i,j) holds block i of weight column j in two banks of Q chunks. The
// activations and the control move right one PE per cycle; the partial sums
// move down one PE row per LAT + 1 cycles (a register between rows).
// Control word: {chunk, bank, first, blk_last, valid}. Each PE position is a
// cell module (PE, weight banks, the registers of its inputs from the left
// neighbour and of the partial sum from above); cells of one kind are one module.
// Control taps of the WS grid: PE (i,j) sees the control i*D + j cycles late
// (D = LAT + 1); the delays that occur, ascending (with gaps when C < D).
std::vector<int> ws_taps(const Dims& d) {
  std::vector<int> t;
  for (int i = 0; i < d.R; ++i)
    for (int j = 0; j < d.C; ++j) t.push_back(i * (d.LAT + 1) + j);
  std::sort(t.begin(), t.end());
  t.erase(std::unique(t.begin(), t.end()), t.end());
  return t;
}

int tap_index(const std::vector<int>& taps, int delay) {
  return int(std::lower_bound(taps.begin(), taps.end(), delay) - taps.begin());
}

std::string ws_cell(ModuleSet& ms, const std::string& pe, const Dims& d, int CW, bool left, bool top) {
  std::string name = ms.prefix + "ws_cell" + (left ? "_l" : "") + (top ? "_t" : "");
  if (ms.has(name)) return name;
  std::string from_a = left ? "from the left neighbour (registered here)" : "from the row input";
  std::vector<Port> ports = {{"clk", true, 1, ""},
                             {"rst", true, 1, ""},
                             {"ctl", true, CW, std::string(d.MB ? "{mode, " : "{") + std::string(d.Q > 1 ? "chunk, " : "") +
                                                   "bank, first, blk_last, valid}, delayed i*D + j cycles by the top"},
                             {"a_i", true, d.AW, "one chunk of A " + from_a}};
  if (d.as) ports.push_back({"a_scale_i", true, 8, "its block scale code"});
  ports.push_back({"psum_i", true, 32,
                   top ? "out_acc of the PE above (registered here when psum_valid_i)" : "partial sum from the column input"});
  if (top) ports.push_back({"psum_valid_i", true, 1, "out_valid of the PE above"});
  ports.push_back({"w_sel0", true, 1, "write the weight chunk into bank 0 of this PE"});
  ports.push_back({"w_sel1", true, 1, "write the weight chunk into bank 1 of this PE"});
  if (d.Q > 1) ports.push_back({"w_chunk", true, d.QB, "chunk of the block written"});
  ports.push_back({"w_b", true, d.BW, "the weight chunk of this column"});
  if (d.bs) ports.push_back({"w_b_scale", true, 8, "its block scale code"});
  ports.push_back({"a_o", false, d.AW, "the A chunk this PE sees (to the right neighbour)"});
  if (d.as) ports.push_back({"a_scale_o", false, 8, ""});
  ports.push_back({"valid", false, 1, "the PE's out_valid"});
  ports.push_back({"acc", false, 32, "the PE's float32 out_acc"});
  std::string s = "// " + name + ": one PE position of the weight-stationary grid: the PE, its two weight banks" +
                  std::string(left || top ? " and its input registers" : "") + ".\n";
  s += module_header(name, ports);
  s += cell_operand("a", d.AW, d.as, left) + cell_operand_out("a", d.as);

  // Weight banks: w<bank>_<chunk>, block scale ws<bank>.
  s += "\n  // Weight banks: wB_q (bank B, chunk q) and the block scale wsB.\n";
  std::string wseq;
  for (int bank = 0; bank < 2; ++bank) {
    std::string sel = "w_sel" + str(bank);
    for (int q = 0; q < d.Q; ++q) {
      std::string r = "w" + str(bank) + "_" + str(q);
      s += "  reg " + vrange(d.BW) + r + ";\n";
      wseq += "    if (" + sel + (d.Q > 1 ? " & (w_chunk == " + vconst(d.QB, q) + ")" : "") + ") " + r + " <= w_b;\n";
    }
    if (d.bs) {
      s += "  reg [7:0] ws" + str(bank) + ";\n";
      wseq += "    if (" + sel + ") ws" + str(bank) + " <= w_b_scale;\n";
    }
  }
  s += "  always @(posedge clk) begin\n" + wseq + "  end\n";
  // Weight read: bank and chunk from the control word.
  int bank_bit = 3, chunk_lo = 4;
  std::string bank = "ctl[" + str(bank_bit) + "]";
  auto pick = [&](int b) {
    if (d.Q == 1) return "w" + str(b) + "_0";
    std::string chunk = vslice("ctl", chunk_lo, d.QB, CW), e;
    for (int q = 0; q < d.Q - 1; ++q) e += "(" + chunk + " == " + vconst(d.QB, q) + ") ? w" + str(b) + "_" + str(q) + " : ";
    return e + "w" + str(b) + "_" + str(d.Q - 1);
  };
  s += "  wire " + vrange(d.BW) + "b = " + bank + " ? (" + pick(1) + ") : (" + pick(0) + ");\n";
  if (d.bs) s += "  wire [7:0] b_scale = " + bank + " ? ws1 : ws0;\n";

  // Partial sum: the registered out_acc of the PE above.
  if (top)
    s += "  reg [31:0] psum;\n  always @(posedge clk) if (psum_valid_i) psum <= psum_i;\n";
  else
    s += "  wire [31:0] psum = psum_i;\n";
  // The PE's dot product is its group: in_last = in_blk_last.
  s += pe_instance(pe, d, "u_pe", "ctl[2]", "ctl[0]", "ctl[1]", "ctl[1]", "a", "a_scale", "b", "b_scale", "psum",
                   "valid", "acc", "ctl[" + str(CW - 1) + "]");
  ms.add(name, s + "endmodule\n");
  return name;
}

std::string ws_grid(ModuleSet& ms, const std::string& name, const std::string& pe, const Dims& d) {
  int CW = 4 + (d.Q > 1 ? d.QB : 0) + d.MB, D = d.LAT + 1;
  std::vector<int> taps = ws_taps(d);
  int NT = int(taps.size());
  std::vector<Port> ports = {
      {"clk", true, 1, ""},
      {"rst", true, 1, ""},
      {"ctl_tap", true, NT * CW,
       "tap t: {" + std::string(d.MB ? "mode, " : "") + std::string(d.Q > 1 ? "chunk, " : "") +
           "bank, first, blk_last, valid} at [t*" + str(CW) +
           " +: " + str(CW) + "], delayed by the t-th smallest of the delays i*" + str(d.LAT + 1) +
           "+j of PE (i,j)"},
      {"row_a", true, d.R * d.AW, "row i: one chunk of A"},
  };
  if (d.as) ports.push_back({"row_a_scale", true, d.R * 8, "row i: block scale code of the chunk"});
  ports.push_back({"col_psum", true, d.C * 32, "column j: float32 partial sum into PE (0,j), skewed by j cycles"});
  ports.push_back({"w_valid", true, 1, "write one weight chunk into PE row w_row, all columns"});
  ports.push_back({"w_bank", true, 1, "weight bank written"});
  ports.push_back({"w_row", true, d.RB, "PE row written"});
  if (d.Q > 1) ports.push_back({"w_chunk", true, d.QB, "chunk of the block written"});
  ports.push_back({"w_b", true, d.C * d.BW, "column j: the weight chunk"});
  if (d.bs) ports.push_back({"w_b_scale", true, d.C * 8, "column j: the block scale code of the weights"});
  ports.push_back({"bot_valid", false, d.C, "column j: out_valid of PE (R-1,j)"});
  ports.push_back({"bot_acc", false, d.C * 32, "column j: out_acc of PE (R-1,j)"});

  std::string s = "// " + name + ": " + str(d.R) + " x " + str(d.C) +
                  " weight-stationary PE grid: double-buffered weight banks,\n// activations forwarded right, "
                  "partial sums chained down the columns (cells u_cell_i_j).\n";
  s += module_header(name, ports);
  s += "\n  // Weight write selects of PE row i, bank B: wselB_i.\n";
  for (int i = 0; i < d.R; ++i)
    for (int bank = 0; bank < 2; ++bank)
      s += "  wire wsel" + str(bank) + "_" + str(i) + " = w_valid & (w_bank == 1'b" + str(bank) + ")" +
           (d.R > 1 ? " & (w_row == " + vconst(d.RB, i) + ")" : "") + ";\n";
  if (d.R == 1) s += "  wire unused_w_row = w_row;  // one PE row: nothing to select\n";
  s += "\n  // Activations seen by PE (i,j) (to its right neighbour), its out_valid pv and out_acc pa.\n";
  for (int i = 0; i < d.R; ++i)
    for (int j = 0; j < d.C; ++j) {
      std::string k = idx(i, j), pre = j + 1 < d.C ? "" : "unused_";
      s += "  wire " + vrange(d.AW) + pre + "a_" + k + ";\n";
      if (d.as) s += "  wire [7:0] " + pre + "as_" + k + ";\n";
      s += "  wire pv_" + k + ";\n  wire [31:0] pa_" + k + ";\n";
    }
  s += "\n";
  for (int i = 0; i < d.R; ++i)
    for (int j = 0; j < d.C; ++j) {
      std::string k = idx(i, j), l = j > 0 ? idx(i, j - 1) : "", u = i > 0 ? idx(i - 1, j) : "";
      std::string pre = j + 1 < d.C ? "" : "unused_";
      std::string cell = ws_cell(ms, pe, d, CW, j > 0, i > 0);
      s += "  " + cell + " u_cell_" + k + " (\n    .clk(clk),\n    .rst(rst),\n";
      s += "    .ctl(" + velem("ctl_tap", tap_index(taps, i * D + j), CW, NT * CW) + "),\n";
      s += "    .a_i(" + (j == 0 ? velem("row_a", i, d.AW, d.R * d.AW) : "a_" + l) + "),\n";
      if (d.as) s += "    .a_scale_i(" + (j == 0 ? velem("row_a_scale", i, 8, d.R * 8) : "as_" + l) + "),\n";
      s += "    .psum_i(" + (i == 0 ? velem("col_psum", j, 32, d.C * 32) : "pa_" + u) + "),\n";
      if (i > 0) s += "    .psum_valid_i(pv_" + u + "),\n";
      s += "    .w_sel0(wsel0_" + str(i) + "),\n    .w_sel1(wsel1_" + str(i) + "),\n";
      if (d.Q > 1) s += "    .w_chunk(w_chunk),\n";
      s += "    .w_b(" + velem("w_b", j, d.BW, d.C * d.BW) + "),\n";
      if (d.bs) s += "    .w_b_scale(" + velem("w_b_scale", j, 8, d.C * 8) + "),\n";
      s += "    .a_o(" + pre + "a_" + k + "),\n";
      if (d.as) s += "    .a_scale_o(" + pre + "as_" + k + "),\n";
      s += "    .valid(pv_" + k + "),\n    .acc(pa_" + k + ")\n  );\n";
    }
  s += "\n";
  for (int j = 0; j < d.C; ++j) {
    std::string k = idx(d.R - 1, j);
    s += "  assign " + velem("bot_valid", j, 1, d.C) + " = pv_" + k + ";\n";
    s += "  assign " + velem("bot_acc", j, 32, d.C * 32) + " = pa_" + k + ";\n";
  }
  return s + "endmodule\n";
}

// ---- the output stage ---------------------------------------------------------
// From a readout row (valid, C raw float32, a tag, scales) to the out_* ports:
// a register, then C = RNE32(acc * RNE32(gA * gB)) with the float32 multiplier.
struct StageIn {
  std::string valid, row, tag, ga, gb, apply;  // ga/gb empty when absent; apply: scale this row
  int tag_width = 0;
  std::string mode;  // multi-format: the row's mode (the scales it takes are that mode's)
};

// A condition on a 1-bit mode signal that holds in the modes where `in[m]`:
// "" (never), "1'b1" (always), `mode` or "~mode".
std::string mode_cond(const bool in[2], const std::string& mode) {
  if (in[0] && in[1]) return "1'b1";
  if (in[1]) return mode;
  if (in[0]) return "~" + mode;
  return "";
}

const char* kOneF32 = "32'h3f800000";  // 1.0: the identity scale of a mode without that operand's scale

struct StageOut {
  std::string text;
  int latency = 0;
  int muls = 0;
};

std::string mul_instance(const Fp32Mul& m, const std::string& inst, const std::string& a, const std::string& b,
                         const std::string& y) {
  std::string s = "  " + m.module + " " + inst + " (";
  if (m.latency > 0) s += "." + m.clk + "(clk), ";
  return s + "." + m.a + "(" + a + "), ." + m.b + "(" + b + "), ." + m.y + "(" + y + "));\n";
}

StageOut output_stage(ModuleSet& ms, const Dims& d, const StageIn& in, const Fp32Mul& mul, const std::string& out_valid,
                      const std::string& out_tag, const std::string& out_c) {
  StageOut o;
  int CW = d.C * 32;
  std::string& s = o.text;
  bool scaled = !in.ga.empty() || !in.gb.empty();
  // r0: the readout register.
  s += "\n  // Output stage, register 0: the row leaving the array.\n";
  s += "  reg r0_valid;\n  reg " + vrange(CW) + "r0_raw;\n";
  if (in.tag_width) s += "  reg " + vrange(in.tag_width) + "r0_tag;\n";
  int gbw = d.gb == GScale::Channel ? d.C * 32 : 32;
  if (!in.ga.empty()) s += "  reg [31:0] r0_ga;\n";
  if (!in.gb.empty()) s += "  reg " + vrange(gbw) + "r0_gb;\n";
  if (scaled) s += "  reg r0_apply;\n";
  // Multi-format: a mode without any tensor/channel scale bypasses the
  // multipliers (its result is the raw accumulator, as its reference has it);
  // a mode lacking one operand's scale multiplies by an exact 1.0 instead, and
  // a tensor-scaled mode reads element 0 of a bus that is per channel in the
  // other mode.
  bool multi = scaled && !in.mode.empty();
  std::string apply = in.apply, one_a, one_b, tens_a, tens_b;
  if (multi) {
    bool any[2] = {d.mscaled(0), d.mscaled(1)};
    bool na[2], nb[2], ta[2], tb[2];
    for (int m = 0; m < 2; ++m) {
      na[m] = any[m] && d.mga[m] == GScale::None;
      nb[m] = any[m] && d.mgb[m] == GScale::None;
      ta[m] = d.mga[m] == GScale::Tensor;
      tb[m] = d.mgb[m] == GScale::Tensor;
    }
    std::string c = mode_cond(any, in.mode);
    if (c != "1'b1") apply = "(" + in.apply + ") & " + c;
    if (!in.ga.empty()) one_a = mode_cond(na, "r0_mode");
    if (!in.gb.empty()) one_b = mode_cond(nb, "r0_mode");
    if (d.gb == GScale::Channel) tens_b = mode_cond(tb, "r0_mode");
    (void)ta;  // gA per channel exists only in OS, where the top selects the row's (or the tensor) value
    if (one_a.empty() && one_b.empty() && tens_b.empty()) multi = false;  // r0_mode unused
  }
  if (multi) s += "  reg r0_mode;\n";
  s += "  always @(posedge clk) begin\n    if (rst) r0_valid <= 1'b0;\n    else r0_valid <= " + in.valid + ";\n";
  s += "    r0_raw <= " + in.row + ";\n";
  if (in.tag_width) s += "    r0_tag <= " + in.tag + ";\n";
  if (!in.ga.empty()) s += "    r0_ga <= " + in.ga + ";\n";
  if (!in.gb.empty()) s += "    r0_gb <= " + in.gb + ";\n";
  if (scaled) s += "    r0_apply <= " + apply + ";\n";
  if (multi) s += "    r0_mode <= " + in.mode + ";\n";
  s += "  end\n";
  o.latency = 0;  // r0 is the readout register counted in the array's latency
  if (!scaled) {
    s += "  assign " + out_valid + " = r0_valid;\n  assign " + out_c + " = r0_raw;\n";
    if (in.tag_width) s += "  assign " + out_tag + " = r0_tag;\n";
    return o;
  }
  // The combined scale g: one value (both scalars) or one per column.
  int ng = d.gb == GScale::Channel ? d.C : 1;
  std::string stage = "r0";
  // The row's gA and column k's gB as its mode takes them.
  auto ga_of = [&]() -> std::string {
    return one_a.empty() ? "r0_ga" : "(" + one_a + " ? " + kOneF32 + " : r0_ga)";
  };
  auto gb_of = [&](int k) -> std::string {
    std::string v = velem("r0_gb", k, 32, gbw);
    if (!tens_b.empty() && k > 0) v = "(" + tens_b + " ? " + velem("r0_gb", 0, 32, gbw) + " : " + v + ")";
    return one_b.empty() ? v : "(" + one_b + " ? " + kOneF32 + " : " + v + ")";
  };
  auto delay_side = [&](const std::string& from, const std::string& to) {
    std::string t, v, raw, tag, apply;
    t += delay_line(ms, to + "_mv", from + "_valid", 1, mul.latency, true, v);
    t += delay_line(ms, to + "_mraw", from + "_raw", CW, mul.latency, false, raw);
    if (in.tag_width) t += delay_line(ms, to + "_mtag", from + "_tag", in.tag_width, mul.latency, false, tag);
    t += delay_line(ms, to + "_mapply", from + "_apply", 1, mul.latency, false, apply);
    return std::vector<std::string>{t, v, raw, tag, apply};
  };
  std::vector<std::string> g(ng);
  if (!in.ga.empty() && !in.gb.empty()) {
    s += "\n  // Output stage 1: g = RNE32(gA * gB)" + std::string(ng > 1 ? " per column" : "") + ".\n";
    for (int k = 0; k < ng; ++k) {
      s += "  wire [31:0] g_" + str(k) + ";\n";
      s += mul_instance(mul, "u_gmul_" + str(k), ga_of(), gb_of(k), "g_" + str(k));
      ++o.muls;
    }
    auto side = delay_side("r0", "r1");
    s += side[0];
    s += "  reg r1_valid;\n  reg " + vrange(CW) + "r1_raw;\n  reg r1_apply;\n";
    if (in.tag_width) s += "  reg " + vrange(in.tag_width) + "r1_tag;\n";
    s += "  reg " + vrange(ng * 32) + "r1_g;\n";
    s += "  always @(posedge clk) begin\n    if (rst) r1_valid <= 1'b0;\n    else r1_valid <= " + side[1] + ";\n";
    s += "    r1_raw <= " + side[2] + ";\n    r1_apply <= " + side[4] + ";\n";
    if (in.tag_width) s += "    r1_tag <= " + side[3] + ";\n";
    std::string cat;
    for (int k = ng - 1; k >= 0; --k) cat += (cat.empty() ? "" : ", ") + ("g_" + str(k));
    s += "    r1_g <= " + (ng > 1 ? "{" + cat + "}" : cat) + ";\n  end\n";
    o.latency += mul.latency + 1;
    stage = "r1";
    for (int k = 0; k < ng; ++k) g[k] = velem("r1_g", k, 32, ng * 32);
  } else {
    for (int k = 0; k < ng; ++k) g[k] = in.ga.empty() ? gb_of(k) : ga_of();
  }
  s += "\n  // Output stage 2: C = RNE32(acc * g) on rows that take the scale.\n";
  for (int j = 0; j < d.C; ++j) {
    s += "  wire [31:0] y_" + str(j) + ";\n";
    s += mul_instance(mul, "u_cmul_" + str(j), velem(stage + "_raw", j, 32, CW), g[ng > 1 ? j : 0], "y_" + str(j));
    ++o.muls;
  }
  auto side = delay_side(stage, "r2");
  s += side[0];
  std::string cat;
  for (int j = d.C - 1; j >= 0; --j) cat += (cat.empty() ? "" : ", ") + ("y_" + str(j));
  s += "  reg r2_valid;\n  reg " + vrange(CW) + "r2_c;\n";
  if (in.tag_width) s += "  reg " + vrange(in.tag_width) + "r2_tag;\n";
  s += "  always @(posedge clk) begin\n    if (rst) r2_valid <= 1'b0;\n    else r2_valid <= " + side[1] + ";\n";
  s += "    r2_c <= " + side[4] + " ? " + (d.C > 1 ? "{" + cat + "}" : cat) + " : " + side[2] + ";\n";
  if (in.tag_width) s += "    r2_tag <= " + side[3] + ";\n";
  s += "  end\n";
  o.latency += mul.latency + 1;
  s += "  assign " + out_valid + " = r2_valid;\n  assign " + out_c + " = r2_c;\n";
  if (in.tag_width) s += "  assign " + out_tag + " = r2_tag;\n";
  return o;
}

// ---- output-stationary top ----------------------------------------------------
// The readout of one PE row: hold registers keep the results of PEs 0..C-2
// until PE C-1 is done (rdy); then the whole row is ORed into the readout
// chain (at most one row is ready in a cycle, so the OR selects it).
std::string os_readout_row(ModuleSet& ms, const Dims& d, bool first) {
  std::string name = ms.prefix + "os_readout" + (first ? "_first" : "");
  if (ms.has(name)) return name;
  int CW = d.C * 32;
  std::string s = "// " + name + ": one PE row's hold registers and its term of the readout OR chain" +
                  (first ? " (the first row: the chain starts here)" : "") + ".\n";
  std::vector<Port> ports;
  if (d.C > 1) ports.push_back({"clk", true, 1, ""});
  ports.push_back({"valid", true, d.C, "out_valid of PE j at bit j"});
  ports.push_back({"acc", true, CW, "out_acc of PE j at [j*32 +: 32]"});
  if (!first) ports.push_back({"chain_i", true, CW, "the readout chain from the rows above"});
  ports.push_back({"chain_o", false, CW, first ? "this row when it is complete, else 0" : "chain_i, OR this row when it is complete"});
  ports.push_back({"rdy", false, 1, "this row is complete (PE C-1 is done)"});
  s += module_header(name, ports);
  std::string row = velem("acc", d.C - 1, 32, CW);
  for (int j = d.C - 2; j >= 0; --j) {
    s += "  reg [31:0] hold_" + str(j) + ";\n";
    s += "  always @(posedge clk) if (" + velem("valid", j, 1, d.C) + ") hold_" + str(j) + " <= " +
         velem("acc", j, 32, CW) + ";\n";
    row += ", hold_" + str(j);
  }
  s += "  assign rdy = " + velem("valid", d.C - 1, 1, d.C) + ";\n";
  s += std::string("  assign chain_o = ") + (first ? "" : "chain_i | ") + "({" + str(CW) + "{rdy}} & " +
       (d.C > 1 ? "{" + row + "}" : row) + ");\nendmodule\n";
  ms.add(name, s);
  return name;
}

std::vector<Port> os_ports(const Dims& d) {
  std::vector<Port> p = {
      {"clk", true, 1, "clock; every input is sampled at the rising edge"},
      {"rst", true, 1, "synchronous reset, active high"},
      {"in_valid", true, 1, "chunk c of every A row and every B column is on in_a / in_b this cycle"},
      {"in_first", true, 1, "first chunk of a tile: the accumulators restart at +0.0"},
      {"in_blk_last", true, 1, "last chunk of an accumulation group"},
      {"in_last", true, 1, "last chunk of the tile" + std::string(d.GAW || d.GBW ? "; in_ga / in_gb are sampled" : "")},
  };
  if (d.MB)
    p.push_back({"in_mode", true, 1, "the tile's mode (0: 8-bit, 1: narrow), the same on every chunk of the tile"});
  p.push_back({"in_a", true, d.R * d.AW,
               d.MB ? "row i (output row m0+i) at [i*" + str(d.AW) + " +: " + str(d.AW) +
                          "]: lane l of A[m0+i][c*L_m+l] at bit l*BITS_m of it (mode m's lanes and element bits)"
                    : "row i (output row m0+i): lane l of A[m0+i][c*L+l] at [(i*" + str(d.L) + "+l)*" + str(d.AB) +
                          " +: " + str(d.AB) + "]"});
  if (d.as) p.push_back({"in_a_scale", true, d.R * 8, "row i: scale code of the A block chunk c belongs to, [i*8 +: 8]"});
  p.push_back({"in_b", true, d.C * d.BW,
               d.MB ? "column j (output column n0+j) at [j*" + str(d.BW) + " +: " + str(d.BW) +
                          "]: lane l of B[n0+j][c*L_m+l] at bit l*BITS_m of it"
                    : "column j (output column n0+j): lane l of B[n0+j][c*L+l] at [(j*" + str(d.L) + "+l)*" +
                          str(d.BB) + " +: " + str(d.BB) + "]"});
  if (d.bs) p.push_back({"in_b_scale", true, d.C * 8, "column j: scale code of the B block chunk c belongs to"});
  if (d.GAW)
    p.push_back({"in_ga", true, d.GAW,
                 d.ga == GScale::Channel ? "float32 channel scale of A row m0+i at [i*32 +: 32], with in_last"
                                         : "float32 tensor scale (decode gD) of A, with in_last"});
  if (d.GBW)
    p.push_back({"in_gb", true, d.GBW,
                 d.gb == GScale::Channel ? "float32 channel scale of B column n0+j at [j*32 +: 32], with in_last"
                                         : "float32 tensor scale (decode gD) of B, with in_last"});
  p.push_back({"out_valid", false, 1, "one result row of a tile this cycle"});
  p.push_back({"out_row", false, d.RB, "its row i (0..R-1); a tile's rows come out in order, one per cycle"});
  p.push_back({"out_c", false, d.C * 32, "float32 C[m0+out_row][n0+j] at [j*32 +: 32]"});
  return p;
}

std::string os_top(ModuleSet& ms, const std::string& name, const std::string& array, const Dims& d, const ArrayTiming& t,
                   const Fp32Mul& mul, StageOut& stage, int& slots) {
  std::string s = "// " + name + ": output-stationary " + str(d.R) + " x " + str(d.C) +
                  " MAC array, fixed stream schedule (docs/array.md).\n";
  s += module_header(name, os_ports(d));
  s += "\n  // Input skew: row i and its control are delayed i cycles, column j of B j cycles.\n";
  s += d.MB ? "  wire [4:0] ctl_in = {in_mode, in_last, in_blk_last, in_first, in_valid};\n"
            : "  wire [3:0] ctl_in = {in_last, in_blk_last, in_first, in_valid};\n";
  std::string row_a, row_as, col_b, col_bs, ctl_end, ctl_tap;
  // one control chain (cleared by rst): PE (i,j) takes stage i + j
  s += delay_line(ms, "skc", "ctl_in", 4 + d.MB, d.R + d.C - 2, true, ctl_end);
  for (int t = d.R + d.C - 2; t >= 0; --t) ctl_tap += std::string(ctl_tap.empty() ? "" : ", ") + (t == 0 ? "ctl_in" : "skc_d" + str(t));
  for (int i = d.R - 1; i >= 0; --i) {
    // one chain per row: the A chunk with its scale
    std::string a, as, data, a_src = velem("in_a", i, d.AW, d.R * d.AW),
                            as_src = d.as ? velem("in_a_scale", i, 8, d.R * 8) : "";
    int DW = d.AW + (d.as ? 8 : 0);
    s += delay_line(ms, "ska" + str(i), d.as ? "{" + as_src + ", " + a_src + "}" : a_src, DW, i, false, data);
    a = i == 0 ? a_src : vslice(data, 0, d.AW, DW);
    if (d.as) as = i == 0 ? as_src : vslice(data, d.AW, 8, DW);
    row_a += (row_a.empty() ? "" : ", ") + a;
    if (d.as) row_as += (row_as.empty() ? "" : ", ") + as;
  }
  for (int j = d.C - 1; j >= 0; --j) {
    std::string b, bs, data, b_src = velem("in_b", j, d.BW, d.C * d.BW),
                             bs_src = d.bs ? velem("in_b_scale", j, 8, d.C * 8) : "";
    int DW = d.BW + (d.bs ? 8 : 0);
    s += delay_line(ms, "skb" + str(j), d.bs ? "{" + bs_src + ", " + b_src + "}" : b_src, DW, j, false, data);
    b = j == 0 ? b_src : vslice(data, 0, d.BW, DW);
    if (d.bs) bs = j == 0 ? bs_src : vslice(data, d.BW, 8, DW);
    col_b += (col_b.empty() ? "" : ", ") + b;
    if (d.bs) col_bs += (col_bs.empty() ? "" : ", ") + bs;
  }
  int n = d.R * d.C;
  s += "\n  wire " + vrange(n) + "pe_valid;\n  wire [" + str(n * 32 - 1) + ":0] pe_acc;\n";
  s += "  " + array + " u_array (\n    .clk(clk),\n    .rst(rst),\n    .ctl_tap({" + ctl_tap + "}),\n    .row_a({" +
       row_a + "}),\n";
  if (d.as) s += "    .row_a_scale({" + row_as + "}),\n";
  s += "    .col_b({" + col_b + "}),\n";
  if (d.bs) s += "    .col_b_scale({" + col_bs + "}),\n";
  s += "    .pe_valid(pe_valid),\n    .pe_acc(pe_acc)\n  );\n";

  // Hold registers and the row readout, one readout module per PE row.
  s += "\n  // Each PE's result is held until its row leaves; row i is complete when PE (i,C-1) is done.\n"
       "  // Readout row i holds row i's results and ORs the row, when complete, into the chain rdc_i.\n";
  int CW = d.C * 32;
  std::string rd_valid, rd_idx, rd_ga;
  for (int i = 0; i < d.R; ++i) {
    std::string rdy = "rdy_" + str(i);
    s += "  wire " + rdy + ";\n  wire " + vrange(CW) + "rdc_" + str(i) + ";\n";
    s += "  " + os_readout_row(ms, d, i == 0) + " u_readout_" + str(i) + " (" + (d.C > 1 ? ".clk(clk), " : "") +
         ".valid(" + vslice("pe_valid", i * d.C, d.C, n) + "), .acc(" + vslice("pe_acc", i * d.C * 32, CW, n * 32) +
         "), " + (i == 0 ? "" : ".chain_i(rdc_" + str(i - 1) + "), ") + ".chain_o(rdc_" + str(i) + "), .rdy(" + rdy +
         "));\n";
    rd_valid += (rd_valid.empty() ? "" : " | ") + rdy;
    if (i > 0) rd_idx += (rd_idx.empty() ? "" : " | ") + ("({" + str(d.RB) + "{" + rdy + "}} & " + vconst(d.RB, i) + ")");
  }
  if (rd_idx.empty()) rd_idx = vconst(d.RB, 0);
  s += "  wire rd_valid = " + rd_valid + ";\n";
  s += "  wire " + vrange(CW) + "rd_row = rdc_" + str(d.R - 1) + ";\n";
  s += "  wire " + vrange(d.RB) + "rd_idx = " + rd_idx + ";\n";

  // Per-tile scale buffer: written at in_last, read while the tile's rows leave.
  StageIn in;
  in.valid = "rd_valid";
  in.row = "rd_row";
  in.tag = "rd_idx";
  in.tag_width = d.RB;
  in.apply = "1'b1";
  slots = 0;
  if (d.GAW || d.GBW) {
    slots = t.os_scale_slots();
    // Multi-format: the tile's mode rides along (bit SW-1): its scales are that mode's.
    int SW = d.GAW + d.GBW + d.MB, PB = vbits(slots);
    std::string src = d.GAW && d.GBW ? "{in_gb, in_ga}" : (d.GAW ? "in_ga" : "in_gb");
    if (d.MB) src = "{in_mode, " + (src[0] == '{' ? src.substr(1, src.size() - 2) : src) + "}";
    s += "\n  // Tensor/channel scales of the tiles in flight: " + str(slots) +
         " slot(s), written with in_last, freed after row R-1 leaves.\n";
    s += "  wire sb_push = in_valid & in_last;\n  wire sb_pop = rd_valid & (rd_idx == " + vconst(d.RB, d.R - 1) +
         ");\n";
    for (int k = 0; k < slots; ++k) s += "  reg " + vrange(SW) + "sb_" + str(k) + ";\n";
    if (slots == 1) {
      s += "  always @(posedge clk) if (sb_push) sb_0 <= " + src + ";\n";
      s += "  wire " + vrange(SW) + "sb_rd = sb_0;\n  wire unused_sb_pop = sb_pop;\n";
    } else {
      s += "  reg " + vrange(PB) + "sb_wp;\n  reg " + vrange(PB) + "sb_rp;\n";
      s += "  always @(posedge clk) begin\n    if (rst) begin\n      sb_wp <= " + vconst(PB, 0) + ";\n      sb_rp <= " +
           vconst(PB, 0) + ";\n    end else begin\n";
      s += "      if (sb_push) sb_wp <= (sb_wp == " + vconst(PB, slots - 1) + ") ? " + vconst(PB, 0) +
           " : sb_wp + 1'b1;\n";
      s += "      if (sb_pop) sb_rp <= (sb_rp == " + vconst(PB, slots - 1) + ") ? " + vconst(PB, 0) +
           " : sb_rp + 1'b1;\n    end\n";
      for (int k = 0; k < slots; ++k)
        s += "    if (sb_push & (sb_wp == " + vconst(PB, k) + ")) sb_" + str(k) + " <= " + src + ";\n";
      s += "  end\n";
      std::string mux;
      for (int k = 0; k < slots - 1; ++k) mux += "(sb_rp == " + vconst(PB, k) + ") ? sb_" + str(k) + " : ";
      s += "  wire " + vrange(SW) + "sb_rd = " + mux + "sb_" + str(slots - 1) + ";\n";
    }
    if (d.GAW) {
      std::string ga = vslice("sb_rd", 0, d.GAW, SW);
      if (d.ga == GScale::Channel) {
        // The row's own channel scale: the same one-hot select as the row.
        s += "  wire [" + str(d.GAW - 1) + ":0] sb_ga = " + ga + ";\n";
        std::string sel;
        for (int i = 0; i < d.R; ++i)
          sel += (sel.empty() ? "" : " | ") + ("({32{rdy_" + str(i) + "}} & " + velem("sb_ga", i, 32, d.GAW) + ")");
        bool tens[2] = {d.mga[0] == GScale::Tensor, d.modes > 1 && d.mga[1] == GScale::Tensor};
        std::string tc = d.MB ? mode_cond(tens, vslice("sb_rd", SW - 1, 1, SW)) : "";
        if (!tc.empty()) sel = tc + " ? " + velem("sb_ga", 0, 32, d.GAW) + " : (" + sel + ")";
        s += "  wire [31:0] rd_ga = " + sel + ";\n";
        in.ga = "rd_ga";
      } else {
        in.ga = ga;
      }
    }
    if (d.GBW) in.gb = vslice("sb_rd", d.GAW, d.GBW, SW);
    if (d.MB) in.mode = vslice("sb_rd", SW - 1, 1, SW);
  }
  stage = output_stage(ms, d, in, mul, "out_valid", "out_row", "out_c");
  s += stage.text;
  return s + "endmodule\n";
}

// ---- weight-stationary top ----------------------------------------------------
std::vector<Port> ws_ports(const Dims& d) {
  std::vector<Port> p = {
      {"clk", true, 1, "clock; every input is sampled at the rising edge"},
      {"rst", true, 1, "synchronous reset, active high"},
      {"w_valid", true, 1, "write one weight chunk of PE row w_row (all columns) into bank w_bank"},
      {"w_bank", true, 1, "weight bank written (0 or 1)"},
      {"w_row", true, d.RB, "PE row i: holds K block k0/G + i of the weights"},
  };
  if (d.Q > 1) p.push_back({"w_chunk", true, d.QB, "chunk q (0.." + str(d.Q - 1) + ") of the block"});
  p.push_back({"w_b", true, d.C * d.BW,
               d.MB ? "column j at [j*" + str(d.BW) + " +: " + str(d.BW) +
                          "]: lane l of B[n0+j][(k0/G_m+w_row)*G_m + q*L_m + l] at bit l*BITS_m of it, in the layout "
                          "of the mode the rows using this bank run"
                    : "column j: lane l of B[n0+j][(k0/G+w_row)*G + q*L + l] at [(j*" + str(d.L) + "+l)*" +
                          str(d.BB) + " +: " + str(d.BB) + "]"});
  if (d.bs) p.push_back({"w_b_scale", true, d.C * 8, "column j: scale code of that B block, [j*8 +: 8]"});
  if (d.GBW)
    p.push_back({"w_gb", true, d.GBW,
                 d.gb == GScale::Channel ? "float32 channel scale of B column n0+j at [j*32 +: 32], stored in the bank"
                                         : "float32 tensor scale (decode gD) of B, stored in the bank"});
  p.push_back({"in_valid", true, 1, "chunk q of one activation row m is on in_a (q counts from 0 after in_blk_last)"});
  p.push_back({"in_blk_last", true, 1, "last chunk (q = Q-1) of the row: in_psum, in_last" +
                                           std::string(d.GAW ? ", in_ga" : "") + " are sampled"});
  p.push_back({"in_last", true, 1,
               "the row's final K tile: " + std::string(d.GAW || d.GBW ? "apply the tensor/channel scales, " : "") +
                   "out_last = 1"});
  p.push_back({"in_bank", true, 1, "weight bank this row multiplies with"});
  if (d.MB) p.push_back({"in_mode", true, 1, "the row's mode (0: 8-bit, 1: narrow), the same on all its chunks"});
  p.push_back({"in_a", true, d.R * d.AW,
               d.MB ? "PE row i at [i*" + str(d.AW) + " +: " + str(d.AW) +
                          "]: lane l of A[m][(k0/G_m+i)*G_m + q*L_m + l] at bit l*BITS_m of it"
                    : "PE row i: lane l of A[m][(k0/G+i)*G + q*L + l] at [(i*" + str(d.L) + "+l)*" + str(d.AB) +
                          " +: " + str(d.AB) + "]"});
  if (d.as) p.push_back({"in_a_scale", true, d.R * 8, "PE row i: scale code of that A block, [i*8 +: 8]"});
  p.push_back({"in_psum", true, d.C * 32, "float32 partial sums C[m][n0+j] of the previous K tiles (+0.0 first)"});
  if (d.GAW) p.push_back({"in_ga", true, 32, "float32 " + std::string(d.ga == GScale::Channel ? "channel scale of A row m" : "tensor scale (decode gD) of A")});
  p.push_back({"out_valid", false, 1, "one output row this cycle, in the order the rows went in"});
  p.push_back({"out_last", false, 1, "the row had in_last" + std::string(d.GAW || d.GBW ? " (scales applied)" : "")});
  p.push_back({"out_c", false, d.C * 32, "float32 C[m][n0+j] at [j*32 +: 32]"});
  return p;
}

std::string ws_top(ModuleSet& ms, const std::string& name, const std::string& array, const Dims& d, const ArrayTiming& t,
                   const Fp32Mul& mul, StageOut& stage) {
  int D = t.ws_row_step(), CW = 4 + (d.Q > 1 ? d.QB : 0) + d.MB;
  std::string s = "// " + name + ": weight-stationary " + str(d.R) + " x " + str(d.C) +
                  " MAC array, fixed stream schedule (docs/array.md).\n";
  s += module_header(name, ws_ports(d));
  std::string ctl = "{in_bank, q_first, in_blk_last, in_valid}";
  if (d.Q > 1) {
    s += "\n  // Chunk counter: the first valid chunk after reset or in_blk_last is chunk 0.\n";
    s += "  reg " + vrange(d.QB) + "q_cnt;\n  always @(posedge clk) begin\n    if (rst) q_cnt <= " + vconst(d.QB, 0) +
         ";\n    else if (in_valid) q_cnt <= in_blk_last ? " + vconst(d.QB, 0) + " : q_cnt + 1'b1;\n  end\n";
    s += "  wire q_first = (q_cnt == " + vconst(d.QB, 0) + ");\n";
    ctl = "{q_cnt, in_bank, q_first, in_blk_last, in_valid}";
  } else {
    s += "\n  wire q_first = 1'b1;  // one chunk per group\n";
  }
  if (d.MB) ctl = "{in_mode, " + ctl.substr(1);
  s += "  wire " + vrange(CW) + "ctl_in = " + ctl + ";\n";
  s += "\n  // Input skew: PE row i is " + str(D) + " * i cycles later (the partial-sum step), column j of in_psum j cycles.\n";
  std::string row_a, row_as, col_ps, ctl_end, ctl_tap;
  // one control chain (cleared by rst): PE (i,j) takes stage i*D + j
  std::vector<int> taps = ws_taps(d);
  s += delay_line(ms, "skc", "ctl_in", CW, taps.back(), true, ctl_end);
  for (auto t = taps.rbegin(); t != taps.rend(); ++t)
    ctl_tap += std::string(ctl_tap.empty() ? "" : ", ") + (*t == 0 ? "ctl_in" : "skc_d" + str(*t));
  for (int i = d.R - 1; i >= 0; --i) {
    // one chain per row: the A chunk with its scale
    std::string a, as, data,
                a_src = velem("in_a", i, d.AW, d.R * d.AW), as_src = d.as ? velem("in_a_scale", i, 8, d.R * 8) : "";
    int DW = d.AW + (d.as ? 8 : 0);
    s += delay_line(ms, "ska" + str(i), d.as ? "{" + as_src + ", " + a_src + "}" : a_src, DW, i * D, false, data);
    a = i == 0 ? a_src : vslice(data, 0, d.AW, DW);
    if (d.as) as = i == 0 ? as_src : vslice(data, d.AW, 8, DW);
    row_a += (row_a.empty() ? "" : ", ") + a;
    if (d.as) row_as += (row_as.empty() ? "" : ", ") + as;
  }
  for (int j = d.C - 1; j >= 0; --j) {
    std::string p;
    s += delay_line(ms, "skp" + str(j), velem("in_psum", j, 32, d.C * 32), 32, j, false, p);
    col_ps += (col_ps.empty() ? "" : ", ") + p;
  }
  s += "\n  wire " + vrange(d.C) + "bot_valid;\n  wire [" + str(d.C * 32 - 1) + ":0] bot_acc;\n";
  s += "  " + array + " u_array (\n    .clk(clk),\n    .rst(rst),\n    .ctl_tap({" + ctl_tap + "}),\n    .row_a({" +
       row_a + "}),\n";
  if (d.as) s += "    .row_a_scale({" + row_as + "}),\n";
  s += "    .col_psum({" + col_ps + "}),\n    .w_valid(w_valid),\n    .w_bank(w_bank),\n    .w_row(w_row),\n";
  if (d.Q > 1) s += "    .w_chunk(w_chunk),\n";
  s += "    .w_b(w_b),\n";
  if (d.bs) s += "    .w_b_scale(w_b_scale),\n";
  s += "    .bot_valid(bot_valid),\n    .bot_acc(bot_acc)\n  );\n";

  // Deskew the bottom row: column j waits C-1-j cycles.
  s += "\n  // Deskew: column j of the bottom row is delayed C-1-j cycles; column C-1 marks the row.\n";
  std::string row;
  for (int j = d.C - 1; j >= 0; --j) {
    std::string o;
    s += delay_line(ms, "dsk" + str(j), velem("bot_acc", j, 32, d.C * 32), 32, d.C - 1 - j, false, o);
    row += (row.empty() ? "" : ", ") + o;
  }
  if (d.C > 1) s += "  wire unused_bot_valid = &bot_valid[" + str(d.C - 2) + ":0];  // same timing as column C-1\n";
  // Side information of each row, delayed to the readout cycle.
  int DL = t.ws_out_delay() - t.out_stage - 1;
  // Multi-format with scales: the row's mode too (bit 2), for the output stage.
  bool side_mode = d.MB && (d.GAW || d.GBW);
  std::string side_src = side_mode ? "{in_mode, in_last, in_bank}" : "{in_last, in_bank}";
  int SW = side_mode ? 3 : 2;
  if (d.GAW) {
    side_src = "{in_ga, " + side_src.substr(1);
    SW += 32;
  }
  std::string side;
  s += "\n  // Row side information (final flag, bank" + std::string(d.GAW ? ", gA" : "") + "), sampled with in_blk_last, delayed " +
       str(DL) + " cycles to the readout.\n";
  s += delay_line(ms, "side", side_src, SW, DL, false, side);
  s += "  wire " + vrange(SW) + "rd_side = " + side + ";\n";
  StageIn in;
  in.valid = velem("bot_valid", d.C - 1, 1, d.C);
  in.row = d.C > 1 ? "{" + row + "}" : row;
  in.tag = "rd_side[1]";
  in.tag_width = 1;
  in.apply = "rd_side[1]";
  if (d.GAW) in.ga = side_mode ? "rd_side[34:3]" : "rd_side[33:2]";
  if (side_mode) in.mode = "rd_side[2]";
  if (d.GBW) {
    s += "\n  // B's tensor/channel scale per weight bank, written with the weights.\n";
    s += "  reg " + vrange(d.GBW) + "gb0;\n  reg " + vrange(d.GBW) + "gb1;\n";
    s += "  always @(posedge clk) begin\n    if (w_valid & ~w_bank) gb0 <= w_gb;\n    if (w_valid & w_bank) gb1 <= w_gb;\n  end\n";
    in.gb = "(rd_side[0] ? gb1 : gb0)";
  } else {
    s += "  wire unused_rd_bank = rd_side[0];\n";
  }
  stage = output_stage(ms, d, in, mul, "out_valid", "out_last", "out_c");
  s += stage.text;
  return s + "endmodule\n";
}

}  // namespace

ArrayTiming array_timing(const ArrayConfig& cfg, const PeInfo& pe, int mul_latency, int mode) {
  if (mode < 0 || mode >= pe_modes(pe))
    throw std::invalid_argument("array_timing: mode " + std::to_string(mode) + " of a " +
                                std::to_string(pe_modes(pe)) + "-mode PE");
  ArrayTiming t;
  t.dataflow = cfg.dataflow;
  t.rows = cfg.rows;
  t.cols = cfg.cols;
  t.lanes = mode > 0 ? pe.mode[size_t(mode)].lanes : cfg.lanes;
  t.group = mode > 0 ? pe.mode[size_t(mode)].group : cfg.group;
  t.pe_latency = pe.latency;
  // The output stage is built for the scales of every mode and has the same
  // depth in each (a mode without scales bypasses its multipliers).
  GScale ga = GScale::None, gb = GScale::None;
  for (int m = 0; m < pe_modes(pe); ++m) {
    ga = wider(ga, gscale_of(mode_a(cfg, pe, m)));
    gb = wider(gb, gscale_of(mode_b(cfg, pe, m)));
  }
  int stages = (ga != GScale::None) + (gb != GScale::None);  // g = gA * gB only with both
  t.out_stage = stages * (mul_latency + 1);
  return t;
}

std::string part_prefix(const std::string& config_name) { return config_name + "_p_"; }

ArrayDesign emit_array(const ArrayConfig& cfg, const PeInfo& pe, const Fp32Mul& mul) {
  Dims d = dims_of(cfg, pe);
  ArrayDesign a;
  a.pe = pe.module_name;
  a.array = cfg.name + "_array";
  a.top = cfg.name + "_top";
  a.ga = d.ga;
  a.gb = d.gb;
  ArrayTiming& t = a.timing;
  t = array_timing(cfg, pe, mul.latency);
  StageOut stage;
  std::string grid, top;
  ModuleSet ms;
  ms.prefix = part_prefix(cfg.name);
  if (d.ws) {
    grid = ws_grid(ms, a.array, a.pe, d);
    top = ws_top(ms, a.top, a.array, d, t, mul, stage);
    a.ports = ws_ports(d);
  } else {
    grid = os_grid(ms, a.array, a.pe, d);
    top = os_top(ms, a.top, a.array, d, t, mul, stage, a.scale_slots);
    a.ports = os_ports(d);
  }
  a.mul_count = stage.muls;
  if (stage.latency != t.out_stage) throw std::logic_error("emit_array: output stage latency mismatch");
  std::string banner = "// Generated by macforge gen from config '" + cfg.name + "' (" + cfg.a_name + " x " +
                       cfg.b_name +
                       (d.MB ? "; mode 1: " + pe.mode[1].a.name + " x " + pe.mode[1].b.name : std::string()) +
                       "). Do not edit.\n";
  for (const auto& [mod, text] : ms.mods) {
    a.parts.push_back(mod);
    a.files.push_back({mod + ".v", banner + text});
  }
  a.files.push_back({a.array + ".v", banner + grid});
  a.files.push_back({a.top + ".v", banner + top});
  return a;
}

}  // namespace macforge::gen

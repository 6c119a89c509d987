// fa_map.v -- Yosys techmap rules for the macforge45 full/half-adder cells.
//
// Used by synth_template.ys (the FA-capable flow).  The file holds two maps,
// selected with Verilog defines passed through `techmap -D`:
//
//  1. $lcu -> ripple-carry chain            (always compiled)
//     Loaded together with +/techmap.v in the generic techmap step:
//         techmap -map +/techmap.v -map fa_map.v -D MF45_LCU_ONLY
//     Yosys' default $lcu is a Brent-Kung prefix tree (_90_lcu in
//     +/techmap.v).  Its carries are not majority functions of one bit's
//     (a, b, cin), so `extract_fa` finds almost no full adders in it.  This
//     module replaces it by a ripple chain  CO[i] = G[i] | P[i] & CO[i-1]
//     (module names are tried in name order, so _80_* wins over _90_lcu).
//     With P = A^B and G = A&B from _90_alu, every bit of an $alu becomes
//     sum = a^b^c, carry = maj(a,b,c), which extract_fa turns into one $fa.
//     Ripple carry is the minimum-area adder; this library has no timing
//     data, so nothing is traded for delay.
//
//  1a. -D MF45_LCU_ONLY -D MF45_PREFIX (`--adders prefix` on this library):
//     $alu of 1-2 bits as above, wider ones and every $lcu stay Yosys'
//     defaults (_90_alu, Brent-Kung _90_lcu); ABC maps them for the clock.
//
//  1b. $lcu -> ripple chain only            (-D MF45_LCU_RIPPLE)
//     For a library without full-adder cells (synth_template_nofa.ys with
//     `macforge synth --adders ripple`, synth/adders.hpp): only the $lcu
//     module below is compiled, so $alu stays _90_alu of +/techmap.v (P, G
//     and the sum XORs), its $lcu becomes a ripple chain of AND/OR gates, and
//     maccmap's $fa cells stay _90_fa gates; ABC maps them all.
//
//  2. $fa -> FA_X1 / HA_X1                  (compiled unless MF45_LCU_ONLY)
//     Loaded on its own after `extract_fa -fa; opt_clean`:
//         techmap -map fa_map.v
//     (synth_template.ys extracts full adders only; HA_X1 is placed for any
//     $fa that arrives with a constant-0 input, e.g. from a plain
//     `extract_fa`, which also extracts half adders, or from maccmap.)
//     $fa ports (see `help extract_fa` and simlib.v):  A, B, C inputs,
//     Y = A^B^C (sum), X = majority(A,B,C) (carry), parameter WIDTH.
//     extract_fa in Yosys 0.23 emits only WIDTH=1 cells; half adders are
//     emitted as $fa with C tied to 1'b0 (checked with yosys 0.23), and
//     input/output inversions as separate $_NOT_ cells.  Per bit:
//       - three non-constant inputs        -> FA_X1 (A, B, CI -> S, CO)
//       - exactly one input constant 0     -> HA_X1 on the other two
//       - anything else (constant 1, two or more constants)
//                                          -> generic $_XOR_/$_AND_/$_OR_
//         gates; `opt` folds the constants and ABC maps the rest.
//     Wide $fa cells (e.g. from maccmap) are handled bit by bit.
//
// Note: run `opt_clean` between extract_fa and this map.  extract_fa also
// creates speculative $fa cells for 2-input XOR/AND pairs whose outputs end
// up unused; opt_clean removes those while they are still internal $fa cells,
// but once mapped to FA_X1/HA_X1 (black boxes) they would survive.

// FIX (macforge synth, see docs/synthesis.md "Yosys 0.23 extract_fa bug"):
// Yosys 0.23's `extract_fa` builds wrong logic when it picks a majority with
// an odd number of inverted inputs: it inverts the $fa's input but not its
// XOR (sum) output (YosysHQ/yosys #3879 / #4573, fixed upstream by PR #4691,
// not in 0.23). Every sign-extended addition hits it: `{a[1],a} + {b[1],b}`
// gave an inverted y[1], and a generated PE's adder tree computed wrong sums.
// extract_fa is therefore no longer used. Instead:
//   phase 1 (-D MF45_LCU_ONLY, with +/techmap.v):
//     $alu -> a ripple chain of $__mf45_fa cells (internal placeholder), one
//             per bit except the top one, whose sum is an XOR and whose carry
//             (rarely used) is plain gates, so an unused top carry costs nothing;
//     $lcu -> ripple chain (as before; $alu no longer produces one).
//     The carry-save $fa cells maccmap builds for multipliers and multi-
//     operand sums are dissolved into gates by +/techmap.v (_90_fa) and
//     optimized and mapped by ABC: their sign-extension columns (a + a + c,
//     copies of one bit) simplify there, which full-adder cells would not.
//   phase 2 (after `opt_clean`): $__mf45_fa (and any $fa) -> FA_X1 / HA_X1 /
//     gates by the constant inputs (and wires for a shorted a + a + c).
// The resulting netlists are SAT-equivalent to the RTL (tests/synth).

`ifndef MF45_LCU_ONLY
`ifndef MF45_LCU_RIPPLE
(* techmap_celltype = "$fa $__mf45_fa" *)
module _80_mf45_fa (A, B, C, X, Y);
  parameter WIDTH = 1;
  parameter _TECHMAP_CONSTMSK_A_ = 0;
  parameter _TECHMAP_CONSTVAL_A_ = 0;
  parameter _TECHMAP_CONSTMSK_B_ = 0;
  parameter _TECHMAP_CONSTVAL_B_ = 0;
  parameter _TECHMAP_CONSTMSK_C_ = 0;
  parameter _TECHMAP_CONSTVAL_C_ = 0;
  // driver ids of the input bits: equal ids = the same signal (a shorted
  // full adder, e.g. maccmap's sign-extension columns: a + a + c)
  parameter _TECHMAP_BITS_CONNMAP_ = 0;
  parameter _TECHMAP_CONNMAP_A_ = 0;
  parameter _TECHMAP_CONNMAP_B_ = 0;
  parameter _TECHMAP_CONNMAP_C_ = 0;

  (* force_downto *) input  [WIDTH-1:0] A, B, C;
  (* force_downto *) output [WIDTH-1:0] X, Y;

  genvar i;
  generate
    for (i = 0; i < WIDTH; i = i + 1) begin : slice
      // input bit i is a constant 0
      localparam A0 = _TECHMAP_CONSTMSK_A_[i] && !_TECHMAP_CONSTVAL_A_[i];
      localparam B0 = _TECHMAP_CONSTMSK_B_[i] && !_TECHMAP_CONSTVAL_B_[i];
      localparam C0 = _TECHMAP_CONSTMSK_C_[i] && !_TECHMAP_CONSTVAL_C_[i];
      // input bit i is a constant (0 or 1)
      localparam AK = _TECHMAP_CONSTMSK_A_[i];
      localparam BK = _TECHMAP_CONSTMSK_B_[i];
      localparam CK = _TECHMAP_CONSTMSK_C_[i];

      localparam NB = _TECHMAP_BITS_CONNMAP_;
      localparam [WIDTH*NB+NB-1:0] CA = _TECHMAP_CONNMAP_A_;
      localparam [WIDTH*NB+NB-1:0] CB = _TECHMAP_CONNMAP_B_;
      localparam [WIDTH*NB+NB-1:0] CC = _TECHMAP_CONNMAP_C_;
      localparam IA = NB > 0 ? CA[i*NB +: NB] : 0;
      localparam IB = NB > 0 ? CB[i*NB +: NB] : 0;
      localparam IC = NB > 0 ? CC[i*NB +: NB] : 0;

      if (!AK && !BK && !CK && NB > 0 && IA == IB) begin : short_ab
        // a + a + c: sum c, carry a
        assign Y[i] = C[i];
        assign X[i] = A[i];
      end else if (!AK && !BK && !CK && NB > 0 && IA == IC) begin : short_ac
        assign Y[i] = B[i];
        assign X[i] = A[i];
      end else if (!AK && !BK && !CK && NB > 0 && IB == IC) begin : short_bc
        assign Y[i] = A[i];
        assign X[i] = B[i];
      end else if (!AK && !BK && !CK) begin : full
        FA_X1 fa (.A(A[i]), .B(B[i]), .CI(C[i]), .S(Y[i]), .CO(X[i]));
      end else if (C0 && !AK && !BK) begin : half_ab
        HA_X1 ha (.A(A[i]), .B(B[i]), .S(Y[i]), .CO(X[i]));
      end else if (B0 && !AK && !CK) begin : half_ac
        HA_X1 ha (.A(A[i]), .B(C[i]), .S(Y[i]), .CO(X[i]));
      end else if (A0 && !BK && !CK) begin : half_bc
        HA_X1 ha (.A(B[i]), .B(C[i]), .S(Y[i]), .CO(X[i]));
      end else begin : gates
        wire axb, ab, cx;
        \$_XOR_ x0 (.A(A[i]), .B(B[i]), .Y(axb));
        \$_XOR_ x1 (.A(axb),  .B(C[i]), .Y(Y[i]));
        \$_AND_ a0 (.A(A[i]), .B(B[i]), .Y(ab));
        \$_AND_ a1 (.A(axb),  .B(C[i]), .Y(cx));
        \$_OR_  o0 (.A(ab),   .B(cx),   .Y(X[i]));
      end
    end
  endgenerate
endmodule
`endif
`endif

`ifdef MF45_LCU_ONLY


// phase 1: $alu as a ripple chain of full adders (same ports and semantics
// as _90_alu of +/techmap.v: X = A ^ B', Y = A + B' + CI, CO = carries,
// B' = BI ? ~B : B)
(* techmap_celltype = "$alu" *)
module _80_mf45_alu (A, B, CI, BI, X, Y, CO);
  parameter A_SIGNED = 0;
  parameter B_SIGNED = 0;
  parameter A_WIDTH = 1;
  parameter B_WIDTH = 1;
  parameter Y_WIDTH = 1;

  (* force_downto *) input  [A_WIDTH-1:0] A;
  (* force_downto *) input  [B_WIDTH-1:0] B;
  (* force_downto *) output [Y_WIDTH-1:0] X, Y;
  input CI, BI;
  (* force_downto *) output [Y_WIDTH-1:0] CO;

`ifdef MF45_PREFIX
  // adders "prefix" (-D MF45_PREFIX, synth/adders.hpp): only the 1- and
  // 2-bit adds (a compressor tree's explicit full adders, gen/pe/
  // compressor_tree.cpp) stay full-adder cells; every wider $alu is declined
  // here and becomes _90_alu with Yosys' Brent-Kung _90_lcu. Without the FA
  // cells ABC's `&fraig -x` has to sweep a whole multiplier tree as one XOR
  // network (200 s for the 8-lane mxint8 PE instead of 3 s).
  wire _TECHMAP_FAIL_ = Y_WIDTH > 2;
`endif
  (* force_downto *) wire [Y_WIDTH-1:0] A_buf, B_buf;
  \$pos #(.A_SIGNED(A_SIGNED), .A_WIDTH(A_WIDTH), .Y_WIDTH(Y_WIDTH)) A_conv (.A(A), .Y(A_buf));
  \$pos #(.A_SIGNED(B_SIGNED), .A_WIDTH(B_WIDTH), .Y_WIDTH(Y_WIDTH)) B_conv (.A(B), .Y(B_buf));
  (* force_downto *) wire [Y_WIDTH-1:0] AA = A_buf;
  (* force_downto *) wire [Y_WIDTH-1:0] BB = B_buf ^ {Y_WIDTH{BI}};
  (* force_downto *) wire [Y_WIDTH:0] c;  // c[i]: carry into bit i
  assign c[0] = CI;
  assign X = AA ^ BB;

  genvar i;
  generate
    for (i = 0; i < Y_WIDTH; i = i + 1) begin : slice
      if (i < Y_WIDTH - 1) begin : full
        \$__mf45_fa #(.WIDTH(1)) fa (.A(AA[i]), .B(BB[i]), .C(c[i]), .X(c[i+1]), .Y(Y[i]));
      end else begin : top
        // top bit: the sum as an XOR; the carry out as gates (removed when unused)
        assign Y[i] = AA[i] ^ BB[i] ^ c[i];
        assign c[i+1] = (AA[i] & BB[i]) | (c[i] & (AA[i] ^ BB[i]));
      end
    end
  endgenerate
  assign CO = c[Y_WIDTH:1];
endmodule
`endif

`ifndef MF45_PREFIX
(* techmap_celltype = "$lcu" *)
module _80_mf45_lcu_ripple (P, G, CI, CO);
  parameter WIDTH = 2;

  (* force_downto *) input  [WIDTH-1:0] P, G;
  input CI;
  (* force_downto *) output [WIDTH-1:0] CO;

  genvar i;
  generate
    for (i = 0; i < WIDTH; i = i + 1) begin : slice
      wire cin, pc;
      if (i == 0) begin : first
        assign cin = CI;
      end else begin : rest
        assign cin = CO[i-1];
      end
      \$_AND_ a0 (.A(P[i]), .B(cin), .Y(pc));
      \$_OR_  o0 (.A(G[i]), .B(pc),  .Y(CO[i]));
    end
  endgenerate
endmodule
`endif

// mf_lzc: leading-zero count of a W-bit vector, as a log-depth tree.
//
// cnt = number of zeros above the most significant one of x; cnt = W when
// x == 0. Output width $clog2(W+1).
//
// The input is padded below with a single one (and zeros up to a power of two)
// so the count of an all-zero x falls out as W without a separate zero flag,
// and the root of the tree needs no valid bit. Each node of level k combines
// two nodes of level k-1: when the upper half holds a one its count wins,
// otherwise the count is 2^(k-1) (a leading 1 bit) plus the lower half's count.
// Only the valid bits that a parent reads are built.
//
// Reusable primitive of macforge (rtl/); Verilog-2005.
module mf_lzc #(
  parameter W = 8
) (
  input  wire [W-1:0]           x,
  output wire [$clog2(W+1)-1:0] cnt
);
  localparam L = $clog2(W + 1);  // tree levels
  localparam P = 1 << L;         // padded width, P >= W + 1

  genvar lv, nd;
  generate
    if (W == 1) begin : g_one
      assign cnt = ~x;
    end else begin : g_tree
      // Bit 0 of the padded vector is never read: below every other bit it can
      // only decide between counts P-1 and P, and the count never exceeds W < P.
      wire [P-1:1] pad;
      if (P == W + 1) begin : g_pad_none
        assign pad = x;
      end else if (P == W + 2) begin : g_pad_one
        assign pad = {x, 1'b1};
      end else begin : g_pad_more
        assign pad = {x, 1'b1, {(P - W - 2){1'b0}}};
      end
      for (lv = 1; lv <= L; lv = lv + 1) begin : g_lv
        for (nd = 0; nd < (P >> lv); nd = nd + 1) begin : g_nd
          // Node nd of level lv covers pad bits [nd*2^lv +: 2^lv].
          wire [lv-1:0] c;
          // A parent reads the valid bit of its upper child, and of its lower
          // child only when it needs a valid bit itself: a node needs one
          // unless it lies on the lowest path of the tree (nd a multiple of
          // 2^(L-lv)), whose valid bits nobody reads.
          if (lv < L && (nd % (1 << (L - lv))) != 0) begin : g_val
            wire v;
            if (lv == 1) begin : g_leaf
              assign v = pad[2 * nd + 1] | pad[2 * nd];
            end else begin : g_inner
              assign v = g_lv[lv - 1].g_nd[2 * nd + 1].g_val.v | g_lv[lv - 1].g_nd[2 * nd].g_val.v;
            end
          end
          if (lv == 1) begin : g_leaf_c
            assign c = ~pad[2 * nd + 1];
          end else begin : g_inner_c
            assign c = g_lv[lv - 1].g_nd[2 * nd + 1].g_val.v
                     ? {1'b0, g_lv[lv - 1].g_nd[2 * nd + 1].c}
                     : {1'b1, g_lv[lv - 1].g_nd[2 * nd].c};
          end
        end
      end
      assign cnt = g_lv[L].g_nd[0].c;
    end
  endgenerate
endmodule

// mf_fp32_mul: IEEE 754 binary32 multiply, y = RNE32(a * b), combinational.
//
// Round to nearest, ties to even; subnormal operands and results (no flush to
// zero); overflow rounds to +-Inf; Inf * 0 = NaN; a NaN result is the
// canonical quiet NaN 0x7FC00000 (payloads are not propagated). The sign of a
// zero or infinite result is the xor of the operand signs.
//
// Datapath: the 24x24 significand product is exact (48 bits); it is normalized
// by one leading-zero count and a left shift that stops at the subnormal
// exponent, or shifted right with a sticky bit when the product is below the
// subnormal range; then rounded once. Subnormal operands need no separate
// pre-normalization because the left shift covers their leading zeros.
//
// Reusable primitive of macforge (rtl/); Verilog-2005. Uses mf_lzc.
module mf_fp32_mul (
  input  wire [31:0] a,
  input  wire [31:0] b,
  output wire [31:0] y
);
  wire        a_sgn = a[31];
  wire [7:0]  a_expf = a[30:23];
  wire [22:0] a_man = a[22:0];
  wire        b_sgn = b[31];
  wire [7:0]  b_expf = b[30:23];
  wire [22:0] b_man = b[22:0];

  wire a_nrm  = |a_expf;
  wire b_nrm  = |b_expf;
  wire a_top  = &a_expf;
  wire b_top  = &b_expf;
  wire a_nan  = a_top & |a_man;
  wire b_nan  = b_top & |b_man;
  wire a_inf  = a_top & ~|a_man;
  wire b_inf  = b_top & ~|b_man;
  wire a_zero = ~a_nrm & ~|a_man;
  wire b_zero = ~b_nrm & ~|b_man;
  wire y_sgn  = a_sgn ^ b_sgn;

  // A subnormal has exponent field 0 but weighs like exponent 1 without the
  // implicit bit: exp = max(field, 1).
  wire [23:0] a_sig = {a_nrm, a_man};
  wire [23:0] b_sig = {b_nrm, b_man};
  wire [9:0]  a_exp = {2'b00, a_expf[7:1], a_expf[0] | ~a_nrm};
  wire [9:0]  b_exp = {2'b00, b_expf[7:1], b_expf[0] | ~b_nrm};

  wire [47:0] prod = {24'd0, a_sig} * {24'd0, b_sig};

  // Bit 47 of prod has the biased exponent a_exp + b_exp - 126. Shifting left
  // by s moves it to a_exp + b_exp - 126 - s; the subnormal frame (biased 1)
  // is reached at s = room = a_exp + b_exp - 127. A negative room means the
  // product lies below that frame and must be shifted right by -room.
  wire [9:0]  esum = a_exp + b_exp;
  wire [9:0]  room = esum - 10'd127;
  wire        below = room[9];  // esum < 127 (esum <= 508 keeps room positive otherwise)

  wire [5:0]  lz;
  mf_lzc #(.W(48)) u_lzc (.x(prod), .cnt(lz));

  // Left: s = min(lz, room).
  wire        lz_fits = {4'd0, lz} <= room;
  wire [5:0]  lsh = lz_fits ? lz : room[5:0];
  wire [47:0] left = prod << lsh;
  wire [9:0]  left_exp = esum - 10'd126 - {4'd0, lsh};

  // Right: by 127 - esum (1..125); 48 or more leaves only the sticky bit.
  wire [9:0]  rsh_full = 10'd127 - esum;
  wire [5:0]  rsh = (rsh_full > 10'd48) ? 6'd48 : rsh_full[5:0];
  wire [47:0] right = prod >> rsh;
  wire        right_st = |(prod & ~({48{1'b1}} << rsh));

  wire [47:0] nrm = below ? right : left;
  wire        nrm_st = below & right_st;
  // The exponent field: biased exponent when bit 47 is set, else 0 (subnormal).
  wire [7:0]  expf = nrm[47] ? left_exp[7:0] : 8'd0;
  wire        ovf = ~below & nrm[47] & (left_exp >= 10'd255);

  wire        guard = nrm[23];
  wire        sticky = |nrm[22:0] | nrm_st;
  wire        up = guard & (sticky | nrm[24]);
  // A carry out of the mantissa moves into the exponent field, which is what
  // rounding up from the largest subnormal or significand needs; from
  // exponent 254 it produces exactly the Inf encoding.
  wire [30:0] rounded = {expf, nrm[46:24]} + {30'd0, up};

  assign y = (a_nan | b_nan | (a_inf & b_zero) | (a_zero & b_inf)) ? 32'h7FC00000 :
             (a_inf | b_inf | ovf) ? {y_sgn, 8'hFF, 23'd0} :
             (a_zero | b_zero)     ? {y_sgn, 31'd0} :
                                     {y_sgn, rounded};
endmodule

// macforge45_cells.v -- simulation models of the cells in macforge45.lib
//
// Verilog-2005, behavioural and synthesizable.  Module names are the Liberty
// cell names and port names are the Liberty pin names, so a netlist written
// by synth_template.ys (write_verilog -noattr) simulates against these
// models directly (iverilog, Verilator).  Functions follow the Liberty
// `function` / `ff` attributes:
//   cell       inputs        outputs  function
//   INV_X1     A             ZN       !A
//   BUF_X1     A             Z        A
//   NAND2_X1   A1 A2         ZN       !(A1 & A2)
//   NAND3_X1   A1 A2 A3      ZN       !(A1 & A2 & A3)
//   NOR2_X1    A1 A2         ZN       !(A1 | A2)
//   NOR3_X1    A1 A2 A3      ZN       !(A1 | A2 | A3)
//   AND2_X1    A1 A2         ZN       A1 & A2
//   OR2_X1     A1 A2         ZN       A1 | A2
//   XOR2_X1    A B           Z        A ^ B
//   XNOR2_X1   A B           ZN       !(A ^ B)
//   MUX2_X1    A B S         Z        S ? B : A
//   AOI21_X1   A B1 B2       ZN       !(A | (B1 & B2))
//   OAI21_X1   A B1 B2       ZN       !(A & (B1 | B2))
//   FA_X1      A B CI        S CO     S = A^B^CI, CO = majority(A,B,CI)
//   HA_X1      A B           S CO     S = A^B,    CO = A & B
//   DFF_X1     D CK          Q        Q <= D on rising CK
//   DFFR_X1    D RN CK       Q        Q <= D on rising CK, Q = 0 while RN = 0
//                                     (asynchronous, active-low reset)
// There is no enable flop: synthesis builds one from MUX2_X1 + DFF_X1.

// One file holds every cell, so its name cannot match the module names:
// the DECLFILENAME style warning of Verilator -Wall is waived here only.
/* verilator lint_off DECLFILENAME */
`default_nettype none

module INV_X1 (input wire A, output wire ZN);
  assign ZN = ~A;
endmodule

module BUF_X1 (input wire A, output wire Z);
  assign Z = A;
endmodule

module NAND2_X1 (input wire A1, input wire A2, output wire ZN);
  assign ZN = ~(A1 & A2);
endmodule

module NAND3_X1 (input wire A1, input wire A2, input wire A3, output wire ZN);
  assign ZN = ~(A1 & A2 & A3);
endmodule

module NOR2_X1 (input wire A1, input wire A2, output wire ZN);
  assign ZN = ~(A1 | A2);
endmodule

module NOR3_X1 (input wire A1, input wire A2, input wire A3, output wire ZN);
  assign ZN = ~(A1 | A2 | A3);
endmodule

module AND2_X1 (input wire A1, input wire A2, output wire ZN);
  assign ZN = A1 & A2;
endmodule

module OR2_X1 (input wire A1, input wire A2, output wire ZN);
  assign ZN = A1 | A2;
endmodule

module XOR2_X1 (input wire A, input wire B, output wire Z);
  assign Z = A ^ B;
endmodule

module XNOR2_X1 (input wire A, input wire B, output wire ZN);
  assign ZN = ~(A ^ B);
endmodule

module MUX2_X1 (input wire A, input wire B, input wire S, output wire Z);
  assign Z = S ? B : A;
endmodule

module AOI21_X1 (input wire A, input wire B1, input wire B2, output wire ZN);
  assign ZN = ~(A | (B1 & B2));
endmodule

module OAI21_X1 (input wire A, input wire B1, input wire B2, output wire ZN);
  assign ZN = ~(A & (B1 | B2));
endmodule

module FA_X1 (input wire A, input wire B, input wire CI, output wire S, output wire CO);
  assign S  = A ^ B ^ CI;
  assign CO = (A & B) | (CI & (A | B));
endmodule

module HA_X1 (input wire A, input wire B, output wire S, output wire CO);
  assign S  = A ^ B;
  assign CO = A & B;
endmodule

module DFF_X1 (input wire D, input wire CK, output reg Q);
  always @(posedge CK)
    Q <= D;
endmodule

module DFFR_X1 (input wire D, input wire RN, input wire CK, output reg Q);
  always @(posedge CK or negedge RN)
    if (!RN)
      Q <= 1'b0;
    else
      Q <= D;
endmodule

`default_nettype wire
/* verilator lint_on DECLFILENAME */

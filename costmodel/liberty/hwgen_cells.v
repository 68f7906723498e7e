// Simulation models of the cells of hwgen's embedded library hwgen_sky130hd_tt_025C_1v80
// (hwgen_sky130hd_tt.lib beside this file): one module per cell, the ports and logic
// function of its Liberty pins, zero delay. Written for hwgen; costmodel's tests prove each
// model equivalent to the function Yosys reads from the Liberty file.
`default_nettype none

module hwgen_inv (input wire A, output wire Y);
  assign Y = ~A;
endmodule

module hwgen_buf (input wire A, output wire X);
  assign X = A;
endmodule

module hwgen_nand2 (input wire A, input wire B, output wire Y);
  assign Y = ~(A & B);
endmodule

module hwgen_nand3 (input wire A, input wire B, input wire C, output wire Y);
  assign Y = ~(A & B & C);
endmodule

module hwgen_nor2 (input wire A, input wire B, output wire Y);
  assign Y = ~(A | B);
endmodule

module hwgen_nor3 (input wire A, input wire B, input wire C, output wire Y);
  assign Y = ~(A | B | C);
endmodule

module hwgen_and2 (input wire A, input wire B, output wire X);
  assign X = A & B;
endmodule

module hwgen_or2 (input wire A, input wire B, output wire X);
  assign X = A | B;
endmodule

module hwgen_xor2 (input wire A, input wire B, output wire X);
  assign X = A ^ B;
endmodule

module hwgen_xnor2 (input wire A, input wire B, output wire Y);
  assign Y = ~(A ^ B);
endmodule

module hwgen_aoi21 (input wire A1, input wire A2, input wire B1, output wire Y);
  assign Y = ~((A1 & A2) | B1);
endmodule

module hwgen_oai21 (input wire A1, input wire A2, input wire B1, output wire Y);
  assign Y = ~((A1 | A2) & B1);
endmodule

module hwgen_aoi22 (input wire A1, input wire A2, input wire B1, input wire B2, output wire Y);
  assign Y = ~((A1 & A2) | (B1 & B2));
endmodule

module hwgen_mux2 (input wire A0, input wire A1, input wire S, output wire X);
  assign X = S ? A1 : A0;
endmodule

module hwgen_maj3 (input wire A, input wire B, input wire C, output wire X);
  assign X = (A & B) | (A & C) | (B & C);
endmodule

module hwgen_dff (input wire CLK, input wire D, output reg Q);
  always @(posedge CLK) Q <= D;
endmodule

module hwgen_dffr (input wire CLK, input wire D, input wire RESET_B, output reg Q);
  always @(posedge CLK or negedge RESET_B)
    if (!RESET_B) Q <= 1'b0;
    else Q <= D;
endmodule

module hwgen_tie (output wire HI, output wire LO);
  assign HI = 1'b1;
  assign LO = 1'b0;
endmodule

`default_nettype wire

module hwgen_nor2b (input wire A, input wire B_N, output wire Y);
  assign Y = (~A & B_N);
endmodule

module hwgen_nand2b (input wire A_N, input wire B, output wire Y);
  assign Y = (A_N) | (~B);
endmodule

module hwgen_o21a (input wire A1, input wire A2, input wire B1, output wire X);
  assign X = (A1 & B1) | (A2 & B1);
endmodule

module hwgen_a21o (input wire A1, input wire A2, input wire B1, output wire X);
  assign X = (A1 & A2) | (B1);
endmodule

module hwgen_nand4 (input wire A, input wire B, input wire C, input wire D, output wire Y);
  assign Y = (~A) | (~B) | (~C) | (~D);
endmodule

module hwgen_and3 (input wire A, input wire B, input wire C, output wire X);
  assign X = (A & B & C);
endmodule

module hwgen_a31oi (input wire A1, input wire A2, input wire A3, input wire B1, output wire Y);
  assign Y = (~A1 & ~B1) | (~A2 & ~B1) | (~A3 & ~B1);
endmodule

module hwgen_xnor3 (input wire A, input wire B, input wire C, output wire X);
  assign X = (~A & ~B & ~C) | (A & B & ~C) | (A & ~B & C) | (~A & B & C);
endmodule

module hwgen_o21bai (input wire A1, input wire A2, input wire B1_N, output wire Y);
  assign Y = (~A1 & ~A2) | (B1_N);
endmodule

module hwgen_a211oi (input wire A1, input wire A2, input wire B1, input wire C1, output wire Y);
  assign Y = (~A1 & ~B1 & ~C1) | (~A2 & ~B1 & ~C1);
endmodule

module hwgen_o211ai (input wire A1, input wire A2, input wire B1, input wire C1, output wire Y);
  assign Y = (~A1 & ~A2) | (~B1) | (~C1);
endmodule

module hwgen_a21boi (input wire A1, input wire A2, input wire B1_N, output wire Y);
  assign Y = (~A1 & B1_N) | (~A2 & B1_N);
endmodule

module hwgen_xor3 (input wire A, input wire B, input wire C, output wire X);
  assign X = (A & ~B & ~C) | (~A & B & ~C) | (~A & ~B & C) | (A & B & C);
endmodule

module hwgen_mux2i (input wire A0, input wire A1, input wire S, output wire Y);
  assign Y = (~A0 & ~S) | (~A1 & S);
endmodule

module hwgen_nor3b (input wire A, input wire B, input wire C_N, output wire Y);
  assign Y = (~A & ~B & C_N);
endmodule

module hwgen_a22o (input wire A1, input wire A2, input wire B1, input wire B2, output wire X);
  assign X = (B1 & B2) | (A1 & A2);
endmodule

module hwgen_and4 (input wire A, input wire B, input wire C, input wire D, output wire X);
  assign X = (A & B & C & D);
endmodule

module hwgen_o31ai (input wire A1, input wire A2, input wire A3, input wire B1, output wire Y);
  assign Y = (~A1 & ~A2 & ~A3) | (~B1);
endmodule

module hwgen_mux4 (input wire A0, input wire A1, input wire A2, input wire A3, input wire S0, input wire S1, output wire X);
  assign X = (A0 & ~S0 & ~S1) | (A1 & S0 & ~S1) | (A2 & ~S0 & S1) | (A3 & S0 & S1);
endmodule

module hwgen_o31a (input wire A1, input wire A2, input wire A3, input wire B1, output wire X);
  assign X = (A1 & B1) | (A2 & B1) | (A3 & B1);
endmodule

module hwgen_a31o (input wire A1, input wire A2, input wire A3, input wire B1, output wire X);
  assign X = (A1 & A2 & A3) | (B1);
endmodule

module hwgen_nor4 (input wire A, input wire B, input wire C, input wire D, output wire Y);
  assign Y = (~A & ~B & ~C & ~D);
endmodule

module hwgen_a2111oi (input wire A1, input wire A2, input wire B1, input wire C1, input wire D1, output wire Y);
  assign Y = (~A1 & ~B1 & ~C1 & ~D1) | (~A2 & ~B1 & ~C1 & ~D1);
endmodule

module hwgen_oai22 (input wire A1, input wire A2, input wire B1, input wire B2, output wire Y);
  assign Y = (~B1 & ~B2) | (~A1 & ~A2);
endmodule

module hwgen_or3 (input wire A, input wire B, input wire C, output wire X);
  assign X = (A) | (B) | (C);
endmodule

module hwgen_a21bo (input wire A1, input wire A2, input wire B1_N, output wire X);
  assign X = (A1 & A2) | (~B1_N);
endmodule

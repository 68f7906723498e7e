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

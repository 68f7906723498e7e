// Behavioural signed integer multiply-accumulate: acc <= acc + a * w.
//
// The area baseline for hwgen's INT x INT MAC: the plainest way to write the datapath, left
// entirely to the synthesis tool. Synchronous active-high reset, no input registers.
// ACC_BITS must be at least A_BITS + W_BITS (the product is sign-extended into it).
module ref_mac_int #(
    parameter A_BITS = 8,
    parameter W_BITS = 8,
    parameter ACC_BITS = 32
) (
    input wire clk,
    input wire rst,
    input wire signed [A_BITS-1:0] a,
    input wire signed [W_BITS-1:0] w,
    output reg signed [ACC_BITS-1:0] acc
);
    // Sized by its context: a and w are sign-extended to ACC_BITS before multiplying, so
    // the product is exact and width-clean; synthesis narrows the multiplier again.
    wire signed [ACC_BITS-1:0] prod = a * w;

    always @(posedge clk) begin
        if (rst) acc <= {ACC_BITS{1'b0}};
        else acc <= acc + prod;
    end
endmodule

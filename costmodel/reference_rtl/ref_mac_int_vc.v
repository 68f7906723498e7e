// Behavioural signed integer multiply-accumulate with valid / clear.
//
// Same port semantics as hwgen's MAC unit (docs/hardware.md): with valid the product is
// accumulated (clear & valid starts a new sum with it), clear alone zeroes the accumulator.
// Synchronous active-high reset, no input registers. ACC_BITS >= A_BITS + W_BITS.
module ref_mac_int_vc #(
    parameter A_BITS = 8,
    parameter W_BITS = 8,
    parameter ACC_BITS = 32
) (
    input wire clk,
    input wire rst,
    input wire signed [A_BITS-1:0] a,
    input wire signed [W_BITS-1:0] w,
    input wire valid,
    input wire clear,
    output reg signed [ACC_BITS-1:0] acc
);
    // Sized by its context: exact sign-extended product, see ref_mac_int.v.
    wire signed [ACC_BITS-1:0] prod = a * w;

    always @(posedge clk) begin
        if (rst) acc <= {ACC_BITS{1'b0}};
        else if (valid) acc <= clear ? prod : acc + prod;
        else if (clear) acc <= {ACC_BITS{1'b0}};
    end
endmodule

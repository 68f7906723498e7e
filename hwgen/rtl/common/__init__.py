"""Hardware parts shared by the design families (decoders, multipliers, datapath blocks)."""

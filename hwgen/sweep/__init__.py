"""Design-space sweeps: generate -> verify -> cost over many designs.

:mod:`~hwgen.sweep.demo` holds the fixed sweep of ``hwgen demo``; the general sweep runner
(keyed on ``config_hash`` + :meth:`hwgen.sim.verify.VerifyOptions.key`) lives here too.
"""

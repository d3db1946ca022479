"""Fast detector simulation: setups (TOML), EM shower track lengths, muon transport, response."""

"""Policy data of the crypto scanner (cipher suites, TLS profiles, SSH grades)."""

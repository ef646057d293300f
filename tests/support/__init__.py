"""What the tests share: builders, clients and guards. One home, so a helper is written once."""

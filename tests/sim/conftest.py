"""Fixtures of the simulator tests (site builders live in sim_sites.py)."""

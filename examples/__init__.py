"""Runnable examples: each seed application rebuilt on dynamap."""

"""Seed 001, prompt-to-issue: users, conversations, messages and tickets in one table."""

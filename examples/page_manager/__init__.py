"""Seed 000, the page manager: pages and their nodes in one `PageManager` table."""

"""Seed 003, Video Gennie: generation states behind the seed's storage interface."""

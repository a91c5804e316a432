"""Recommender API: findings of waste (idle, oversized, forgotten or public resources),
computed from the store, with the saving each would bring and the command that applies it."""

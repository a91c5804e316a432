"""Recommender API v1 (recommender.googleapis.com): recommendations of projects."""

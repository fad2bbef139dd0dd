"""Fitting (train) and scoring (predict) of the media-influence models."""

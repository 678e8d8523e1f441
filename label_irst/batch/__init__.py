"""Batch jobs shared by the command line and the app: point/box to mask, mask evaluation."""

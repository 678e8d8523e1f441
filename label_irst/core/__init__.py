"""Qt-free, torch-free algorithms on numpy arrays: PAMG, geometry, metrics, synthetic frames."""

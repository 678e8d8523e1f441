"""Reading frames and sequences, writing masks atomically, parsing points and boxes."""

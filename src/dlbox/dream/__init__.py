"""Inceptionism (notes 3.9.2): DeepDream and content enhancing."""

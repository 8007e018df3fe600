"""Image classification: train, evaluate, predict, and transfer learning (notes 3.6)."""

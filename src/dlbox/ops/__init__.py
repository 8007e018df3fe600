"""Pure tensor operations models and tasks share (torchvision ops style)."""

"""Object detection with YOLOv3 (notes 3.12): train, evaluate, predict, fit anchors, export scenes."""

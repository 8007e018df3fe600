"""Object detection (notes 3.12): anchors, box coding, target assignment, YOLOv3 losses, postprocessing.

Pure functions over tensors; the model is :mod:`dlbox.models.yolov3`, the box
and NMS operations are in :mod:`dlbox.ops`.
"""

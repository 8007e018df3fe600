"""Pure, typed tensor operations (torchvision ``ops`` style), one concept per module: ``boxes`` (IoU, formats),
``nms``, ``letterbox``, ``anchors`` (published anchors as data), ``crop``, ``unet_sizes``.

Import from the module (``from dlbox.ops.boxes import box_iou``): this package imports nothing, so a model
that needs ``ops.crop`` does not pull in torchvision's box kernels (and ``torch._dynamo``) at import.
"""

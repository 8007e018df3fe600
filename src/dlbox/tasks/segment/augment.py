"""Joint image + mask augmentation with torchvision transforms v2 (``tv_tensors.Mask``).

Geometric transforms must move image and mask together; v2 does this when the
mask is wrapped as a :class:`tv_tensors.Mask` (nearest-neighbour, no blending
of class indices). Pixels shifted in from outside the image get the ignore
index, so they do not count. The transform runs on whole batches on the
training device; a batch is cut into ``groups`` chunks that each draw their own
random parameters (one draw per call is v2's batched behaviour).
"""

from __future__ import annotations

import torch


class JointAugment:
    """``(image (B, C, H, W), mask (B, H, W))`` -> the same shapes, transformed alike."""

    def __init__(self, ignore_index: int = 255, groups: int = 4, max_shift: float = 0.1, scale: tuple[float, float] = (0.9, 1.1)):
        from torchvision import tv_tensors
        from torchvision.transforms import v2

        self.groups = groups
        self.transform = v2.Compose(
            [
                v2.RandomHorizontalFlip(),
                v2.RandomVerticalFlip(),
                v2.RandomAffine(
                    degrees=0, translate=(max_shift, max_shift), scale=scale,
                    fill={tv_tensors.Image: 0.0, tv_tensors.Mask: ignore_index},
                ),
            ]
        )

    def __call__(self, image: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        from torchvision import tv_tensors

        images, masks = [], []
        for x, m in zip(image.chunk(self.groups), mask.chunk(self.groups)):
            x, m = self.transform(tv_tensors.Image(x), tv_tensors.Mask(m))
            images.append(x.as_subclass(torch.Tensor))
            masks.append(m.as_subclass(torch.Tensor))
        return torch.cat(images), torch.cat(masks)

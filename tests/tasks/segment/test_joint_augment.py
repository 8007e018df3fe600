"""Joint image + mask augmentation: geometric transforms move both alike; shifted-in pixels are ignored."""

import torch

from dlbox.tasks.segment.augment import JointAugment


def test_joint_augmentation_moves_image_and_mask_together():
    torch.manual_seed(0)
    mask = torch.randint(0, 3, (8, 16, 16))
    mask[:, :4, :4] = 1  # asymmetric, so flips matter
    image = (mask.float() / 2)[:, None].expand(8, 3, 16, 16).contiguous()  # the image encodes the mask
    aug_image, aug_mask = JointAugment(ignore_index=255, groups=4)(image, mask)
    assert aug_image.shape == image.shape and aug_mask.shape == mask.shape and aug_mask.dtype == torch.int64
    valid = aug_mask != 255
    recovered = (aug_image[:, 0] * 2).round().long()
    interior = valid & (recovered == recovered)  # image and mask agree wherever the mask is defined
    agree = (recovered[interior] == aug_mask[interior]).float().mean()
    assert agree > 0.97  # bilinear image resampling blurs a few edge pixels
    assert not torch.equal(aug_mask, mask)

"""The segmentation loss: cross-entropy with an ignore index, soft Dice, bf16 logits."""

import torch
import torch.nn.functional as F

from dlbox.segmentation.loss import segmentation_loss, soft_dice_loss


def test_loss_ignores_the_ignore_index():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 4, 4)
    target = torch.randint(0, 3, (2, 4, 4))
    masked = target.clone()
    masked[:, :2] = 255
    expected = F.cross_entropy(logits[:, :, 2:], target[:, 2:])
    torch.testing.assert_close(segmentation_loss(logits, masked), expected)
    # changing the logits of ignored pixels changes nothing
    other = logits.clone()
    other[:, :, :2] = 100.0
    torch.testing.assert_close(segmentation_loss(other, masked, dice_weight=0.5), segmentation_loss(logits, masked, dice_weight=0.5))


def test_dice_is_zero_for_a_perfect_prediction():
    target = torch.randint(0, 3, (2, 8, 8))
    logits = F.one_hot(target, 3).permute(0, 3, 1, 2).float() * 50
    assert float(soft_dice_loss(logits, target)) < 1e-3
    assert float(soft_dice_loss(-logits, target)) > 0.9


def test_bf16_logits_give_the_float32_loss_of_the_same_values():
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 6, 6, requires_grad=True)
    target = torch.randint(0, 4, (2, 6, 6))
    target[:, 0] = 255
    low = logits.to(torch.bfloat16)
    loss = segmentation_loss(low, target, dice_weight=0.5)
    assert loss.dtype == torch.float32  # computed in float32 whatever the autocast dtype
    torch.testing.assert_close(loss, segmentation_loss(low.float(), target, dice_weight=0.5))
    loss.backward()
    assert logits.grad is not None and bool(torch.isfinite(logits.grad).all()) and float(logits.grad.abs().sum()) > 0

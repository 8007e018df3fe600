import torch
import torch.nn as nn

from dlbox.autoencoders.step import AutoencoderTask


class _Fabric:
    device = torch.device("cpu")

    def backward(self, loss):
        loss.backward()


class Spy(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(0.5))
        self.seen = None

    def forward(self, x):
        self.seen = x
        return x * self.scale


def test_denoising_feeds_noisy_inputs_and_targets_the_clean_image():
    model = Spy()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    x = torch.full((4, 1, 2, 2), 0.5)
    task = AutoencoderTask(_Fabric(), model, opt, None, [{"image": x}], noise=0.3)
    out = task.train_step({"image": x})
    assert not torch.equal(model.seen, x)  # the input was corrupted
    assert out["loss"].ndim == 0 and task.batch_size({"image": x}) == 4
    plain = AutoencoderTask(_Fabric(), model, opt, None, [{"image": x}])
    losses = [float(plain.train_step({"image": x})["loss"]) for _ in range(5)]
    assert torch.equal(model.seen, x) and losses[-1] < losses[0]  # learns the identity
    v1, v2 = task.validate(), task.validate()
    assert v1 == v2 and set(v1) == {"val_loss", "val_psnr"}  # the same validation noise every epoch

import pytest
import torch

import dlbox.models.autoencoder  # noqa: F401  registers conv_autoencoder
from dlbox.models import create_model, list_models


@pytest.mark.parametrize("channels,size,ch", [(1, 8, [8, 16]), (3, 30, [4, 8, 8]), (3, (12, 20), [4])])
def test_shapes_range_and_names(channels, size, ch):
    m = create_model("conv_autoencoder", in_channels=channels, image_size=size, channels=ch, latent_dim=3)
    h, w = (size, size) if isinstance(size, int) else size
    x = torch.rand(2, channels, h, w)
    z = m.encode(x)
    y = m(x)
    assert z.shape == (2, 3) and y.shape == x.shape
    assert y.min() >= 0 and y.max() <= 1
    assert torch.allclose(m.decode(z), y)
    names = dict(m.named_modules())
    assert {"encoder.conv1", "encoder.fc", "decoder.fc", "decoder.deconv1"} <= set(names)


def test_deeper_stages_and_bad_arguments():
    m = create_model("conv_autoencoder", channels=[8, 16], convs_per_stage=2)
    assert "encoder.conv1_2" in dict(m.named_modules())
    assert m(torch.rand(1, 1, 8, 8)).shape == (1, 1, 8, 8)
    with pytest.raises(ValueError, match="latent_dim"):
        create_model("conv_autoencoder", latent_dim=0)
    with pytest.raises(ValueError, match="convs_per_stage"):
        create_model("conv_autoencoder", convs_per_stage=0)


def test_registered_and_rebuilt_by_load_model(tmp_path):
    from dlbox.model_io import load_model, save_model

    assert "conv_autoencoder" in list_models()
    m = create_model("conv_autoencoder", channels=[4, 8], latent_dim=2)
    save_model(tmp_path, m, {"task": "autoencode", "input": {"channels": 1, "size": [8, 8]}})
    back = load_model(tmp_path)
    x = torch.rand(3, 1, 8, 8)
    assert torch.equal(back(x), m.eval()(x)) and back.latent_dim == 2

"""Looking inside a network: load one (run dir, dlbox model, torchvision) and hook its layers by name."""

from dlbox.features.extractor import FeatureExtractor, UnknownLayerError, layer_names, list_layers, resolve_layer
from dlbox.features.sources import Network, load_network

__all__ = ["FeatureExtractor", "Network", "UnknownLayerError", "layer_names", "list_layers", "load_network", "resolve_layer"]

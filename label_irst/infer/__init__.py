"""ONNX Runtime inference of RPR-Net: sessions with provider fallback, encoder cache, decoding, pre-labelling."""

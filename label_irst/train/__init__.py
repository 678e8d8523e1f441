"""RPR-Net (Sec. III-B): model, losses, supervision from points, training and ONNX export. torch lives only here."""

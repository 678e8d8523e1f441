"""The EDGSP network: a small prompt-conditioned CNN on the crop around a click.

Body: a stack of 3x3 convolutions (BatchNorm, ReLU) with dilations 1, 2, 4, 8, 1, so one output
pixel sees 33 x 33 input pixels -- the whole 32 px crop -- at the cost of full-resolution
features (no pooling, no upsampling: small targets lose nothing to striding). Its input is the
four channels of :func:`label_irst.core.edgsp.channels`: TEI energy, local SCR, Sobel edge map
and the Gaussian prompt (first embedding of DPE, Eq. 1-2). Head (Eq. 3): the prompt map and
the TEI channel are concatenated again with the body's features (second embedding of DPE)
before a 3x3 and a 1x1 convolution give one logit per pixel. The ONNX graph ends with the
sigmoid (the saliency map O_s).
"""

from __future__ import annotations

import torch
from torch import nn

from label_irst.core.edgsp import CHANNELS

DILATIONS = (1, 2, 4, 8, 1)
WIDTH = 16


class EDGSPNet(nn.Module):
    def __init__(self, width: int = WIDTH, dilations: tuple[int, ...] = DILATIONS):
        super().__init__()
        self.config = {"width": int(width), "dilations": list(dilations)}
        layers: list[nn.Module] = []
        cin = CHANNELS
        for d in dilations:
            layers += [
                nn.Conv2d(cin, width, 3, padding=d, dilation=d, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
            ]
            cin = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Conv2d(width + 2, width, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, 1, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, 1, S, S) of the input channels (N, 4, S, S)."""
        feats = self.body(x)
        late = torch.cat([feats, x[:, 0:1], x[:, 3:4]], dim=1)  # DPE: the prompt again
        return self.head(late)


class WithSigmoid(nn.Module):
    """The exported graph: probabilities instead of logits."""

    def __init__(self, net: EDGSPNet):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.sigmoid(self.net(x))


def build(config: dict | None = None) -> EDGSPNet:
    config = config or {}
    return EDGSPNet(config.get("width", WIDTH), tuple(config.get("dilations", DILATIONS)))


def parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())

"""The single-frame segmenter: a small nested U-Net in the spirit of DNA-Net.

DNA-Net's dense nested interactive module is UNet++'s grid of nodes X(i, j): row ``i`` is a
scale (``i`` poolings deep), column ``j`` a stage of the nested skip paths,

    X(i, 0) = F(pool(X(i-1, 0)))                                  (encoder)
    X(i, j) = F([X(i, 0), ..., X(i, j-1), up(X(i+1, j-1))])        (nested skips, j >= 1)

so a small target's shallow features are fused with deeper context several times before the
output instead of once (the reason DNA-Net keeps small targets that a plain U-Net's pooling
loses). ``F`` is a residual block of two 3x3 convolutions (BatchNorm, ReLU). The output is a
1x1 convolution of the top row's last node X(0, depth-1) and its concatenation with the other
top nodes (DNA-Net's feature pyramid fusion, reduced to one level). Widths default to 8, 16,
32, 64 (about 0.2 M parameters) so an epoch of sirst-v1 fits a couple of CPU cores; the input
side must be a multiple of ``2 ** (depth - 1)`` (the inference path pads it).

The input is one channel, the frame standardised per image (:func:`label_irst.infer.segmenter.
normalise`); the output is one logit per pixel. The exported graph ends with the sigmoid.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

WIDTHS = (8, 16, 32, 64)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.skip = (
            nn.Identity()
            if cin == cout
            else nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        )

    def forward(self, x):
        return F.relu(self.conv(x) + self.skip(x))


class NestedUNet(nn.Module):
    """Nodes X(i, j) for i + j < depth (see the module docstring)."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS):
        super().__init__()
        self.config = {"widths": [int(w) for w in widths]}
        self.depth = depth = len(widths)
        self.nodes = nn.ModuleDict()
        for i in range(depth):
            for j in range(depth - i):
                if j == 0:
                    cin = 1 if i == 0 else widths[i - 1]
                else:
                    cin = widths[i] * j + widths[i + 1]
                self.nodes[f"{i}_{j}"] = ResBlock(cin, widths[i])
        self.fuse = nn.Conv2d(widths[0] * (depth - 1), widths[0], 3, padding=1)
        self.head = nn.Conv2d(widths[0], 1, 1)

    @property
    def stride(self) -> int:
        return 2 ** (self.depth - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, 1, H, W) of the standardised frames (N, 1, H, W)."""
        grid: dict[tuple[int, int], torch.Tensor] = {}
        for i in range(self.depth):
            inp = x if i == 0 else F.max_pool2d(grid[(i - 1, 0)], 2)
            grid[(i, 0)] = self.nodes[f"{i}_0"](inp)
        for j in range(1, self.depth):
            for i in range(self.depth - j):
                up = F.interpolate(grid[(i + 1, j - 1)], scale_factor=2.0, mode="bilinear")
                same = [grid[(i, k)] for k in range(j)]
                grid[(i, j)] = self.nodes[f"{i}_{j}"](torch.cat([*same, up], dim=1))
        top = torch.cat([grid[(0, j)] for j in range(1, self.depth)], dim=1)
        return self.head(F.relu(self.fuse(top)) + grid[(0, self.depth - 1)])


class WithSigmoid(nn.Module):
    """The exported graph: probabilities instead of logits."""

    def __init__(self, net: NestedUNet):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.sigmoid(self.net(x))


def build(config: dict | None = None) -> NestedUNet:
    return NestedUNet(tuple((config or {}).get("widths", WIDTHS)))


def parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())

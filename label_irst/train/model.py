"""RPR-Net: the Radius-aware Point Regression Network (Sec. III-B, Fig. 1).

* Encoder (Sec. III-B1): a Siamese, shared-weight trimmed CSPDarknet-Tiny (width 0.5, depth 0.33,
  Stage 5 removed so the maximum stride is 16) and an FPN that fuses strides 16, 8 and 4 into one
  stride-4 feature map. It sees one frame at a time, so inference can run it once per frame.
* Temporal head: Temporal Difference Attention with the learnable global jitter gate
  (Eq. 10-12), Temporal Feature Fusion (Eq. 13-14), the Spatial Attention Block (Eq. 15) and
  three decoupled heads (heatmap, offset, radius; Sec. III-B4).

``temporal=False`` gives Table VI's Variant-Single: the current frame only, no TDA or fusion.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

WIDTH = 0.5
DEPTH = 0.33
STRIDE = 4
FEATURES = 64


def conv_bn(c_in: int, c_out: int, k: int = 1, s: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, k, s, k // 2, bias=False),
        nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.03),
        nn.SiLU(inplace=True),
    )


class Bottleneck(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv1 = conv_bn(c, c, 1)
        self.conv2 = conv_bn(c, c, 3)

    def forward(self, x):
        return x + self.conv2(self.conv1(x))


class CSPLayer(nn.Module):
    """Cross Stage Partial block: half the channels through n bottlenecks, then merged."""

    def __init__(self, c_in: int, c_out: int, n: int):
        super().__init__()
        hidden = c_out // 2
        self.conv1 = conv_bn(c_in, hidden, 1)
        self.conv2 = conv_bn(c_in, hidden, 1)
        self.blocks = nn.Sequential(*[Bottleneck(hidden) for _ in range(n)])
        self.conv3 = conv_bn(2 * hidden, c_out, 1)

    def forward(self, x):
        return self.conv3(torch.cat([self.blocks(self.conv1(x)), self.conv2(x)], 1))


class CSPDarknetTiny(nn.Module):
    """Trimmed CSPDarknet: stem (stride 2) and stages 2-4 (strides 4, 8, 16); no Stage 5."""

    def __init__(self, width: float = WIDTH, depth: float = DEPTH):
        super().__init__()
        c = int(64 * width)
        n = max(round(3 * depth), 1)
        self.stem = conv_bn(1, c, 3, 2)
        self.dark2 = nn.Sequential(conv_bn(c, 2 * c, 3, 2), CSPLayer(2 * c, 2 * c, n))
        self.dark3 = nn.Sequential(conv_bn(2 * c, 4 * c, 3, 2), CSPLayer(4 * c, 4 * c, 3 * n))
        self.dark4 = nn.Sequential(conv_bn(4 * c, 8 * c, 3, 2), CSPLayer(8 * c, 8 * c, 3 * n))
        self.channels = (2 * c, 4 * c, 8 * c)

    def forward(self, x):
        c2 = self.dark2(self.stem(x))
        c3 = self.dark3(c2)
        c4 = self.dark4(c3)
        return c2, c3, c4


class FPN(nn.Module):
    """Top-down Feature Pyramid: strides 16 -> 8 -> 4, one stride-4 map out."""

    def __init__(self, channels: tuple[int, int, int], out: int = FEATURES):
        super().__init__()
        self.lateral = nn.ModuleList([conv_bn(c, out, 1) for c in channels])
        self.smooth8 = conv_bn(out, out, 3)
        self.smooth4 = conv_bn(out, out, 3)

    def forward(self, c2, c3, c4):
        p4 = self.lateral[2](c4)
        p3 = self.smooth8(self.lateral[1](c3) + F.interpolate(p4, scale_factor=2.0, mode="nearest"))
        return self.smooth4(
            self.lateral[0](c2) + F.interpolate(p3, scale_factor=2.0, mode="nearest")
        )


class Encoder(nn.Module):
    """One frame (N, 1, H, W) -> stride-4 features (N, C, H/4, W/4); H, W multiples of 16."""

    def __init__(self, width: float = WIDTH, depth: float = DEPTH, features: int = FEATURES):
        super().__init__()
        self.backbone = CSPDarknetTiny(width, depth)
        self.fpn = FPN(self.backbone.channels, features)

    def forward(self, x):
        return self.fpn(*self.backbone(x))


class TemporalDifferenceAttention(nn.Module):
    """Eq. 10-12: D_t = C_mot(|f_t - f_t-1| + |f_t - f_t+1|), J = GAP(|f_t+1 - f_t-1|),
    G = exp(-alpha J), f_t' = f_t + G * D_t * f_t (alpha learnable, kept positive)."""

    def __init__(self, c: int, gate: bool = True):
        super().__init__()
        self.motion = nn.Sequential(nn.Conv2d(c, c, 1), nn.Sigmoid())
        self.log_alpha = nn.Parameter(torch.zeros(1))
        self.gate = gate

    def forward(self, prev, curr, nxt):
        d = self.motion((curr - prev).abs() + (curr - nxt).abs())
        if self.gate:
            jitter = (nxt - prev).abs().mean(dim=(1, 2, 3), keepdim=True)
            g = torch.exp(-torch.exp(self.log_alpha) * jitter)
        else:
            g = 1.0
        return curr + g * d * curr


class TemporalFeatureFusion(nn.Module):
    """Eq. 13-14: W = sigmoid(W2 relu(W1 GAP([f_t-1; f_t'; f_t+1]))), split in three, weighted
    sum, then a 3x3 smoothing convolution."""

    def __init__(self, c: int, reduction: int = 4):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(3 * c, 3 * c // reduction),
            nn.ReLU(inplace=True),
            nn.Linear(3 * c // reduction, 3 * c),
        )
        self.smooth = conv_bn(c, c, 3)
        self.c = c

    def forward(self, prev, curr, nxt):
        stack = torch.cat([prev, curr, nxt], 1)
        w = torch.sigmoid(self.mlp(stack.mean(dim=(2, 3))))[:, :, None, None]
        c = self.c
        return self.smooth(w[:, :c] * prev + w[:, c : 2 * c] * curr + w[:, 2 * c :] * nxt)


class SpatialAttention(nn.Module):
    """Eq. 15: M_s = sigmoid(C_7x7([AvgPool(F); MaxPool(F)])) over channels; F_final = F * M_s."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, 7, padding=3, bias=False)

    def forward(self, x):
        m = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], 1)
        return x * torch.sigmoid(self.conv(m))


def head(c: int, out: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(conv_bn(c, hidden, 3), nn.Conv2d(hidden, out, 1))


class TemporalHead(nn.Module):
    """Three stride-4 feature maps -> (heatmap logits, offset, radius) at stride 4."""

    def __init__(
        self, c: int = FEATURES, temporal: bool = True, gate: bool = True, hidden: int = 64
    ):
        super().__init__()
        self.temporal = temporal
        if temporal:
            self.tda = TemporalDifferenceAttention(c, gate)
            self.fusion = TemporalFeatureFusion(c)
        else:
            self.single = conv_bn(c, c, 3)
        self.sab = SpatialAttention()
        self.heatmap = head(c, 1, hidden)
        self.offset = head(c, 2, hidden)
        self.radius = head(c, 1, hidden)
        nn.init.constant_(self.heatmap[-1].bias, -math.log((1 - 0.01) / 0.01))

    def forward(self, prev, curr, nxt):
        if self.temporal:
            fused = self.fusion(prev, self.tda(prev, curr, nxt), nxt)
        else:
            fused = self.single(curr)
        final = self.sab(fused)
        return self.heatmap(final), self.offset(final), self.radius(final)


class RPRNet(nn.Module):
    """The whole network on a triplet (N, 3, H, W) = {I(t-1), I(t), I(t+1)}.

    Returns heatmap logits (N, 1, H/4, W/4), offset (N, 2, H/4, W/4) in stride-4 cells and
    radius (N, 1, H/4, W/4) in input pixels.
    """

    def __init__(self, temporal: bool = True, gate: bool = True, width: float = WIDTH):
        super().__init__()
        self.encoder = Encoder(width)
        self.head = TemporalHead(FEATURES, temporal, gate)
        self.config = {"temporal": temporal, "gate": gate, "width": width}

    def forward(self, triplet):
        n, _, h, w = triplet.shape
        feats = self.encoder(triplet.reshape(n * 3, 1, h, w)).reshape(
            n, 3, -1, h // STRIDE, w // STRIDE
        )
        return self.head(feats[:, 0], feats[:, 1], feats[:, 2])


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: RPRNet, height: int = 512, width: int = 512) -> int:
    """Multiply-accumulates of one forward pass on a triplet (convolutions and linear layers)."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            total += output.numel() * k
        elif isinstance(module, nn.Linear):
            total += output.numel() * module.in_features

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, height, width))
    model.train(was_training)
    for h in handles:
        h.remove()
    return total

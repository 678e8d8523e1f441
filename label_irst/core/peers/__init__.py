"""Peer point-to-mask generators beside PAMG, registered by name: PMG (HMG, Sec. 3.1) and MCLC.

Both follow the generator interface ``fn(image, (x, y), support_radius) -> GeneratedMask``;
MCLC also takes ``size_prior=(width, height)`` (Prior mode of Table I, Sec. IV-B1).
"""

from __future__ import annotations

from label_irst.core.generators import register
from label_irst.core.peers import mclc, pmg

register("pmg", pmg.pmg, "PMG of HMG: point-to-box then box-to-mask (Sec. 3.1), no size prior")
register(
    "mclc",
    mclc.mclc,
    "MCLC: Monte Carlo SLIC clustering (32x32 crop; size-class crop with a prior)",
    uses_prior=True,
)

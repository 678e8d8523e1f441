"""Peer point-to-mask generators beside PAMG: PMG (HMG, Sec. 3.1) and MCLC.

Both follow the generator interface ``fn(image, (x, y), support_radius) -> GeneratedMask``;
MCLC also takes ``size_prior=(width, height)`` (Prior mode of Table I, Sec. IV-B1). The registry
(:mod:`label_irst.core.generators`) registers :data:`PEERS` by name; this package does not
import the registry, so the two do not import each other.
"""

from __future__ import annotations

from label_irst.core.peers import mclc, pmg

#: (name, fn, summary, uses_prior) of each peer generator.
PEERS = [
    ("pmg", pmg.pmg, "PMG of HMG: point-to-box then box-to-mask (Sec. 3.1), no size prior", False),
    (
        "mclc",
        mclc.mclc,
        "MCLC: Monte Carlo SLIC clustering (32x32 crop; size-class crop with a prior)",
        True,
    ),
]

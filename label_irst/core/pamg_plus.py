"""pamg+: PAMG with a homogeneity floor, the best generator measured on sirst-v1.

Eq. 6 divides the contrast by sigma_in + eps. With eps a tiny stability constant (faithful
PAMG), a handful of homogeneous core pixels scores an enormous Hw-SNR, so on real targets with a
flat core growth stops right after the warm-up: faithful PAMG under-grows (per-target mIoU 62.8
on sirst-v1 train, random seeds). pamg+ keeps Algorithm 1 and Eq. 6 unchanged but sets eps to a
fixed fraction (HOMOGENEITY_FLOOR) of the local dynamic range, i.e. internal variation below a
fifth of the local range no longer counts as texture. The homogeneity term still penalises
strongly textured regions (sigma_in comparable to the range), as the paper intends.

Measured (``label-irst eval-masks --dataset sirst-v1 --seeds random --rs 20``, per-target mIoU;
tuned on train only): floor 0.05: 71.1 / 0.10: 74.3 / 0.15: 75.4 / 0.20: 76.0 / 0.25: 76.2 /
0.35: 75.7 / 0.5: 75.1 / 1.0: 74.0 on train; 0.20 gives 75.9 on test. 0.20 is kept (0.25 is
within noise on train and makes masks larger, area ratio 1.25 -> 1.28). Also tried and rejected
(no gain on train): a noise-relative floor (eps = c * MAD), Gaussian pre-smoothing (-3 points),
moving the seed to the local maximum (-6 points), hole filling, plateau extension of k*, saddle
stopping, distance from the running peak or centroid instead of the seed, voting over Rs scales
and neighbouring seeds.

On ideal Gaussian spots pamg+ grows to about 1.7-2x the half-maximum area (down to roughly a
third of the peak), which is where sirst-v1's annotators draw the edge: at the best-IoU step of
the growth path the boundary pixel sits at a median 0.32 of the peak above the background.
"""

from __future__ import annotations

import numpy as np

from label_irst.core.pamg import DEFAULT_SUPPORT_RADIUS, pamg
from label_irst.core.result import GeneratedMask

#: eps of Eq. 6 as a fraction of the working window's intensity range.
HOMOGENEITY_FLOOR = 0.2


def pamg_plus(
    image: np.ndarray, seed: tuple[float, float], support_radius: float = DEFAULT_SUPPORT_RADIUS
) -> GeneratedMask:
    """PAMG (Algorithm 1, 4-connected, frontier mu_out) with eps = HOMOGENEITY_FLOOR."""
    result = pamg(image, seed, support_radius, eps=HOMOGENEITY_FLOOR)
    result.generator = "pamg+"
    return result

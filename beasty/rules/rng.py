"""splitmix64 and its unbiased bounded integers, as the C engine uses them.

Seeding rule: the generator's state is the seed.  ``bounded`` is Lemire's
multiply-shift with rejection (no modulo bias).
"""

from __future__ import annotations

MASK64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed: int) -> None:
        self.state = seed & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def bounded(self, n: int) -> int:
        """Uniform integer in ``[0, n)``, ``1 <= n < 2**32``."""
        if not 1 <= n < 1 << 32:
            raise ValueError(f"bound must be in [1, 2**32), got {n}")
        m = (self.next() >> 32) * n
        low = m & 0xFFFFFFFF
        if low < n:
            threshold = ((1 << 32) - n) % n
            while low < threshold:
                m = (self.next() >> 32) * n
                low = m & 0xFFFFFFFF
        return m >> 32

"""Monotone calibration of the offline stage score.

The offline stage score (a weighted mean of 0-4 criterion scores) ranks answers well but runs
low against interviewers' labels: a real answer rarely earns a 3 on every criterion, while an
interviewer gives it a 3 overall. A piecewise-linear map through knots fitted by isotonic
regression on the tuning splits (``python -m evals.grading.tune --fit-calibration``) maps it
onto the label scale. It is monotone, so the ranking is unchanged; it applies to the stage score
only (criterion scores stay as graded), and the guards' caps apply after it.
"""

from __future__ import annotations

import bisect
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from interviewer.errors import GradingError

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Calibration:
    xs: tuple[float, ...]  # raw stage scores, strictly increasing, from 0 to 4
    ys: tuple[float, ...]  # calibrated scores, non-decreasing, within 0..4

    def __post_init__(self) -> None:
        if len(self.xs) != len(self.ys) or len(self.xs) < 2:
            raise GradingError("calibration needs at least two (x, y) knots of equal count")
        if any(b <= a for a, b in zip(self.xs, self.xs[1:], strict=False)):
            raise GradingError("calibration knots must have strictly increasing x")
        if any(b < a for a, b in zip(self.ys, self.ys[1:], strict=False)):
            raise GradingError("calibration must be monotone (non-decreasing y)")
        if not all(0.0 <= v <= 4.0 for v in (*self.xs, *self.ys)):
            raise GradingError("calibration knots must lie within 0..4")

    def __call__(self, x: float) -> float:
        """Linear interpolation between knots; flat outside them."""
        if x <= self.xs[0]:
            return self.ys[0]
        if x >= self.xs[-1]:
            return self.ys[-1]
        i = bisect.bisect_right(self.xs, x) - 1
        x0, x1, y0, y1 = self.xs[i], self.xs[i + 1], self.ys[i], self.ys[i + 1]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)

    def to_dict(self) -> dict[str, list[float]]:
        return {"x": list(self.xs), "y": list(self.ys)}


IDENTITY = Calibration((0.0, 4.0), (0.0, 4.0))

_lock = threading.Lock()
_cache: dict[Path, Calibration] = {}


def load_calibration(path: Path = CALIBRATION_PATH) -> Calibration:
    """The stored calibration (cached); the identity if the file is missing."""
    with _lock:
        hit = _cache.get(path)
    if hit is not None:
        return hit
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        cal = IDENTITY
    except (OSError, ValueError) as exc:
        raise GradingError(f"cannot read calibration {str(path)!r}: {exc}") from exc
    else:
        try:
            cal = Calibration(
                tuple(float(v) for v in data["x"]), tuple(float(v) for v in data["y"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise GradingError(f"bad calibration {str(path)!r}: {exc}") from exc
    with _lock:
        _cache[path] = cal
    return cal

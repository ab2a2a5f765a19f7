"""The learned scope decision: calibrated probabilities, then the cheapest expected mistake.

A multinomial logistic model over the named features of ``features.py``, trained by
``bench/corpus/train.py`` on labelled commits of many projects and shipped as data
(``scope_model.json``). Inference is a sparse dot product in plain Python (a few µs).

The model gives P(inline), P(function), P(workspace). Routing too small costs quality (a cheap
model gets a job beyond it); routing too large costs money. The choice minimizes expected cost with
a configurable penalty for under-routing, so an unsure request goes to the broader tier.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .model import ScopeName

SCOPES: tuple[ScopeName, ...] = ("inline", "function", "workspace")
#: how much worse routing one tier too small is than routing one tier too large
DEFAULT_UNDER_PENALTY = 2.0


@dataclass(frozen=True, slots=True)
class ScopeModel:
    """Weights per feature and class, bias per class, and the calibration temperature."""

    weights: Mapping[str, tuple[float, float, float]]
    bias: tuple[float, float, float]
    temperature: float = 1.0
    under_penalty: float = DEFAULT_UNDER_PENALTY

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScopeModel:
        classes = list(data.get("classes", SCOPES))
        order = [classes.index(s) for s in SCOPES]

        def arrange(row: Sequence[float]) -> tuple[float, float, float]:
            return (float(row[order[0]]), float(row[order[1]]), float(row[order[2]]))

        return cls({str(k): arrange(v) for k, v in data["weights"].items()}, arrange(data["bias"]),
                   float(data.get("temperature", 1.0)),
                   float(data.get("under_penalty", DEFAULT_UNDER_PENALTY)))

    def to_json(self) -> dict[str, Any]:
        return {"classes": list(SCOPES), "bias": list(self.bias), "temperature": self.temperature,
                "under_penalty": self.under_penalty,
                "weights": {k: [round(x, 5) for x in w] for k, w in sorted(self.weights.items())}}

    def logits(self, features: Mapping[str, float]) -> list[float]:
        z = list(self.bias)
        weights = self.weights
        for name, value in features.items():
            w = weights.get(name)
            if w is not None and value:
                z[0] += w[0] * value
                z[1] += w[1] * value
                z[2] += w[2] * value
        return z

    def probabilities(self, features: Mapping[str, float]) -> tuple[float, float, float]:
        z = [x / self.temperature for x in self.logits(features)]
        top = max(z)
        e = [math.exp(x - top) for x in z]
        s = sum(e)
        return (e[0] / s, e[1] / s, e[2] / s)

    def contributions(self, features: Mapping[str, float], chosen: int,
                      other: int) -> list[tuple[float, str]]:
        """How much each feature moved the decision from ``other`` towards ``chosen``, largest first."""
        out = []
        for name, value in features.items():
            w = self.weights.get(name)
            if w is not None and value:
                out.append(((w[chosen] - w[other]) * value, name))
        out.sort(reverse=True)
        return out


def choose(probs: Sequence[float], under_penalty: float) -> int:
    """The scope index with the least expected cost: one tier too small costs ``under_penalty``
    per tier, one tier too large costs 1 per tier."""
    best, best_cost = 0, math.inf
    for j in range(3):
        cost = sum(p * ((i - j) * under_penalty if i > j else (j - i)) for i, p in enumerate(probs))
        if cost < best_cost - 1e-12:
            best, best_cost = j, cost
    return best


@cache
def shipped_model() -> ScopeModel | None:
    """The model trained on the development corpus, or None when the package ships none."""
    try:
        text = resources.files("codeswitch.scope").joinpath("scope_model.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    return ScopeModel.from_json(json.loads(text))

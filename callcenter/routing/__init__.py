"""Tier-1 routing: the local vertical router, emergency rules and the difficulty predictor."""

from callcenter.routing.classifier import VerticalClassifier, default_classifier
from callcenter.routing.difficulty import DifficultyModel
from callcenter.routing.emergency import DEFAULT_EMERGENCY_TERMS, detect_emergency

__all__ = [
    "DEFAULT_EMERGENCY_TERMS",
    "DifficultyModel",
    "VerticalClassifier",
    "default_classifier",
    "detect_emergency",
]

"""The Hugging Face task taxonomy: the only tag names paperboy stores or accepts.

Kept as data in one place so tagging, validation, autocomplete and colours agree on spelling.
"""

from __future__ import annotations

import difflib

MODALITIES: tuple[str, ...] = (
    "Multimodal",
    "Natural Language Processing",
    "Computer Vision",
    "Audio",
    "Tabular",
    "Reinforcement Learning",
    "Other",
)

TASKS: dict[str, tuple[str, ...]] = {
    "Multimodal": (
        "Audio-Text-to-Text", "Image-Text-to-Text", "Image-Text-to-Image", "Image-Text-to-Video",
        "Visual Question Answering", "Document Question Answering", "Video-Text-to-Text",
        "Visual Document Retrieval", "Any-to-Any",
    ),
    "Natural Language Processing": (
        "Text Classification", "Token Classification", "Table Question Answering", "Question Answering",
        "Zero-Shot Classification", "Translation", "Summarization", "Feature Extraction",
        "Text Generation", "Text2Text Generation", "Fill-Mask", "Sentence Similarity", "Table to Text",
        "Multiple Choice", "Text Ranking", "Text Retrieval",
    ),
    "Computer Vision": (
        "Depth Estimation", "Image Classification", "Object Detection", "Image Segmentation",
        "Text-to-Image", "Image-to-Text", "Image-to-Image", "Image-to-Video",
        "Unconditional Image Generation", "Video Classification", "Text-to-Video",
        "Zero-Shot Image Classification", "Mask Generation", "Zero-Shot Object Detection", "Text-to-3D",
        "Image-to-3D", "Image Feature Extraction", "Keypoint Detection", "Video-to-Video",
    ),
    "Audio": (
        "Text-to-Speech", "Text-to-Audio", "Automatic Speech Recognition", "Audio-to-Audio",
        "Audio Classification", "Voice Activity Detection",
    ),
    "Tabular": (
        "Tabular Classification", "Tabular Regression", "Tabular to Text", "Time Series Forecasting",
    ),
    "Reinforcement Learning": ("Reinforcement Learning", "Robotics"),
    "Other": ("Graph Machine Learning", "Other"),
}

#: Every valid tag, modalities first, in taxonomy order, without duplicates.
ALL_TAGS: tuple[str, ...] = tuple(dict.fromkeys([*MODALITIES, *(t for ts in TASKS.values() for t in ts)]))

#: Which modality a task belongs to (a modality maps to itself).
MODALITY_OF: dict[str, str] = {m: m for m in MODALITIES}
for _modality, _tasks in TASKS.items():
    for _task in _tasks:
        MODALITY_OF.setdefault(_task, _modality)

_BY_FOLDED: dict[str, str] = {t.casefold(): t for t in ALL_TAGS}


class UnknownTagError(ValueError):
    """A tag name that is not in the taxonomy; carries the closest real names for the message."""

    def __init__(self, name: str, suggestions: list[str]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f" Did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"Unknown tag {name!r}.{hint} Run 'paperboy tags' to list them.")


def canonical_tag(name: str) -> str | None:
    """The taxonomy's spelling of ``name`` (case- and space-insensitive), or None if it is not a tag."""
    folded = " ".join(name.split()).casefold()
    return _BY_FOLDED.get(folded)


def closest_tags(name: str, n: int = 3) -> list[str]:
    """Closest real tag names, for 'did you mean' messages: substring hits first, then fuzzy ones."""
    folded = " ".join(name.split()).casefold()
    if not folded:
        return []
    hits = [t for t in ALL_TAGS if folded in t.casefold()]
    fuzzy = difflib.get_close_matches(folded, list(_BY_FOLDED), n=n, cutoff=0.5)
    out = list(dict.fromkeys([*hits, *(_BY_FOLDED[f] for f in fuzzy)]))
    return out[:n]


def require_tag(name: str) -> str:
    """Canonical spelling of ``name`` or an :class:`UnknownTagError` naming the closest tags."""
    tag = canonical_tag(name)
    if tag is None:
        raise UnknownTagError(name, closest_tags(name))
    return tag


def modality_of(tags: list[str] | tuple[str, ...]) -> str:
    """The paper's main modality: the first modality tag, else the modality of its first task tag."""
    for tag in tags:
        if tag in MODALITIES and tag != "Other":
            return tag
    for tag in tags:
        if tag in MODALITY_OF and MODALITY_OF[tag] != "Other":
            return MODALITY_OF[tag]
    return "Other"


def modalities_of(tags: list[str] | tuple[str, ...]) -> set[str]:
    """Every modality the tags name, as a modality tag or through a task of it ({"Other"} if none).

    Why: a digest's tag list often names two modalities (``Image-to-Text``, ``Computer Vision``,
    ``Multimodal``) in no settled order, so a main modality is judged right when it is one of these
    (the tagger benchmark's modality accuracy), not only when it is the one listed first."""
    out = {t for t in tags if t in MODALITIES and t != "Other"}
    out.update(MODALITY_OF[t] for t in tags if t not in MODALITIES and MODALITY_OF.get(t, "Other") != "Other")
    return out or {"Other"}


def tag_or_refuse(name: str, error: type[Exception]) -> str:
    """The taxonomy's spelling of ``name`` (any case), or ``error`` carrying the sentence a person sees:
    the closest real names when there are some. One wording for ``/papers``, ``papers``, ``trends``."""
    if len(name) > 100:
        raise error("That tag name is too long; pick one from the suggestions.")
    try:
        return require_tag(name)
    except UnknownTagError as exc:
        hint = f" — did you mean {', '.join(exc.suggestions)}?" if exc.suggestions else "."
        raise error(f"No such tag {name.strip()!r}{hint}") from None

"""Video Gennie's generation state: one item per video generation, keyed by its id.

The seed's table: hash key `generationId` (S) and nothing else; each pipeline stage
(`script`, `audio`, `keywords`, `clips`, `baseVideo`, `finalVideo`, `youtube`) is a
map filled in as the generation progresses, and `createdAt` / `updatedAt` are ISO
timestamps. dynamap adds `expiresAt`, a TTL attribute (epoch seconds) so that DynamoDB
deletes finished generations by itself, and `entity`, the model's name.

The table is named by `DYNAMODB_TABLE_NAME` (default `video-gennie-generations`), read
when this module is imported, as a dynamap `Table`'s name is fixed when the models
are defined; `DYNAMAP_TABLE_PREFIX` still adds a per-environment prefix at run time.
"""

from __future__ import annotations

import os
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from dynamap import Key, Model, Table

__all__ = [
    "STAGES",
    "TABLE_NAME",
    "GenerationState",
    "InitialParams",
    "LanguageCode",
    "Script",
    "generations",
]

TABLE_NAME = os.environ.get("DYNAMODB_TABLE_NAME") or "video-gennie-generations"

generations = Table(TABLE_NAME)

#: The optional pipeline stages, in the order a generation fills them in.
STAGES = ("script", "audio", "keywords", "clips", "base_video", "final_video", "youtube")

_CAMEL = ConfigDict(alias_generator=to_camel, validate_by_name=True, validate_by_alias=True)


class LanguageCode(StrEnum):
    """The languages a video can be generated in."""

    ENGLISH = "en"
    SPANISH = "es"
    FRENCH = "fr"
    GERMAN = "de"
    PORTUGUESE = "pt"
    ITALIAN = "it"
    JAPANESE = "ja"
    HINDI = "hi"


class InitialParams(BaseModel):
    """What the user asked for."""

    model_config = _CAMEL

    prompt: str = Field(min_length=1)
    language: LanguageCode
    options: dict[str, Any] = Field(default_factory=dict)


class Script(BaseModel):
    """The script stage: the text to narrate, its mood, and where it came from."""

    model_config = _CAMEL

    content: str
    mood: str
    source: str


class GenerationState(Model, table=generations, entity="generation", ttl="expires_at"):
    """The state of one video generation, stage by stage.

    `script` is typed as the seed shows it; the other stages are free-form maps, as in
    the seed's schema, whose shape belongs to each pipeline step.
    """

    model_config = _CAMEL

    pk: ClassVar[Key] = Key("generation_id")

    generation_id: str = Field(min_length=1)
    initial_params: InitialParams
    script: Script | None = None
    audio: dict[str, Any] | None = None
    keywords: dict[str, Any] | None = None
    clips: dict[str, Any] | None = None
    base_video: dict[str, Any] | None = None
    final_video: dict[str, Any] | None = None
    youtube: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    expires_at: datetime | None = None

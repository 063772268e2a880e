"""AI Study Circle's five tables, as dynamap models.

Each collection of the MongoDB app is a table of its own, keyed by `id`. Stored
attribute names are camelCase (`subscriptionPlan`, `createdAt`, `contentId`), as the
app's documents have them; Python code uses snake_case field names.

| table       | key  | GSIs (partition, sort)                                                  |
|-------------|------|-------------------------------------------------------------------------|
| `users`     | `id` | EmailIndex (email), UsernameIndex (username)                            |
| `content`   | `id` | OwnerIndex (owner, createdAt)                                           |
| `summaries` | `id` | OwnerIndex (owner, createdAt), ContentIndex (contentId)                 |
| `exams`     | `id` | OwnerIndex (owner, createdAt), ContentIndex (contentId)                 |
| `templates` | `id` | CreatedByIndex (createdBy, createdAt), TypeCategoryIndex (type,         |
|             |      | category), PublicTemplatesIndex (isPublic, createdAt)                   |

The physical names carry the seed's `DYNAMODB_TABLE_PREFIX` (`ai-study-circle` gives
`ai-study-circle-users`), declared once as `STUDY_CIRCLE_PREFIX`, a `TablePrefix`
every table holds: `Session`, `dynamap create-tables` / `plan` and the CloudFormation
and Terraform output all name the tables by it, read from the environment at the time.
`isPublic` is a `NumericBool` (stored as N 0/1), because a DynamoDB key
cannot be a BOOL. `email` and `username` are unique: besides the GSIs that find a
user by them, dynamap keeps one guard per value, so two users can never share one.

Keys and indexes are annotated `ClassVar[...]`, which pydantic's mypy plugin needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from dynamap import GSI, Key, Model, NumericBool, Session, Table, TablePrefix, new_id, utcnow

__all__ = [
    "ALL_MODELS",
    "DEFAULT_TABLE_PREFIX",
    "STUDY_CIRCLE_PREFIX",
    "ApiUsage",
    "Attempt",
    "Content",
    "Document",
    "Exam",
    "Preferences",
    "Question",
    "Summary",
    "Template",
    "User",
    "study_circle_session",
    "table_prefix",
]

#: The seed's default `DYNAMODB_TABLE_PREFIX`.
DEFAULT_TABLE_PREFIX = "ai-study-circle"

#: The app's table prefix: `$DYNAMODB_TABLE_PREFIX` (default `ai-study-circle`) and a
#: dash before each table's name.
STUDY_CIRCLE_PREFIX = TablePrefix("DYNAMODB_TABLE_PREFIX", separator="-",
                                  default=DEFAULT_TABLE_PREFIX)


def table_prefix() -> str:
    """The app's prefix as it joins a name now, e.g. `ai-study-circle-`."""
    return STUDY_CIRCLE_PREFIX.apply("")


def study_circle_session(**options: Any) -> Session:
    """A new `Session` (the tables carry the app's prefix themselves); options as
    `Session` takes them."""
    return Session(**options)


def _table(name: str) -> Table[Any]:
    return Table(name, prefix=STUDY_CIRCLE_PREFIX)


class CamelModel(BaseModel):
    """Stored (and accepted) under camelCase names; snake_case names are accepted too."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True,
                              validate_by_alias=True)


class Document(Model):
    """What every stored document has: camelCase attributes and an `id`."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True,
                              validate_by_alias=True)

    id: str = Field(default_factory=new_id)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# -- users ------------------------------------------------------------------------------


class Preferences(CamelModel):
    """What a user has chosen for the summaries and exams made for them."""

    language: str = "en"
    theme: str = "light"
    summary_length: Literal["short", "medium", "long"] = "medium"
    difficulty: Literal["easy", "medium", "hard"] = "medium"


class ApiUsage(CamelModel):
    """How much of the AI API a user has used in the current period."""

    requests: int = 0
    credits: float = 0
    summaries_generated: int = 0
    exams_generated: int = 0
    tokens_used: int = 0
    period_start: datetime | None = None


class User(Document, table=_table("users"), entity="user", unique=("email", "username")):
    """A member, found by id, email or username; email and username are unique."""

    pk: ClassVar[Key] = Key("id")
    by_email: ClassVar[GSI] = GSI("EmailIndex", pk="email")
    by_username: ClassVar[GSI] = GSI("UsernameIndex", pk="username")

    username: str = Field(min_length=3, max_length=30)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: str  # a bcrypt hash, never the password itself
    role: Literal["student", "teacher", "admin"] = "student"
    subscription_plan: Literal["free", "pro", "team"] = "free"
    avatar: str | None = None  # a picture URL
    preferences: Preferences = Field(default_factory=Preferences)
    api_usage: ApiUsage = Field(default_factory=ApiUsage)


# -- content, summaries, exams --------------------------------------------------------------


class Content(Document, table=_table("content"), entity="content"):
    """Study material a user uploaded or pasted, newest first per owner."""

    pk: ClassVar[Key] = Key("id")
    by_owner: ClassVar[GSI] = GSI("OwnerIndex", pk="owner", sk="created_at")

    title: str = Field(min_length=1)
    owner: str
    content_type: Literal["text", "pdf", "docx", "url"] = "text"
    source_text: str = ""
    file_path: str | None = None
    category: str = "general"
    source_metadata: dict[str, Any] = Field(default_factory=dict)
    usage: dict[str, int] = Field(default_factory=dict)
    status: Literal["processing", "ready", "failed"] = "ready"


class Summary(Document, table=_table("summaries"), entity="summary"):
    """An AI summary of one piece of content."""

    pk: ClassVar[Key] = Key("id")
    by_owner: ClassVar[GSI] = GSI("OwnerIndex", pk="owner", sk="created_at")
    by_content: ClassVar[GSI] = GSI("ContentIndex", pk="content_id")

    owner: str
    content_id: str
    summary_text: str
    summary_type: Literal["brief", "detailed", "bullet_points", "key_concepts"] = "brief"
    style: str = "neutral"
    configuration: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    rating: int | None = Field(default=None, ge=1, le=5)


class Question(CamelModel):
    """One exam question."""

    text: str
    kind: Literal["multiple_choice", "true_false", "short_answer"] = "multiple_choice"
    options: list[str] = Field(default_factory=list)
    answer: str
    points: int = 1


class Attempt(CamelModel):
    """One sitting of an exam."""

    user_id: str
    score: float
    taken_at: datetime = Field(default_factory=utcnow)


class Exam(Document, table=_table("exams"), entity="exam"):
    """An AI-made exam on one piece of content, with its attempts."""

    pk: ClassVar[Key] = Key("id")
    by_owner: ClassVar[GSI] = GSI("OwnerIndex", pk="owner", sk="created_at")
    by_content: ClassVar[GSI] = GSI("ContentIndex", pk="content_id")

    owner: str
    content_id: str
    title: str = ""
    questions: list[Question] = Field(default_factory=list)
    configuration: dict[str, Any] = Field(default_factory=dict)
    attempts: list[Attempt] = Field(default_factory=list)
    analytics: dict[str, float] = Field(default_factory=dict)
    feedback: list[str] = Field(default_factory=list)


# -- templates --------------------------------------------------------------------------------


class Template(Document, table=_table("templates"), entity="template"):
    """A reusable summary or exam configuration, private or shared publicly."""

    pk: ClassVar[Key] = Key("id")
    by_creator: ClassVar[GSI] = GSI("CreatedByIndex", pk="created_by", sk="created_at")
    by_type: ClassVar[GSI] = GSI("TypeCategoryIndex", pk="type", sk="category")
    public: ClassVar[GSI] = GSI("PublicTemplatesIndex", pk="is_public", sk="created_at")

    name: str = Field(min_length=1)
    description: str = ""
    type: Literal["summary", "exam"]
    category: str = "general"
    summary_config: dict[str, Any] | None = None
    exam_config: dict[str, Any] | None = None
    usage: int = 0
    ratings: list[int] = Field(default_factory=list)
    is_public: NumericBool = False
    created_by: str


ALL_MODELS: tuple[type[Model], ...] = (User, Content, Summary, Exam, Template)

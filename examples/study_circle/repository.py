"""The app's access patterns, one function each, as the seed's `*Dynamo.js` models offer them.

| pattern                                 | how                                              |
|-----------------------------------------|--------------------------------------------------|
| sign up (email and username unique)     | `put` of a `User`, with dynamap's unique guards  |
| user by email / by username             | query `EmailIndex` / `UsernameIndex`             |
| users by ids (the seed's `batchGet`)    | `get_many`: BatchGetItem, 100 keys a request     |
| a user's content, newest first, by page | query `OwnerIndex` reversed, with a cursor       |
| a content's summaries / exams           | query `ContentIndex`                             |
| public templates, newest first          | query `PublicTemplatesIndex` reversed            |
| templates of a type (and category)      | query `TypeCategoryIndex`                        |
| a creator's templates                   | query `CreatedByIndex`                           |
| record an exam attempt                  | one UpdateItem: append to `attempts`, set stats  |
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from dynamap import F, Page, Session, utcnow

from .models import Attempt, Content, Exam, Summary, Template, User

__all__ = [
    "change_email",
    "content_of",
    "content_since",
    "exams_of",
    "find_by_email",
    "find_by_username",
    "public_templates",
    "record_attempt",
    "sign_up",
    "summaries_of",
    "templates_by",
    "templates_of_type",
    "users_by_ids",
]


async def sign_up(db: Session, user: User) -> User:
    """Store a new user.

    Raises:
        UniqueConstraintViolated: the email or username is taken; nothing is written.
        ConditionCheckFailed: a user with this id exists already.
    """
    return await db.put(user, condition=F("id").not_exists())


async def find_by_email(db: Session, email: str) -> User | None:
    """The user with this email (`EmailIndex`), or None."""
    return await db.query(User, index="EmailIndex", email=email).first()


async def find_by_username(db: Session, username: str) -> User | None:
    """The user with this username (`UsernameIndex`), or None."""
    return await db.query(User, index="UsernameIndex", username=username).first()


async def users_by_ids(db: Session, ids: Iterable[str]) -> list[User | None]:
    """Users by id, in the order asked, None where there is none (the seed's `batchGet`)."""
    return await db.get_many(User, [{"id": user_id} for user_id in ids])


async def change_email(db: Session, user: User, email: str) -> User:
    """Give a user a new email; the old one is released, the new one must be free.

    Raises:
        UniqueConstraintViolated: another user has the email; nothing changes.
    """
    return await db.update(user, set={"email": email, "updated_at": utcnow()})


async def content_of(
    db: Session, owner: str, *, limit: int = 20, cursor: str | None = None
) -> Page[Content]:
    """A page of a user's content, newest first (`OwnerIndex` on owner, createdAt)."""
    query = db.query(Content, index="OwnerIndex", owner=owner).reverse().limit(limit)
    return await query.page(cursor=cursor)


async def content_since(db: Session, owner: str, since: datetime) -> list[Content]:
    """A user's content created at or after `since`, oldest first."""
    query = db.query(Content, index="OwnerIndex", owner=owner).sk_gte(created_at=since)
    return await query.all()


async def summaries_of(db: Session, content_id: str) -> list[Summary]:
    """Every summary of one piece of content (`ContentIndex`)."""
    return await db.query(Summary, index="ContentIndex", content_id=content_id).all()


async def exams_of(db: Session, content_id: str) -> list[Exam]:
    """Every exam on one piece of content (`ContentIndex`)."""
    return await db.query(Exam, index="ContentIndex", content_id=content_id).all()


async def public_templates(
    db: Session, *, limit: int = 20, cursor: str | None = None
) -> Page[Template]:
    """A page of public templates, newest first (`PublicTemplatesIndex`, isPublic = 1)."""
    query = db.query(Template, index="PublicTemplatesIndex", is_public=True)
    return await query.reverse().limit(limit).page(cursor=cursor)


async def templates_of_type(
    db: Session, kind: str, category: str | None = None
) -> list[Template]:
    """Templates of a type ("summary" or "exam"), optionally of one category."""
    query = db.query(Template, index="TypeCategoryIndex", type=kind)
    if category is not None:
        query = query.sk_eq(category=category)
    return await query.all()


async def templates_by(db: Session, creator: str) -> list[Template]:
    """A creator's templates, oldest first (`CreatedByIndex`)."""
    return await db.query(Template, index="CreatedByIndex", created_by=creator).all()


async def record_attempt(db: Session, exam: Exam, attempt: Attempt) -> Exam:
    """Append an attempt to an exam and refresh its analytics, in one UpdateItem."""
    scores = [a.score for a in exam.attempts] + [attempt.score]
    analytics = {"attempts": float(len(scores)), "averageScore": sum(scores) / len(scores),
                 "bestScore": max(scores)}
    return await db.update(exam, append={"attempts": [attempt]},
                           set={"analytics": analytics, "updated_at": utcnow()})

"""VishMaker's six tables, as dynamap models.

Each entity has a table of its own, named from an environment variable read once at
import (the defaults are the seed's production names):

| variable (`*_TABLE_NAME`)      | key (hash / range)     | GSIs                          |
|--------------------------------|------------------------|-------------------------------|
| `PROJECTS`                     | `id` / `user_id`       | `user_id-index`, `name-index` |
| `USER_FLOWS`                   | `uiid` / `project_id`  | `project_id-index`            |
| `HIGH_LEVEL_REQUIREMENTS`      | `uiid` / `parent_uiid` | `parent_uiid-index`           |
| `LOW_LEVEL_REQUIREMENTS`       | `uiid` / `parent_uiid` | `parent_uiid-index`           |
| `TEST_CASES`                   | `uiid` / `parent_uiid` | `parent_uiid-index`           |
| `WAITLIST`                     | `email`                | `status-index`                |

Every key is a bare field, so each item is keyed on its own attributes (`id`,
`uiid`, ...) exactly as the seed's Terraform declares them, and each GSI is keyed
on a parent reference: the hierarchy project → user flow → high-level requirement →
low-level requirement → test case is walked one GSI query per parent.

Keys and indexes are annotated `ClassVar[...]`, which pydantic's mypy plugin needs
(dynamap takes them out of the fields either way); queries name indexes by their
DynamoDB name, e.g. `db.query(UserFlow, index="project_id-index", project_id=...)`.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from dynamap import GSI, Key, Model, Table, new_id, utcnow

__all__ = [
    "ALL_MODELS",
    "ALL_TABLES",
    "DEFAULT_TABLE_NAMES",
    "TABLE_ENVIRONMENT",
    "HighLevelRequirement",
    "LowLevelRequirement",
    "Project",
    "TestCase",
    "UserFlow",
    "WaitlistEntry",
    "WaitlistStatus",
    "high_level_requirements",
    "low_level_requirements",
    "projects",
    "test_cases",
    "user_flows",
    "waitlist",
]

#: The environment variable that names each table, and the seed's default name.
DEFAULT_TABLE_NAMES: dict[str, str] = {
    "PROJECTS_TABLE_NAME": "prod-vishmaker-projects",
    "USER_FLOWS_TABLE_NAME": "prod-vishmaker-user-flows",
    "HIGH_LEVEL_REQUIREMENTS_TABLE_NAME": "prod-vishmaker-high-level-requirements",
    "LOW_LEVEL_REQUIREMENTS_TABLE_NAME": "prod-vishmaker-low-level-requirements",
    "TEST_CASES_TABLE_NAME": "prod-vishmaker-test-cases",
    "WAITLIST_TABLE_NAME": "prod-vishmaker-waitlist",
}

#: The table names this process uses, read from the environment at import.
TABLE_ENVIRONMENT: dict[str, str] = {
    variable: os.environ.get(variable) or default
    for variable, default in DEFAULT_TABLE_NAMES.items()
}

projects = Table(TABLE_ENVIRONMENT["PROJECTS_TABLE_NAME"])
user_flows = Table(TABLE_ENVIRONMENT["USER_FLOWS_TABLE_NAME"])
high_level_requirements = Table(TABLE_ENVIRONMENT["HIGH_LEVEL_REQUIREMENTS_TABLE_NAME"])
low_level_requirements = Table(TABLE_ENVIRONMENT["LOW_LEVEL_REQUIREMENTS_TABLE_NAME"])
test_cases = Table(TABLE_ENVIRONMENT["TEST_CASES_TABLE_NAME"])
waitlist = Table(TABLE_ENVIRONMENT["WAITLIST_TABLE_NAME"])

WaitlistStatus = Literal["pending", "approved", "rejected"]


class Project(Model, table=projects, entity="project"):
    """A project of one (Cognito) user: the root of the requirement tree."""

    pk: ClassVar[Key] = Key("id")
    sk: ClassVar[Key] = Key("user_id")
    by_user: ClassVar[GSI] = GSI("user_id-index", pk="user_id")
    by_name: ClassVar[GSI] = GSI("name-index", pk="name")

    id: str = Field(default_factory=new_id)
    user_id: str
    name: str
    initial_prompt: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class UserFlow(Model, table=user_flows, entity="user_flow"):
    """A user flow of a project: a named journey through the app being specified."""

    pk: ClassVar[Key] = Key("uiid")
    sk: ClassVar[Key] = Key("project_id")
    by_project: ClassVar[GSI] = GSI("project_id-index", pk="project_id")

    uiid: str = Field(default_factory=new_id)
    project_id: str
    name: str
    description: str = ""
    steps: list[str] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)


class HighLevelRequirement(Model, table=high_level_requirements, entity="hlr"):
    """A high-level requirement of a user flow (its parent)."""

    pk: ClassVar[Key] = Key("uiid")
    sk: ClassVar[Key] = Key("parent_uiid")
    by_parent: ClassVar[GSI] = GSI("parent_uiid-index", pk="parent_uiid")

    uiid: str = Field(default_factory=new_id)
    parent_uiid: str
    name: str
    description: str = ""
    order: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class LowLevelRequirement(Model, table=low_level_requirements, entity="llr"):
    """A low-level requirement refining a high-level one (its parent)."""

    pk: ClassVar[Key] = Key("uiid")
    sk: ClassVar[Key] = Key("parent_uiid")
    by_parent: ClassVar[GSI] = GSI("parent_uiid-index", pk="parent_uiid")

    uiid: str = Field(default_factory=new_id)
    parent_uiid: str
    name: str
    description: str = ""
    tech_stack_details: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class TestCase(Model, table=test_cases, entity="test_case"):
    """A test case verifying a low-level requirement (its parent)."""

    __test__: ClassVar[bool] = False  # not a pytest test class, despite its name

    pk: ClassVar[Key] = Key("uiid")
    sk: ClassVar[Key] = Key("parent_uiid")
    by_parent: ClassVar[GSI] = GSI("parent_uiid-index", pk="parent_uiid")

    uiid: str = Field(default_factory=new_id)
    parent_uiid: str
    name: str
    description: str = ""
    expected_result: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class WaitlistEntry(Model, table=waitlist, entity="waitlist"):
    """A sign-up on the waitlist, keyed by email address."""

    pk: ClassVar[Key] = Key("email")
    by_status: ClassVar[GSI] = GSI("status-index", pk="status")

    email: str
    status: WaitlistStatus = "pending"
    created_at: datetime = Field(default_factory=utcnow)


ALL_MODELS: tuple[type[Model], ...] = (
    Project, UserFlow, HighLevelRequirement, LowLevelRequirement, TestCase, WaitlistEntry,
)
ALL_TABLES: tuple[Table, ...] = (
    projects, user_flows, high_level_requirements, low_level_requirements, test_cases, waitlist,
)

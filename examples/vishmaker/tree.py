"""A project's whole requirement tree, read with concurrent GSI queries.

The tree is project → user flows → high-level requirements → low-level requirements
→ test cases. Each level lives in its own table and points at its parent, so a
child list is one query on the child table's parent GSI. The children of every node
on a level are queried at the same time (`asyncio.gather`), so reading a tree costs
one round trip per level, not one per node.

```python
tree = await load_tree(db, project_id, user_id=owner)
print(tree.counts())   # {"user_flows": 3, "high_level_requirements": 9, ...}
```
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from dynamap import Model, Session

from .models import HighLevelRequirement, LowLevelRequirement, Project, TestCase, UserFlow

__all__ = [
    "FlowNode",
    "HighLevelNode",
    "LowLevelNode",
    "ProjectTree",
    "delete_tree",
    "load_tree",
]

C = TypeVar("C", HighLevelRequirement, LowLevelRequirement, TestCase)


@dataclass(slots=True)
class LowLevelNode:
    """A low-level requirement and its test cases."""

    requirement: LowLevelRequirement
    test_cases: list[TestCase] = field(default_factory=list)


@dataclass(slots=True)
class HighLevelNode:
    """A high-level requirement and its low-level requirements."""

    requirement: HighLevelRequirement
    children: list[LowLevelNode] = field(default_factory=list)


@dataclass(slots=True)
class FlowNode:
    """A user flow and its high-level requirements."""

    flow: UserFlow
    requirements: list[HighLevelNode] = field(default_factory=list)


@dataclass(slots=True)
class ProjectTree:
    """A project with everything under it, children in a stable order."""

    project: Project
    flows: list[FlowNode] = field(default_factory=list)

    def items(self) -> Iterator[Model]:
        """Every item of the tree, parents before their children."""
        for level in self.levels():
            yield from level

    def levels(self) -> list[list[Model]]:
        """The items level by level: the project, its flows, ..., the test cases."""
        highs = [high for flow in self.flows for high in flow.requirements]
        lows = [low for high in highs for low in high.children]
        return [
            [self.project],
            [flow.flow for flow in self.flows],
            [high.requirement for high in highs],
            [low.requirement for low in lows],
            [case for low in lows for case in low.test_cases],
        ]

    def counts(self) -> dict[str, int]:
        """How many items of each kind the tree holds (the project excluded)."""
        names = ("user_flows", "high_level_requirements", "low_level_requirements",
                 "test_cases")
        return {name: len(level) for name, level in zip(names, self.levels()[1:], strict=True)}


async def load_tree(db: Session, project_id: str, *, user_id: str) -> ProjectTree | None:
    """Read a project and its whole tree; None if the user has no such project.

    The project's key is (`id`, `user_id`), so a project is only found for its owner.
    """
    project = await db.get(Project, id=project_id, user_id=user_id)
    if project is None:
        return None
    flows = await db.query(UserFlow, index="project_id-index", project_id=project.id).all()
    flows.sort(key=lambda flow: (flow.created_at, flow.name))
    nodes = await asyncio.gather(*(_load_flow(db, flow) for flow in flows))
    return ProjectTree(project, list(nodes))


async def _load_flow(db: Session, flow: UserFlow) -> FlowNode:
    highs = await _children(db, HighLevelRequirement, flow.uiid)
    highs.sort(key=lambda high: (high.order, high.created_at))
    return FlowNode(flow, list(await asyncio.gather(*(_load_high(db, h) for h in highs))))


async def _load_high(db: Session, high: HighLevelRequirement) -> HighLevelNode:
    lows = await _children(db, LowLevelRequirement, high.uiid)
    lows.sort(key=lambda low: (low.created_at, low.name))
    return HighLevelNode(high, list(await asyncio.gather(*(_load_low(db, low) for low in lows))))


async def _load_low(db: Session, low: LowLevelRequirement) -> LowLevelNode:
    cases = await _children(db, TestCase, low.uiid)
    cases.sort(key=lambda case: (case.created_at, case.name))
    return LowLevelNode(low, cases)


async def _children(db: Session, model: type[C], parent_uiid: str) -> list[C]:
    return await db.query(model, index="parent_uiid-index", parent_uiid=parent_uiid).all()


async def delete_tree(db: Session, tree: ProjectTree) -> int:
    """Delete a project and everything under it (DynamoDB has no cascading deletes).

    Levels go deepest first, each in its own batch, so an interrupted delete never
    leaves an item whose parent is gone. Returns the number of items deleted.
    """
    deleted = 0
    for level in reversed(tree.levels()):
        async with db.batch() as batch:
            for item in level:
                batch.delete(item)
        deleted += len(level)
    return deleted

"""VishMaker on dynamap: `python -m examples.vishmaker`.

Creates the six tables (names from `PROJECTS_TABLE_NAME`, ... or the seed's
defaults), builds a project with its requirement tree, reads the whole tree back
with one round of concurrent queries per level, lists projects and the waitlist by
their GSIs, prints the Terraform for the tables, and imports a small PostgreSQL CSV
export with one bad row.

With no endpoint configured (`AWS_ENDPOINT_URL_DYNAMODB` / `DYNAMODB_ENDPOINT`) it
starts a local DynamoDB and drops its tables at the end; against a configured
endpoint it leaves the tables in place.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from dynamap import Session, schema_of
from examples._runner import run_on_dynamodb

from .migration import import_export
from .models import (
    ALL_MODELS,
    HighLevelRequirement,
    LowLevelRequirement,
    Project,
    TestCase,
    UserFlow,
    WaitlistEntry,
    projects,
)
from .tree import ProjectTree, delete_tree, load_tree

OWNER = "cognito-user-1"

#: A tiny PostgreSQL export: one project, one flow, one requirement chain, and a
#: test case whose low-level requirement (id 99) does not exist.
SAMPLE_EXPORT = {
    "projects.csv": "id,name,initial_prompt,user_id,created_at,updated_at\n"
                    "1,Legacy app,Port the old app,cognito-user-1,"
                    "2024-01-05 09:00:00.123456+00,2024-01-06 10:00:00+00\n",
    "user_flows.csv": "id,project_id,name,description,steps,created_at\n"
                      '1,1,Checkout,Pay for the cart,"[""Open cart"", ""Pay""]",'
                      "2024-01-05 09:10:00+00\n",
    "high_level_requirements.csv": "id,user_flow_id,name,description,order,created_at\n"
                                   "1,1,Payments,Card payments,1,2024-01-05 09:20:00+00\n",
    "low_level_requirements.csv": "id,high_level_requirement_id,name,description,"
                                  "tech_stack_details,created_at\n"
                                  "1,1,Card form,Validate cards,Stripe Elements,"
                                  "2024-01-05 09:30:00+00\n",
    "test_cases.csv": "id,low_level_requirement_id,name,description,expected_result,"
                      "created_at\n"
                      "1,1,Valid card,Pay with a test card,Paid,2024-01-05 09:40:00+00\n"
                      "2,99,Orphan,Refers to no requirement,-,2024-01-05 09:41:00+00\n",
    "waitlist.csv": "id,email,status,created_at\n"
                    "1,early@example.com,approved,2023-12-01 08:00:00+00\n",
}


async def build_project(db: Session, name: str) -> Project:
    """A project with 2 flows, each with 2 high-level requirements, each
    with 2 low-level ones, each with 2 test cases."""
    project = Project(user_id=OWNER, name=name, initial_prompt="A meal planning app")
    async with db.batch() as batch:
        batch.put(project)
        for f in range(2):
            flow = UserFlow(project_id=project.id, name=f"Flow {f + 1}", steps=["open", "act"])
            batch.put(flow)
            for h in range(2):
                high = HighLevelRequirement(parent_uiid=flow.uiid, name=f"HLR {f + 1}.{h + 1}",
                                            order=h)
                batch.put(high)
                for low_number in range(2):
                    low = LowLevelRequirement(parent_uiid=high.uiid,
                                              name=f"LLR {f + 1}.{h + 1}.{low_number + 1}")
                    batch.put(low)
                    for c in range(2):
                        batch.put(TestCase(parent_uiid=low.uiid, name=f"{low.name} test {c}",
                                           expected_result="passes"))
    return project


def print_tree(tree: ProjectTree) -> None:
    """The tree, indented by level."""
    print(f"project {tree.project.name!r} ({tree.project.id[:8]}…)")
    for flow in tree.flows:
        print(f"  flow {flow.flow.name}")
        for high in flow.requirements:
            print(f"    {high.requirement.name}")
            for low in high.children:
                print(f"      {low.requirement.name}: {len(low.test_cases)} test cases")


async def tour(drop: bool) -> None:
    """Run every access pattern once; drop the tables afterwards if `drop`."""
    async with Session() as db:
        print("tables:", await db.create_tables(*ALL_MODELS) or "already there")
        project = await build_project(db, "Meal planner")
        before = db.stats.requests.get("Query", 0)
        tree = await load_tree(db, project.id, user_id=OWNER)
        assert tree is not None
        print_tree(tree)
        queries = db.stats.requests.get("Query", 0) - before
        print(f"{tree.counts()} : {queries} queries in 4 concurrent rounds")

        mine = await db.query(Project, index="user_id-index", user_id=OWNER).all()
        print(f"{OWNER} has {len(mine)} project(s)")
        named = await db.query(Project, index="name-index", name="Meal planner").first()
        print("found by name:", named and named.id == project.id)

        for email in ("ada@example.com", "alan@example.com", "grace@example.com"):
            await db.put(WaitlistEntry(email=email))
        await db.update_key(WaitlistEntry, key={"email": "ada@example.com"},
                            set={"status": "approved"})
        pending = await db.query(WaitlistEntry, index="status-index", status="pending").all()
        print("still pending:", sorted(entry.email for entry in pending))

        print("Terraform, first of six tables:")
        print(schema_of(projects).terraform())

        with tempfile.TemporaryDirectory() as directory:
            for name, text in SAMPLE_EXPORT.items():
                (Path(directory) / name).write_text(text, encoding="utf-8")
            report = await import_export(db, Path(directory))
        print("migration:", "verified" if report.ok else "FAILED")
        print(report.summary())
        for entity in report.entities:
            for problem in (*entity.rejected, *entity.duplicates):
                print(f"  rejected {problem.where}: {problem.reason}")

        print("deleted", await delete_tree(db, tree), "items of the project tree")
        if drop:
            print("dropped:", await db.drop_tables(*ALL_MODELS))


def main() -> None:
    """Run the tour, on a local DynamoDB unless an endpoint is configured."""
    run_on_dynamodb(lambda embedded: tour(drop=embedded))


if __name__ == "__main__":
    main()

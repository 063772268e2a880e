"""An application's own table-name prefix: the environment variable it reads and how
the prefix joins the name, declared once and read by `Session`, the `dynamap` command
and the CloudFormation / Terraform output alike.

```python
STUDY_CIRCLE = TablePrefix("DYNAMODB_TABLE_PREFIX", default="ai-study-circle")
users = Table("users", prefix=STUDY_CIRCLE)
# DYNAMODB_TABLE_PREFIX=ai-study-circle-prod  ->  ai-study-circle-prod-users
```

The variable is read each time a name is made, not at import, so one process (or
one `dynamap create-tables --format terraform`) follows the environment it runs in.
`DYNAMAP_TABLE_PREFIX` (the session's `table_prefix`) still comes first, so test and
per-developer isolation work on top of the application's own naming.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["TablePrefix"]


@dataclass(frozen=True, slots=True)
class TablePrefix:
    """Where an application's table prefix comes from.

    Args:
        variable: the environment variable that holds it, e.g. "DYNAMODB_TABLE_PREFIX".
        separator: what joins it to the table name ("-": `ai-study-circle-users`).
        default: the prefix when the variable is unset or empty ("" for none).
    """

    variable: str
    separator: str = "-"
    default: str = ""

    def __post_init__(self) -> None:
        if not self.variable:
            raise ValueError("a TablePrefix needs the name of its environment variable")

    def value(self) -> str:
        """The prefix now: the variable's value, else the default."""
        return os.environ.get(self.variable) or self.default

    def apply(self, name: str) -> str:
        """`name` with the prefix and separator before it (just `name` when empty)."""
        value = self.value()
        return f"{value}{self.separator}{name}" if value else name

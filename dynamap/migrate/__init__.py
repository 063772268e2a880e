"""Migrations that account for every record and prove themselves against the source.

```python
from dynamap.migrate import Entity, Field, MongoExport, migrate

report = await migrate(db, [
    Entity("users", MongoExport(dump / "users.json"), User,
           fields={"id": "_id", "email": "email", "avatar": "avatar"}, ignore=("__v",)),
])
print(report.summary())   # read = written + unchanged + rejected + duplicates + skipped
assert report.ok          # every mapped field read back plainly, equal to the source
```

See docs/migrations.md.
"""

from dynamap.migrate.errors import MappingError, SourceError
from dynamap.migrate.extjson import ExtendedJsonError, decode_extended_json
from dynamap.migrate.mapping import (
    NOW,
    Context,
    Duplicates,
    Entity,
    Field,
    Fill,
    Reject,
    Skip,
    utc_datetime,
)
from dynamap.migrate.plain import decode_item, differences
from dynamap.migrate.plan import describe_validation
from dynamap.migrate.report import EntityReport, MigrationReport, Problem
from dynamap.migrate.run import migrate, verify_entity
from dynamap.migrate.sources import (
    Children,
    Csv,
    Directory,
    JsonDocument,
    JsonLines,
    MongoExport,
    Record,
    Source,
    Sqlite,
)

__all__ = [
    "NOW",
    "Children",
    "Context",
    "Csv",
    "Directory",
    "Duplicates",
    "Entity",
    "EntityReport",
    "ExtendedJsonError",
    "Field",
    "Fill",
    "JsonDocument",
    "JsonLines",
    "MappingError",
    "MigrationReport",
    "MongoExport",
    "Problem",
    "Record",
    "Reject",
    "Skip",
    "Source",
    "SourceError",
    "Sqlite",
    "decode_extended_json",
    "decode_item",
    "describe_validation",
    "differences",
    "migrate",
    "utc_datetime",
    "verify_entity",
]

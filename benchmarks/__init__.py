"""Benchmarks of dynamap against the Python DynamoDB clients it is measured against.

`python -m benchmarks` runs every workload (see `benchmarks.workloads`) for dynamap and
its variants, aiodynamo, pydynox and aioboto3 (boto3 and PynamoDB on request), each in
a fresh process of its own (`benchmarks.worker`), on a DynamoDB Local and a canned HTTP
server it starts itself, and writes `benchmarks/results.md`. The peers come with the
`benchmark` extra: `pip install -e ".[benchmark]"`. Not collected by pytest.
"""

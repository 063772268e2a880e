"""The README's main job, `python -m examples.demo`, run as a program on each engine."""

from __future__ import annotations

from conftest import RunExample


def test_the_demo_runs_and_shows_what_it_promises(run_example: RunExample) -> None:
    done = run_example("examples.demo")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "page 3: ['Node 6']" in lines
    assert "stale write refused; stored title is 'Welcome'" in lines
    assert "a partial read holds ['id', 'title']; put() refuses it" in lines
    assert ("refused before sending: Page has no field 'titel' (in update path 'titel'); "
            "did you mean 'title'?") in lines
    assert "published pages: ['Welcome']" in lines

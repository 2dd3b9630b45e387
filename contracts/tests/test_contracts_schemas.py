"""The committed JSON Schemas are what the models produce, and never break what was released."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from contracts.catalog import EVENT_TYPES
from contracts.compatibility import breaking_changes
from contracts.export import SCHEMA_DIR, main, render, schema_of, schema_path

EVENT_TYPE_NAMES = sorted(EVENT_TYPES)


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_committed_schema_matches_the_model(event_type: str) -> None:
    path = schema_path(event_type)
    assert path.exists(), f"{path.name} is missing; run make contracts"
    assert path.read_text() == render(schema_of(event_type)), (
        f"{path.name} differs from the {EVENT_TYPES[event_type].__name__} model; run make contracts"
    )


def test_every_schema_file_belongs_to_a_known_event_type() -> None:
    on_disk = {p.name.removesuffix(".json") for p in SCHEMA_DIR.glob("*.json")}
    assert on_disk == set(EVENT_TYPES), "schema files and EVENT_TYPES disagree; run make contracts"


def test_schema_carries_its_id_and_topic() -> None:
    for event_type, model in EVENT_TYPES.items():
        schema = schema_of(event_type)
        assert schema["$id"] == f"urn:cairn:event:{event_type}"
        assert schema["x-topic"] == model.topic


def test_render_is_stable_and_newline_terminated() -> None:
    schema = schema_of(EVENT_TYPE_NAMES[0])
    text = render(schema)
    assert text.endswith("}\n")
    assert json.loads(text) == schema
    assert render(json.loads(text)) == text  # key order does not depend on the input's


def test_export_check_reports_no_drift(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--check"])
    assert code == 0, f"contracts.export --check failed:\n{capsys.readouterr().err}"


# --- backward compatibility with every released version ------------------------------------


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=30
    ).stdout


def _repo_root() -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not available")
    try:
        root = Path(_git("rev-parse", "--show-toplevel", cwd=SCHEMA_DIR).strip())
        _git("rev-parse", "--verify", "HEAD", cwd=root)
    except (subprocess.CalledProcessError, OSError):
        pytest.skip("not a git checkout with history")
    return root


def _history(root: Path, relative: str) -> list[tuple[str, dict[str, object]]]:
    """(commit, schema) for every committed version of `relative`, newest first."""
    versions = []
    for sha in _git("log", "--format=%H", "--", relative, cwd=root).split():
        try:
            text = _git("show", f"{sha}:{relative}", cwd=root)
        except subprocess.CalledProcessError:
            continue  # the commit deleted the file
        versions.append((sha, json.loads(text)))
    return versions


@pytest.mark.parametrize("event_type", EVENT_TYPE_NAMES)
def test_schema_is_backward_compatible_with_every_committed_version(event_type: str) -> None:
    root = _repo_root()
    try:
        relative = schema_path(event_type).resolve().relative_to(root).as_posix()
    except ValueError:
        pytest.skip("the schemas are not inside the git checkout")
    current = schema_of(event_type)
    problems = [
        f"{sha[:10]}: {problem}"
        for sha, old in _history(root, relative)
        for problem in breaking_changes(old, current)
    ]
    assert problems == [], (
        f"{event_type} breaks released versions (a breaking change needs a new .v2 event type):\n"
        + "\n".join(problems)
    )

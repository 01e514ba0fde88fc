"""The committed JSON Schema: current, and it accepts the example."""

from __future__ import annotations

import json

import jsonschema
from ruamel.yaml import YAML

from generator.config.schema import SCHEMA_FILE, schema_text
from tests.conftest import EXAMPLE, GOLDEN, ROOT

SCHEMA = ROOT / "schemas" / SCHEMA_FILE


def load_yaml(path: object) -> object:
    return YAML(typ="safe").load(path)


def test_committed_schema_is_current() -> None:
    assert SCHEMA.read_text() == schema_text(), "run 'benchgen schema' and commit schemas/"


def test_example_and_good_cases_validate_against_the_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    configs = [
        EXAMPLE,
        *(
            p / "config.yaml"
            for p in GOLDEN.iterdir()
            if (p / "expected.yaml").exists() and (p / "config.yaml").exists()
        ),
    ]
    assert len(configs) >= 4
    for config in configs:
        errors = [e.message for e in validator.iter_errors(load_yaml(config))]
        assert errors == [], f"{config}: {errors}"


def test_schema_rejects_unknown_fields_and_bad_enums() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    doc = load_yaml(EXAMPLE)
    assert isinstance(doc, dict)
    doc["spec"]["poll"]["intreval"] = "30s"
    doc["spec"]["poll"]["failOn"] = ["EXPLODED"]
    messages = sorted(e.message for e in validator.iter_errors(doc))
    assert any("intreval" in m for m in messages)
    assert any("EXPLODED" in m for m in messages)

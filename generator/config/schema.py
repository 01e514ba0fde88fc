"""The JSON Schema of benchmark.yaml, exported from the models (schemas/ holds the copy)."""

from __future__ import annotations

import json

from generator.config.models import API_VERSION, Benchmark

SCHEMA_FILE = "benchmark.schema.json"
SCHEMA_ID = "https://benchgen.dev/schemas/benchmark-v1alpha1.json"


def schema_text() -> str:
    schema = Benchmark.model_json_schema(by_alias=True, mode="validation")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"benchgen Benchmark ({API_VERSION})",
        **schema,
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"

"""Writes the public GraphQL schema to gateway/schema.graphql (committed; reviewed in diffs)."""

from pathlib import Path

from gateway.graphql.schema import schema

TARGET = Path(__file__).resolve().parents[3] / "schema.graphql"

if __name__ == "__main__":
    TARGET.write_text(schema.as_str() + "\n")

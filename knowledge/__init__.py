"""Knowledge documents and the builder that turns them into a searchable SQLite knowledge base."""

from pathlib import Path

DOCUMENTS_DIR = Path(__file__).parent / "documents"
FACTS_FILE = Path(__file__).parent / "facts.yaml"
POLICY_FILE = Path(__file__).parent / "policy.yaml"  # the owner's statements: not article facts

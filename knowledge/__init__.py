"""Knowledge documents and the builder that turns them into a searchable SQLite knowledge base."""

from pathlib import Path

DOCUMENTS_DIR = Path(__file__).parent / "documents"

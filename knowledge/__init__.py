"""Knowledge documents and the builder that turns them into a searchable SQLite knowledge base."""

from pathlib import Path

DOCUMENTS_DIR = Path(__file__).parent / "documents"
FACTS_FILE = Path(__file__).parent / "facts.yaml"
BUILTIN_POLICY_FILE = Path(__file__).parent / "policy.yaml"  # the owner's statements: not article facts


def __getattr__(name: str) -> Path:
    # POLICY_FILE is looked up when it is imported (bot/answers/compose.py takes it as its default): the
    # owner's copy in the config directory, checked, else the built-in file (knowledge/policy.py).
    if name == "POLICY_FILE":
        from knowledge.policy import policy_file

        return policy_file()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

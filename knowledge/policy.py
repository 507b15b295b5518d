"""The owner's policy statements (policy.yaml): the config directory's copy, checked, else the built-in one.

The assistant repeats these texts word for word and looks each up by key, so an owner's file must keep
every key of the built-in one, each with a text; a missing key or a list where a text belongs stops the
start with the file and line instead of failing in the middle of a conversation.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot import config

WHOLE_FILE = "the policy statements: `key: text` lines, with the keys of the built-in file (`oncall-bot init`)"


def builtin_keys() -> list[str]:
    return list(yaml.safe_load(config.BUILTIN_LOCATIONS["policy.yaml"]().read_text(encoding="utf-8")))


def policy_file() -> Path:
    """The policy file in force, checked unless it is the built-in one (the tests check that)."""
    path = config.owner_file("policy.yaml")
    if not config.is_builtin(path):
        check(path)
    return path


def check(path: Path) -> dict[str, str]:
    texts = config.validate(path, dict[str, str], {}, "a text for each key, e.g. `quotes: >- The OnCall team …`")
    missing = [key for key in builtin_keys() if key not in texts]
    if missing:
        _, text = config.read_yaml(path, WHOLE_FILE)
        raise config.ConfigError(path, f"`{missing[0]}` is missing", f"{WHOLE_FILE}; keys: {', '.join(builtin_keys())}",
                                 config.node_line(text, ()))
    return texts

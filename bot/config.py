"""The owner's editable files: where they live, and reading them with errors a person can act on.

The qualification rules, the policy statements and the default labelled set ship with the package, but an
installed package is no place to edit them (an upgrade overwrites site-packages). So each is looked up
first in the config directory — `$ONCALL_CONFIG_DIR`, else the user config directory (platformdirs, e.g.
`~/.config/oncall-assistant/`) — and the built-in default is used only when the owner has no copy there.
`oncall-bot init` copies the defaults into that directory to start from.

A broken file stops any command that reads it with one line, `error: <file>, line N: what is wrong;
expected …`, and status 1: YAML's own marks locate syntax errors, and the composed YAML nodes locate the
value a schema check refused.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
import yaml

_ROOT = Path(__file__).resolve().parent.parent  # bot/, intents/, knowledge/ are installed side by side
_CHECKOUT_EVAL = _ROOT / "eval"
_PACKAGED_EVAL = _ROOT / "bot" / "evaluation" / "sets"  # eval/ as installed (pyproject: package-dir)


def eval_dir() -> Path:
    """The evaluation sets that ship with the assistant: packaged in an install, `eval/` in a checkout."""
    return _PACKAGED_EVAL if _PACKAGED_EVAL.is_dir() else _CHECKOUT_EVAL


@dataclass(frozen=True, slots=True)
class OwnerFile:
    name: str
    what: str

    @property
    def builtin(self) -> Path:
        return BUILTIN_LOCATIONS[self.name]()


BUILTIN_LOCATIONS = {
    "qualification.yaml": lambda: _ROOT / "intents" / "qualification.yaml",
    "policy.yaml": lambda: _ROOT / "knowledge" / "policy.yaml",
    "labelled.yaml": lambda: eval_dir() / "labelled.yaml",
}
OWNER_FILES = (
    OwnerFile("qualification.yaml", "the lead qualification rules, shown by `oncall-bot leads rules`"),
    OwnerFile("policy.yaml", "what OnCall says about quotes, replies, commitment, privacy and hand-offs"),
    OwnerFile("labelled.yaml", "the labelled set `oncall-bot eval` scores by default"),
)


def config_dir() -> Path:
    configured = os.environ.get("ONCALL_CONFIG_DIR")
    if configured:
        return Path(configured).expanduser()
    # The same application name as the data directory (bot/storage/database.py), so both are easy to find.
    return platformdirs.user_config_path("oncall-assistant", appauthor=False)


def owner_file(name: str) -> Path:
    """The file in force: the owner's copy in the config directory, else the built-in default."""
    mine = config_dir() / name
    return mine if mine.is_file() else BUILTIN_LOCATIONS[name]()


def is_builtin(path: Path) -> bool:
    return any(path == locate() for locate in BUILTIN_LOCATIONS.values())


def qualification_file() -> Path:
    """`ONCALL_QUALIFICATION` when set (even if it names a missing file: that is an error to report), else
    the config directory's copy, else the built-in rules."""
    configured = os.environ.get("ONCALL_QUALIFICATION")
    return Path(configured).expanduser() if configured else owner_file("qualification.yaml")


def qualification_location() -> str:
    """Where the owner edits the rules in force — never a path inside the installed package."""
    if os.environ.get("ONCALL_QUALIFICATION"):
        return str(qualification_file())
    mine = config_dir() / "qualification.yaml"
    if mine.is_file():
        return str(mine)
    return f"{mine} (not created yet: the built-in rules are in force; `oncall-bot init` copies them there)"


def init(force: bool = False) -> list[tuple[Path, str]]:
    """Copy the built-in defaults into the config directory; an existing file is kept unless `force`.
    Returns (path, "wrote" | "replaced" | "kept") for each owner file."""
    directory = config_dir()
    directory.mkdir(parents=True, exist_ok=True)
    done = []
    for owned in OWNER_FILES:
        target = directory / owned.name
        existed = target.exists()
        if existed and not force:
            done.append((target, "kept"))
            continue
        shutil.copyfile(owned.builtin, target)
        done.append((target, "replaced" if existed else "wrote"))
    return done


class ConfigError(SystemExit):
    """A file the owner edits is missing or broken. A SystemExit, like adapters/slack/config.py's, so that
    any command — whichever layer reads the file — stops with this one line and status 1, not a traceback."""

    def __init__(self, path: Path, problem: str, expected: str, line: int | None = None):
        self.path, self.line, self.problem, self.expected = path, line, problem, expected
        where = f"{path}, line {line}" if line else str(path)
        self.message = f"{where}: {problem}; expected {expected}"
        # A message (not a number) as the exit code: Python prints it to stderr and exits with status 1.
        super().__init__(f"error: {self.message}")


def read_yaml(path: Path, expected: str) -> tuple[Any, str]:
    """The file's data and its text (for `node_line`, on the error path only), or ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "no such file", expected) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, f"cannot be read ({error})", expected) from None
    try:
        return yaml.safe_load(text), text
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = f"not valid YAML: {error.problem or error.context}"
        if error.problem and error.context and error.context_mark and error.context_mark.line != mark.line:
            problem += f" ({error.context} on line {error.context_mark.line + 1})"  # where the unclosed thing began
        raise ConfigError(path, problem, expected, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as error:
        raise ConfigError(path, f"not valid YAML: {error}", expected) from None


def node_line(text: str, location: tuple[Any, ...]) -> int | None:
    """The 1-based line of the value at `location` (keys and list indexes) in the YAML `text`, from its
    composed nodes; for a key that is missing, the line of the mapping that lacks it."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    for key in location:
        if isinstance(node, yaml.MappingNode):
            found = next((value for k, value in node.value if getattr(k, "value", None) == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            found = node.value[key]
        else:
            found = None
        if found is None:
            break
        node = found
    return node.start_mark.line + 1 if node is not None else None


def validate(path: Path, model: Any, expected: Mapping[str, str], default: str) -> Any:
    """Read `path` and validate it with the pydantic `model`; the first problem becomes a ConfigError whose
    `expected` comes from the innermost named key in `expected` (else `default`)."""
    from pydantic import TypeAdapter, ValidationError  # imported here: only an owner's file is validated

    data, text = read_yaml(path, default)
    try:
        return TypeAdapter(model).validate_python(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = tuple(first["loc"])
        names = [str(k) for k in location if isinstance(k, str)]
        hint = next((expected[k] for k in reversed(names) if k in expected), default)
        where = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in location).lstrip(".")
        where = f"`{where}`" if where else "the file"
        message = first["msg"][0].lower() + first["msg"][1:]
        message = re.sub(r" or instance of \w+$", "", message.removeprefix("value error, "))
        given = first.get("input")
        if first["type"] == "missing":
            problem = f"{where} is missing"
        elif first["type"] == "extra_forbidden":
            problem = f"{where} is not a known key"
        elif isinstance(given, str | int | float | bool) or given is None:
            problem = f"{where}: {message} (got {given!r})"
        else:
            problem = f"{where}: {message}"
        raise ConfigError(path, problem, hint, node_line(text, location)) from None

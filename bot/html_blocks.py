"""Self-contained HTML pages from templates cut into named blocks (`<!-- block: NAME -->`), each filled
with `string.Template`; callers escape every value they put in. Used by the evaluation report and the
owner dashboard, whose wording and markup stay in their template files."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from string import Template


@cache
def blocks(package: str, template: str) -> dict[str, Template]:
    text = files(package).joinpath(template).read_text(encoding="utf-8")
    parts = re.split(r"^<!-- block: (\w+) -->\n", text, flags=re.M)
    return {name: Template(body.strip("\n")) for name, body in zip(parts[1::2], parts[2::2], strict=True)}

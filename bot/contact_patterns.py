"""Where an email address or a phone number is in what people type: one definition for the form's parsers
(bot/dialogue/fields.py) and the turn log's redaction (bot/redaction.py).

Loose on purpose ("jane@acme" is found, and then refused by the validator with a reason), and linear: each
pattern starts only where a token starts, so a 100,000-character paste is scanned once, not once per
character (the unanchored form took 25 s on one).
"""

from __future__ import annotations

import re

_NOT_IN_ADDRESS = r"\s<>()\[\],;:\"'"
TYPED_EMAIL = re.compile(rf"(?<![^{_NOT_IN_ADDRESS}])[^{_NOT_IN_ADDRESS}@]+@[^{_NOT_IN_ADDRESS}]+")
TYPED_PHONE = re.compile(r"(?<![\d+])\+?\d[\d\s().-]{5,}\d")

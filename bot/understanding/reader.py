"""Understanding: what a message says on its own — normalized words, entities, ranked intents, acts.

`Understanding.read(text, context)` is the one entry point the dialogue layer uses. The context
(last topic and role) only helps rank follow-ups; deciding what a message means *in this
conversation* is the dialogue layer's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import intents as intent_data
from bot.types import Match
from bot.understanding.acts import Acts, read_acts
from bot.understanding.entities import Entities, EntityRecognizer
from bot.understanding.matcher import Context, Matcher
from bot.understanding.normalize import Normalizer
from bot.understanding.unknowns import Subject, Unknowns


@dataclass(frozen=True, slots=True)
class Reading:
    raw: str
    entities: Entities
    ranking: tuple[Match, ...]
    acts: Acts
    uncovered: Subject | None  # an in-domain subject the knowledge does not cover ("a free trial")

    @property
    def text(self) -> str:
        return self.entities.text

    @property
    def top(self) -> Match:
        return self.ranking[0]


class Understanding:
    def __init__(self, intents: dict[str, intent_data.Intent], known_words: set[str],
                 literals: dict[str, list[list[str]] | None]):
        """`known_words`: words never "corrected" (the knowledge base's and the examples'); `literals`:
        the prefilter's cached literal sets (filled in place for new regexes)."""
        lexicon = intent_data.lexicon()
        protected = (intent_data.INTENTS_DIR / "protected_words.txt").read_text(encoding="utf-8").split("\n")
        known = {w for w in protected if w and not w.startswith("#")} | known_words | _signal_words()
        for intent in intents.values():
            for example in intent.examples:
                known.update(re.findall(r"[a-z]+", example.lower()))
        self.normalize = Normalizer(lexicon["abbreviations"], lexicon["phrases"], known, _domain_words(lexicon))
        # Phrases go through the same normalizer as messages: "black ops" is matched as "black operations".
        phrases = {group: {key: [self.normalize(p).text for p in values] for key, values in lexicon[group].items()}
                   for group in ("roles", "weak_roles", "out_of_scope")}
        self.recognize = EntityRecognizer(phrases["roles"], phrases["weak_roles"], phrases["out_of_scope"],
                                          intent_data.signals(), lexicon.get("out_of_scope_patterns"), literals)
        self.matcher = Matcher(intents, intent_data.cues(), literals)
        self.matcher.index_examples(lambda text: self.recognize(self.normalize(text).text).masked)
        self.unknowns = Unknowns(intent_data.unknown_subjects(), literals)
        self.nothing = self.recognize("")  # what a button press or an empty message "says"

    def entities(self, text: str) -> Entities:
        return self.recognize(self.normalize(text).text)

    def read(self, raw: str, context: Context) -> Reading:
        entities = self.entities(raw)
        ranking = tuple(self.matcher.rank(entities, context))
        acts = read_acts(entities.masked, raw)
        # Inside a conversation about OnCall or the roles, "is there any guarantee?" is about them too.
        in_domain = bool(context.last_intent) and context.last_topic != "out_of_scope" or bool(
            getattr(context, "form", None))
        return Reading(raw, entities, ranking, acts, self.unknowns.find(entities, acts, in_domain))


def _domain_words(lexicon: dict) -> set[str]:
    """The words typos are corrected towards: the lexicon's and every word the topic cues look for."""
    words = set(lexicon["domain_words"].split())
    for cue in intent_data.cues():
        words.update(re.findall(r"[a-z]{4,}", re.sub(r"\\[a-zA-Z]", " ", cue.regex)))
    for mapping in (lexicon["abbreviations"], lexicon["phrases"]):
        for value in mapping.values():
            words.update(str(value).split())
    for group in ("roles", "weak_roles", "out_of_scope"):
        for phrases in lexicon[group].values():
            for phrase in phrases:
                words.update(phrase.split())
    return words


def _signal_words() -> set[str]:
    """Words the hiring signals look for: never "corrected" into something else ("tripled" is not "tried")."""
    words: set[str] = set()
    for signal in intent_data.signals():
        for pattern in signal.patterns:
            words.update(re.findall(r"[a-z]{4,}", re.sub(r"\\[a-zA-Z]", " ", pattern)))
    return words

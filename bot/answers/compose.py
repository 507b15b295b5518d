"""Compose reply texts: direct answers from facts, whole sections on request, advice, templates and the
owner's policy statements. Nothing here reads the conversation state: the dialogue layer hands in what
it needs (the question, the role, the facts already given)."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.answers.direct import DirectAnswers
from bot.answers.facts import FactBook
from bot.types import Source
from bot.understanding.advice import Advice
from knowledge import POLICY_FILE
from knowledge.kb import KnowledgeBase, SectionText

ROLE_SHORT = {"project_manager": "a PM", "operations_manager": "an ops manager", "both": "both roles"}


def render_section(section: SectionText) -> str:
    lines = [f"**{section.heading}**"]
    for kind, text in section.passages:
        if kind == "item" or kind == "row":
            lines.append(f"• {text}")
        else:
            lines.append(text)
    return "\n".join(lines)


class Answers:
    def __init__(self, kb: KnowledgeBase, messages: dict, policy_file: Path = POLICY_FILE):
        self.kb = kb
        self.messages = messages
        self.policy_texts = {k: " ".join(str(v).split()) for k, v in
                             (yaml.safe_load(policy_file.read_text(encoding="utf-8")) or {}).items()}
        self.direct = DirectAnswers(FactBook(), kb)
        self._rendered: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[Source, ...]]] = {}

    def say(self, key: str, **values: str) -> str:
        return str(self.messages[key]).format(**values).strip()

    def button(self, key: str) -> str:
        return self.messages["buttons"][key]

    def policy(self, key: str) -> str:
        """One of the owner's statements (knowledge/policy.yaml): how OnCall works, not an article fact."""
        return self.policy_texts[key]

    def role_name(self, role: str) -> str:
        return self.messages["role_names"][role]

    def sections(self, refs: tuple[str, ...]) -> tuple[list[str], list[Source]]:
        # Rendered once per set of sections: the knowledge base does not change under a running engine.
        if refs not in self._rendered:
            self._rendered[refs] = self._render(refs)
        texts, sources = self._rendered[refs]
        return list(texts), list(sources)

    def _render(self, refs: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[Source, ...]]:
        texts, sources = [], []
        for ref in refs:
            section = self.kb.section(ref)
            if section is None:
                continue  # the owner rebuilt the knowledge base without this document
            texts.append(render_section(section))
            sources.append(Source(section.document, section.heading))
        return tuple(texts), tuple(sources)

    def advice(self, advice: Advice, brief: bool = False) -> tuple[list[str], list[Source]]:
        if advice.recommendation is None:
            return [self.say("advise_need_more")], []
        names = self.messages["role_names"]
        if not advice.signals:
            return [self.say("advise_earlier", choice=names[advice.recommendation])], []
        if brief:  # "in one line": the recommendation and the signs, no list
            reasons = " and ".join(s.label for s in advice.signals[:2])
            choice = names[advice.recommendation]
            return [self.say("advise_brief", choice=choice[0].upper() + choice[1:], reasons=reasons)], (
                self.signal_sources(advice))
        lines = [self.say("advise_intro", choice=names[advice.recommendation]), self.say("advise_signals")]
        lines += [self.say("advise_signal_line", label=s.label, role=names[s.role]) for s in advice.signals]
        texts = ["\n".join(lines)]
        if advice.recommendation == "both":
            texts.append(self.say("advise_both"))
        return texts, self.signal_sources(advice)

    def signal_sources(self, advice: Advice) -> list[Source]:
        refs = tuple(dict.fromkeys(s.source for s in advice.signals))
        if advice.recommendation == "both":
            refs += ("comparison#do-you-need-both",)
        return [Source(s.document, s.heading) for s in (self.kb.section(r) for r in refs) if s]

    def title(self, intent: str) -> str:
        return self.messages["intent_titles"].get(intent, intent)

"""Rank intents for a message: cues (why) + fuzzy similarity to examples (how close) + context.

Returns typed, ranked `Match`es with confidences in [0, 1] and the evidence behind each. Role-specific
topics (role, skills, when_to_hire) are resolved to `pm.*`/`ops.*` from the roles named in the message
or, for follow-ups like "and for an ops manager?" / "when should I hire one?", from the conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from rapidfuzz import fuzz, process

from bot.types import Match
from bot.understanding.entities import ROLE_TOKEN, Entities
from bot.understanding.prefilter import PatternSet
from intents import Cue, Intent

ROLE_TOPICS = ("role", "skills", "when_to_hire")
OUT_OF_SCOPE = "out_of_scope"  # the conversation's last topic when the user asked about something else
ACCEPT = 0.45  # below this the best intent is not trusted: knowledge-base search, then fallback
TOO_CLOSE = 0.03  # two different intents closer than this: ask which one was meant
DECISIVE_CUE = 0.9
_STOPWORDS = frozenset(
    "a an the is are am be been was were do does did to of for in on at and or it "
    "its that this these those my our me us i we you your so just really actually please hey hi ok okay well like "
    "um uh kind sort there here with about as by from can could would should will also then than".split()
)
# A situation the company lives in ("our warehouse", "we keep slipping"), not the speaker's curiosity.
_FIRST_PERSON = re.compile(r"\b(we|our|us|ours|were|weve|i own|i run|my (company|team|startup|business|firm|"
                           r"org\w*|shop|studios?|clinics?|stores?|restaurants?|agency|practice))\b")
_HIRING = re.compile(r"\b(hire|hiring|recruit\w*|need|needs|get|bring in|bring on|employ|onboard)\b")
_CHOICE = re.compile(
    r"\b(role or (a |an )?role|which (one|role)|who (do|should) (i|we)|(right|best) (hire|person|fit)|or both)\b")
# The object of hiring or judging someone: "hire a sous chef", "makes a great grant writer".
_OTHER_OBJECT = re.compile(r"\b(hire|hiring|recruit\w*|bring on|onboard|employ|makes?|become|does|do|should) "
                           r"(a|an|another|our|my|some|more|the|your) ((?:\w+ ){0,2}?\w+)\b"
                           r"(?=\s*(do|does|need|needs|have|be|for|in|at|to|earn|$|\?))")
_GENERIC_OBJECT = frozenset("role one ones someone somebody person people help staff hire manager managers leader lead "
                            "candidate candidates".split())  # the head noun of a question about our roles
_ABOUT_THE_STORY = re.compile(r"\b(did|there|at zowa|for zowa|for them|they get|happened|results?)\b")
_ANAPHORA = re.compile(r"\b(that|this|it|they|them|the other)\b")
_FOLLOW_UP = re.compile(r"^(and|what about|how about|same for|same question for|now|ok and|okay and|also|then)\b")


class Context(Protocol):
    """What the conversation so far says about a follow-up (the dialogue layer's state provides it)."""

    last_intent: str | None
    last_topic: str | None
    last_role: str | None
    extra: dict


@dataclass(frozen=True, slots=True)
class TopicScore:
    topic: str
    score: float
    evidence: tuple[str, ...]


def content(text: str) -> str:
    return " ".join(w for w in text.split() if w not in _STOPWORDS)


def topic_of(state: Context) -> str | None:
    """The topic a follow-up continues: the last one, or what an out-of-scope question asked about."""
    return state.last_topic if state.last_topic != OUT_OF_SCOPE else state.extra.get("asked_topic")


class Matcher:
    def __init__(self, intents: dict[str, Intent], cues: tuple[Cue, ...], literals: dict | None = None):
        self.cues = cues
        self._cue_set = PatternSet([cue.regex for cue in cues], literals)
        self.by_topic_role = {(i.topic, i.role): i.id for i in intents.values()}
        self._examples: list[str] = []
        self._example_topics: list[str] = []
        self._intents = intents

    def index_examples(self, prepare) -> None:
        """`prepare(text) -> masked text`: examples go through the same pipeline as messages."""
        for intent in self._intents.values():
            for example in intent.examples:
                # Stored with sorted words: ratio() on sorted words is token_sort_ratio without
                # re-sorting every example for every message.
                self._examples.append(" ".join(sorted(content(prepare(example)).split())))
                self._example_topics.append(intent.topic)

    # -- scoring -------------------------------------------------------------------------------
    def cue_scores(self, entities: Entities) -> tuple[dict[str, float], dict[str, list[str]]]:
        masked = entities.masked
        scores: dict[str, float] = {}
        evidence: dict[str, list[str]] = {}
        for index, found in self._cue_set.matches(masked):
            cue = self.cues[index]
            previous = scores.get(cue.topic, 0.0)
            scores[cue.topic] = min(1.0, max(previous, cue.weight) + (0.05 if previous else 0.0))
            evidence.setdefault(cue.topic, []).append(f"cue '{found.group(0).strip()}'")
        about_oncall = "oncall" in masked.split() and len(entities.roles) < 2
        one_named = len(entities.roles) == 1 and not _ANAPHORA.search(masked)  # "how's that different from X"
        if "differences" in scores and (one_named or about_oncall):
            # "pm vs doing it ourselves", "oncall vs a recruiter" compare, but not the two roles
            scores["differences"] *= 0.7
        if entities.signals:
            # A situation the user lives in ("our warehouse is chaos") asks for advice.
            ours, choosing = bool(_FIRST_PERSON.search(masked)), bool(_CHOICE.search(masked))
            if ours and "need_both" in scores and not entities.roles and not entities.mentions_both:
                # "we're replacing our CRM and our phone system at once": both projects, not both roles
                scores["need_both"] *= 0.8
            weight = 0.45 + 0.12 * len(entities.signals) + (0.1 if ours else 0.0)
            if choosing:
                weight += 0.3  # a situation plus "pm or ops?" is a request for a recommendation
            # Without "we/our" or a choice to make, a situation is more likely a general question.
            weight = min(weight, 0.9 if ours or choosing else 0.7)
            if weight > scores.get("advise", 0.0):
                scores["advise"] = weight
            evidence.setdefault("advise", []).append("signals " + ", ".join(s.id for s in entities.signals))
        return scores, evidence

    def topic_scores(self, entities: Entities, words: str) -> tuple[dict[str, TopicScore], dict[str, float]]:
        """Each topic's combined score, and the cue-only scores (follow-up detection needs those).
        `words`: the message's content words (`content(entities.masked)`)."""
        cue_scores, evidence = self.cue_scores(entities)
        ranked = sorted(cue_scores.values(), reverse=True)
        if ranked and ranked[0] >= DECISIVE_CUE and (len(ranked) == 1 or ranked[1] < ACCEPT + 0.15):
            similarity = {}  # one decisive cue and no rival: similarity could not change the outcome
        else:
            similarity = self._similarity(words)
        scores: dict[str, TopicScore] = {}
        for topic in set(cue_scores) | set(similarity):
            sim = similarity.get(topic, 0.0)
            sim_part = max(0.0, (sim - 0.55) / 0.45) * 0.75
            cue = cue_scores.get(topic, 0.0)
            combined = 1 - (1 - cue) * (1 - sim_part)
            reasons = tuple(evidence.get(topic, ())) + ((f"similar to examples ({sim:.2f})",) if sim_part else ())
            scores[topic] = TopicScore(topic, min(combined, 1.0), reasons)  # rounded once, in the Reply
        return scores, cue_scores

    def _similarity(self, query: str) -> dict[str, float]:
        if not query or not self._examples:
            return {}
        best: dict[str, float] = {}
        query = " ".join(sorted(query.split()))
        for _, score, index in process.extract(
            query, self._examples, scorer=fuzz.ratio, processor=None, limit=12, score_cutoff=55
        ):
            topic = self._example_topics[index]
            best[topic] = max(best.get(topic, 0.0), score / 100)
        return best

    # -- ranking -------------------------------------------------------------------------------
    def rank(self, entities: Entities, state: Context) -> list[Match]:
        if not entities.masked:
            return [Match("fallback", 1.0, ("empty message",))]
        words = content(entities.masked)
        scores, cue_scores = self.topic_scores(entities, words)
        self._follow_up(entities, state, scores, cue_scores, words.split())
        if state.last_topic == "case_study" and _ABOUT_THE_STORY.search(entities.masked):
            # "what did the ops manager do there?" right after the Zowa story is about the story
            scores["case_study"] = TopicScore("case_study", 0.9, ("follow-up on the client story",))
        if not entities.roles and not entities.mentions_both and state.last_topic is None:
            # "how do marketing and sales work together": comparing needs our roles or a conversation
            for topic in ("differences", "need_both", "work_together"):
                if topic in scores:
                    scores[topic] = TopicScore(topic, scores[topic].score * 0.6, scores[topic].evidence)
        if entities.strong_roles and max((s.score for s in scores.values()), default=0.0) < ACCEPT:
            # "ops manager = what exactly": a role named with no clearer topic is asking what it is.
            scores["role"] = TopicScore("role", ACCEPT + 0.05, ("a role with no clearer topic",))
        matches: list[Match] = []
        for item in sorted(scores.values(), key=lambda s: -s.score):
            matches.extend(self._resolve(item, entities, state))
        matches = self._scope(entities, matches)
        deduped: dict[str, Match] = {}
        for match in sorted(matches, key=lambda m: -m.confidence):
            deduped.setdefault(match.intent, match)
        ranked = list(deduped.values())
        if not ranked or ranked[0].confidence < ACCEPT:
            top = ranked[0].confidence if ranked else 0.0
            ranked.insert(0, Match("fallback", round(1 - top, 4), ("no intent scored high enough",)))
        return ranked

    def _follow_up(
        self, entities: Entities, state: Context, scores: dict[str, TopicScore], cues: dict[str, float],
        words: list[str],
    ) -> None:
        """A short message naming a role but no topic ("and for an ops manager?") continues the
        previous topic for that role; with no previous topic it asks what the role is."""
        names_role = bool(entities.roles) or entities.other_one
        explicit = bool(_FOLLOW_UP.search(entities.masked))
        strongest_cue = max(cues.values(), default=0.0)
        if not names_role or len(words) > 6 or (strongest_cue >= 0.6 and not explicit):
            return
        others = [w for w in words if w != ROLE_TOKEN]
        if topic_of(state) not in ROLE_TOPICS and len(others) > 1:
            return  # not a bare role ("ops manager?") and nothing to follow up on
        if explicit and strongest_cue >= 0.6 and topic_of(state) not in ROLE_TOPICS:
            return
        if strongest_cue >= 0.5 and max(cues, key=cues.get) != topic_of(state):
            return  # "and what skills should I look for…" after "what does a PM do?" asks about skills
        # After "when should I hire a marketing manager?" (out of scope), "and an ops manager?" asks the same.
        earlier = state.last_topic if state.last_topic != OUT_OF_SCOPE else state.extra.get("asked_topic")
        topic = earlier if earlier in ROLE_TOPICS else "role"
        follows = topic == earlier
        score = (0.9 if explicit else 0.8) if follows else 0.7
        if scores.get(topic) and scores[topic].score >= score:
            return
        reason = "follow-up on previous topic" if follows else "a role on its own"
        scores[topic] = TopicScore(topic, score, (reason,))

    def _resolve(self, item: TopicScore, entities: Entities, state: Context) -> list[Match]:
        if item.topic not in ROLE_TOPICS:
            intent = self.by_topic_role.get((item.topic, None))
            return [Match(intent, item.score, item.evidence)] if intent else []
        roles = [r for r in entities.roles if r in ("project_manager", "operations_manager")]
        if len(roles) >= 2 or entities.mentions_both and not roles:
            return [Match("compare.differences", item.score * 0.9, (*item.evidence, "names both roles"))]
        if roles:
            return [Match(self.by_topic_role[(item.topic, roles[0])], item.score, item.evidence)]
        other = _OTHER_OBJECT.search(entities.masked)
        if other and not state.last_role and other.group(3).split()[-1] not in _GENERIC_OBJECT:
            # "when should a restaurant hire a sous chef": a role topic about some other job
            return [Match("fallback", item.score, (*item.evidence, f"about '{other.group(3)}', not our roles"))]
        if state.last_topic == OUT_OF_SCOPE:
            # "and what skills do they need?" right after asking about a scrum master
            return [Match("fallback", item.score, (*item.evidence, "follows an out-of-scope question"))]
        if state.last_role in ("project_manager", "operations_manager"):
            role = state.last_role
            if entities.other_one:
                role = "operations_manager" if role == "project_manager" else "project_manager"
            return [
                Match(
                    self.by_topic_role[(item.topic, role)],
                    item.score * 0.95,
                    (*item.evidence, f"role from conversation: {role}"),
                )
            ]
        # No role anywhere: both readings are possible and equal scores make the engine ask which.
        # Discounted, because a role topic with no role is often about something else entirely.
        return [
            Match(self.by_topic_role[(item.topic, r)], item.score * 0.6, (*item.evidence, "role unknown"))
            for r in ("project_manager", "operations_manager")
        ]

    def _scope(self, entities: Entities, matches: list[Match]) -> list[Match]:
        """Other job titles and other senses of the words are out of scope, confidently."""
        if not entities.out_of_scope:
            return matches
        kinds = {o.kind for o in entities.out_of_scope}
        in_scope_role = bool(entities.strong_roles) and ROLE_TOKEN in entities.masked
        best = max((m.confidence for m in matches), default=0.0)
        top = matches[0].intent if matches else ""
        # "oncall vs a recruiter", "why use you instead of a recruiter": the title is the alternative.
        about_oncall = top == "oncall.benefits" or ("oncall" in entities.masked.split() and top.startswith("oncall."))
        # "I own 3 yoga studios, teacher scheduling is chaos": a situation of ours that names a job in passing.
        our_situation = len(entities.signals) >= 1 and bool(_FIRST_PERSON.search(entities.masked)) and not (
            _HIRING.search(entities.masked))
        out = "job_seeking" in kinds or "tasks" in kinds or (
            "titles" in kinds and not (in_scope_role and entities.signals) and not about_oncall and not our_situation
        )
        # "migrating off windows, do we need a PM?" is still a hiring question; "what is devops" is not.
        # "jira or asana for project management?" is about tools even though it names the role.
        out = out or ("senses" in kinds and not entities.signals and not (in_scope_role and best >= 0.8))
        if not out:
            return matches
        phrases = ", ".join(o.phrase for o in entities.out_of_scope)
        return [Match("fallback", max(0.9, best), (f"out of scope: {phrases}",)), *matches]

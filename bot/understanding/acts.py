"""Dialogue acts: what a message does on its own, before the conversation says what it means.

"ok do it" affirms, "nah" declines, "why?" asks for a reason, "tell me more" asks for more, "in one
line" asks for less, "actually …" corrects. The dialogue layer reads these against what the assistant
offered or asked last. Everything here runs on the normalized text (lowercase, no punctuation,
abbreviations expanded), plus the raw text where punctuation matters (a question mark).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AFFIRM = re.compile(
    r"^(yes|yeah|yea|yep|yup|ya|yas|sure|ok|okay|alright|all right|sounds (good|great|fine|perfect|like a plan)|"
    r"perfect|great|absolutely|definitely|of course|please do|go ahead|go for it|do it|lets do (it|that|this)|"
    r"lets go|deal|why not|that works|works for me|i would like that|would love that|id love that|"
    r"that would be (great|good|nice|helpful)|please|yes please|correct|right|exactly|indeed|affirmative|"
    r"i guess so|i think so|sure thing|certainly|fine|cool|good|nice|awesome|great stuff|lovely|love it|"
    r"count me in|i am in|we are in)\b")
# Accepting an offer to start something ("set it up", "let's do that"); and the same as a question
# ("sounds good, how do I get one through you?").
_PROCEED = re.compile(
    r"^(\w+ ){0,3}(do it|do that)\b|\b(set (it|that|this|one|them) up|go ahead|lets do (it|that|this)|lets go|"
    r"get (it|that) (going|started)|start (it|that|the request|one|the process)|sign (me|us) up|"
    r"book (it|one|them|him|her)|make it happen|get (me |us )?one|(i|we) (will|would) (take|like) (it|one|that)|"
    r"proceed|move forward|i am ready|we are ready|ready when you are|lets start|set me up|hook (me|us) up|"
    r"pass (it|that|this|my question|them) (on|along|over|to (the team|them|someone|a person|sales))|"
    r"lets (do|get|go with|hire|book) (both|one|them|it|that|this|the two)|"
    r"(ask|put me through to|connect me with|put me in touch with) (the team|them|someone|a person|sales))\b")
_PROCEED_QUESTION = re.compile(
    r"\b((how|where) (do|can|would|should) (i|we) (get|hire|book|request|start|go about) (one|it|them|that|this|"
    r"getting one|started)|get one (through|from|via) you|can (you|u) (set (that|it|one) up|get (me|us) one|"
    r"arrange (that|it|one)))\b")
_DENY = re.compile(
    r"^(no|nope|nah|naw|not now|not yet|not really|no thanks|no thank you|nothanks|maybe later|later|"
    r"i will pass|ill pass|pass|not interested|dont|do not|no need|not today|not right now|"
    r"i am good|im good|we are good|all good|its ok|it is ok|thats ok|that is ok|no its fine|"
    r"just (browsing|looking|curious|reading)|not at the moment|no not yet|nah (its|it is) fine)\b")
_WHY = re.compile(
    r"^(hmm+ |hm |but |well |so |ok |okay |wait |really )*"
    r"(why( (is )?(that|so|this|it))?( then| though| tho| exactly| again)?$|how come|based on what|on what basis|"
    r"what makes you (say|think) (that|so)|i thought (i|we) (needed|need|should get|wanted) (a |an )?role|"
    r"(hmm |but )?(are you|r you|you) sure|i was (kind of |kinda |sort of )?thinking (a |an |of |about )?role|"
    r"(would not|wouldnt) (a |an )?role be better|what about (a |an )?role instead|i thought\b|"
    r"i (still )?(think|feel) (i|we) need (a |an )?role|but (i|we) need (a |an )?role|"
    r"why (is )?(that|so)|why (do|would|did) you (say|think|recommend|suggest|pick|choose) (that|it|so|this|them|one)|"
    r"how did you (decide|get (that|there)|come to that|pick)|what is (that|it|this) based on|"
    r"explain (that|why|your reasoning|the reasoning)|why not (a |an )?\w+|"
    r"why (a |an )?(role|that one|them|both|two|the other)|(tell me |explain )?why$|"
    r"really|what do you base (that|it) on|what makes (it|that|them) (the right|a good) (fit|choice)|"
    r"why (would|do) (i|we) need (a |an |that |this |them|one)?)")
# "just tell me in one line why", "in one line, why not a pm?"
_WHY_LAST = re.compile(r"\b(tell me|explain|and|but|ok|so) (\w+ ){0,3}why$|\bwhy not (a |an |the )?role\b")
_MORE = re.compile(
    r"^(tell me more|more|go on|more (details|detail|info|information)|elaborate|expand|keep going|"
    r"(give me |show me |i want |can i have |can i get )?(the )?(full|whole|long|complete|detailed) "
    r"(picture|version|answer|thing|story|details|explanation)|details please|in (more )?detail|say more|"
    r"can you (elaborate|expand|say more|go into more detail|tell me more)|more please|what else)\b")
_BRIEF = re.compile(
    r"\b(in one line|one liner|one sentence|in a sentence|in a line|tldr|tl dr|short version|briefly|"
    r"in short|in a nutshell|in a few words|summar\w*|sum (it |that )?up|short answer|keep it short|"
    r"shorter|too long|just the gist|the gist|short please|quick answer|simple terms|simply put|"
    r"just tell me|in plain english|eli5|one line|1 line|in brief|short and sweet|quick version)\b")
_ACK = re.compile(r"^((haha\w*|lol|lmao|ha) )?(ok|okay|k|cool|got it|gotcha|i see|makes sense|understood|noted|"
                  r"fair enough|alright|all right|right|nice|great|interesting|good to know|fine|sure|ah|oh|oh ok|"
                  r"ah ok|ok cool|ok got it|okay got it|ok i see|ahh|yeah|yep|awesome|lovely|perfect|haha\w*|lol)"
                  r"( (then|man|mate))?$")
_CORRECTION = re.compile(
    r"\b(actually|wait|sorry|oops|my bad|i meant|i mean|correction|change|make it|make that|switch (it |that )?to|"
    r"instead|rather|not (a |an )?role|scratch that|on second thought|update|fix|should be|should say|"
    r"meant to say|typo)\b")
# Words people put before the question itself: "ok so is it…", "wait, are they vetted?"
_FILLER = re.compile(r"^((and|but|so|ok|okay|oh|hmm+|hm|wait|also|btw|by the way|well|um+|uh+|then|right|yeah|yes|"
                     r"no|sorry|hey|hi|hello|lol|haha\w*|alright|cool|great|thanks|thank you|one more thing|"
                     r"quick question|question|fair|fair enough|got it|i see|makes sense|interesting|nice|fine|"
                     r"whatever|just)\s+)+")
_STATEMENT_START = re.compile(r"^(i|we|you|they|it|that|this|he|she|there|one|role|so)\b")  # "we need both then?"
_COMMAND = re.compile(r"^(do it|do that|do so|do this)\b")  # "ok do it" starts with "do" and asks nothing
_QUESTION_START = re.compile(
    r"^(what|how|why|when|who|whom|whose|which|where|can|could|do|does|did|is|are|was|should|would|will|"
    r"shall|may|might|have|has|am|tell me|any|is there|are there)\b")
_YES_NO_START = re.compile(r"^(do|does|did|is|are|was|can|could|should|would|will|shall|may|might|have|has|am|"
                           r"isnt|arent|dont|doesnt|cant|wont|is there|are there)\b")
_IDENTITY = re.compile(
    r"\b((are|r) (you|u) (a |an )?(bot|robot|human|real|person|ai|a\.i|machine|chatgpt|gpt|computer|automated|"
    r"chatbot|program|real person|live person|actual person)|"
    r"(am i|are we|i am) (talking|chatting|speaking|writing) (to|with) (a |an )?(bot|robot|human|real|person|ai|"
    r"machine|someone|somebody|computer|chatbot|actual)|"
    r"who (am i|are we) (talking|chatting|speaking|writing) (to|with)|"
    r"(is this|is that|this is) (a |an )?(bot|chatgpt|gpt|ai|human|real person|automated|robot|chatbot|"
    r"an actual person|a person)(?! for)|(what|who) are you(?! (guys|people|folks|as a company|doing))|"
    r"who is this|whos this|who (made|built|created|programmed|designed|trained|owns|runs) (you|this bot)|"
    r"(what is|whats) your name|do you have a name|"
    r"(you are|youre|you re|your) (a |an |just a )?(bot|robot|ai|machine|chatbot)|"
    r"(are|r) (you|u) (even )?(real|alive|human|sentient|a person)|repeat after me|"
    r"(say|admit|pretend) (that )?(you are|youre|your|to be|ur) (a )?(real )?(human|person|real)|"
    r"i am (a )?(human|bot|robot))\b")
_FORGET = re.compile(
    r"\b((delete|erase|remove|wipe|clear|purge|destroy|forget) (all )?(of )?(my|me|our|everything|all)\b.{0,25}"
    r"|forget (about )?me|forget (everything|all of (it|this)) (about me|i (said|told you))|"
    r"right to (be forgotten|erasure)|gdpr (delete|deletion|erasure|request)|"
    r"(delete|erase|remove|wipe) (my|our|the) (data|details|info\w*|conversation|chat|messages|history|account|"
    r"personal \w+|contact \w+|email|number))")
# Questions about a talent request itself, each answered by the owner's policy file or the form.
_ABOUT_REQUEST = (
    ("response_time", re.compile(
        r"\b((when|how soon|how long|how quickly|how fast)\b.{0,40}\b(hear|get back|contact\w*|reach\w*|reply|"
        r"respond|answer|call|email|get in touch|follow up)|(will|would|does|do) (someone|anyone|you|they|"
        r"a person|the team|sales) (contact|call|email|reach|get back|get in touch|follow up|reply|respond)|"
        r"hear (back|from (you|someone|the team)))\b")),
    ("next_steps", re.compile(r"\b(what (happens|comes|is) (next|now|after (that|this|i (send|submit|sign|fill)\w*))|"
                              r"next steps?|what (do|will) (you|they|the team) do with (it|this|my \w+))\b")),
    ("commitment", re.compile(r"\b((is|will) (this|it|that) (going to )?(sign me up|commit me|charge me)|"
                              r"(is|does) (this|it|that|the request|sending (it|this)) (binding|a commitment|a "
                              r"contract|commit)|do (i|we) (have to|need to) (pay|sign|commit)|am i committing|"
                              r"(any|an) obligation|is (it|this) free to (ask|request|submit))\b")),
    ("privacy", re.compile(r"\b(what (do|does) (you|oncall|the team|they) need (my|the|our) \w+ for|"
                           r"why (do|does|would) (you|oncall|the team|they) (need|want|ask for|require) "
                           r"(my|the|our|a) (name|email|phone|number|details|company|info\w*)|"
                           r"who (will |can |gets to |is going to )?(see|sees|read|reads|receive|receives|get|"
                           r"gets) (my|this|the|these) (details|info\w*|data|request|email|number)|what (do|will) "
                           r"you do with (my|the|this) (data|details|info\w*|email|number)|(is|are|will) (my|our) "
                           r"(personal )?(data|details|info\w*) (be )?(safe|secure|protected|private))\b")),
    ("add_note", re.compile(r"\b(can|could|may|do) (i|we) (add|include|attach|leave|put|write|mention) "
                            r"(a |an |some |another )?(note|comment|message|detail|details|info\w*|context|extra|"
                            r"more|something)\b")),
    ("status", re.compile(r"\b(did (you|it|my request|that) (actually |really )?(get|go|arrive|come) (through|in)|"
                          r"was (it|my request) (sent|received)|(status|update) (of|on) my request|"
                          r"have you (got|received) (it|my))\b")),
)
_FORGET_OBJECT = re.compile(r"\b(data|details|info\w*|conversation|chat|messages|history|account|personal|"
                            r"contact|email|number|me|everything|record\w*)\b")


@dataclass(frozen=True, slots=True)
class Acts:
    affirm: bool = False
    proceed: bool = False  # accepts an offer to start something ("set it up", "how do I get one?")
    deny: bool = False
    why: bool = False
    more: bool = False
    brief: bool = False
    ack: bool = False
    correction: bool = False
    question: bool = False
    yes_no: bool = False
    identity: bool = False
    forget: bool = False
    about_request: str | None = None  # a question about the talent request itself: a key of _ABOUT_REQUEST


NOTHING = Acts()


def strip_fillers(text: str) -> str:
    """The question without the words people put before it ("ok so", "wait", "hmm")."""
    return _FILLER.sub("", text)


def read_acts(text: str, raw: str) -> Acts:
    """`text`: the normalized message with role phrases masked (`role`); `raw`: what the user typed."""
    if not text:
        return NOTHING
    words = text.split()
    count, vocabulary = len(words), set(words)
    asked = strip_fillers(text)
    question = raw.rstrip().endswith("?") or bool(_QUESTION_START.match(asked)) and not _COMMAND.match(asked)
    # Each act is looked for only where its words could be: most messages are plain questions.
    proceed = count <= 14 and not vocabulary.isdisjoint(_PROCEED_WORDS) and (
        bool(_PROCEED.search(text)) and not question or bool(_PROCEED_QUESTION.search(text)))
    forget = count <= 16 and not vocabulary.isdisjoint(_FORGET_WORDS) and bool(_FORGET.search(text)) and bool(
        _FORGET_OBJECT.search(text)) and not text.startswith("forget it")
    return Acts(
        affirm=(count <= 6 or proceed) and bool(_AFFIRM.match(text)),
        proceed=proceed,
        deny=count <= 8 and bool(_DENY.match(text)),
        why=count <= 9 and not vocabulary.isdisjoint(_WHY_WORDS) and (
            bool(_WHY.match(text)) or bool(_WHY_LAST.search(text))),
        more=count <= 9 and bool(_MORE.match(text)),
        brief=not vocabulary.isdisjoint(_BRIEF_WORDS) and bool(_BRIEF.search(text)),
        ack=count <= 5 and bool(_ACK.match(text)),
        correction=not vocabulary.isdisjoint(_CORRECTION_WORDS) and bool(_CORRECTION.search(text)),
        question=question,
        # "so we need both then?" asks yes or no too, without the auxiliary in front
        # "we're tiny tho. is that overkill?": the question is the last sentence
        yes_no=question and (bool(_YES_NO_START.match(asked)) or raw.rstrip().endswith("?") and bool(
            _STATEMENT_START.match(asked) or _YES_NO_START.match(strip_fillers(_last_sentence(raw))))),
        identity=count <= 14 and not vocabulary.isdisjoint(_IDENTITY_WORDS) and bool(_IDENTITY.search(text)),
        forget=forget,
        about_request=next((key for key, pattern in _ABOUT_REQUEST if not vocabulary.isdisjoint(_REQUEST_WORDS[key])
                            and pattern.search(text)), None) if count <= 16 else None,
    )


def _last_sentence(raw: str) -> str:
    return re.split(r"[.!;]\s+", raw.strip().lower())[-1]


# Words without which an act cannot be there: most messages skip its regular expression entirely.
_PROCEED_WORDS = frozenset("do it that set go lets get start sign book make one take like proceed move ready me us "
                           "hook pass ask put connect".split())
_BRIEF_WORDS = frozenset("one line sentence tldr tl short briefly brief short nutshell few summary summarize "
                         "summarise summarize summarise sum shorter long gist quick simple simply just plain eli5 1 "
                         "summarized summarised summaries".split())
_CORRECTION_WORDS = frozenset("actually wait sorry oops my meant mean correction change make switch instead rather "
                              "not scratch on update fix should typo".split())
_WHY_WORDS = frozenset("why how based basis makes what explain are sure really thought think feel but would "
                       "wouldnt about".split())
_FORGET_WORDS = frozenset("delete erase remove wipe clear purge destroy forget forgotten erasure gdpr".split())
_IDENTITY_WORDS = frozenset("you your who this bot robot human person real ai chatgpt gpt machine sentient alive "
                            "repeat admit pretend am i name".split())
# The words each question about a request cannot do without.
_REQUEST_WORDS = {key: frozenset(words.split()) for key, words in {
    "response_time": "hear contact contacted reply respond answer call email touch follow back",
    "next_steps": "next happens happen comes steps step",
    "commitment": "binding commitment commit committing obligation pay sign charge free",
    "privacy": "see sees read reads receive receives get gets need want ask require data details info information "
               "email number",
    "add_note": "add include attach leave put write mention",
    "status": "through sent received status update got",
}.items()}

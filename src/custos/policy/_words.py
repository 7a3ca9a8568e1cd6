"""Plain words for decisions, shared by explanations, diffs and the public page."""

from __future__ import annotations

from custos.domain.decisions import Effect, FieldDecision, Notify, Obligations
from custos.policy._authorities import authorities

EFFECT_WORDS = {
    Effect.DISCLOSE: "shared",
    Effect.GENERALIZE: "shared in a coarser form",
    Effect.WITHHOLD: "not shared",
}


def decision_words(d: FieldDecision) -> str:
    """A short label: "shared (required by law, legal review)"."""
    words = EFFECT_WORDS[d.effect]
    extra = []
    if d.effect is Effect.GENERALIZE and d.obligations.generalize_to:
        words = f"shared only as {d.obligations.generalize_to}"
    if d.compelled:
        extra.append("required by law")
    if d.needs_review:
        extra.append("legal review")
    return f"{words} ({', '.join(extra)})" if extra else words


def obligation_words(o: Obligations, *, disclosed: bool) -> list[str]:
    """The obligations a caseworker must carry out, one sentence each."""
    out: list[str] = []
    if o.notify is Notify.BEFORE:
        out.append("Tell the person (and seek their consent) before anything is sent.")
    elif o.notify is Notify.AFTER:
        out.append("Tell the person right after.")
    if o.notice_delay_requires_statement:
        out.append(
            "Notice may be delayed only on a written statement from the requester with an end date."
        )
    if disclosed:
        if o.retention_days is not None:
            out.append(f"The recipient must destroy the data after {o.retention_days} days.")
        if o.no_onward_sharing:
            out.append("The recipient may not share it with anyone else.")
        if o.generalize_to:
            out.append(f"Send only the {o.generalize_to}, not the full value.")
    return out


def citation_title(citation: str, lang: str = "en") -> str:
    known = authorities().known.get(citation)
    if known is None:
        return ""
    return known.title_es if lang == "es" else known.title

"""The public, plain-language page of a pack, in English and Spanish.

Generated from the pack itself, so the page cannot drift from the rules in force: what we
share, with whom, when, under which authority, and how a person can opt out or challenge.
42 CFR 431.300–431.307 (as summarised in the legal notes) asks that Medicaid safeguards be
publicised; Custos does so for every program.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from custos.policy._pack import Pack, Rule
from custos.policy._words import citation_title

LANGS = ("en", "es")

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "How we share your information",
        "intro": (
            "This page tells you when {jurisdiction} shares facts about people who get SNAP, "
            "TANF, Medicaid or help with housing. It says who we share with, and when. That "
            "includes the immigration agency. The page is made from the rules in use: policy "
            "pack {name}, version {version}, in force from {effective}."
        ),
        "toc": "On this page",
        "required": "What the law requires us to share",
        "required_note": (
            "A law says we must share in these cases. We share only what that law asks for. "
            "This applies even if you have opted out."
        ),
        "may": "What we choose to share, and with whom",
        "may_note": (
            "No law makes us share in these cases. We choose to. If you opt out, we do not "
            "share under any of these rules."
        ),
        "never": "Limits that always apply",
        "review": "Requests a lawyer looks at first",
        "else": "Everything else",
        "retention": (
            "Anyone who gets your facts must destroy them within {duration}. They may not pass "
            "them on."
        ),
        "optout_h": "How to opt out",
        "optout": (
            "You can ask us not to share your facts when the law does not make us. Ask your "
            "caseworker. A legal aid advocate can also ask for you. Your choice turns off every "
            "rule under \u201cWhat we choose to share\u201d. It cannot stop what the law "
            "requires."
        ),
        "challenge_h": "How to see and challenge what was shared",
        "challenge": (
            "You can ask for a list of each time we shared your facts. It says when, with whom, "
            "what, and under which law. If you think we shared something wrongly, you can "
            "challenge it. When a rule says we tell you first, we send you a letter and wait: "
            "nothing is shared until the days it gives you to challenge have passed. While a "
            "challenge is open, we send nothing more about you for that request. You can also "
            "challenge something already shared: if you are right, we recall it and the "
            "recipient must destroy it. You can also "
            "tell us about misuse without giving your name."
        ),
        "authority": "Authority",
        "review_note": "Review by counsel",
        "fingerprint": "Fingerprint of these rules (SHA-256)",
        "english_only": "",
    },
    "es": {
        "title": "Cómo compartimos su información",
        "intro": (
            "Esta página explica cuándo {jurisdiction} comparte información sobre las personas "
            "que reciben SNAP, TANF, Medicaid o ayuda para la vivienda con otras agencias, "
            "incluidas las autoridades de inmigración. Se genera a partir de las reglas vigentes: "
            "paquete de políticas {name}, versión {version}, vigente desde el {effective}."
        ),
        "required": "Lo que la ley nos obliga a compartir",
        "toc": "En esta página",
        "required_note": (
            "Una ley nos obliga a compartir en estos casos. Compartimos solo lo que esa ley "
            "pide. Esto se aplica aunque usted haya pedido no compartir su información."
        ),
        "may": "Lo que decidimos compartir, y con quién",
        "may_note": (
            "Ninguna ley nos obliga a compartir en estos casos; lo decidimos nosotros. Si usted "
            "pide que no compartamos su información, no la compartimos bajo ninguna de estas "
            "reglas."
        ),
        "never": "Límites que siempre se aplican",
        "review": "Solicitudes que primero revisa un abogado",
        "else": "Todo lo demás",
        "retention": (
            "Quien reciba su información debe destruirla en un plazo de {duration} y no puede "
            "pasarla a nadie más."
        ),
        "optout_h": "Cómo pedir que no compartamos su información",
        "optout": (
            "Puede pedirnos que no compartamos su información cuando la ley no lo exige. "
            "Pídaselo a su trabajador social, o pida a un abogado de ayuda legal que lo haga por "
            "usted. Su decisión desactiva todas las reglas de \u201cLo que decidimos "
            "compartir\u201d; no puede impedir lo que la ley exige."
        ),
        "challenge_h": "Cómo ver y impugnar lo que se compartió",
        "challenge": (
            "Puede pedir una lista de cada vez que se compartió su información: cuándo, con "
            "quién, qué y bajo qué ley. Si cree que algo se compartió indebidamente, puede "
            "impugnarlo. Cuando una regla dice que le avisamos primero, le enviamos una carta y "
            "esperamos: no se comparte nada hasta que pasen los días que le da para impugnar. "
            "Mientras la impugnación esté abierta, no se envía nada más sobre usted en esa "
            "solicitud. También puede impugnar algo ya compartido: si tiene razón, pedimos que "
            "se devuelva y se destruya. También puede denunciar un uso indebido sin dar su "
            "nombre."
        ),
        "authority": "Fundamento legal",
        "review_note": "Revisión por abogados",
        "fingerprint": "Huella de estas reglas (SHA-256)",
        "english_only": " (texto solo en inglés)",
    },
}


@dataclass(frozen=True, kw_only=True)
class _Item:
    text: str
    authorities: tuple[str, ...]


def _items(rules: list[Rule], lang: str) -> list[_Item]:
    t = _TEXT[lang]
    out = []
    for rule in sorted(rules, key=lambda r: r.id):
        text = rule.summary_es if lang == "es" and rule.summary_es else rule.summary
        if lang == "es" and not rule.summary_es:
            text += t["english_only"]
        cites = tuple(
            f"{c} — {title}" if (title := citation_title(c, lang)) else c for c in rule.citations
        )
        out.append(_Item(text=text, authorities=cites))
    return out


def duration_words(days: int, lang: str = "en") -> str:
    """A retention period in years and months, as people count time ("5 years").

    365 days make a year and 30 a month, rounded to the nearest month; a period shorter than
    a month is still shown in days.
    """
    years, rest = divmod(days, 365)
    months = round(rest / 30)
    if months == 12:  # noqa: PLR2004 - twelve months make the next year
        years, months = years + 1, 0
    if years == 0 and months == 0:
        return f"{days} {'day' if days == 1 else 'days'}" if lang == "en" else f"{days} días"
    words = {
        "en": (("year", "years"), ("month", "months"), " and "),
        "es": (("año", "años"), ("mes", "meses"), " y "),
    }[lang]
    parts = [
        f"{n} {unit[0] if n == 1 else unit[1]}"
        for n, unit in ((years, words[0]), (months, words[1]))
        if n
    ]
    return words[2].join(parts)


def _sections(pack: Pack, lang: str) -> list[dict[str, Any]]:
    t = _TEXT[lang]
    rules = list(pack.rules.values())
    chosen = [
        r for r in rules if r.effect == "permit" and not r.compelled and not r.routes_to_review
    ]
    sections = [
        ("required", t["required"], t["required_note"], [r for r in rules if r.compelled]),
        ("chosen", t["may"], t["may_note"], chosen),
        ("limits", t["never"], "", [r for r in rules if r.effect == "forbid"]),
        ("review", t["review"], "", [r for r in rules if r.routes_to_review]),
    ]
    return [
        {
            "id": key,
            "heading": heading,
            "note": note,
            "items": [
                {"text": i.text, "authorities": list(i.authorities)} for i in _items(members, lang)
            ],
        }
        for key, heading, note, members in sections
        if members
    ]


def public_model(pack: Pack, lang: str = "en") -> dict[str, Any]:
    """The page as data (served by the API as JSON).

    What the law requires us to share comes apart from what we choose to share; a table of
    contents lists every section; durations read in years and months; the counsel note is in
    the page's language when the pack gives it.
    """
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}")
    t = _TEXT[lang]
    sections = _sections(pack, lang)
    tail = [
        ("else", t["else"]),
        ("opt_out", t["optout_h"]),
        ("challenge", t["challenge_h"]),
        ("counsel_review", t["review_note"]),
    ]
    note = pack.counsel_review_note_es if lang == "es" else ""
    return {
        "lang": lang,
        "title": t["title"],
        "intro": t["intro"].format(
            jurisdiction=pack.jurisdiction,
            name=pack.name,
            version=pack.version,
            effective=pack.effective_date.isoformat(),
        ),
        "toc": {
            "heading": t["toc"],
            "entries": [{"id": s["id"], "heading": s["heading"]} for s in sections]
            + [{"id": key.replace("_", "-"), "heading": heading} for key, heading in tail],
        },
        "sections": sections,
        "else": {
            "heading": t["else"],
            "text": (pack.default_deny.summary_es if lang == "es" else "")
            or pack.default_deny.summary,
        },
        "retention": t["retention"].format(
            duration=duration_words(pack.default_retention_days, lang)
        ),
        "opt_out": {"heading": t["optout_h"], "text": t["optout"]},
        "challenge": {"heading": t["challenge_h"], "text": t["challenge"]},
        "counsel_review": {
            "heading": t["review_note"],
            "text": note or pack.counsel_review_note + t["english_only"],
        },
        "pack": {"name": pack.name, "version": pack.version, "content_hash": pack.content_hash},
        "fingerprint_label": t["fingerprint"],
        "authority_label": t["authority"],
    }


def public_page(pack: Pack, lang: str = "en", fmt: str = "html") -> str:
    """The page as HTML or Markdown (`fmt` is "html" or "markdown")."""
    m = public_model(pack, lang)
    if fmt == "markdown":
        return _markdown(m)
    if fmt == "html":
        return _html(m)
    raise ValueError("format must be html or markdown")


def _markdown(m: dict[str, Any]) -> str:
    lines = [f"# {m['title']}", "", m["intro"], "", f"**{m['toc']['heading']}**", ""]
    lines += [f"- [{e['heading']}](#{e['id']})" for e in m["toc"]["entries"]]
    lines.append("")
    for s in m["sections"]:
        lines += [f'<a id="{s["id"]}"></a>', "", f"## {s['heading']}", ""]
        if s["note"]:
            lines += [f"*{s['note']}*", ""]
        for item in s["items"]:
            lines.append(f"- {item['text']}")
            lines += [f"  - {m['authority_label']}: {a}" for a in item["authorities"]]
        lines.append("")
    lines += ['<a id="else"></a>', "", f"## {m['else']['heading']}", "", m["else"]["text"], ""]
    lines += [m["retention"], ""]
    for key in ("opt_out", "challenge", "counsel_review"):
        anchor = key.replace("_", "-")
        lines += [f'<a id="{anchor}"></a>', "", f"## {m[key]['heading']}", "", m[key]["text"], ""]
    lines += [f"{m['fingerprint_label']}: `{m['pack']['content_hash']}`", ""]
    return "\n".join(lines)


def _html(m: dict[str, Any]) -> str:
    e = html.escape
    parts = [
        f'<!doctype html>\n<html lang="{e(m["lang"])}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(m['title'])}</title>",
        (
            "<style>body{font-family:sans-serif;max-width:46rem;margin:auto;padding:1rem;"
            "line-height:1.5}small{color:#444}</style></head><body>"
        ),
        f"<h1>{e(m['title'])}</h1>",
        f"<p>{e(m['intro'])}</p>",
        f'<nav aria-labelledby="toc"><h2 id="toc">{e(m["toc"]["heading"])}</h2><ol>',
        *(
            f'<li><a href="#{e(entry["id"])}">{e(entry["heading"])}</a></li>'
            for entry in m["toc"]["entries"]
        ),
        "</ol></nav>",
    ]
    for s in m["sections"]:
        parts.append(f'<h2 id="{e(s["id"])}">{e(s["heading"])}</h2>')
        if s["note"]:
            parts.append(f"<p><em>{e(s['note'])}</em></p>")
        parts.append("<ul>")
        for item in s["items"]:
            cites = "; ".join(e(a) for a in item["authorities"])
            parts.append(
                f"<li>{e(item['text'])}<br><small>{e(m['authority_label'])}: {cites}</small></li>"
            )
        parts.append("</ul>")
    parts += [
        f'<h2 id="else">{e(m["else"]["heading"])}</h2>',
        f"<p>{e(m['else']['text'])}</p>",
        f"<p>{e(m['retention'])}</p>",
    ]
    for key in ("opt_out", "challenge", "counsel_review"):
        anchor = key.replace("_", "-")
        parts += [
            f'<h2 id="{anchor}">{e(m[key]["heading"])}</h2>',
            f"<p>{e(m[key]['text'])}</p>",
        ]
    parts.append(
        f"<p><small>{e(m['fingerprint_label'])}: <code>{e(m['pack']['content_hash'])}</code>"
        "</small></p></body></html>"
    )
    return "\n".join(parts) + "\n"

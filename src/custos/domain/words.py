"""What people read for the codes the services keep, in English and Spanish.

Letters (`custos.rights`) and the public portal (`custos.web`) both name fields, programs,
purposes, legal processes and statuses for a person; this is the one place those words
live, so a letter never says `snap/address` or `court_order` where its page says "Home
address — SNAP (food assistance)" or "court order". Field labels come from the pack's
catalogue (English); their Spanish is keyed by the English label, gettext style.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from custos.domain.programs import FieldRef, FieldSpec

#: Each program by the name people know it by.
PROGRAMS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "snap": "SNAP (food assistance)",
        "tanf": "TANF (cash assistance)",
        "medicaid": "Medicaid (health coverage)",
        "housing": "housing assistance",
    },
    "es": {
        "snap": "SNAP (asistencia alimentaria)",
        "tanf": "TANF (asistencia en efectivo)",
        "medicaid": "Medicaid (cobertura médica)",
        "housing": "asistencia para la vivienda",
    },
}

#: The field catalogue's labels in Spanish, keyed by the English label.
FIELD_LABELS_ES: Mapping[str, str] = {
    "Benefit amount": "Monto del beneficio",
    "Case number": "Número de caso",
    "Date of birth": "Fecha de nacimiento",
    "Diagnoses and services": "Diagnósticos y servicios",
    "Employer": "Empleador",
    "Full name": "Nombre completo",
    "Home address": "Dirección del hogar",
    "Household members": "Miembros del hogar",
    "Immigration status": "Situación migratoria",
    "Medicaid ID": "Número de Medicaid",
    "Photograph (if on file)": "Fotografía (si la hay)",
    "Social Security number": "Número de Seguro Social",
    "Telephone number": "Número de teléfono",
}

#: Service codes shown to people, in Spanish.
CODES_ES: Mapping[str, str] = {
    # statuses
    "pending": "pendiente",
    "on_hold": "detenida por una impugnación",
    "open": "abierta",
    "upheld": "aceptada",
    "rejected": "rechazada",
    "released": "entregada",
    "delivered": "recibida por el destinatario",
    "retention_expired": "plazo de conservación vencido",
    "overdue": "no destruida a tiempo",
    "destroyed": "destruida",
    "recalled": "retirada",
    # purposes
    "program_administration": "administración del programa",
    "program_audit": "auditoría del programa",
    "program_violation_investigation": "investigación de una infracción del programa",
    "fleeing_felon": "persona prófuga",
    "unlawful_presence_report": "informe de presencia ilegal",
    "criminal_investigation": "investigación penal",
    "civil_immigration_enforcement": "control migratorio civil",
    "court_proceeding": "proceso judicial",
    "other": "otro",
    # legal process
    "none": "ninguno",
    "written_request": "solicitud escrita",
    "administrative_warrant": "orden administrativa",
    "administrative_subpoena": "citación administrativa",
    "statutory_duty": "obligación legal",
    "grand_jury_subpoena": "citación de gran jurado",
    "court_order": "orden judicial",
    "judicial_warrant": "orden firmada por un juez",
}

#: English wording for the service codes whose plain reading (underscores as spaces) is not
#: enough.
CODES_EN: Mapping[str, str] = {
    "on_hold": "on hold (challenged)",
    "opt_out": "opt out",
    "view": "see disclosures",
    "retention_expired": "retention period over",
}


def code_word(code: object, lang: str) -> str:
    """A service code as a person reads it: `court_order` → "court order" / "orden judicial".
    An unknown code reads as its words, never as an identifier."""
    text = str(getattr(code, "value", code))
    if lang == "es" and text in CODES_ES:
        return CODES_ES[text]
    return CODES_EN.get(text, text.replace("_", " "))


def field_namer(catalogue: Mapping[FieldRef, FieldSpec], lang: str) -> Callable[[object], str]:
    """`snap/address` → "Home address — SNAP (food assistance)", in `lang`. A field the
    catalogue does not know (a pack since changed) reads as its name in words with its
    program, so no `program/field` reference ever reaches a person."""
    labels = {str(ref): spec.label for ref, spec in catalogue.items()}
    programs = PROGRAMS.get(lang, PROGRAMS["en"])
    spanish = lang == "es"

    def name(ref: object) -> str:
        text = str(ref)
        program, _, field = text.partition("/")
        label = labels.get(text)
        if label is None:
            label = (field or program).replace("_", " ").capitalize()
        elif spanish:
            label = FIELD_LABELS_ES.get(label, label)
        return f"{label} — {programs.get(program, program)}" if field else label

    return name


#: The months, as a date is written in each language.
MONTHS: Mapping[str, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
}


def day_words(day: object, lang: str) -> str:
    """A date as a letter writes it: `2026-03-02` → "March 2, 2026" / "2 de marzo de 2026".
    Anything that is not an ISO date is shown as it is."""
    try:
        d = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
    except ValueError:
        return str(day)
    if isinstance(d, dt.datetime):
        d = d.date()
    month = MONTHS.get(lang, MONTHS["en"])[d.month - 1]
    return f"{d.day} de {month} de {d.year}" if lang == "es" else f"{month} {d.day}, {d.year}"

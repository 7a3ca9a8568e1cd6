"""The public portal's words in English and Spanish.

Templates write English and wrap it in `_()`; Spanish comes from `SPANISH`, keyed by the
English text (gettext style, without a build step). A missing translation falls back to
English, and a test fails when a public template uses a string that has none. Status and
category codes from the services (`pending`, `court_order`, …) are translated the same way;
their words, and the field catalogue's labels, live in `custos.domain.words`, which letters
read too.
"""

from __future__ import annotations

from collections.abc import Callable

from custos.domain import words

SPANISH: dict[str, str] = {
    # layout
    "Skip to main content": "Ir al contenido principal",
    "Main": "Principal",
    "Language": "Idioma",
    "Custos keeps a public, tamper-evident record of every disclosure.": (
        "Custos guarda un registro público e inalterable de cada vez que se comparte información."
    ),
    "Go back to the start": "Volver al inicio",
    "Your information, accounted for": "Su información, con cuentas claras",
    "How we share": "Cómo compartimos",
    "Reports": "Informes",
    "My disclosures": "Lo que se compartió sobre mí",
    "Report a concern": "Denunciar un problema",
    "Sign in": "Iniciar sesión",
    "Sign out": "Cerrar sesión",
    "Official website": "Sitio web oficial",
    # the field catalogue's labels
    **words.FIELD_LABELS_ES,
    "Recorded in the public log": "Registrado en el registro público",
    "Read the text": "Leer el texto",
    "An official website of the agency named below.": (
        "Un sitio web oficial de la agencia que se nombra aquí."
    ),
    "Phone": "Teléfono",
    "Questions about a letter? Call us, or write to the address above.": (
        "¿Preguntas sobre una carta? Llámenos o escríbanos a la dirección de arriba."
    ),
    "The page you asked for does not exist. Check the address, or start again from the home "
    "page.": (
        "La página que pidió no existe. Revise la dirección o empiece de nuevo desde la página "
        "de inicio."
    ),
    "This method is not allowed here.": "Este método no está permitido aquí.",
    # home
    "Your benefits information, accounted for": "Su información de beneficios, con cuentas claras",
    "The agency that runs SNAP, TANF, Medicaid and housing assistance shares information about "
    "the people it serves only when the rules allow it, and records every time it does. You can "
    "see those rules, see what was shared about you, and challenge it.": (
        "La agencia que administra SNAP, TANF, Medicaid y la ayuda para la vivienda comparte "
        "información sobre las personas que atiende solo cuando las reglas lo permiten, y registra "
        "cada vez que lo hace. Usted puede ver esas reglas, ver lo que se compartió sobre usted e "
        "impugnarlo."
    ),
    "How we share your information": "Cómo compartimos su información",
    "The rules in force, in plain language.": "Las reglas vigentes, en lenguaje sencillo.",
    "See what was shared about you": "Vea lo que se compartió sobre usted",
    "Sign in with the access code from your letter.": (
        "Inicie sesión con el código de acceso de su carta."
    ),
    "Transparency reports": "Informes de transparencia",
    "How many requests arrived and what happened to them.": (
        "Cuántas solicitudes llegaron y qué pasó con ellas."
    ),
    "Tell us if you think information was shared without permission. No sign-in needed.": (
        "Díganos si cree que se compartió información sin permiso. No necesita iniciar sesión."
    ),
    # reports
    "Every disclosure is written to a public, tamper-evident log. Anyone can check the figures "
    "below against the log's signed checkpoint.": (
        "Cada vez que se comparte información queda escrita en un registro público e inalterable. "
        "Cualquiera puede comprobar las cifras de abajo con el punto de control firmado del "
        "registro."
    ),
    "The log": "El registro",
    "Entries in the log": "Entradas en el registro",
    "Signed checkpoint": "Punto de control firmado",
    "No checkpoint has been published yet.": "Todavía no se ha publicado un punto de control.",
    "Notices delayed by a court": "Avisos retrasados por un tribunal",
    "A court may order that a person is told about a disclosure only later. These are the "
    "entries hidden today, by the date they become visible.": (
        "Un tribunal puede ordenar que a una persona se le avise más tarde. Estas son las entradas "
        "ocultas hoy, según la fecha en que serán visibles."
    ),
    "Delayed notices by date": "Avisos retrasados por fecha",
    "Visible from": "Visibles desde",
    "Entries": "Entradas",
    "No notice is delayed today.": "Hoy no hay avisos retrasados.",
    "A document that supports your challenge (optional)": (
        "Un documento que respalde su impugnación (opcional)"
    ),
    "One PDF, PNG or JPEG file (a photo of a paper will do), up to 5 MiB.": (
        "Un archivo PDF, PNG o JPEG (sirve una foto de un papel), de hasta 5 MiB."
    ),
    "a PDF, PNG or JPEG file": "un archivo PDF, PNG o JPEG",
    "1 byte to 5 MiB": "de 1 byte a 5 MiB",
    "Sign in as a representative": "Iniciar sesión como representante",
    "Legal aid organizations and advocates registered with the agency sign in with the token "
    "the agency gave them. You can act only for people who chose you, within what they allowed, "
    "until they withdraw their consent.": (
        "Las organizaciones de asistencia legal y los defensores registrados en la agencia inician "
        "sesión con el código que la agencia les dio. Solo puede actuar por las personas que lo "
        "eligieron, dentro de lo que permitieron, hasta que retiren su consentimiento."
    ),
    "Representative token": "Código de representante",
    "It was given to your organization once, when it was registered.": (
        "Se entregó una vez a su organización, cuando se registró."
    ),
    "This token is not valid.": "Este código no es válido.",
    "People you may act for": "Personas por las que puede actuar",
    "Everything you do for a person is recorded in the public log as done by you, not by them.": (
        "Todo lo que haga por una persona queda en el registro público como hecho por usted, no "
        "por ella."
    ),
    "Consents people gave you": "Consentimientos que le dieron",
    "Consent": "Consentimiento",
    "Given": "Otorgado",
    "Ends": "Termina",
    "You may": "Puede",
    "Action": "Acción",
    "Act for this person": "Actuar por esta persona",
    "Nobody has given you consent to act for them, or every consent has ended.": (
        "Nadie le ha dado su consentimiento para actuar por ellos, o todos los consentimientos "
        "han terminado."
    ),
    "Acting for this person:": "Actúa por esta persona:",
    "Everything you do here is recorded as done by you.": (
        "Todo lo que haga aquí queda registrado como hecho por usted."
    ),
    "Filed by the representative:": "Presentada por el representante:",
    "Representatives of legal aid organizations sign in here": (
        "Los representantes de organizaciones de asistencia legal inician sesión aquí"
    ),
    "Published reports": "Informes publicados",
    "Reports, newest first, each signed with the log's key": (
        "Informes, del más reciente al más antiguo, cada uno firmado con la clave del registro"
    ),
    "Period": "Período",
    "Published": "Publicado",
    "Checkpoint": "Punto de control",
    "Files": "Archivos",
    "Report for": "Informe de",
    "No report has been published yet.": "Todavía no se ha publicado ningún informe.",
    "Transparency report": "Informe de transparencia",
    "The report's tables are published in English, exactly as they were signed.": (
        "Las tablas del informe se publican en inglés, exactamente como se firmaron."
    ),
    "All reports": "Todos los informes",
    "Requests received from": "Solicitudes recibidas desde el",
    "up to (not including)": "hasta el (sin incluirlo)",
    "Computed at ledger checkpoint": "Calculado en el punto de control del registro",
    "Report": "Informe",
    "generated": "generado el",
    "Download:": "Descargar:",
    "Method": "Método",
    "Differential privacy": "Privacidad diferencial",
    "No noise was added: the published counts are exact, apart from the withheld cells.": (
        "No se añadió ruido: las cifras publicadas son exactas, salvo las celdas ocultas."
    ),
    "Median days from receipt to decision": "Mediana de días desde la recepción hasta la decisión",
    "withheld (too few decisions)": "oculta (muy pocas decisiones)",
    "Signature": "Firma",
    "The log's key signs the SHA-256 of the report's JSON data file and the checkpoint it was "
    "computed at. Anyone can check it, and recompute every number, with a ledger export.": (
        "La clave del registro firma el SHA-256 del archivo de datos JSON del informe y el punto "
        "de control con el que se calculó. Cualquiera puede comprobarla, y recalcular cada cifra, "
        "con una exportación del registro."
    ),
    "PDF": "PDF",
    "CSV": "CSV",
    "JSON data (signed)": "Datos JSON (firmados)",
    "Standalone HTML": "HTML independiente",
    # concerns
    "If you think information about someone who receives benefits was shared without "
    "permission, tell us. You do not have to give your name. The privacy officer reviews every "
    "report.": (
        "Si cree que se compartió sin permiso información sobre alguien que recibe beneficios, "
        "díganoslo. No tiene que dar su nombre. La persona encargada de la privacidad revisa cada "
        "denuncia."
    ),
    "What happened?": "¿Qué pasó?",
    "How can we reach you? (optional)": "¿Cómo podemos comunicarnos con usted? (opcional)",
    "Send the report": "Enviar la denuncia",
    "Check a report": "Consultar una denuncia",
    "Status of the report:": "Estado de la denuncia:",
    "Acknowledgement number": "Número de acuse de recibo",
    "Check": "Consultar",
    "Report received": "Denuncia recibida",
    "Thank you. Keep this acknowledgement number to check on your report:": (
        "Gracias. Guarde este número de acuse de recibo para consultar su denuncia:"
    ),
    "No report has this acknowledgement number.": "Ninguna denuncia tiene ese número.",
    "received": "recibida",
    "triaged": "en revisión",
    "closed": "cerrada",
    # sign-in
    "Use the access code from the letter the agency sent you. A code works once; ask your "
    "caseworker for a new letter if you need one.": (
        "Use el código de acceso de la carta que le envió la agencia. Cada código sirve una sola "
        "vez; pida una carta nueva a su trabajador social si la necesita."
    ),
    "Case number": "Número de caso",
    "It is printed at the top of your letter.": "Aparece en la parte de arriba de su carta.",
    "Date of birth": "Fecha de nacimiento",
    "Access code": "Código de acceso",
    "For example ABCD-EFGH-JKLM.": "Por ejemplo ABCD-EFGH-JKLM.",
    "The case number, date of birth and access code do not match.": (
        "El número de caso, la fecha de nacimiento y el código de acceso no coinciden."
    ),
    "Too many sign-in attempts for this case number. Try again later or ask the agency for a "
    "new letter.": (
        "Demasiados intentos para este número de caso. Inténtelo más tarde o pida a la agencia "
        "una carta nueva."
    ),
    "a date, YYYY-MM-DD": "una fecha, AAAA-MM-DD",
    # my disclosures
    "You are acting as a representative.": "Usted actúa como representante.",
    "What was shared": "Lo que se compartió",
    "Some disclosures are temporarily hidden because a court ordered a delay:": (
        "Algunas entradas están ocultas por ahora porque un tribunal ordenó un retraso:"
    ),
    "until": "hasta",
    "Every time your information left the agency": (
        "Cada vez que su información salió de la agencia"
    ),
    "Date": "Fecha",
    "Shared with": "Compartida con",
    "What": "Qué",
    "Why": "Por qué",
    "Under what law": "Bajo qué ley",
    "Must be destroyed by": "Debe destruirse a más tardar",
    "Status": "Estado",
    "Proof": "Prueba",
    "required by law": "exigido por la ley",
    "discretionary": "discrecional",
    "Entry": "Entrada",
    "of": "de",
    "Not yet in a signed checkpoint": "Todavía no está en un punto de control firmado",
    "Download the list with its proofs (JSON)": "Descargar la lista con sus pruebas (JSON)",
    "Download a printable letter (PDF)": "Descargar una carta para imprimir (PDF)",
    "Each entry is proven against the log's signed checkpoint; anyone can check the file "
    "offline with the agency's public key.": (
        "Cada entrada se prueba con el punto de control firmado del registro; cualquiera puede "
        "comprobar el archivo sin conexión con la clave pública de la agencia."
    ),
    "Nothing about you has been shared.": "No se ha compartido nada sobre usted.",
    "No disclosure of your data is recorded up to %(when)s.": (
        "No hay ninguna divulgación de sus datos registrada hasta el %(when)s."
    ),
    "This is the only disclosure of your data recorded up to %(when)s.": (
        "Esta es la única divulgación de sus datos registrada hasta el %(when)s."
    ),
    "These are all %(n)s disclosures of your data recorded up to %(when)s.": (
        "Estas son todas las divulgaciones de sus datos registradas hasta el %(when)s: "
        "%(n)s en total."
    ),
    "%(n)s of them are temporarily hidden (see above).": (
        "%(n)s de ellas están ocultas por ahora (vea arriba)."
    ),
    "The agency cannot leave one out without it being detected: the downloadable file "
    "proves the list complete against the public log.": (
        "La agencia no puede omitir ninguna sin que se detecte: el archivo descargable prueba "
        "que la lista está completa según el registro público."
    ),
    "Each status (delivered, destroyed, recalled, overdue) is proven the same way: from every "
    "event of the release in the public log, none left out.": (
        "Cada estado (recibida, destruida, retirada, no destruida a tiempo) se prueba igual: con "
        "todos los hechos de la entrega que constan en el registro público, sin omitir ninguno."
    ),
    "Requests waiting for a decision": "Solicitudes en espera de decisión",
    "Asks for": "Pide",
    "Received": "Recibida",
    "You may challenge until": "Puede impugnarla hasta",
    "Challenge this request": "Impugnar esta solicitud",
    "Challenge": "Impugnar",
    "Challenge this disclosure": "Impugnar esta divulgación",
    "Challenged": "Impugnada",
    "No request about you is waiting.": "No hay solicitudes sobre usted en espera.",
    "My challenges": "Mis impugnaciones",
    "Challenges you filed": "Impugnaciones que presentó",
    "Filed": "Presentada",
    "Decision": "Decisión",
    "Opt out of discretionary sharing": "No compartir lo que no exige la ley",
    "You can ask us not to share your information when the law does not require it. Sharing "
    "the law requires can still happen, and is marked as required by law.": (
        "Puede pedirnos que no compartamos su información cuando la ley no lo exige. Lo que la "
        "ley exige se puede seguir compartiendo, y aparece marcado como exigido por la ley."
    ),
    "You have opted out.": "Usted pidió que no se comparta.",
    "You have not opted out.": "Usted no ha pedido que no se comparta.",
    "Opt back in": "Volver a permitirlo",
    "Opt out": "Pedir que no se comparta",
    "More": "Más",
    "Representatives who may act for me": "Representantes que pueden actuar por mí",
    "Language of my letters": "Idioma de mis cartas",
    "Save": "Guardar",
    "You have opted out of discretionary sharing.": (
        "Usted pidió que no se comparta lo que la ley no exige."
    ),
    "You have opted back in to discretionary sharing.": (
        "Usted volvió a permitir que se comparta lo que la ley no exige."
    ),
    "Your challenge was filed. Nothing more is sent about you in that request while it is open.": (
        "Su impugnación fue presentada. Mientras esté abierta, no se envía nada más sobre usted "
        "en esa solicitud."
    ),
    # challenge
    "Challenge a request": "Impugnar una solicitud",
    "Challenge a disclosure": "Impugnar una divulgación",
    "Tell us why this information should not have been shared. A lawyer at the agency decides, "
    "and you will receive a letter with the decision. If you are right, we recall it: the "
    "recipient must destroy it.": (
        "Díganos por qué no se debió compartir esta información. Un abogado de la agencia "
        "decide, y usted recibirá una carta con la decisión. Si tiene razón, pedimos que se "
        "devuelva: quien la recibió debe destruirla."
    ),
    "no such disclosure": "no existe esa divulgación",
    "name the request or the release you challenge": (
        "indique la solicitud o la divulgación que impugna"
    ),
    "Tell us why this information should not be shared. While your challenge is open, nothing "
    "more is sent about you in this request. A lawyer at the agency decides, and you will "
    "receive a letter with the decision.": (
        "Díganos por qué no se debe compartir esta información. Mientras su impugnación esté "
        "abierta, no se envía nada más sobre usted en esta solicitud. Un abogado de la agencia "
        "decide, y usted recibirá una carta con la decisión."
    ),
    "Your reason": "Su motivo",
    "File the challenge": "Presentar la impugnación",
    "Back to my disclosures": "Volver a lo que se compartió sobre mí",
    "1 to 5000 characters": "de 1 a 5000 caracteres",
    "1 to 10000 characters": "de 1 a 10000 caracteres",
    "at most 200 characters": "como máximo 200 caracteres",
    "you already have an open challenge of this request": (
        "ya tiene una impugnación abierta de esta solicitud"
    ),
    "no such request": "no existe esa solicitud",
    # representatives
    "Representatives": "Representantes",
    "A legal aid organization or advocate can see your disclosures, challenge or opt out for "
    "you, only if you say so, and only until the date you choose.": (
        "Una organización de ayuda legal o un defensor puede ver lo que se compartió, impugnar o "
        "pedir que no se comparta por usted, solo si usted lo permite y solo hasta la fecha que "
        "usted elija."
    ),
    "My consents": "Mis permisos",
    "Representatives you have allowed": "Representantes a quienes dio permiso",
    "Representative": "Representante",
    "May": "Puede",
    "Until": "Hasta",
    "Actions": "Acciones",
    "active": "vigente",
    "ended": "terminado",
    "End this consent": "Terminar este permiso",
    "You have not allowed anyone.": "No ha dado permiso a nadie.",
    "Allow a representative": "Dar permiso a un representante",
    "They may": "Puede",
    "For how many days": "Por cuántos días",
    "Allow": "Dar permiso",
    "No representatives are registered yet.": "Todavía no hay representantes registrados.",
    "view": "ver lo que se compartió",
    "challenge": "impugnar",
    "opt_out": "pedir que no se comparta",
    "at least one scope": "elija al menos una opción",
    "1 to 366": "de 1 a 366",
    "no such representative": "no existe ese representante",
    # statuses, purposes, legal processes
    **words.CODES_ES,
}

#: English wording for the service codes shown to people (the rest read as they are).
ENGLISH: dict[str, str] = dict(words.CODES_EN)


def translator(lang: str) -> Callable[[str], str]:
    """`_` for templates: the Spanish text when `lang` is `es`, else English."""
    if lang == "es":
        return lambda text: SPANISH.get(text, ENGLISH.get(text, text).replace("_", " "))
    return lambda text: ENGLISH.get(text, text.replace("_", " "))


#: The public portal's languages, each with the URL prefix its pages are served under.
LANGUAGES: dict[str, str] = {"en": "", "es": "/es"}


def language_of(path: str) -> str:
    """The language of a public URL: `/es` and `/es/…` are Spanish, every other path English."""
    return "es" if path == "/es" or path.startswith("/es/") else "en"


_MONTHS = words.MONTHS
_PARTS = {
    "en": {"H": ("first half", "second half"), "Q": ("first", "second", "third", "fourth")},
    "es": {
        "H": ("primer semestre", "segundo semestre"),
        "Q": ("primer", "segundo", "tercer", "cuarto"),
    },
}


def period_in_words(label: object, lang: str = "en") -> str:
    """A report period as people say it: `2026-H2` → "second half of 2026" / "segundo semestre
    de 2026", `2026-Q1` → "first quarter of 2026", `2026-03` → "March 2026". Labels of
    another shape are shown as they are."""
    text = str(label)
    year, _, part = text.partition("-")
    words = _PARTS.get(lang, _PARTS["en"])
    if not year.isdigit() or len(year) != 4:  # noqa: PLR2004 - a four-digit year
        return text
    if not part:
        return year
    if part[0] == "H" and part[1:] in ("1", "2"):
        return f"{words['H'][int(part[1:]) - 1]} {'de' if lang == 'es' else 'of'} {year}"
    if part[0] == "Q" and part[1:] in ("1", "2", "3", "4"):
        nth = words["Q"][int(part[1:]) - 1]
        return f"{nth} trimestre de {year}" if lang == "es" else f"{nth} quarter of {year}"
    if part.isdigit() and 1 <= int(part) <= 12:  # noqa: PLR2004 - months of the year
        month = _MONTHS.get(lang, _MONTHS["en"])[int(part) - 1]
        return f"{month} de {year}" if lang == "es" else f"{month} {year}"
    return text

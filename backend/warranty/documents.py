"""The 住宅质量保证书 (residential quality guarantee) of one unit as a PDF, from its warranty terms.

For every component: the developer's minimum from the handover (建房〔1998〕102号) and its end, the
developer's contractual extension, the contractor's period from the completion acceptance (建设部令第80号)
and its end, and the end that applies under 《商品房销售管理办法》 art.33 with the chain that decided it.
Rendered with reportlab's built-in ``STSong-Light`` CID font (Chinese without a font file), in the
active language (Chinese by default). Read only: a selector's kind of function.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from backend.accounts.access import ensure_role
from backend.accounts.roles import Role
from backend.core.dates import business_date
from backend.core.errors import NotFound
from backend.properties.access import access_unit
from backend.properties.models import Ownership, Unit, UnitUse
from backend.warranty.labels import CHAIN_LABELS, component_label, period_label
from backend.warranty.models import OwnerExtension
from backend.warranty.selectors import Term, unit_warranty_terms

# Staff who hand the document over or print it again for an owner.
GUARANTEE_READERS = (Role.HANDOVER_OFFICER, Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR)
FONT = "STSong-Light"


def _day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def _decided(term: Term) -> str:
    if term.decided_end is None:
        if term.rule == "warranty.acceptance_missing":
            return _("Unknown — acceptance date missing")
        return str(CHAIN_LABELS["unknown"])
    return f"{term.decided_end.isoformat()}\n{CHAIN_LABELS.get(term.chain, term.chain)}"


def _rows(terms: list[Term], refs: dict[str, str]) -> list[list[str]]:
    rows = [[_("Component"), _("Developer's minimum (from handover)"), _("Extension by contract"),
             _("Contractor's period (from acceptance)"), _("Covered until")]]
    for term in terms:
        extension = "—"
        if term.extension_months:
            extension = period_label(term.extension_months, "months")
            if refs.get(term.component):
                extension += f"\n{refs[term.component]}"
        rows.append([
            component_label(term.component),
            f"{period_label(term.owner_min_amount, term.owner_min_unit, term.owner_min_season)}\n"
            f"{_('until')} {_day(term.owner_end)}",
            extension,
            f"{period_label(term.contractor_amount, term.contractor_unit, term.contractor_season)}\n"
            f"{_('until')} {_day(term.contractor_end)}",
            _decided(term),
        ])
    return rows


def render_quality_guarantee(*, unit: Unit, terms: list[Term], refs: dict[str, str], issued: date) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    building = unit.building
    project = building.project
    title = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24, alignment=1)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15)
    small = ParagraphStyle("small", fontName=FONT, fontSize=8, leading=12, textColor=colors.HexColor("#555555"))
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=12)

    def para(text: str, style: Any) -> Any:
        return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br/>"), style)

    use = _("residential") if unit.use == UnitUse.RESIDENTIAL else _("non-residential")
    facts = [
        f"{_('Project')}: {project.name}    {_('Building')}: {building.name}    {_('Unit')}: {unit.number} ({use})",
        f"{_('Handover date')}: {_day(unit.handover_date)}    "
        f"{_('Completion acceptance date')}: {_day(building.completion_acceptance_date)}",
    ]
    table = Table([[para(text, cell) for text in row] for row in _rows(terms, refs)],
                  colWidths=[38 * mm, 36 * mm, 28 * mm, 36 * mm, 38 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    notes = [
        _("Periods from the handover follow 建房〔1998〕102号 art.5–6; periods from the completion acceptance "
          "follow 《建设工程质量管理条例》 art.40 and 建设部令第80号 art.7–8."),
        _("Under 《商品房销售管理办法》 art.33 a residential unit is covered until the later of the two ends; "
          "a non-residential unit for what remains of the contractor's period."),
        _("Damage from misuse, the owner's own renovation or force majeure is excluded, as decided case by case "
          "with a reason and evidence."),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=18 * mm,
                                 bottomMargin=16 * mm, title=_("Residential quality guarantee"),
                                 author=project.name, invariant=1)
    story = [para(_("Residential quality guarantee"), title), Spacer(1, 6 * mm),
             *[para(text, body) for text in facts], Spacer(1, 4 * mm), table, Spacer(1, 4 * mm),
             *[para(text, small) for text in notes], Spacer(1, 4 * mm),
             para(f"{_('Issued')}: {issued.isoformat()}", body)]
    document.build(story)
    return buffer.getvalue()


def _extension_refs(project_id: Any) -> dict[str, str]:
    return dict(OwnerExtension.objects.filter(project_id=project_id).exclude(contract_ref="")
                .values_list("component", "contract_ref"))


def _pdf_of(unit: Unit, now: datetime) -> bytes:
    terms = unit_warranty_terms(unit_id=unit.pk, unit=unit)
    return render_quality_guarantee(unit=unit, terms=terms, refs=_extension_refs(unit.building.project_id),
                                    issued=business_date(now))


def quality_guarantee_pdf(*, actor: Any, unit_id: Any, now: datetime) -> bytes:
    """The unit's 质量保证书 for staff who hand it over (or print it again)."""
    ensure_role(actor, GUARANTEE_READERS)
    return _pdf_of(access_unit(actor, unit_id), now)


def quality_guarantee_pdf_for_owner(*, owner_id: Any, unit_id: Any, now: datetime) -> bytes:
    """The same document for the owner of the unit (an ownership in force today), else a 404."""
    today = business_date(now)
    owns = (owner_id is not None and Ownership.objects.filter(owner_id=owner_id, unit_id=unit_id,
                                                              start_date__lte=today)
            .exclude(end_date__lt=today).exists())
    unit = Unit.objects.select_related("building__project").filter(id=unit_id).first() if owns else None
    if unit is None:
        raise NotFound(details={"object": "unit"})
    return _pdf_of(unit, now)

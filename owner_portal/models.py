"""Tables of the homeowner's portal: one-time codes, the knowledge base and what owners read there."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def _in_english() -> bool:
    return (get_language() or "").startswith("en")


class OtpChallenge(models.Model):
    """One SMS code sent to one phone for one scanned place. The code is stored as a keyed hash only.

    A code lives 5 minutes and allows 5 tries; each try is claimed by a conditional update of
    ``attempts`` so two concurrent guesses cannot both count as the fifth."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone = models.CharField(_("phone (E.164)"), max_length=20, db_index=True)
    # The scanned label the code was asked from; empty when the owner signs in from a link in a text message.
    qr_token = models.ForeignKey("properties.QrToken", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="+", verbose_name=_("QR code"))
    code_hash = models.CharField(_("code (keyed hash)"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")
        constraints = [models.CheckConstraint(condition=Q(attempts__lte=5), name="otp_attempts_at_most_5")]

    def __str__(self) -> str:
        return f"{self.phone[:5]}… {self.created_at:%Y-%m-%d %H:%M}"


class Article(models.Model):
    """A self-help article (自助排查): steps with pictures that solve a problem without a visit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    category_code = models.CharField(_("category"), max_length=50, db_index=True)
    title = models.CharField(_("title"), max_length=100)
    summary = models.CharField(_("summary"), max_length=300)
    # The English version, shown on the English pages when written (the Chinese one otherwise).
    title_en = models.CharField(_("title (English)"), max_length=100, blank=True)
    summary_en = models.CharField(_("summary (English)"), max_length=300, blank=True)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True,
                                help_text=_("Words owners use for this problem, separated by spaces."))
    cover = models.ImageField(_("cover picture"), upload_to="kb/", blank=True)
    published = models.BooleanField(_("published"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    # Lower-cased title, summary, keywords and steps: what the search reads (Chinese and English alike).
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("knowledge-base article")
        verbose_name_plural = _("knowledge-base articles")
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def shown_title(self) -> str:
        """The title in the active language: the English one on English pages when there is one."""
        return self.title_en if _in_english() and self.title_en else self.title

    @property
    def shown_summary(self) -> str:
        return self.summary_en if _in_english() and self.summary_en else self.summary


class ArticleStep(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="steps", verbose_name=_("article"))
    position = models.PositiveSmallIntegerField(_("step"), default=1)
    text = models.TextField(_("what to do"))
    text_en = models.TextField(_("what to do (English)"), blank=True)
    image = models.ImageField(_("picture"), upload_to="kb/steps/", blank=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.article_id} #{self.position}"

    @property
    def shown_text(self) -> str:
        """The step in the active language: the English text on English pages when there is one."""
        return self.text_en if _in_english() and self.text_en else self.text


class ArticleView(models.Model):
    """One reading of an article in one portal visit. A visit that ends without a report within the
    follow-up window counts as self-served (自助解决)."""

    id = models.BigAutoField(primary_key=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="views", verbose_name=_("article"))
    visit = models.CharField(_("visit"), max_length=64, db_index=True)
    viewed_at = models.DateTimeField(_("viewed at"))
    reported_at = models.DateTimeField(_("report made at"), null=True, blank=True)

    class Meta:
        verbose_name = _("article view")
        verbose_name_plural = _("article views")
        indexes = [models.Index(fields=["article", "viewed_at"])]

    def __str__(self) -> str:
        return f"{self.article_id} {self.viewed_at:%Y-%m-%d %H:%M}"

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.workorders.admin import CategoryFilter, category_shown
from owner_portal import selectors, services
from owner_portal.models import Article, ArticleStep, ArticleView, OtpChallenge


class ArticleStepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ArticleStep
    extra = 1


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", category_shown, "published", "position", "views", "self_served", "updated_at")
    list_filter = ("published", CategoryFilter)
    search_fields = ("title", "summary", "title_en", "summary_en", "keywords")
    inlines = [ArticleStepInline]

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.article_reindex(article_id=form.instance.id)

    def get_queryset(self, request: Any) -> Any:
        return selectors.articles_with_stats(super().get_queryset(request), now=timezone.now())

    @admin.display(description=_("views"), ordering="view_count")
    def views(self, obj: Any) -> int:
        return int(obj.view_count)

    @admin.display(description=_("self-served"), ordering="self_served_count")
    def self_served(self, obj: Any) -> int:
        return int(obj.self_served_count)


@admin.register(ArticleView)
class ArticleViewAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("article", "viewed_at", "reported_at")
    list_filter = ("article",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(OtpChallenge)
class OtpChallengeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: who asked for a code and whether it was used. The code itself is never stored."""

    list_display = ("__str__", "attempts", "expires_at", "verified_at")
    exclude = ("code_hash",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

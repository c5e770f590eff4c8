"""A self-help article in Chromium: the page's GET writes nothing; the page reports its read with a POST."""

from __future__ import annotations

import pytest

from owner_portal.models import Article, ArticleView
from owner_portal.services import article_reindex

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_article_page_counts_its_read_with_a_post(live_server, phone):
    article = Article.objects.create(category_code="drainage", title="水槽下水慢怎么办", summary="先清理存水弯")
    article_reindex(article_id=article.id)
    with phone.expect_response(lambda r: r.url.endswith(f"/portal/kb/{article.id}/read")) as read:
        phone.goto(f"{live_server.url}/portal/kb/{article.id}")
    assert read.value.request.method == "POST" and read.value.status == 204
    assert ArticleView.objects.filter(article=article).count() == 1

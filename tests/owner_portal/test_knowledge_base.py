"""Self-help articles: Chinese search on both databases, suggestions while typing, self-served counting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from owner_portal.models import Article, ArticleStep, ArticleView
from owner_portal.selectors import article_stats, articles_search, search_terms
from owner_portal.services import article_reindex
from tests.owner_portal.helpers import home_with_owner, verified_client

pytestmark = pytest.mark.django_db


def article(title: str, summary: str, keywords: str = "", category: str = "drainage", steps=("",)) -> Article:
    row = Article.objects.create(title=title, summary=summary, keywords=keywords, category_code=category)
    for i, text in enumerate(steps, start=1):
        if text:
            ArticleStep.objects.create(article=row, position=i, text=text)
    article_reindex(article_id=row.id)
    return row


def test_chinese_text_is_searched_by_character_pairs():
    assert search_terms("下水道堵了") == ["下水", "水道", "道堵", "堵了"]
    assert search_terms("漏") == ["漏"]
    assert search_terms("Sink drains slowly") == ["sink", "drains", "slowly"]


def test_the_best_matching_article_comes_first_and_unrelated_ones_not_at_all():
    sink = article("水槽下水慢怎么办", "先清理存水弯里的杂物", keywords="下水道 堵塞 排水慢")
    leak = article("卫生间天花板滴水", "判断是否楼上渗漏", keywords="漏水 滴水", category="bathroom-leak")
    article("空调不制冷", "检查遥控器模式", category="electrical")
    found = articles_search(query="厨房下水道堵塞了")
    assert found[0] == sink and leak not in found
    assert articles_search(query="天花板在滴水")[0] == leak
    assert articles_search(query="完全无关的话") == []


def test_steps_are_searchable_and_unpublished_articles_are_not():
    hidden = article("燃气报警", "立即开窗", category="gas", steps=("关闭燃气总阀，不要开关电器",))
    assert articles_search(query="燃气总阀") == [hidden]
    Article.objects.filter(id=hidden.id).update(published=False)
    assert articles_search(query="燃气总阀") == []


def test_suggestions_come_as_json_while_the_owner_types():
    article("水槽下水慢怎么办", "先清理存水弯里的杂物", keywords="下水道 堵塞")
    body = Client().get("/portal/kb/suggest", {"q": "下水道堵了", "token": "abc"}).json()
    assert body["articles"][0]["title"] == "水槽下水慢怎么办"
    assert body["articles"][0]["url"].endswith("?token=abc")


def read(client: Client, article: Article) -> None:
    """What the article page does: GET it, then report the read with a POST."""
    assert client.get(f"/portal/kb/{article.id}").status_code == 200
    assert client.post(f"/portal/kb/{article.id}/read", HTTP_X_REQUESTED_WITH="fetch").status_code == 204


def test_reading_an_article_page_writes_nothing():
    from django.contrib.sessions.models import Session

    sink = article("水槽下水慢怎么办", "先清理存水弯里的杂物", keywords="下水道 堵塞")
    client = Client()
    page = client.get(f"/portal/kb/{sink.id}")
    assert page.status_code == 200 and f'action="/portal/kb/{sink.id}/read"' in page.content.decode()
    assert ArticleView.objects.count() == 0 and Session.objects.count() == 0
    assert settings_session_cookie() not in client.cookies
    assert client.get(f"/portal/kb/{sink.id}/read").status_code == 405
    assert ArticleView.objects.count() == 0


def settings_session_cookie() -> str:
    from django.conf import settings

    return settings.SESSION_COOKIE_NAME


def test_the_read_of_an_unpublished_or_unknown_article_is_not_counted():
    hidden = article("燃气报警", "立即开窗", category="gas")
    Article.objects.filter(id=hidden.id).update(published=False)
    assert Client().post(f"/portal/kb/{hidden.id}/read", HTTP_X_REQUESTED_WITH="fetch").status_code == 404
    assert ArticleView.objects.count() == 0


def test_a_read_that_ends_without_a_report_counts_as_self_served():
    sink = article("水槽下水慢怎么办", "先清理存水弯里的杂物", keywords="下水道 堵塞")
    read(Client(), sink)
    home, _ = home_with_owner()
    client = verified_client(home)
    read(client, sink)
    read(client, sink)  # once per visit
    client.post(f"/q/{home.token}/report", {"category_code": "drainage", "description": "还是堵", "choice": "new"})
    assert ArticleView.objects.count() == 2
    later = timezone.now() + timedelta(days=2)
    assert article_stats(article=sink, now=later) == {"views": 2, "self_served": 1, "led_to_report": 1}


def test_the_knowledge_base_page_lists_articles_by_category():
    article("水槽下水慢怎么办", "先清理存水弯里的杂物")
    text = Client().get("/portal/kb").content.decode()
    assert "水电" in text and "水槽下水慢怎么办" in text


def test_demo_articles_load_once_and_name_real_categories():
    from backend.workorders.definitions import active_definitions
    from owner_portal.demo import seed_articles

    assert seed_articles() == 8
    assert seed_articles() == 0
    codes = active_definitions().category_codes
    assert all(code in codes for code in Article.objects.values_list("category_code", flat=True))
    assert articles_search(query="闻到燃气味")[0].category_code == "gas-leak"


def test_the_admin_list_shows_views_and_self_served_reads_in_one_query_per_page(client, django_assert_max_num_queries):
    from tests.factories import user_with_roles

    sink = article("水槽下水慢怎么办", "先清理存水弯里的杂物")
    for n in range(3):
        article(f"文章{n}", "摘要")
    ArticleView.objects.create(article=sink, visit="a", viewed_at=timezone.now() - timedelta(days=2))
    ArticleView.objects.create(article=sink, visit="b", viewed_at=timezone.now() - timedelta(days=2),
                               reported_at=timezone.now())
    admin = user_with_roles("administrator", is_staff=True, is_superuser=True)
    client.force_login(admin)
    with django_assert_max_num_queries(12):
        page = client.get("/admin/owner_portal/article/")
    row = next(line for line in page.content.decode().split("<tr") if "水槽下水慢怎么办" in line)
    assert 'field-views">2<' in row and 'field-self_served">1<' in row


def english_client() -> Client:
    from django.conf import settings

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_english_pages_show_the_english_version_of_an_article_and_fall_back_to_chinese():
    sink = article("水槽下水慢怎么办", "先清理存水弯里的杂物", steps=("拧下存水弯", "倒入热水"))
    Article.objects.filter(id=sink.id).update(title_en="The sink is slow", summary_en="Clear the trap first")
    ArticleStep.objects.filter(article=sink, position=1).update(text_en="Unscrew the trap")
    article_reindex(article_id=sink.id)
    untranslated = article("卫生间天花板滴水", "判断是否楼上渗漏", category="bathroom-leak")

    page = english_client().get(f"/portal/kb/{sink.id}").content.decode()
    assert "The sink is slow" in page and "Clear the trap first" in page and "Unscrew the trap" in page
    assert "倒入热水" in page  # a step without English keeps its Chinese text
    assert "水槽下水慢怎么办" not in page
    chinese = Client().get(f"/portal/kb/{sink.id}").content.decode()
    assert "水槽下水慢怎么办" in chinese and "The sink is slow" not in chinese
    listing = english_client().get("/portal/kb").content.decode()
    assert "The sink is slow" in listing and "卫生间天花板滴水" in listing  # no English: the Chinese title
    assert untranslated.shown_title == "卫生间天花板滴水"


def test_english_words_find_an_article_and_suggestions_answer_in_the_pages_language():
    sink = article("水槽下水慢怎么办", "先清理存水弯里的杂物", keywords="下水道 堵塞")
    Article.objects.filter(id=sink.id).update(title_en="The sink drains slowly", summary_en="Clear the trap")
    article_reindex(article_id=sink.id)
    assert articles_search(query="sink drains slowly") == [Article.objects.get(id=sink.id)]
    body = english_client().get("/portal/kb/suggest", {"q": "下水道堵了"}).json()
    assert body["articles"][0]["title"] == "The sink drains slowly"
    assert Client().get("/portal/kb/suggest", {"q": "sink"}).json()["articles"][0]["title"] == "水槽下水慢怎么办"


def test_every_demo_article_has_its_english_version_step_for_step():
    from owner_portal.demo import ARTICLES, ARTICLES_EN, seed_articles

    assert set(ARTICLES_EN) == {title for _c, title, *_rest in ARTICLES}
    assert all(len(ARTICLES_EN[title][2]) == len(steps) for _c, title, _s, _k, steps in ARTICLES)
    seed_articles()
    assert not Article.objects.filter(title_en="").exists()
    assert not ArticleStep.objects.filter(text_en="").exists()
    # A demo database seeded before the English versions existed gets them on the next run.
    Article.objects.update(title_en="", summary_en="")
    ArticleStep.objects.update(text_en="")
    assert seed_articles() == 0
    assert not Article.objects.filter(title_en="").exists() and not ArticleStep.objects.filter(text_en="").exists()

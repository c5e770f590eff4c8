"""The knowledge-base articles of the technician's categories travel to the phone as the read-only ``articles``
table: pulled with the orders, sent again when edited, gone when unpublished, and refused when pushed."""

from __future__ import annotations

import json

import pytest

from owner_portal.models import Article, ArticleStep
from tests.mobile_sync.helpers import Device
from tests.workorders.world import two_sides

pytestmark = pytest.mark.django_db


def article(title: str, category: str, *steps: str, **extra) -> Article:  # type: ignore[no-untyped-def]
    row = Article.objects.create(title=title, summary=f"{title}：自查步骤", category_code=category, **extra)
    for i, text in enumerate(steps, start=1):
        ArticleStep.objects.create(article=row, position=i, text=text, text_en=f"step {i}")
    return row


def pulled(device: Device) -> dict:  # type: ignore[type-arg]
    return device.pull()["changes"]["articles"]


def test_a_pull_gives_the_articles_of_the_orders_categories_and_their_parents_only():
    a, _b = two_sides()  # a's order: drainage (under plumbing-electrical)
    own = article("地漏反味怎么办", "drainage", "检查存水弯是否干涸", "注水后观察", title_en="Smelly floor drain")
    parent = article("水电报修前的检查", "plumbing-electrical", "查看总闸")
    article("燃气报警", "gas", "立即开窗")  # another category: not on this phone
    article("已下线的文章", "drainage", "旧内容", published=False)
    device = Device(a.technician)
    entry = pulled(device)
    rows = {r["id"]: r for r in entry["created"]}
    assert set(rows) == {str(own.id), str(parent.id)}
    row = rows[str(own.id)]
    assert row["category_id"] == "drainage" and row["title"] == "地漏反味怎么办" and row["title_en"] == "Smelly floor drain"
    assert json.loads(row["steps"]) == [{"text": "检查存水弯是否干涸", "text_en": "step 1", "image_url": None},
                                        {"text": "注水后观察", "text_en": "step 2", "image_url": None}]
    assert row["cover_url"] is None and row["summary_en"] is None


def test_an_edited_article_comes_again_an_unpublished_one_is_deleted_and_nothing_else_moves():
    a, _b = two_sides()
    own = article("地漏反味怎么办", "drainage", "检查存水弯")
    other = article("下水道堵塞自查", "drainage", "用皮搋子")
    device = Device(a.technician)
    device.pull()
    assert pulled(device) == {"created": [], "updated": [], "deleted": []}
    ArticleStep.objects.filter(article=own).update(text="先注水，再检查存水弯")
    Article.objects.filter(id=other.id).update(published=False)
    entry = pulled(device)
    assert [json.loads(r["steps"])[0]["text"] for r in entry["updated"]] == ["先注水，再检查存水弯"]
    assert entry["created"] == [] and entry["deleted"] == [str(other.id)]
    assert pulled(device) == {"created": [], "updated": [], "deleted": []}


def test_an_article_pushed_from_the_phone_is_refused_and_the_servers_version_comes_back():
    a, _b = two_sides()
    own = article("地漏反味怎么办", "drainage", "检查存水弯")
    device = Device(a.technician)
    device.pull()
    held = device.db["articles"][str(own.id)]
    device.record("articles", {**held, "title": "改过的标题", "_status": "updated"}, kind="updated")
    device.record("articles", {**held, "id": "madeupArticle001", "_status": "created"})
    response = device.push()
    assert response.status_code == 200, response.content
    refused = {(r["id"], r["code"]) for r in response.json()["refused"] if r["table"] == "articles"}
    assert refused == {(str(own.id), "read_only"), ("madeupArticle001", "read_only")}
    assert Article.objects.get(id=own.id).title == "地漏反味怎么办"
    entry = pulled(device)
    assert [r["title"] for r in entry["updated"]] == ["地漏反味怎么办"]
    assert entry["deleted"] == ["madeupArticle001"]
    assert device.db["articles"][str(own.id)]["title"] == "地漏反味怎么办"


def test_an_article_deleted_on_the_phone_comes_back():
    a, _b = two_sides()
    own = article("地漏反味怎么办", "drainage", "检查存水弯")
    device = Device(a.technician)
    device.pull()
    device.delete("articles", str(own.id))
    response = device.push()
    assert [(r["table"], r["code"]) for r in response.json()["refused"]] == [("articles", "read_only")]
    assert [r["id"] for r in pulled(device)["created"]] == [str(own.id)]


def test_the_schema_publishes_the_articles_table():
    from django.test import Client

    a, _b = two_sides()
    device = Device(a.technician)
    body = Client().get("/api/v1/sync/schema", **device.auth).json()
    [table] = [t for t in body["tables"] if t["name"] == "articles"]
    assert [c["name"] for c in table["columns"]] == ["category_id", "title", "title_en", "summary", "summary_en",
                                                    "steps", "cover_url", "position"]

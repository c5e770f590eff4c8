"""Demo content of the portal: self-help articles, and a way in for the demo homeowner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from backend.properties.models import Ownership
from backend.properties.qr import qr_token_ensure, qr_url
from owner_portal.models import Article, ArticleStep
from owner_portal.services import article_reindex

ARTICLES: list[tuple[str, str, str, str, list[str]]] = [
    ("drainage", "水槽、地漏下水慢怎么办", "多数是存水弯里积了头发和油污，自己就能清理。", "下水道 堵塞 下水慢 地漏 反味 水槽",
     ["关闭水龙头，在下水口下方放一个盆。", "拧下水槽下方的存水弯（U 形管），清理里面的杂物后装回。",
      "地漏可取下盖板，用钩子取出头发；再倒入一壶热水（不要沸水）冲洗。",
      "仍然不通或有污水返上来，请不要使用化学疏通剂，直接报修。"]),
    ("bathroom-leak", "卫生间天花板滴水怎么办", "先判断是楼上渗漏还是冷凝水，再决定是否报修。", "漏水 滴水 渗水 天花板 吊顶 水渍",
     ["请楼上住户暂停使用淋浴和浴缸，观察 30 分钟是否仍在滴水。",
      "如果只在洗澡后出现、且水滴是清水，多为楼上防水层或管道问题，请拍照报修。",
      "如有水渍扩大、灯具附近滴水，请先关闭卫生间电源，确保安全。"]),
    ("power-outage", "家里突然停电、跳闸了", "多数是某个电器漏电或过载，按步骤排查即可恢复。", "停电 跳闸 没电 漏电 空开 配电箱",
     ["看看邻居家是否有电：整栋停电请联系物业。", "打开入户配电箱，找到向下跳开的开关。",
      "拔掉跳闸回路上的大功率电器（热水器、烤箱等），再把开关推上去。",
      "一推上去就跳，或配电箱有焦味，请不要反复尝试，立即报修。"]),
    ("entrance-door", "入户门电子锁打不开", "大多是电池没电，可以用应急电源或机械钥匙开门。", "门锁 电子锁 指纹锁 打不开 没电 密码锁",
     ["用充电宝连接门锁外侧的 USB 应急接口，再输入密码或指纹。", "打开门锁下方的盖板，用交房时的机械钥匙开门。",
      "进门后更换门锁内侧的全部电池（通常为 4 节 5 号电池）。", "电池正常仍无法识别，请报修。"]),
    ("water-supply", "家里水压低或没有水", "先确认是全楼停水还是自家阀门问题。", "没水 停水 水压低 水小 阀门 水表",
     ["查看物业通知或问邻居，确认是否为计划停水。", "检查厨房或管井里的入户总阀是否全开。",
      "只有一个水龙头水小，可拧下出水口的起泡器清洗滤网。", "总阀全开仍没水，请报修。"]),
    ("wall-paint", "墙面出现细小裂纹或发霉", "0.3 毫米以下的细小裂纹多为涂料收缩，不影响结构。", "墙面 裂纹 裂缝 发霉 霉斑 掉皮",
     ["用硬币比一下裂缝宽度：比硬币边缘还细的一般是涂料层裂纹。", "发霉多因通风不足，可每天开窗通风并用除霉剂擦拭。",
      "裂缝变宽、贯穿墙体或伴随渗水，请拍照报修，我们会安排工程师检查。"]),
    ("window-hardware", "窗户关不严、漏风", "调整执手和锁点，大多数情况几分钟就能解决。", "窗户 关不严 漏风 执手 五金 密封条",
     ["检查窗框密封条是否脱落，可按回槽内。", "用内六角扳手微调窗扇侧面的偏心锁点，让它压得更紧。",
      "窗扇下垂、开关困难，请报修，不要用力硬推。"]),
    ("gas-leak", "闻到燃气味怎么办", "请立即按以下步骤确保安全，不要在室内打电话。", "燃气 煤气 天然气 燃气味 泄漏 报警器",
     ["不要开关任何电器、不要点火。", "立即打开门窗通风，关闭燃气表前的阀门。",
      "离开房间后，到室外拨打燃气公司抢修电话，并通知物业。"]),
]


# The English version of each demo article, by its Chinese title: (title, summary, steps).
ARTICLES_EN: dict[str, tuple[str, str, list[str]]] = {
    "水槽、地漏下水慢怎么办": (
        "The sink or floor drain is slow", "Usually hair and grease in the trap: you can clear it yourself.",
        ["Turn the tap off and put a bowl under the drain.",
         "Unscrew the trap (the U-shaped pipe) under the sink, clear it out and put it back.",
         "Lift the floor drain's cover and hook the hair out; then pour in a kettle of hot (not boiling) water.",
         "Still blocked, or dirty water coming back up: do not use chemical drain cleaners, report a repair."]),
    "卫生间天花板滴水怎么办": (
        "Water drips from the bathroom ceiling", "First tell a leak from upstairs from condensation, then decide.",
        ["Ask the neighbours upstairs to stop using their shower and bath, and watch for 30 minutes.",
         "If it only drips after they shower and the water is clear, it is usually their waterproofing or a pipe: "
         "report it with photos.",
         "If the stain spreads or water drips near a light, switch the bathroom's power off first."]),
    "家里突然停电、跳闸了": (
        "The power went off or a breaker tripped", "Usually one appliance leaks or overloads: find it step by step.",
        ["Check whether the neighbours have power: if the whole building is out, call the property office.",
         "Open the distribution box by the front door and find the switch that has flipped down.",
         "Unplug the big appliances on that circuit (water heater, oven...), then push the switch back up.",
         "If it trips again at once, or the box smells burnt, do not keep trying: report a repair now."]),
    "入户门电子锁打不开": (
        "The electronic door lock will not open", "Usually a flat battery: use the emergency power or the key.",
        ["Connect a power bank to the USB emergency port outside the lock, then enter your code or finger.",
         "Open the cover under the lock and use the mechanical key you got at handover.",
         "Once inside, replace all the batteries inside the lock (usually 4 AA batteries).",
         "Still not recognised with new batteries: report a repair."]),
    "家里水压低或没有水": (
        "Low water pressure or no water", "First check whether the building is cut off or a valve at home.",
        ["Look for a notice from the property office or ask a neighbour: it may be a planned cut.",
         "Check that the main valve (in the kitchen or the pipe shaft) is fully open.",
         "Only one tap is weak: unscrew its aerator and rinse the mesh.",
         "Main valve fully open and still no water: report a repair."]),
    "墙面出现细小裂纹或发霉": (
        "Fine cracks or mould on a wall", "Cracks under 0.3 mm are usually the paint shrinking, not the structure.",
        ["Compare the crack with the edge of a coin: thinner than that is usually a crack in the paint.",
         "Mould usually comes from poor ventilation: air the room every day and wipe with a mould remover.",
         "The crack widens, goes through the wall or lets water in: report it with photos and an engineer will "
         "check."]),
    "窗户关不严、漏风": (
        "A window does not close tight and lets air in", "Adjust the handle and locking points: minutes, usually.",
        ["Check whether the seal has come out of the frame and press it back into its groove.",
         "With an Allen key, turn the eccentric locking points on the sash's side so that it presses tighter.",
         "The sash sags or is hard to move: report a repair and do not force it."]),
    "闻到燃气味怎么办": (
        "You smell gas", "Follow these steps at once for safety, and do not make a phone call indoors.",
        ["Do not switch any appliance on or off, and light nothing.",
         "Open the doors and windows at once and close the valve before the gas meter.",
         "Once outside, call the gas company's emergency line and tell the property office."]),
}


def seed_articles() -> int:
    """Creates the demo articles that are missing (by title) and gives the English version to those
    that have none yet. Returns how many were created."""
    created = 0
    with transaction.atomic():
        for position, (category, title, summary, keywords, steps) in enumerate(ARTICLES, start=1):
            english_title, english_summary, english_steps = ARTICLES_EN[title]
            article = Article.objects.filter(title=title).first()
            if article is None:
                article = Article.objects.create(category_code=category, title=title, summary=summary,
                                                 keywords=keywords, position=position * 10)
                ArticleStep.objects.bulk_create([ArticleStep(article=article, position=i, text=text)
                                                 for i, text in enumerate(steps, start=1)])
                created += 1
            elif article.title_en:
                continue
            Article.objects.filter(id=article.id).update(title_en=english_title, summary_en=english_summary)
            for i, text in enumerate(english_steps, start=1):
                ArticleStep.objects.filter(article=article, position=i, text_en="").update(text_en=text)
            article_reindex(article_id=article.id)
    return created


@dataclass(frozen=True)
class DemoEntry:
    url: str
    phone: str
    place: str


def demo_owner_entry(*, now: datetime) -> DemoEntry | None:
    """The QR link of a demo home whose owner already has repairs, and that owner's phone."""
    ownership = (Ownership.objects.select_related("owner", "unit__building__project")
                 .filter(end_date__isnull=True, unit__work_orders__isnull=False).order_by("unit__building__project__code",
                                                                                          "unit__number").first())
    if ownership is None:
        ownership = Ownership.objects.select_related("owner", "unit__building__project").order_by("id").first()
    if ownership is None:
        return None
    token = qr_token_ensure(unit=ownership.unit, now=now)
    unit = ownership.unit
    return DemoEntry(url=qr_url(token.token), phone=ownership.owner.phone,
                     place=f"{unit.building.project.name} {unit.building.name} {unit.number}")

"""Reference data for the demo registry: real cities with real centre coordinates, and the names,
layouts and places a Chinese residential project has."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class District:
    name: str
    region_code: str  # the first six digits of resident ID numbers issued there


@dataclass(frozen=True)
class City:
    code: str
    name: str
    province: str  # empty for the municipalities
    latitude: Decimal
    longitude: Decimal
    districts: tuple[District, ...]


def _d(*pairs: tuple[str, str]) -> tuple[District, ...]:
    return tuple(District(name, code) for name, code in pairs)


CITIES: tuple[City, ...] = (
    City("hz", "杭州", "浙江省", Decimal("30.2741"), Decimal("120.1551"),
         _d(("西湖区", "330106"), ("滨江区", "330108"), ("余杭区", "330110"), ("拱墅区", "330105"))),
    City("sh", "上海", "", Decimal("31.2304"), Decimal("121.4737"),
         _d(("浦东新区", "310115"), ("闵行区", "310112"), ("徐汇区", "310104"), ("宝山区", "310113"))),
    City("cd", "成都", "四川省", Decimal("30.5728"), Decimal("104.0668"),
         _d(("武侯区", "510107"), ("锦江区", "510104"), ("双流区", "510116"), ("成华区", "510108"))),
    City("sz", "深圳", "广东省", Decimal("22.5431"), Decimal("114.0579"),
         _d(("南山区", "440305"), ("福田区", "440304"), ("龙华区", "440309"), ("宝安区", "440306"))),
    City("wh", "武汉", "湖北省", Decimal("30.5928"), Decimal("114.3055"),
         _d(("武昌区", "420106"), ("洪山区", "420111"), ("江汉区", "420103"), ("东西湖区", "420112"))),
    City("nj", "南京", "江苏省", Decimal("32.0603"), Decimal("118.7969"),
         _d(("鼓楼区", "320106"), ("建邺区", "320105"), ("江宁区", "320115"), ("栖霞区", "320113"))),
    City("xa", "西安", "陕西省", Decimal("34.3416"), Decimal("108.9398"),
         _d(("雁塔区", "610113"), ("未央区", "610112"), ("长安区", "610116"), ("碑林区", "610103"))),
    City("gz", "广州", "广东省", Decimal("23.1291"), Decimal("113.2644"),
         _d(("天河区", "440106"), ("海珠区", "440105"), ("番禺区", "440113"), ("白云区", "440111"))),
    City("cq", "重庆", "", Decimal("29.5630"), Decimal("106.5516"),
         _d(("渝北区", "500112"), ("江北区", "500105"), ("九龙坡区", "500107"), ("南岸区", "500108"))),
    City("su", "苏州", "江苏省", Decimal("31.2990"), Decimal("120.5853"),
         _d(("姑苏区", "320508"), ("吴中区", "320506"), ("相城区", "320507"), ("虎丘区", "320505"))),
)

ROADS = ("文三路", "江南大道", "学院路", "人民路", "解放路", "建设路", "中山路", "和平路", "新华路", "长江路",
         "滨江大道", "科技大道", "湖滨路", "春晖路", "青年路", "振兴路", "丰收路", "锦绣路", "望江路", "迎宾大道")

PROJECT_PREFIXES = ("云栖", "滨江", "翠湖", "锦绣", "星河", "金茂", "悦府", "澜庭", "望江", "御景", "天著", "春风",
                    "桃源", "紫金", "观澜", "溪岸", "青云", "学府", "和鸣", "熙园", "玖珑", "湖光", "山语", "晓月")
PROJECT_SUFFIXES = ("花园", "府", "公馆", "雅苑", "华庭", "名邸", "壹号院", "湾", "里", "家园", "天地", "城")
PHASES = ("", "二期", "三期", "四期", "五期", "六期", "七期", "八期", "九期", "十期")

SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
            "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
            "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈")
GIVEN_NAMES = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
               "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "建国", "志强", "晓东", "海燕", "雪梅", "文博",
               "子涵", "浩然", "思远", "欣怡", "宇轩", "梓萱", "俊杰", "佳琪", "一鸣", "雨桐", "国栋", "春梅")

# Mobile prefixes of the three carriers; every 8-digit suffix is a valid number for each.
MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "186", "187", "188",
                   "189", "133", "153", "180", "181", "177", "199", "130", "131", "132", "155", "156", "185")

# (layout, smallest area, largest area) in m²
LAYOUTS = {
    "一室一厅": (42, 58),
    "两室一厅": (68, 82),
    "两室两厅": (80, 95),
    "三室两厅": (105, 135),
    "四室两厅": (140, 185),
}
# Floor plans by building type: the layouts of the units on one floor, in door order.
FLOOR_PLANS = {
    "villa": ("四室两厅", "四室两厅"),
    "midrise": ("三室两厅", "两室两厅", "两室两厅", "三室两厅"),
    "highrise": ("三室两厅", "两室一厅", "一室一厅", "两室两厅", "两室一厅", "三室两厅"),
}
FLOORS = {"villa": (5, 7), "midrise": (11, 18), "highrise": (24, 33)}

# Places of a project that belong to no building: (code, name)
PROJECT_PUBLIC_AREAS = (
    ("garage-b1", "地下车库 B1"),
    ("garage-b2", "地下车库 B2"),
    ("club", "会所"),
    ("garden", "中心花园"),
    ("gate-s", "南门岗"),
)

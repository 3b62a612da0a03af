"""What the demo network is: its node tree, the mix of kinds, statuses and roles, the road-freight
story, and the data files of names, places and project texts (network/data/demo/)."""

import csv
import json
from dataclasses import dataclass
from importlib import resources


# The network's tree. Regional nodes claim countries by M49 region (or an explicit list, which wins);
# national nodes claim one country. Countries no node claims join the international network directly.
@dataclass(frozen=True)
class NodeSpec:
    slug: str
    name: str
    region: str  # M49 code or ISO alpha-2 of the node's scope
    parent: str | None
    short: str  # for initiative titles: "Green Freight South Asia"
    short_zh: str
    name_local: str | None = None
    countries: tuple[str, ...] = ()  # explicit claim; otherwise every country under `region`


ARAB_LEAGUE = ("DZ", "BH", "KM", "DJ", "EG", "IQ", "JO", "KW", "LB", "LY", "MR", "MA", "OM", "PS", "QA", "SA", "SO",
               "SD", "SY", "TN", "AE", "YE")  # fmt: skip
EECCA = ("RU", "UA", "BY", "MD", "AM", "AZ", "GE", "KZ", "KG", "TJ", "TM", "UZ")

ROOT = "can-international"
NODES = (
    NodeSpec(ROOT, "Climate Action Network International", "001", None, "Worldwide", "全球", "气候行动网络"),
    # Explicit claims first: they win over the region claims below.
    NodeSpec("can-arab-world", "Climate Action Network Arab World", "145", ROOT, "Arab World", "阿拉伯世界",
             "شبكة العمل المناخي في العالم العربي", ARAB_LEAGUE),
    NodeSpec("can-eecca", "Climate Action Network Eastern Europe, Caucasus and Central Asia", "151", ROOT, "EECCA",
             "东欧、高加索和中亚", "Сеть климатических действий ВЕКЦА", EECCA),
    NodeSpec("uscan", "US Climate Action Network", "US", ROOT, "USA", "美国", None, ("US",)),
    NodeSpec("can-canada", "Climate Action Network Canada", "CA", ROOT, "Canada", "加拿大",
             "Réseau action climat Canada", ("CA",)),
    NodeSpec("can-australia", "Climate Action Network Australia", "AU", ROOT, "Australia", "澳大利亚", None, ("AU",)),
    NodeSpec("can-japan", "Climate Action Network Japan", "JP", ROOT, "Japan", "日本", None, ("JP",)),
    NodeSpec("ccan", "China Civil Climate Action Network (CCAN)", "CN", ROOT, "China", "中国",
             "中国民间气候变化行动网络", ("CN",)),
    NodeSpec("can-europe", "Climate Action Network Europe", "150", ROOT, "Europe", "欧洲"),
    NodeSpec("can-south-asia", "Climate Action Network South Asia (CANSA)", "034", ROOT, "South Asia", "南亚"),
    NodeSpec("can-southeast-asia", "Climate Action Network Southeast Asia", "035", ROOT, "Southeast Asia", "东南亚"),
    NodeSpec("can-latin-america", "Climate Action Network Latin America (CANLA)", "419", ROOT, "Latin America",
             "拉丁美洲", "Red de Acción Climática de América Latina"),
    NodeSpec("can-africa", "Climate Action Network Africa", "002", ROOT, "Africa", "非洲"),
    NodeSpec("can-west-africa", "Climate Action Network West Africa", "011", "can-africa", "West Africa", "西非",
             "Réseau Action Climat Afrique de l'Ouest"),
    NodeSpec("can-east-africa", "Climate Action Network East Africa", "014", "can-africa", "East Africa", "东非"),
    NodeSpec("sarcan", "Southern Africa Climate Action Network (SARCAN)", "018", "can-africa", "Southern Africa",
             "南部非洲"),
    NodeSpec("can-central-africa", "Climate Action Network Central Africa", "017", "can-africa", "Central Africa",
             "中部非洲", "Réseau Action Climat Afrique Centrale"),
    # National nodes.
    NodeSpec("can-bangladesh", "Climate Action Network Bangladesh", "BD", "can-south-asia", "Bangladesh", "孟加拉国"),
    NodeSpec("can-india", "Climate Action Network India", "IN", "can-south-asia", "India", "印度"),
    NodeSpec("can-nepal", "Climate Action Network Nepal", "NP", "can-south-asia", "Nepal", "尼泊尔"),
    NodeSpec("can-pakistan", "Climate Action Network Pakistan", "PK", "can-south-asia", "Pakistan", "巴基斯坦"),
    NodeSpec("can-sri-lanka", "Climate Action Network Sri Lanka", "LK", "can-south-asia", "Sri Lanka", "斯里兰卡"),
    NodeSpec("rac-france", "Réseau Action Climat France", "FR", "can-europe", "France", "法国"),
    NodeSpec("klima-allianz", "Klima-Allianz Deutschland", "DE", "can-europe", "Germany", "德国"),
    NodeSpec("can-uk", "Climate Action Network UK", "GB", "can-europe", "UK", "英国"),
    NodeSpec("can-brasil", "Climate Action Network Brazil", "BR", "can-latin-america", "Brazil", "巴西",
             "Rede de Ação Climática Brasil"),
    NodeSpec("can-mexico", "Climate Action Network Mexico", "MX", "can-latin-america", "Mexico", "墨西哥",
             "Red de Acción Climática México"),
    NodeSpec("can-colombia", "Climate Action Network Colombia", "CO", "can-latin-america", "Colombia", "哥伦比亚",
             "Red de Acción Climática Colombia"),
    NodeSpec("can-nigeria", "Climate Action Network Nigeria", "NG", "can-west-africa", "Nigeria", "尼日利亚"),
    NodeSpec("rac-senegal", "Réseau Action Climat Sénégal", "SN", "can-west-africa", "Senegal", "塞内加尔"),
    NodeSpec("can-kenya", "Climate Action Network Kenya", "KE", "can-east-africa", "Kenya", "肯尼亚"),
    NodeSpec("can-uganda", "Climate Action Network Uganda", "UG", "can-east-africa", "Uganda", "乌干达"),
    NodeSpec("can-tanzania", "Climate Action Network Tanzania", "TZ", "can-east-africa", "Tanzania", "坦桑尼亚"),
    NodeSpec("can-south-africa", "Climate Action Network South Africa", "ZA", "sarcan", "South Africa", "南非"),
    NodeSpec("can-zambia", "Climate Action Network Zambia", "ZM", "sarcan", "Zambia", "赞比亚"),
    NodeSpec("rac-cameroun", "Réseau Action Climat Cameroun", "CM", "can-central-africa", "Cameroon", "喀麦隆"),
    NodeSpec("can-philippines", "Climate Action Network Philippines", "PH", "can-southeast-asia", "Philippines",
             "菲律宾"),
    NodeSpec("can-indonesia", "Climate Action Network Indonesia", "ID", "can-southeast-asia", "Indonesia",
             "印度尼西亚"),
    NodeSpec("can-vietnam", "Climate Action Network Vietnam", "VN", "can-southeast-asia", "Vietnam", "越南"),
)  # fmt: skip

KIND_WEIGHTS = {
    "ngo": 42, "cbo": 10, "think_tank": 6, "network": 3, "academic": 5, "foundation": 4, "faith": 3, "youth": 5,
    "women": 4, "indigenous": 2, "trade_union": 2, "cooperative": 2, "company": 8, "government": 1, "other": 3,
}  # fmt: skip
# The first organisations: every kind, and most languages and scripts, even for a small --orgs.
SHOWCASE = (
    ("BD", "ngo"), ("CN", "think_tank"), ("IN", "youth"), ("KE", "women"), ("BR", "indigenous"), ("FR", "network"),
    ("MX", "cooperative"), ("EG", "foundation"), ("DE", "company"), ("US", "academic"), ("KZ", "faith"),
    ("TZ", "cbo"), ("PH", "trade_union"), ("GB", "government"), ("ID", "other"), ("CN", "ngo"), ("BD", "women"),
    ("IN", "ngo"), ("PT", "ngo"), ("ES", "company"),
)  # fmt: skip
SHOWCASE_STATUSES = {3: "applicant", 10: "suspended", 12: "lapsed"}  # by position in SHOWCASE; others active
MEMBERSHIP_STATUS_WEIGHTS = {"active": 80, "applicant": 7, "suspended": 4, "lapsed": 9}
PARTNERSHIP_KIND_WEIGHTS = {"funding": 30, "technical": 25, "implementation": 20, "in_kind": 15, "advocacy": 10}
PROJECT_STATUS_WEIGHTS = {"active": 50, "completed": 30, "planned": 15, "cancelled": 5}
PROJECT_ROLE_WEIGHTS = {"partner": 55, "implementer": 20, "technical": 15, "funder": 10}
PARTICIPANT_ROLE_WEIGHTS = {"partner": 55, "technical": 15, "funder": 10, "observer": 20}
INVITATION_WEIGHTS = {"accepted": 60, "invited": 20, "declined": 10, "left": 5, "removed": 5}
FIRM_CATEGORIES = {"bank": "bank", "fuel": "fuel retailer", "telecom": "telecoms operator",
                   "ev_charging": "electric-vehicle charging operator", "energy": "energy supplier"}  # fmt: skip
# tCO2e a year, roughly, for a project on this theme.
TCO2E_SCALE = {"energy-transition": 4000, "transport": 3000, "forests-land-use": 8000, "agriculture-food": 1500,
               "technology-cooperation": 1200, "cities": 2000, "oceans": 2500}  # fmt: skip


# The road-freight story: an NGO and a think tank in China work with a freight platform, a certifier,
# a bank and a tyre maker (all fictional).
@dataclass(frozen=True)
class StoryOrg:
    key: str
    name: str
    name_local: str
    acronym: str | None
    kind: str
    description: str
    themes: tuple[str, ...]


STORY = (
    StoryOrg("gtpa", "Green Transport Promotion Association", "绿色交通促进会", "GTPA", "ngo",
             "A Beijing NGO that works with truck drivers, fleets and shippers to cut the fuel use of road freight.",
             ("transport", "energy-transition")),
    StoryOrg("zero", "Beijing Zero Carbon Future Research Centre", "北京零碳未来研究中心", "ZCF", "think_tank",
             "A think tank on low-carbon freight and logistics policy.", ("transport", "technology-cooperation")),
    StoryOrg("freight", "FreightLink Platform", "运联货运平台", None, "company",
             "A road-freight platform matching shippers with hundreds of thousands of truck drivers.",
             ("transport",)),
    StoryOrg("certifier", "GreenMark Certification Centre", "绿标认证中心", "GMC", "company",
             "A certification body verifying fuel savings and emission reductions in logistics.",
             ("transport", "climate-finance")),
    StoryOrg("bank", "Evergreen Commercial Bank", "长青商业银行", None, "company",
             "A commercial bank with a green-credit line for truck retrofits.", ("climate-finance",)),
    StoryOrg("tyres", "Longroad Tyres Co., Ltd.", "长途轮胎有限公司", None, "company",
             "A tyre maker producing low-rolling-resistance truck tyres.", ("transport", "technology-cooperation")),
)  # fmt: skip


def load_json(name: str) -> dict:
    return json.loads(resources.files("network.data").joinpath("demo", name).read_text(encoding="utf-8"))


def load_csv(name: str) -> list[dict]:
    with resources.files("network.data").joinpath("demo", name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))

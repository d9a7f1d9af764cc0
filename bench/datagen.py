"""Synthetic but valid people for benchmarks: GB 11643 ID numbers with correct check
characters, mainland mobile numbers, Chinese names, Haining communities. Deterministic for a
seed. No Django imports, so it can feed COPY and spreadsheet writers alike."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕红梅玉兰文"
    "彬晓东春花小红丹丹子涵浩然梓萱雨桐欣怡宇轩"
)
TAGS = ["低保对象", "独居老人", "空巢老人", "留守儿童", "特困人员", "失能老人"]


def id_number(rng: random.Random, birth: date, address: str = "330481") -> str:
    body = f"{address}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK[total % 11]


def birth_date(rng: random.Random) -> date:
    return date(1930, 1, 1) + timedelta(days=rng.randrange(365 * 93))


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES) + given


def residents(
    n: int, communities: list[str], *, seed: int = 1, unique_ids: bool = True
) -> Iterator[dict[str, str]]:
    """`n` resident rows as the Chinese-headed import template has them."""
    rng = random.Random(seed)
    seen: set[str] = set()
    for i in range(n):
        while True:
            number = id_number(rng, birth_date(rng))
            if not unique_ids or number not in seen:
                seen.add(number)
                break
        tag = rng.choice(TAGS) if rng.random() < 0.15 else ""
        yield {
            "姓名": name(rng),
            "身份证号": number,
            "手机号码": phone(rng),
            "所属社区": communities[i % len(communities)],
            "户号": f"H{i // 3:07d}",
            "住址": f"海宁市某路{rng.randrange(1, 300)}号",
            "困难群体标签": tag,
            "标签开始日期": "2024-01-05" if tag else "",
        }

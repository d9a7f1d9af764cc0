"""Demo residents for Haining: households and residents in all 236 communities (~30 per
community × scale), plausible ages (about 15 % aged 60+) and vulnerable-group tags, valid ID
numbers with address code 330481, and `demo_resident` linked to a record in 南关厢社区.

Deterministic for a seed: ages are counted from a fixed reference day, not today, so the same
seed gives the same people on any day. Idempotent: a person whose ID-number hash is already in
the county is skipped, households are found by (community, number), so a second run creates
nothing. Written with bulk_create (this runs inside `demo_load`'s transaction, so it cannot call
the durable per-record services) and one audit event with counts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import OuterRef, Subquery

from wushe.audit.services import audit_record
from wushe.core.identifiers import id_number_check_char, parse_id_number
from wushe.core.personal import id_number_hash, seal_id_number, seal_phone
from wushe.regions.models import Region

from .models import (
    DisabilityCategory,
    DisabilityGrade,
    Household,
    Hukou,
    LivingArrangement,
    Relation,
    Resident,
    ResidentTag,
    Tag,
    TagSource,
)

HAINING = "330481"
NANGUANXIANG = "330481001007"
REFERENCE_DAY = date(2026, 1, 1)
PER_COMMUNITY = 30

SURNAMES = "陈王张李沈徐朱周吴钱顾许陆金杨姚俞蒋冯孙马胡郑褚范董"
GIVEN_MALE = "伟强军建国明华平林杰峰斌涛磊浩宇鑫志文海"
GIVEN_FEMALE = "芳英秀娟敏静丽霞红燕萍玲梅琴兰珍雅婷慧洁"

# (kind, weight): the shape of a household.
HOUSEHOLD_KINDS = [
    ("elder_alone", 8),
    ("elder_couple", 10),
    ("young_single", 10),
    ("couple", 17),
    ("family", 45),
    ("three_generations", 10),
]


@dataclass
class Person:
    name: str
    sex: str
    birth: date
    relation: str
    living: str
    tags: list[tuple[str, str, str, str, date, date | None]] = field(default_factory=list)
    # (tag, source, disability category, grade, start, end)
    phone: str = ""
    user_key: str = ""


def _age(birth: date) -> int:
    years = REFERENCE_DAY.year - birth.year
    return years - ((REFERENCE_DAY.month, REFERENCE_DAY.day) < (birth.month, birth.day))


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"residents:{seed}")  # noqa: S311 - demo data
        self.numbers: set[str] = set()

    def birth(self, age_low: int, age_high: int) -> date:
        age = self.rng.randint(age_low, age_high)
        return REFERENCE_DAY - timedelta(days=age * 365 + self.rng.randint(1, 364))

    def name(self, sex: str, surname: str | None = None) -> str:
        given = GIVEN_MALE if sex == "male" else GIVEN_FEMALE
        length = self.rng.choice((1, 2, 2))
        return (surname or self.rng.choice(SURNAMES)) + "".join(
            self.rng.choice(given) for _ in range(length)
        )

    def id_number(self, birth: date, sex: str) -> str:
        while True:
            sequence = self.rng.randrange(0, 500) * 2 + (1 if sex == "male" else 0)
            body = f"{HAINING}{birth:%Y%m%d}{sequence:03d}"
            number = body + id_number_check_char(body)
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def phone(self) -> str:
        return (
            "1"
            + self.rng.choice("3456789")
            + "".join(self.rng.choice("0123456789") for _ in range(9))
        )

    def start(self) -> date:
        return REFERENCE_DAY - timedelta(days=self.rng.randint(60, 5 * 365))

    def person(
        self, sex: str, ages: tuple[int, int], relation: str, living: str, **kw: Any
    ) -> Person:
        person = Person(
            name=self.name(sex, kw.pop("surname", None)),
            sex=sex,
            birth=self.birth(*ages),
            relation=relation,
            living=living,
        )
        if _age(person.birth) >= 18 and self.rng.random() < 0.85:
            person.phone = self.phone()
        return person

    def household(self, rural: bool) -> list[Person]:
        kinds, weights = zip(*HOUSEHOLD_KINDS, strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        sex = self.rng.choice(("male", "female"))
        other = "female" if sex == "male" else "male"
        surname = self.rng.choice(SURNAMES)
        people: list[Person] = []
        if kind == "elder_alone":
            elder = self.person(sex, (62, 92), Relation.HEAD, LivingArrangement.ALONE)
            elder.tags.append(
                (Tag.ALONE_ELDER, TagSource.COMMUNITY_SURVEY, "", "", self.start(), None)
            )
            people.append(elder)
        elif kind == "elder_couple":
            for s, rel in ((sex, Relation.HEAD), (other, Relation.SPOUSE)):
                elder = self.person(
                    s,
                    (60, 88),
                    rel,
                    LivingArrangement.WITH_SPOUSE,
                    surname=surname if s == "male" else None,
                )
                if self.rng.random() < 0.8:
                    tag = (
                        Tag.LEFT_BEHIND_ELDER
                        if rural and self.rng.random() < 0.2
                        else Tag.EMPTY_NEST_ELDER
                    )
                    elder.tags.append((tag, TagSource.COMMUNITY_SURVEY, "", "", self.start(), None))
                people.append(elder)
            if self.rng.random() < 0.04:
                start = self.start()
                for elder in people:
                    elder.tags.append(
                        (Tag.FAMILY_PLANNING_SPECIAL, TagSource.CIVIL_AFFAIRS, "", "", start, None)
                    )
        elif kind == "young_single":
            people.append(self.person(sex, (20, 45), Relation.HEAD, LivingArrangement.ALONE))
        elif kind == "couple":
            people.append(self.person(sex, (25, 59), Relation.HEAD, LivingArrangement.WITH_SPOUSE))
            people.append(
                self.person(other, (25, 59), Relation.SPOUSE, LivingArrangement.WITH_SPOUSE)
            )
        else:
            father = self.person(
                "male",
                (28, 55),
                Relation.HEAD,
                LivingArrangement.WITH_SPOUSE_AND_CHILDREN,
                surname=surname,
            )
            mother = self.person(
                "female", (26, 53), Relation.SPOUSE, LivingArrangement.WITH_SPOUSE_AND_CHILDREN
            )
            parent_age = _age(father.birth)
            children = [
                self.person(
                    self.rng.choice(("male", "female")),
                    (max(0, parent_age - 40), max(0, parent_age - 24)),
                    Relation.CHILD,
                    LivingArrangement.WITH_SPOUSE,
                    surname=surname,
                )
                for _ in range(self.rng.choice((1, 1, 2)))
            ]
            for child in children:
                child.living = LivingArrangement.WITH_SPOUSE_AND_CHILDREN
            people = [father, mother, *children]
            if kind == "three_generations":
                grand = self.person(
                    self.rng.choice(("male", "female")),
                    (parent_age + 22, min(95, parent_age + 35)),
                    Relation.PARENT,
                    LivingArrangement.WITH_CHILDREN,
                )
                people.append(grand)
            left_behind = rural and self.rng.random() < 0.12
            for child in children:
                if _age(child.birth) < 16 and left_behind:
                    child.tags.append(
                        (
                            Tag.LEFT_BEHIND_CHILD,
                            TagSource.COMMUNITY_SURVEY,
                            "",
                            "",
                            self.start(),
                            None,
                        )
                    )
                if _age(child.birth) < 18 and self.rng.random() < 0.01:
                    child.tags.append(
                        (
                            Tag.CHILD_IN_DIFFICULTY,
                            TagSource.CIVIL_AFFAIRS,
                            "",
                            "",
                            self.start(),
                            None,
                        )
                    )
            if left_behind and self.rng.random() < 0.3:
                mother.tags.append(
                    (Tag.LEFT_BEHIND_WOMAN, TagSource.COMMUNITY_SURVEY, "", "", self.start(), None)
                )
        # Person-level tags, independent of the household shape.
        head = people[0]
        if self.rng.random() < 0.025:
            head.tags.append((Tag.LOW_INCOME, TagSource.CIVIL_AFFAIRS, "", "", self.start(), None))
        elif self.rng.random() < 0.01:  # history: a household that left 低保
            start = self.start()
            end = min(REFERENCE_DAY, start + timedelta(days=self.rng.randint(90, 700)))
            head.tags.append((Tag.LOW_INCOME, TagSource.CIVIL_AFFAIRS, "", "", start, end))
        for person in people:
            age = _age(person.birth)
            if self.rng.random() < 0.02:
                person.tags.append(
                    (
                        Tag.DISABLED,
                        TagSource.DISABLED_FEDERATION,
                        self.rng.choice(DisabilityCategory.values),
                        self.rng.choice(DisabilityGrade.values),
                        self.start(),
                        None,
                    )
                )
            if age >= 60 and self.rng.random() < 0.04:
                person.tags.append(
                    (
                        Tag.INCAPACITATED_ELDER,
                        TagSource.COMMUNITY_SURVEY,
                        "",
                        "",
                        self.start(),
                        None,
                    )
                )
            if kind == "elder_alone" and age >= 60 and self.rng.random() < 0.04:
                person.tags.append(
                    (Tag.DESTITUTE, TagSource.CIVIL_AFFAIRS, "", "", self.start(), None)
                )
        return people


def _demo_resident() -> list[Person]:
    person = Person(
        name="张秀英",
        sex="female",
        birth=date(1955, 3, 12),
        relation=Relation.HEAD,
        living=LivingArrangement.ALONE,
        phone="13957312345",
        user_key="demo_resident",
    )
    person.tags.append(
        (Tag.ALONE_ELDER, TagSource.COMMUNITY_SURVEY, "", "", date(2023, 4, 1), None)
    )
    return [person]


def _address(rng: random.Random, region: Region, household_index: int) -> str:
    if region.kind == Region.Kind.RURAL:
        return f"{region.short_name}{rng.randint(1, 18)}组{rng.randint(1, 120)}号"
    return (
        f"{region.short_name}{rng.randint(1, 40)}幢{rng.randint(1, 4)}单元"
        f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
    )


def demo_residents(ctx: Any) -> None:
    gen = _Generator(ctx.seed)
    per_community = max(1, round(PER_COMMUNITY * ctx.scale))
    communities = list(
        Region.objects.filter(
            code__gte=f"{HAINING}000000", code__lte=f"{HAINING}999999", level=Region.Level.COMMUNITY
        ).order_by("code")
    )
    # Everything is generated first (so the random sequence never depends on the database),
    # then only what is missing is written.
    plan: list[tuple[Region, str, str, list[Person]]] = []
    for region in communities:
        rural = region.kind == Region.Kind.RURAL
        count, index = 0, 0
        if region.code == NANGUANXIANG:
            plan.append((region, "0000", _address(gen.rng, region, 0), _demo_resident()))
        while count < per_community:
            index += 1
            people = gen.household(rural)
            plan.append((region, f"{index:04d}", _address(gen.rng, region, index), people))
            count += len(people)

    existing_households = {
        (h.region_id, h.number): h
        for h in Household.objects.filter(county_code=HAINING).only(
            "id", "region", "number", "head"
        )
    }
    existing_hashes = set(
        Resident.objects.filter(county_code=HAINING)
        .exclude(id_number_hash="")
        .values_list("id_number_hash", flat=True)
    )
    new_households = [
        _new_household(region, number, address)
        for region, number, address, _people in plan
        if (region.code, number) not in existing_households
    ]
    Household.objects.bulk_create(new_households, batch_size=2000)
    households = {**existing_households, **{(h.region_id, h.number): h for h in new_households}}

    new_residents: list[Resident] = []
    pending_tags: list[tuple[Resident, Person]] = []
    logins: dict[str, str] = {}  # demo login -> ID-number hash of their record
    for region, number, address, people in plan:
        household = households[(region.code, number)]
        for person in people:
            resident = Resident(
                name=person.name,
                household=household,
                relation_to_head=person.relation,
                address=address,
                hukou=gen.rng.choices(
                    (Hukou.REGISTERED, Hukou.PERMANENT, Hukou.FLOATING), (85, 10, 5)
                )[0],
                living_arrangement=person.living,
                ethnicity="汉族",
                user=ctx.users.get(person.user_key) if person.user_key else None,
            )
            resident.place(region.code)
            number = gen.id_number(person.birth, person.sex)
            digest = id_number_hash(number)
            if person.user_key:
                logins[person.user_key] = digest
            if digest in existing_hashes:
                continue
            seal_id_number(resident, parse_id_number(number))
            seal_phone(resident, person.phone)
            new_residents.append(resident)
            pending_tags.append((resident, person))
    Resident.objects.bulk_create(new_residents, batch_size=2000)
    # One statement instead of a bulk_update of thousands of rows: each household without a
    # head gets its first member registered as 户主.
    Household.objects.filter(county_code=HAINING, head__isnull=True).update(
        head=Subquery(
            Resident.objects.filter(household=OuterRef("pk"), relation_to_head=Relation.HEAD)
            .order_by("id")
            .values("pk")[:1]
        )
    )

    tags: list[ResidentTag] = []
    for resident, person in pending_tags:
        for tag, source, category, grade, start, end in person.tags:
            row = ResidentTag(
                resident=resident,
                tag=tag,
                source=source,
                disability_category=category,
                disability_grade=grade,
                start_date=start,
                end_date=end,
            )
            row.place(resident.region_id)
            tags.append(row)
    ResidentTag.objects.bulk_create(tags, batch_size=2000)

    demo_user = ctx.users.get("demo_resident")
    linked = None
    if demo_user is not None:
        # Also links a record made by an earlier run before the login existed.
        if not Resident.objects.filter(user=demo_user).exists():
            Resident.objects.filter(
                county_code=HAINING, id_number_hash=logins.get("demo_resident", "")
            ).update(user=demo_user)
        linked = Resident.objects.filter(user=demo_user).first()
    ctx.data["residents"] = {"demo_resident": linked.pk if linked else None}
    if new_residents or new_households:
        audit_record(
            action="residents.demo.loaded",
            region_code=f"{HAINING}000000",
            changes={
                "residents": len(new_residents),
                "households": len(new_households),
                "tags": len(tags),
            },
        )
    ctx.log.append(
        f"residents: {len(new_residents)} residents, {len(new_households)} households, "
        f"{len(tags)} tags created"
    )


def _new_household(region: Region, number: str, address: str) -> Household:
    household = Household(number=number, address=address)
    household.place(region.code)
    return household

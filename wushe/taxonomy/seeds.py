"""Default terms (domain.md §7 and the seeds); loaded by migration 0002, editable afterwards."""

from __future__ import annotations

DEFAULT_TERMS: dict[str, list[tuple[str, str, str]]] = {
    # (code, 中文, English)
    "org_category": [
        ("life_service", "生活服务类", "Daily-life services"),
        ("charity", "公益慈善类", "Public welfare and charity"),
        ("mutual_aid", "居民互助类", "Residents' mutual aid"),
        ("culture_sports", "文体活动类", "Culture and sports"),
        ("community_affairs", "社区事务类", "Community affairs"),
    ],
    "service_category": [
        ("elderly_care", "养老服务", "Elderly care"),
        ("child_welfare", "儿童关爱", "Child welfare"),
        ("disability", "助残服务", "Disability support"),
        ("social_assistance", "社会救助", "Social assistance"),
        ("psychological", "心理疏导", "Psychological support"),
        ("legal_aid", "法律援助", "Legal aid"),
        ("health", "医疗保健", "Health care"),
        ("culture", "文体娱乐", "Culture and recreation"),
        ("environment", "环境物业", "Environment and property"),
        ("mediation", "矛盾调解", "Dispute mediation"),
        ("education", "教育辅导", "Education and tutoring"),
        ("employment", "就业帮扶", "Employment support"),
    ],
    "skill": [
        ("companionship", "陪伴聊天", "Companionship"),
        ("housekeeping", "家政保洁", "Housekeeping"),
        ("haircut", "理发", "Haircut"),
        ("repair", "家电维修", "Appliance repair"),
        ("medical", "医疗护理", "Nursing and medical"),
        ("legal", "法律咨询", "Legal advice"),
        ("psychology", "心理咨询", "Counselling"),
        ("tutoring", "课业辅导", "Tutoring"),
        ("driving", "驾驶接送", "Driving"),
        ("digital", "智能手机教学", "Smartphone teaching"),
        ("culture_arts", "文艺表演", "Performing arts"),
        ("first_aid", "应急救护", "First aid"),
        ("sign_language", "手语", "Sign language"),
        ("photography", "摄影宣传", "Photography and publicity"),
    ],
    "request_category": [
        ("daily_care", "生活照料", "Daily care"),
        ("health", "医疗保健", "Health care"),
        ("culture", "文体娱乐", "Culture and recreation"),
        ("psychological", "心理疏导/人文关怀", "Psychological support and care"),
        ("legal_aid", "法律援助", "Legal aid"),
        ("environment", "环境物业", "Environment and property"),
        ("dispute", "矛盾纠纷", "Disputes"),
        ("safety", "安全隐患", "Safety hazards"),
        ("other", "其他", "Other"),
    ],
}

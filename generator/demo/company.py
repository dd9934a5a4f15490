"""The fictional company of the demo archive: its people, departments, clients, projects and calendar.

鴻信外包服務股份有限公司 takes software, data, support and marketing work from
Taiwanese and Hong Kong clients; ``archive`` writes its records and
``repository`` their history.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from generator.records.calendar import BusinessCalendar
from generator.workflow.init import standard_policy

TODAY = date(2026, 11, 20)
"""The demo archive's "now": fixed, so the same seed gives the same files."""

COMPANY = ("鴻信外包服務股份有限公司", "Hongxin Outsourcing Services Co., Ltd.")
DOMAIN = "hongxin.example"

DEPARTMENTS = [
    # id, 中文, English, head, duties
    ("management", "總經理室", "General Management", "hsu.wenpin", "公司治理與重大決策 Governance and major decisions"),
    ("sales", "銷售部", "Sales", "lin.yating", "接單、客戶溝通 Orders and client contact"),
    ("operations", "運營部", "Operations", "wang.chienhung", "工作計劃、執行與品質 Plans, execution and quality"),
    ("finance", "財務部", "Finance", "huang.shuhua", "結算與收款 Settlement and collection"),
    ("quality", "品保部", "Quality Assurance", "liu.yihsuan", "品質檢驗 Quality inspection"),
    ("admin", "行政部", "Administration", "chou.peichun", "檔案管理 Records management"),
    ("tech_support", "技術支援部", "Technical Support", "yang.kaiwen", "技術支援 Technical support"),
]

PEOPLE = [
    # id, 姓名, English name, department, roles
    ("hsu.wenpin", "許文彬", "Wen-Pin Hsu", "management", ["head", "approver"]),
    ("lin.yating", "林雅婷", "Ya-Ting Lin", "sales", ["head", "approver"]),
    ("chang.chiahao", "張家豪", "Chia-Hao Chang", "sales", ["approver"]),
    ("chen.yichun", "陳怡君", "Yi-Chun Chen", "sales", []),
    ("wong.kaming", "黃家明", "Ka-Ming Wong", "sales", []),
    ("wang.chienhung", "王建宏", "Chien-Hung Wang", "operations", ["head", "approver"]),
    ("lee.chiawei", "李佳蔚", "Chia-Wei Lee", "operations", ["approver"]),
    ("huang.chihming", "黃志明", "Chih-Ming Huang", "operations", []),
    ("wu.shufen", "吳淑芬", "Shu-Fen Wu", "operations", []),
    ("huang.shuhua", "黃淑華", "Shu-Hua Huang", "finance", ["head", "approver"]),
    ("tsai.mingche", "蔡明哲", "Ming-Che Tsai", "finance", ["approver"]),
    ("kuo.peiling", "郭佩玲", "Pei-Ling Kuo", "finance", []),
    ("liu.yihsuan", "劉怡萱", "Yi-Hsuan Liu", "quality", ["head", "approver", "quality_inspector"]),
    ("cheng.yuhsiang", "鄭宇翔", "Yu-Hsiang Cheng", "quality", ["approver", "quality_inspector"]),
    ("chou.peichun", "周佩君", "Pei-Chun Chou", "admin", ["head", "approver", "archivist"]),
    ("tseng.yawen", "曾雅雯", "Ya-Wen Tseng", "admin", ["archivist", "administrator"]),
    ("yang.kaiwen", "楊凱文", "Kai-Wen Yang", "tech_support", ["head", "approver"]),
    ("lai.tingyu", "賴庭妤", "Ting-Yu Lai", "tech_support", []),
]

SALES = ["lin.yating", "chang.chiahao", "chen.yichun", "wong.kaming"]
OPS = ["wang.chienhung", "lee.chiawei", "huang.chihming", "wu.shufen"]
FIN = ["huang.shuhua", "tsai.mingche", "kuo.peiling"]
INSPECTORS = ["liu.yihsuan", "cheng.yuhsiang"]

CLIENTS = [
    # name, contact, currency
    ("台灣數位科技股份有限公司", "陳志明 經理", "TWD"),
    ("宏遠物流股份有限公司", "林美玲 主任", "TWD"),
    ("綠野食品股份有限公司", "張文華 協理", "TWD"),
    ("晨星保險經紀人股份有限公司", "王淑惠 經理", "TWD"),
    ("北辰醫療器材股份有限公司", "李國棟 處長", "TWD"),
    ("新竹精密工業股份有限公司", "吳俊傑 課長", "TWD"),
    ("陽光旅行社股份有限公司", "蔡佩珊 經理", "TWD"),
    ("金禾餐飲集團股份有限公司", "鄭雅文 總監", "TWD"),
    ("雲端教育科技股份有限公司", "許志偉 執行長", "TWD"),
    ("安心長照服務股份有限公司", "劉素貞 主任", "TWD"),
    ("嘉南農產股份有限公司", "黃明德 經理", "TWD"),
    ("海峽電子商務有限公司", "Mr. David Wong 黃大衛", "HKD"),
    ("港灣金融服務有限公司", "Ms. Karen Leung 梁嘉欣", "HKD"),
    ("九龍城建設有限公司", "Mr. Peter Chan 陳啟明", "HKD"),
    ("Pacific Rim Trading Ltd.", "Ms. Grace Lam 林慧儀", "HKD"),
    ("翠峰化妝品股份有限公司", "周靜宜 品牌經理", "TWD"),
]

PROJECTS = {
    "software_development": [
        (
            "會員系統重構 Member portal rebuild",
            "重新設計會員入口網站，包含登入、點數與訂單查詢。\nRebuild the member portal: login, loyalty points and order lookup.",
        ),
        (
            "行動點餐 App 開發 Mobile ordering app",
            "開發 iOS 與 Android 點餐 App，串接 POS 系統。\niOS and Android ordering app integrated with the POS system.",
        ),
        (
            "ERP 系統介接 ERP integration",
            "將電商訂單同步至客戶 ERP，含庫存回寫。\nSynchronise web-shop orders into the client's ERP, with stock write-back.",
        ),
        (
            "電子發票串接 E-invoice integration",
            "串接財政部電子發票平台，自動開立與作廢。\nConnect to the national e-invoice platform for issuing and voiding invoices.",
        ),
        (
            "官網改版 Corporate website redesign",
            "官網改版為響應式設計，支援中英文內容管理。\nResponsive redesign of the corporate site with bilingual content management.",
        ),
    ],
    "data_analysis": [
        (
            "銷售數據分析儀表板 Sales analytics dashboard",
            "整合三年銷售資料，建置每週更新之分析儀表板。\nThree years of sales data in a weekly refreshed dashboard.",
        ),
        (
            "客戶流失預測 Customer churn prediction",
            "建立客戶流失預測模型並提出挽留建議。\nA churn prediction model with retention recommendations.",
        ),
        (
            "庫存最佳化分析 Inventory optimisation study",
            "分析各倉庫存週轉，提出補貨參數建議。\nStock turnover per warehouse and recommended reorder parameters.",
        ),
        (
            "市場調查統計 Market survey statistics",
            "問卷設計、抽樣與統計分析報告。\nQuestionnaire design, sampling and a statistical report.",
        ),
    ],
    "customer_support": [
        (
            "客服中心外包 Call-centre outsourcing",
            "提供週一至週五 09:00–18:00 電話客服，每月服務報告。\nWeekday phone support 09:00–18:00 with a monthly service report.",
        ),
        (
            "線上客服代營運 Live-chat support operations",
            "代營運官網與 LINE 線上客服，回應時間 5 分鐘內。\nRun website and LINE live chat, first response within 5 minutes.",
        ),
        (
            "售後服務專線 After-sales hotline",
            "設立售後服務專線並建立常見問題知識庫。\nAn after-sales hotline with a knowledge base of common questions.",
        ),
    ],
    "marketing": [
        (
            "社群行銷企劃 Social media campaign",
            "規劃三個月 Facebook 與 Instagram 內容與廣告投放。\nThree months of Facebook and Instagram content and ads.",
        ),
        (
            "新品上市活動 Product launch campaign",
            "新品記者會、網紅合作與門市活動整合行銷。\nLaunch event, influencer partnerships and in-store promotion.",
        ),
        ("搜尋引擎優化 SEO programme", "網站技術 SEO 健檢與六個月內容優化。\nTechnical SEO audit and six months of content optimisation."),
    ],
}

BUDGETS = {  # (low, high) in thousands
    "software_development": (600, 3200),
    "data_analysis": (250, 1200),
    "customer_support": (300, 1500),
    "marketing": (200, 900),
}

TASKS = {
    "software_development": ["需求訪談 Requirements workshop", "系統設計 System design", "開發 Build", "測試 Testing", "上線 Go-live"],
    "data_analysis": ["資料盤點 Data inventory", "資料清理 Data cleaning", "模型與分析 Modelling", "報告撰寫 Report"],
    "customer_support": ["人員招募 Staffing", "知識庫建置 Knowledge base", "教育訓練 Training", "正式營運 Live operation"],
    "marketing": ["企劃提案 Proposal", "素材製作 Creative production", "投放執行 Campaign run", "成效報告 Results report"],
}

REASON_TYPES = {  # each demo change's kind of reason (ChangeReason), by its title
    "新增報表功能 Add a monthly report": "scope",
    "調整上線日期 Move the go-live date": "schedule",
    "擴大服務範圍 Extend the scope": "scope",
    "刪減廣告預算 Reduce the ad budget": "budget",
    "更換資料來源 Change the data source": "client_environment",
}
CHANGES = [
    (
        "新增報表功能 Add a monthly report",
        "客戶營運需求增加 The client's operations need more reporting",
        "新增月報表與匯出功能 A monthly report with export",
        60,
        10,
    ),
    (
        "調整上線日期 Move the go-live date",
        "客戶內部驗收排程延後 The client's own review slipped",
        "延後上線兩週 Go live two weeks later",
        0,
        14,
    ),
    (
        "擴大服務範圍 Extend the scope",
        "客戶新增門市 The client opened new branches",
        "服務範圍擴及三家新門市 Cover three new branches",
        150,
        21,
    ),
    (
        "刪減廣告預算 Reduce the ad budget",
        "客戶年度預算調整 The client cut its annual budget",
        "減少廣告投放一個月 One month less of paid ads",
        -80,
        0,
    ),
    (
        "更換資料來源 Change the data source",
        "客戶更換 CRM 系統 The client replaced its CRM",
        "改由新 CRM 匯出資料 Read data from the new CRM",
        40,
        7,
    ),
]

DEFECTS = [
    ("functional", "major", "訂單查詢頁面於大量資料時逾時 Order lookup times out on large accounts"),
    ("data_accuracy", "major", "月報表營收數字與 ERP 不一致 Monthly revenue differs from the ERP"),
    ("documentation", "minor", "操作手冊缺少管理員章節 The manual lacks the administrator chapter"),
    ("service", "minor", "夜間時段來電等候超過 3 分鐘 Evening callers waited over 3 minutes"),
    ("performance", "critical", "尖峰時段 App 回應超過 10 秒 App responses over 10 s at peak"),
]

# Taiwan's national holidays and make-up workdays used by the demo calendar (§2.3 business days).
HOLIDAYS = [
    ("2025-01-01", "中華民國開國紀念日"),
    ("2025-01-27", "春節調整放假"),
    ("2025-01-28", "農曆除夕"),
    ("2025-01-29", "春節"),
    ("2025-01-30", "春節"),
    ("2025-01-31", "春節"),
    ("2025-02-28", "和平紀念日"),
    ("2025-04-03", "兒童節補假"),
    ("2025-04-04", "兒童節及清明節"),
    ("2025-05-01", "勞動節"),
    ("2025-05-30", "端午節補假"),
    ("2025-05-31", "端午節"),
    ("2025-09-29", "教師節補假"),
    ("2025-10-06", "中秋節"),
    ("2025-10-10", "國慶日"),
    ("2025-10-24", "臺灣光復暨金門古寧頭大捷紀念日補假"),
    ("2025-12-25", "行憲紀念日"),
    ("2026-01-01", "中華民國開國紀念日"),
    ("2026-02-16", "農曆除夕"),
    ("2026-02-17", "春節"),
    ("2026-02-18", "春節"),
    ("2026-02-19", "春節"),
    ("2026-02-20", "春節補假"),
    ("2026-02-27", "和平紀念日補假"),
    ("2026-04-03", "兒童節補假"),
    ("2026-04-06", "清明節補假"),
    ("2026-05-01", "勞動節"),
    ("2026-06-19", "端午節"),
    ("2026-09-25", "中秋節"),
    ("2026-09-28", "教師節"),
    ("2026-10-09", "國慶日補假"),
    ("2026-10-26", "臺灣光復暨金門古寧頭大捷紀念日補假"),
    ("2026-12-25", "行憲紀念日"),
]
EXTRA_WORKDAYS = ["2025-02-08"]

CALENDAR = BusinessCalendar(
    holidays=frozenset(date.fromisoformat(d) for d, _ in HOLIDAYS),
    workdays=frozenset(date.fromisoformat(d) for d in EXTRA_WORKDAYS),
)

STAGES = ["received", "in_progress", "delivered", "accepted", "settled", "archived"]
PINNED_STAGES = ["received", "in_progress", "delivered", "accepted", "settled", "in_progress", "awaiting_acceptance"]
"""The stages of the newest orders, pinned so every archive shows them; ``awaiting_acceptance`` is an order
delivered weeks ago that the client has not accepted yet (a deliberate §5.2 finding)."""


def email(person: str) -> str:
    return f"{person}@{DOMAIN}"


def organization() -> dict[str, Any]:
    return {
        "kind": "organization",
        "schema_version": 1,
        "name_zh": COMPANY[0],
        "name_en": COMPANY[1],
        "departments": [{"id": d, "name_zh": zh, "name_en": en, "head": head, "duties": duties} for d, zh, en, head, duties in DEPARTMENTS],
        "people": [
            {"id": p, "name": zh, "name_en": en, "department": dept, "emails": [email(p)], **({"roles": roles} if roles else {})}
            for p, zh, en, dept, roles in PEOPLE
        ],
    }


def policy(approvals_required: bool = True) -> dict[str, Any]:
    """The standard policy with the demo company's holidays."""
    return standard_policy(approvals_required, HOLIDAYS, EXTRA_WORKDAYS)
